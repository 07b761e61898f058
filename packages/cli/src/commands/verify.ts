/**
 * `medledger verify <dir>`: re-checks every stored block of a node directory (or of a dev
 * layout's node directory: hospitalA's, or `org`'s); exits non-zero naming the first bad one.
 */
import { existsSync } from 'node:fs';
import { paths, verifyLedger, type VerifyReport } from '@medledger/node';
import { resolveNodeDir } from '../dirs/layout.js';

export async function verify(
  dir: string,
  out: NodeJS.WriteStream = process.stderr,
  org?: string,
): Promise<VerifyReport> {
  const ledger = existsSync(paths(dir).ledger) ? paths(dir).ledger : paths(resolveNodeDir(dir, org)).ledger;
  if (!existsSync(ledger)) return { ok: false, height: 0, reason: `no ledger at ${ledger}` };
  const tty = out.isTTY === true;
  let lastDraw = 0;
  const report = await verifyLedger(ledger, {
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
