/**
 * `medledger verify <dir>`: re-checks every stored block of a node directory (or of a dev
 * layout's node directory: hospitalA's, or `org`'s), its transaction index, and that its ledger
 * belongs to the directory's genesis.json; exits non-zero naming the first bad one.
 */
import { existsSync } from 'node:fs';
import { paths, readGenesis, verifyLedger, type VerifyReport } from '@medledger/node';
import { resolveNodeDir } from '../dirs/layout.js';

export async function verify(
  dir: string,
  out: NodeJS.WriteStream = process.stderr,
  org?: string,
): Promise<VerifyReport> {
  const nodeDir = existsSync(paths(dir).ledger) ? dir : resolveNodeDir(dir, org);
  const { ledger, genesis: genesisFile } = paths(nodeDir);
  if (!existsSync(ledger)) return { ok: false, height: 0, reason: `no ledger at ${ledger}` };
  if (!existsSync(genesisFile)) return { ok: false, height: 0, reason: `no genesis.json at ${genesisFile}` };
  let genesis;
  try {
    genesis = readGenesis(nodeDir);
  } catch (e) {
    return { ok: false, height: 0, reason: `${genesisFile}: ${(e as Error).message}` };
  }
  const tty = out.isTTY === true;
  let lastDraw = 0;
  const report = await verifyLedger(ledger, {
    genesis,
    onProgress: tty
      ? (h, total) => {
          if (h !== total && h - lastDraw < Math.max(1, total / 100)) return;
          lastDraw = h;
          const w = 30;
          const filled = Math.round((h / total) * w);
          out.write(
            `\r[${'#'.repeat(filled)}${' '.repeat(w - filled)}] ${String(Math.round((h / total) * 100)).padStart(3)}% block ${h}/${total}`,
          );
        }
      : undefined,
  });
  if (tty) out.write('\n');
  return report;
}
