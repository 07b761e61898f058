/**
 * How the command line reaches a node given by URL (README "Transport"): an `https://` node is
 * trusted only if its certificate chains to a root of the consortium's genesis — the file
 * MEDLEDGER_GENESIS names — and was issued by the root of the organization it names. Plain
 * `http://` is allowed to this machine's loopback address only (a `--dev` node).
 */
import { createTlsFetch, isLoopbackHost, trustedRootsOf } from '@medledger/node';
import { UsageError } from './args.js';
import { readGenesisFile } from './commands/genesis.js';

const cache = new Map<string, typeof fetch>();

/**
 * The client options for a node URL: `{}` for plain HTTP on loopback, `{ fetch }` trusting the
 * genesis roots for https.
 * @throws UsageError for plain HTTP beyond loopback, or https without MEDLEDGER_GENESIS
 */
export function clientOptionsFor(url: string): { fetch?: typeof fetch } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (u.protocol === 'http:') {
    if (isLoopbackHost(u.hostname)) return {};
    throw new UsageError(
      `refusing plain HTTP to ${u.origin}: a node beyond this machine is reached over https:// (README "Transport")`,
    );
  }
  if (u.protocol !== 'https:') throw new UsageError(`a node URL is http:// or https://, not ${u.protocol}`);
  const file = process.env.MEDLEDGER_GENESIS;
  if (!file)
    throw new UsageError(
      `${u.origin} speaks TLS: set MEDLEDGER_GENESIS to the consortium's genesis.json, whose roots its certificate must chain to`,
    );
  let f = cache.get(file);
  if (!f) {
    f = createTlsFetch({ roots: trustedRootsOf(readGenesisFile(file)) });
    cache.set(file, f);
  }
  return { fetch: f };
}
