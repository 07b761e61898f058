/**
 * The consortium's nodes: every organization the genesis lists with a node key. For each,
 * the highest block it has signed a checkpoint of (the checkpoint signatures this node holds,
 * `GET /v1/checkpoints`, public) — a node signs one after each block it commits, so this is
 * its height as the consortium sees it — and whether the latest checkpoint is final (signed by
 * a quorum of the nodes) or not yet. This node's own height comes from `/v1/status`. In the
 * single-node dev mode the list has the one node, whose signature alone is the quorum.
 */
import { useEffect, useState } from 'react';
import type { CheckpointAt, MedledgerClient, StoredCheckpoints } from '@medledger/client';
import type { Genesis } from '@medledger/core';

/** Heights of checkpoint signatures read back from the head (the route serves at most 500). */
const WINDOW = 64;

interface Seen {
  /** Highest height each node's signature was seen at, in the window read. */
  signed: Map<string, number>;
  latest?: CheckpointAt;
  error?: string;
}

/** Heights each organization signed, in the checkpoints read. */
export function signedHeights(cps: readonly StoredCheckpoints[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of cps)
    for (const s of c.signatures) if ((out.get(s.org) ?? 0) < c.height) out.set(s.org, c.height);
  return out;
}

/** The nodes card of the explorer (see the file comment). */
export function Nodes({
  client,
  genesis,
  status,
}: {
  client: MedledgerClient;
  genesis: Genesis | undefined;
  status: (Record<string, unknown> & { height: number }) | undefined;
}) {
  const [seen, setSeen] = useState<Seen>({ signed: new Map() });
  const height = status?.height;
  useEffect(() => {
    if (height === undefined || height < 1) return;
    let stop = false;
    void (async () => {
      try {
        const from = Math.max(1, height - WINDOW + 1);
        const [cps, latest] = await Promise.all([
          client.getCheckpoints(from, height),
          client.getCheckpoint(height),
        ]);
        if (!stop) setSeen({ signed: signedHeights(cps), latest });
      } catch (e) {
        if (!stop) setSeen((s) => ({ ...s, error: (e as Error).message }));
      }
    })();
    return () => {
      stop = true;
    };
  }, [client, height]);

  const nodes = (genesis?.orgs ?? []).filter((o) => o.nodeKey !== undefined);
  const quorum = Math.floor(nodes.length / 2) + 1;
  const self = typeof status?.['org'] === 'string' ? status['org'] : undefined;
  const latest = seen.latest;
  const latestSigners = new Set(latest?.signatures.map((s) => s.org) ?? []);
  return (
    <div className="card" aria-labelledby="nodes-title">
      <h3 id="nodes-title">Nodes of the consortium</h3>
      {!genesis ? (
        <p className="muted">Loading the genesis…</p>
      ) : (
        <table className="nodes" aria-labelledby="nodes-title">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Height</th>
              <th scope="col">Latest checkpoint</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((o) => {
              const h = o.id === self ? height : seen.signed.get(o.id);
              const signedLatest = latestSigners.has(o.id);
              return (
                <tr key={o.id} data-testid={`node-${o.id}`}>
                  <th scope="row">
                    {o.id}
                    {o.id === self ? <span className="muted"> (this node)</span> : null}
                    <div className="muted small">{o.role}</div>
                  </th>
                  <td data-testid={`node-height-${o.id}`}>{h ?? '—'}</td>
                  <td>
                    {seen.signed.has(o.id) ? `signed block ${seen.signed.get(o.id)}` : 'no signature seen'}
                    {latest ? (signedLatest ? ' · signed the latest' : ' · not yet the latest') : ''}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {latest && (
        <p data-testid="latest-checkpoint">
          Checkpoint of block {latest.body.height}:{' '}
          {latest.final ? (
            <span className="ok">
              final — signed by {latest.signatures.length} of {nodes.length} node
              {nodes.length === 1 ? '' : 's'} (quorum {quorum})
            </span>
          ) : (
            <span className="bad">
              not final yet — {latest.signatures.length} of the {quorum} signatures a quorum needs
            </span>
          )}
          <span className="mono small"> state {latest.body.stateDigest.slice(0, 12)}…</span>
        </p>
      )}
      {seen.error && (
        <p role="status" className="muted">
          Checkpoints could not be read: {seen.error}
        </p>
      )}
    </div>
  );
}
