/**
 * `medledger verify <dir>`: re-checks every stored block of a node directory (or of a dev
 * layout's node directory: hospitalA's, or `org`'s), its transaction index, and that its ledger
 * belongs to the directory's genesis.json; exits non-zero naming the first bad one. Shows its
 * progress and rate on stderr (a bar on a terminal, a line every 5 s otherwise) and reports the
 * rate it verified at (blocks/s and tx/s).
 */
import { existsSync } from 'node:fs';
import { paths, readGenesis, verifyLedger, type VerifyReport } from '@medledger/node';
import { resolveNodeDir } from '../dirs/layout.js';

/** {@link verify}'s report: the ledger's, with the time it took and its rate. */
export type VerifyCommandReport = VerifyReport & { seconds: number; blocksPerSec: number; txPerSec: number };

export async function verify(
  dir: string,
  out: NodeJS.WriteStream = process.stderr,
  org?: string,
): Promise<VerifyCommandReport> {
  const noRate = { seconds: 0, blocksPerSec: 0, txPerSec: 0 };
  const nodeDir = existsSync(paths(dir).ledger) ? dir : resolveNodeDir(dir, org);
  const { ledger, genesis: genesisFile } = paths(nodeDir);
  if (!existsSync(ledger)) return { ok: false, height: 0, reason: `no ledger at ${ledger}`, ...noRate };
  if (!existsSync(genesisFile))
    return { ok: false, height: 0, reason: `no genesis.json at ${genesisFile}`, ...noRate };
  let genesis;
  try {
    genesis = readGenesis(nodeDir);
  } catch (e) {
    return { ok: false, height: 0, reason: `${genesisFile}: ${(e as Error).message}`, ...noRate };
  }
  const tty = out.isTTY === true;
  const t0 = performance.now();
  let lastDraw = tty ? 0 : t0;
  // Whole numbers, but a tenth below 10/s (the first blocks of a large ledger, enrollments with
  // their certificates, go at a few blocks per second).
  const rate = (n: number, ms: number): number => {
    const r = ms > 0 ? (n / ms) * 1000 : 0;
    return r < 10 ? Math.round(r * 10) / 10 : Math.round(r);
  };
  const report = await verifyLedger(ledger, {
    genesis,
    onProgress: (h, total, txs) => {
      const now = performance.now();
      if (h !== total && now - lastDraw < (tty ? 200 : 5000)) return;
      lastDraw = now;
      const ms = now - t0;
      const text = `block ${h}/${total}, ${rate(h - 1, ms)} blocks/s, ${rate(txs, ms)} tx/s`;
      if (!tty) return void out.write(`verify: ${text}\n`);
      const w = 30;
      const filled = Math.round((h / total) * w);
      out.write(
        `\r[${'#'.repeat(filled)}${' '.repeat(w - filled)}] ${String(Math.round((h / total) * 100)).padStart(3)}% ${text}`,
      );
    },
  });
  if (tty) out.write('\n');
  const ms = performance.now() - t0;
  const txs = report.ok ? report.txs : 0;
  return {
    ...report,
    seconds: Math.round(ms) / 1000,
    blocksPerSec: rate(report.height, ms),
    txPerSec: rate(txs, ms),
  };
}
