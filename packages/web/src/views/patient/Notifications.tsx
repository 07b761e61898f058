/** The patient's notification feed (feed.ts): emergency access and erasure requests. */
import { Who } from './names.js';
import type { FeedItem } from './feed.js';
import type { MemberName } from './loadTimeline.js';
import { reasonInWords } from './words.js';

const VIA = {
  grant: ' under your emergency consent',
  author: ' as a doctor who wrote it',
  threshold: ' through your emergency contacts’ re-encryption',
} as const;

const when = (at: number | undefined): string => (at === undefined ? '' : new Date(at).toLocaleString());

/** The feed, newest first; empty, it says there is nothing to report. */
export function Notifications({
  items,
  names,
}: {
  items: readonly FeedItem[];
  names: ReadonlyMap<string, MemberName>;
}) {
  return (
    <div className="card">
      <h3 id="feed-title">Notifications</h3>
      {items.length === 0 ? (
        <p className="muted">Nothing yet: nobody used emergency access, and you asked for no erasure.</p>
      ) : (
        <ul className="feed" aria-labelledby="feed-title" aria-live="polite">
          {items.map((i) => (
            <li key={i.key} className={`feed-item ${i.kind}`} data-testid="feed-item">
              {i.kind === 'emergency' ? (
                <>
                  <strong className="tag emergency">Emergency access (break-glass)</strong>{' '}
                  <Who id={i.requester} names={names} /> asked for <strong>{i.recordId}</strong>
                  {VIA[i.via]}
                  {': '}
                  {i.allowed ? (
                    <strong>allowed</strong>
                  ) : (
                    <>
                      <strong>refused</strong> — {reasonInWords(i.code)}
                    </>
                  )}
                  <span className="when">
                    {' '}
                    block {i.height} · {when(i.at)}
                  </span>
                </>
              ) : i.done ? (
                <>
                  <strong className="tag erasure">Erasure</strong> of <strong>{i.recordId}</strong>: done —{' '}
                  {i.holder} destroyed its copy.
                  <span className="when">
                    {' '}
                    block {i.height} · {when(i.at)}
                  </span>
                </>
              ) : (
                <>
                  <strong className="tag erasure">Erasure</strong> of <strong>{i.recordId}</strong>:{' '}
                  <span className="bad">refused</span> — {i.text}.
                  {i.detail ? <span className="detail"> The ledger says: “{i.detail}”</span> : null}
                  <span className="when"> {when(i.at)}</span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
