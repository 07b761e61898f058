/**
 * Node status over HTTP, one row per node, for `medledger status` and the process cluster:
 * height, head hash, state digest, final height and the latest quorum checkpoint, whether
 * the node is the block cutter, and its halted / alarm state.
 */
import { MedledgerClient } from '@medledger/client';

/** One node's status as `GET /v1/status` (and its latest final checkpoint) reports it. */
export interface NodeStatusRow {
  org: string;
  url: string;
  /** The node's process id, where the caller started it. */
  pid?: number | undefined;
  height?: number;
  headHash?: string;
  stateDigest?: string;
  /** The highest height a quorum of nodes signed alike. */
  finalHeight?: number;
  /** The block hash of the checkpoint at `finalHeight` and how many nodes signed it. */
  finalCheckpoint?: { blockHash: string; signers: string[] };
  cutter?: boolean;
  /** The alarm that halted the node, or null while it commits. */
  halted?: string | null;
  peers?: string[];
  /** The other nodes' URLs, where the node reports them. */
  nodes?: Record<string, string>;
  /** What the node's etcd follower is doing (phase, highest height seen in etcd, blocks held). */
  ordering?: { following: string; etcdTip: number; ahead: number[] };
  /** Why the node did not answer. */
  error?: string;
}

/** Asks one node for its status; a node that does not answer gives a row with `error`. */
export async function fetchStatus(
  org: string,
  url: string,
  timeoutMs = 2000,
  pid?: number,
): Promise<NodeStatusRow> {
  const base: NodeStatusRow = { org, url, ...(pid === undefined ? {} : { pid }) };
  const timed: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const client = new MedledgerClient(url, undefined, { fetch: timed });
  try {
    const s = (await client.status()) as Record<string, unknown>;
    const row: NodeStatusRow = {
      ...base,
      org: typeof s.org === 'string' ? s.org : org,
      height: s.height as number,
      headHash: s.headHash as string,
      stateDigest: s.stateDigest as string,
      halted: (s.halted as string | null | undefined) ?? null,
      ...(typeof s.finalHeight === 'number' ? { finalHeight: s.finalHeight } : {}),
      ...(typeof s.cutter === 'boolean' ? { cutter: s.cutter } : {}),
      ...(s.ordering && typeof s.ordering === 'object'
        ? { ordering: s.ordering as NonNullable<NodeStatusRow['ordering']> }
        : {}),
      ...(Array.isArray(s.peers) ? { peers: s.peers as string[] } : {}),
      ...(s.nodes && typeof s.nodes === 'object' ? { nodes: s.nodes as Record<string, string> } : {}),
    };
    if (row.finalHeight !== undefined && row.finalHeight > 0) {
      try {
        const cp = await client.getCheckpoint(row.finalHeight);
        row.finalCheckpoint = { blockHash: cp.body.blockHash, signers: cp.signatures.map((x) => x.org) };
      } catch {
        /* pruned or not stored: the final height alone is shown */
      }
    }
    return row;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return { ...base, error: err.cause?.code ?? err.message };
  }
}

const short = (h: string | undefined): string => (h === undefined ? '-' : h.slice(0, 12));

/** The rows as a table for a terminal: one line per node. */
export function formatStatus(rows: NodeStatusRow[]): string[] {
  const header = ['org', 'url', 'height', 'head', 'state', 'final', 'checkpoint', 'cutter', 'state of node'];
  const lines = rows.map((r) =>
    r.error !== undefined
      ? [r.org, r.url, '-', '-', '-', '-', '-', '-', `DOWN (${r.error})`]
      : [
          r.org,
          r.url,
          String(r.height),
          short(r.headHash),
          short(r.stateDigest),
          r.finalHeight === undefined ? '-' : String(r.finalHeight),
          r.finalCheckpoint
            ? `${short(r.finalCheckpoint.blockHash)} by ${r.finalCheckpoint.signers.join(',')}`
            : '-',
          r.cutter ? 'yes' : 'no',
          r.halted ? `HALTED: ${r.halted}` : 'committing',
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]): string =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)];
}
