/**
 * The patient page's notification feed and retry rule (packages/web/src/views/patient/feed.ts,
 * retry.ts, words.ts), bundled for Node by esbuild (webModule.ts):
 * - only emergency access (a read for purpose emergency, a threshold emergency request once its
 *   ledger entry is read) and erasures reach the feed; other notifications do not;
 * - a refusal keeps the ledger's own message; the feed is newest first;
 * - `retrying` retries a node that does not answer (network error, 502/503/504/429) and says
 *   so, and gives up at once on the node's own refusal (403), without retrying it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWebModule } from './webModule.js';

type Notification = {
  id: string;
  type: string;
  patient: string;
  height: number;
  txId: string;
  at?: number;
} & Record<string, unknown>;
interface FeedModule {
  feedItemOf: (
    n: Notification,
    e?: unknown,
  ) => ({ kind: string; key: string; at?: number } & Record<string, unknown>) | undefined;
  refusalItem: (o: unknown, seq: number) => { kind: string; key: string } & Record<string, unknown>;
  sortFeed: <T extends { key: string; at?: number }>(items: T[]) => T[];
}
interface RetryModule {
  isTransient: (e: unknown) => boolean;
  retrying: <T>(
    load: () => Promise<T>,
    p: { onWaiting: (m: string | undefined) => void; stopped: () => boolean; delayMs?: number },
  ) => Promise<T>;
}
interface WordsModule {
  inWords: (e: unknown) => { code: string; text: string; detail?: string };
}

const P = 'a'.repeat(64);
const n = (type: string, extra: Record<string, unknown> = {}, height = 5): Notification => ({
  id: `${'b'.repeat(64)}:${height}`,
  type,
  patient: P,
  height,
  txId: 'b'.repeat(64),
  at: 1000 * height,
  ...extra,
});

test('behavior: the feed keeps emergency access and erasures, and nothing else', async () => {
  const { feedItemOf, sortFeed } = await loadWebModule<FeedModule>('views/patient/feed.ts');
  const read = feedItemOf(
    n('access.decided', { purpose: 'emergency', requester: 'r1', recordId: 'x', allow: true, code: 'OK' }),
  );
  assert.equal(read?.kind, 'emergency');
  assert.equal(read?.['via'], 'grant');
  assert.equal(read?.['allowed'], true);
  const byAuthor = feedItemOf(
    n('access.decided', {
      purpose: 'emergency',
      requester: 'r1',
      recordId: 'x',
      allow: true,
      code: 'OK',
      basis: 'author',
    }),
  );
  assert.equal(byAuthor?.['via'], 'author', 'an author’s emergency read is not said to be under a consent');
  assert.equal(
    feedItemOf(n('access.decided', { purpose: 'treatment', allow: true })),
    undefined,
    'a treatment read is the log’s, not the feed’s',
  );
  for (const t of ['access.logged', 'consent.granted', 'record.written', 'careteam.changed'])
    assert.equal(feedItemOf(n(t, { purpose: 'emergency' })), undefined, t);
  assert.equal(
    feedItemOf(n('emergency.requested')),
    undefined,
    'an emergency request waits for its ledger entry',
  );
  const pre = feedItemOf(n('emergency.requested', {}, 7), {
    requester: 'r2',
    recordId: 'summary',
    allow: false,
    code: 'NO_GRANT',
    time: 7000,
  });
  assert.deepEqual(
    [pre?.kind, pre?.['via'], pre?.['allowed'], pre?.['code']],
    ['emergency', 'threshold', false, 'NO_GRANT'],
  );
  const erased = feedItemOf(n('record.erased', { recordId: 'bx', holder: 'hospitalA' }, 9));
  assert.deepEqual([erased?.kind, erased?.['done'], erased?.['holder']], ['erasure', true, 'hospitalA']);
  assert.deepEqual(
    sortFeed([read!, erased!, pre!]).map((i) => i.key),
    [erased!.key, pre!.key, read!.key],
    'newest first',
  );
});

test('behavior: a refused erasure keeps the ledger’s reason, in words', async () => {
  const { refusalItem } = await loadWebModule<FeedModule>('views/patient/feed.ts');
  const { inWords } = await loadWebModule<WordsModule>('views/patient/words.ts');
  const said = 'DSS records are stored in plaintext in every node’s copy of the ledger';
  const w = inWords(Object.assign(new Error(said), { code: 'ERASURE_NOT_POSSIBLE', status: 422 }));
  assert.match(w.text, /nobody can erase it/);
  assert.equal(w.detail, said);
  const item = refusalItem({ recordId: 'plan', ok: false, ...w, at: 1 }, 1);
  assert.deepEqual(
    [item.kind, item['done'], item['code'], item['detail']],
    ['erasure', false, 'ERASURE_NOT_POSSIBLE', said],
  );
  assert.equal(inWords(new TypeError('Failed to fetch')).code, 'UNREACHABLE');
  assert.deepEqual(inWords(Object.assign(new Error('odd'), { code: 'SOMETHING_NEW' })), {
    code: 'SOMETHING_NEW',
    text: 'odd',
  });
});

test('behavior: retrying retries a node that does not answer and says so, never a refusal', async () => {
  const { isTransient, retrying } = await loadWebModule<RetryModule>('views/patient/retry.ts');
  const status = (s: number) => Object.assign(new Error(`HTTP ${s}`), { status: s });
  for (const s of [429, 502, 503, 504]) assert.equal(isTransient(status(s)), true, String(s));
  for (const s of [400, 401, 403, 404, 422, 500]) assert.equal(isTransient(status(s)), false, String(s));
  assert.equal(isTransient(new TypeError('Failed to fetch')), true);

  const said: (string | undefined)[] = [];
  let calls = 0;
  const v = await retrying(
    async () => {
      calls++;
      if (calls === 1) throw new TypeError('Failed to fetch');
      if (calls === 2) throw status(503);
      return 'loaded';
    },
    { onWaiting: (m) => said.push(m), stopped: () => false, delayMs: 5 },
  );
  assert.equal(v, 'loaded');
  assert.equal(calls, 3);
  assert.match(said[0] ?? '', /The node does not answer right now; trying again in \d+ s \(attempt 1\)/);
  assert.match(said[1] ?? '', /attempt 2/);
  assert.equal(said.at(-1), undefined, 'the message goes once the node answers');

  let refusals = 0;
  await assert.rejects(
    retrying(
      async () => {
        refusals++;
        throw status(403);
      },
      { onWaiting: () => undefined, stopped: () => false, delayMs: 5 },
    ),
    /HTTP 403/,
  );
  assert.equal(refusals, 1, 'a refusal is not retried');
  let stops = 0;
  await assert.rejects(
    retrying(
      async () => {
        stops++;
        throw new TypeError('Failed to fetch');
      },
      { onWaiting: () => undefined, stopped: () => true, delayMs: 5 },
    ),
    TypeError,
  );
  assert.equal(stops, 1, 'a page that went away stops retrying');
});
