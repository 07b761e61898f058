/**
 * The patient's records, newest first, each with how it lives on the ledger: DSS (in the
 * open, on the patient's chain, signed by k of n doctors), SPV (a commitment on the ledger, the
 * record kept by its holder) or STT (encrypted to its receivers, with its transmission path).
 */
import type { Session } from '../../session.js';
import { DssChain } from './DssChain.js';
import { EraseRecord, type ErasureOutcome } from './EraseRecord.js';
import { Who } from './names.js';
import { SttGraph } from './SttGraph.js';
import type { MemberName, TimelineItem } from './loadTimeline.js';

const MODE: Record<TimelineItem['mode'], string> = {
  dss: 'DSS · on the ledger, in the open',
  spv: 'SPV · a fingerprint on the ledger, the record at its holder',
  stt: 'STT · encrypted to its receivers',
};

/** The timeline: the DSS chain drawn first, then every record newest first. */
export function Timeline({
  items,
  names,
  session,
  onErasure,
}: {
  items: readonly TimelineItem[] | undefined;
  names: ReadonlyMap<string, MemberName>;
  session: Session;
  onErasure: (o: ErasureOutcome) => void;
}) {
  if (items === undefined) return <p className="muted">Loading your records…</p>;
  if (items.length === 0) return <p className="muted">No record has been written for you yet.</p>;
  return (
    <>
      <DssChain items={items} names={names} session={session} />
      <ol className="timeline" aria-label="Your records, newest first">
        {items.map((i) => (
          <li
            key={i.recordId}
            className={`record ${i.mode}${i.erasedAt !== undefined ? ' erased' : ''}`}
            data-testid={`record-${i.recordId}`}
          >
            <header>
              <span className={`badge ${i.mode}`}>{i.mode.toUpperCase()}</span> <strong>{i.recordId}</strong>{' '}
              <span className="muted">
                {i.resourceType}, {i.category}
              </span>
              <span className="when">
                block {i.height} · {new Date(i.time).toLocaleString()}
              </span>
            </header>
            <p className="muted small">{MODE[i.mode]}</p>
            <Architecture item={i} names={names} />
            {i.erasedAt !== undefined ? (
              <p className="erased-note" data-testid={`erased-${i.recordId}`}>
                Erased at your request in block {i.erasedAt}: its copy off the ledger is destroyed; the ledger
                keeps only what reveals nothing.
              </p>
            ) : (
              <EraseRecord recordId={i.recordId} records={session.records} onOutcome={onErasure} />
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

function Architecture({ item, names }: { item: TimelineItem; names: ReadonlyMap<string, MemberName> }) {
  const e = item.entry;
  if (item.mode === 'dss') {
    const signed = new Set(item.signers ?? []);
    // Who signed first, then who did not.
    const responsible = [...(e?.responsible ?? [])].sort(
      (a, b) => Number(signed.has(b)) - Number(signed.has(a)),
    );
    return (
      <div data-testid={`dss-${item.recordId}`}>
        <p>
          Needs <strong>{e?.k ?? '?'}</strong> of its <strong>{responsible.length}</strong> responsible
          doctors; signed by {signed.size}:
        </p>
        <ul className="signers">
          {responsible.map((id) => (
            <li key={id} className={signed.has(id) ? 'signed' : 'unsigned'}>
              {signed.has(id) ? '✔ signed' : '– did not sign'} <Who id={id} names={names} />
            </li>
          ))}
        </ul>
        <p className="small muted">
          {e?.prev ? (
            <>
              Follows your previous DSS record (transaction{' '}
              <span className="mono">{e.prev.slice(0, 12)}…</span>).
            </>
          ) : (
            'The first record of your DSS chain.'
          )}
        </p>
      </div>
    );
  }
  if (item.mode === 'spv')
    return (
      <dl className="arch" data-testid={`spv-${item.recordId}`}>
        <dt>Kept by</dt>
        <dd data-testid={`holder-${item.recordId}`}>{e?.holder ?? item.holder ?? item.org}</dd>
        <dt>Fingerprint on the ledger</dt>
        <dd className="mono hash" title={e?.commitment}>
          {e?.commitment ? `${e.commitment.slice(0, 24)}…` : 'not readable'}
        </dd>
        <dt>Written by</dt>
        <dd>
          {(e?.responsible ?? []).map((id) => (
            <Who key={id} id={id} names={names} />
          ))}
        </dd>
      </dl>
    );
  return (
    <div>
      <p className="small">
        Its key is kept by <strong>{e?.holder ?? item.holder ?? item.org}</strong>; each receiver opens it
        only after a logged request.
      </p>
      <SttGraph recordId={item.recordId} path={item.path ?? []} names={names} />
    </div>
  );
}
