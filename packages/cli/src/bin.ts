#!/usr/bin/env node
/**
 * `medledger` — the command line of medledger.
 *
 *   medledger init    [--dir D] [--org hospitalA] [--port 7545] [--dev]
 *   medledger start   [--dir D] [--port P] [--host H] [--dev]
 *   medledger keys    list|new <label> [--dir D]
 *   medledger verify  <dir>
 *   medledger demo    [--dir D] | pharmacy | payments
 *   medledger verify-pack GTIN SERIAL [--url URL] [--json]
 *   medledger bench   ledger [--txs N] [--warmup W] [--batch B] [--in-flight K] [--json]
  medledger bench   access [--reads N] [--concurrency C] [--records R] [--json]   consented SPV reads/s, each audited
  medledger bench   crypto [--quick] [--json]                       ABE / PRE / HE / PEKS per-operation times
  medledger bench   anonymity [--quick] [--json]                    credentials / group / ring / ZK per-operation times
  medledger bench   emergency [--runs 20] [--json]                  emergency access by 2-of-3 PRE, end to end
 *   medledger bench   access [--reads N] [--concurrency C] [--records R] [--json]
 *   medledger bench   crypto [--quick] [--json]
 *   medledger bench   anonymity [--quick] [--json]
 *   medledger bench   emergency [--runs 20] [--json]
 *
 * Human-readable progress goes to stderr; results to stdout. Exit code 0 on success, 1 on a
 * failed check, 2 on a usage error.
 */
import { parseArgs, str, int, bool, UsageError, type Args } from './args.js';
import { init } from './commands/init.js';
import { start } from './commands/start.js';
import { verify } from './commands/verify.js';
import { keysList, keysNew } from './commands/keys.js';
import { benchLedger } from './bench/ledger.js';

const USAGE = `medledger — a permissioned healthcare blockchain with patients in control

usage:
  medledger init    [--dir DIR] [--org ORG] [--port PORT] [--dev]   create a dev consortium and configure this node
  medledger start   [--dir DIR] [--port PORT] [--host HOST] [--dev]  run the node (--dev: create + demo data if empty)
  medledger keys    list [--dir DIR] | new LABEL [--dir DIR]         list key files (no secrets) / create a P-256 key
  medledger verify  DIR                                              re-check every block; non-zero exit on tampering
  medledger demo    [--dir DIR]                                      the survey's §4.1 scenario (Bob), every step checked
  medledger demo    pharmacy                                         prescriptions, doctor shopping, track and trace (§7.2, §7.3)
  medledger demo    payments                                         claims over encrypted expenses, payments, disputes, one statement
  medledger verify-pack GTIN SERIAL [--url URL] [--json]             is a pack authentic; its custody; recalled, expired, dispensed?
  medledger bench   ledger [--txs N] [--warmup W] [--batch B] [--in-flight K] [--json]
  medledger bench   crypto [--quick] [--json]                       ABE / PRE / HE / PEKS per-operation times
  medledger bench   anonymity [--quick] [--json]                    credentials / group / ring / ZK per-operation times
  medledger bench   emergency [--runs 20] [--json]                  emergency access by 2-of-3 PRE, end to end

environment:
  MEDLEDGER_PASSPHRASE   passphrase of the data directory's key files (a --dev directory keeps its own)
  MEDLEDGER_DIR          default data directory (otherwise ./data)
  MEDLEDGER_URL          default node URL of verify-pack (otherwise http://127.0.0.1:7545)
`;

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const dirOf = (a: Args): string => str(a, 'dir', process.env.MEDLEDGER_DIR ?? 'data');

async function bench(which: string | undefined, a: Args): Promise<Record<string, unknown>> {
  switch (which) {
    case 'ledger':
      return benchLedger({
        txs: int(a, 'txs', 20_000, 1),
        warmup: int(a, 'warmup', 5000, 0),
        batch: int(a, 'batch', 500, 1),
        inFlight: int(a, 'in-flight', 4, 1),
        signers: int(a, 'signers', 16, 1),
        log,
      });
    case 'access': {
      const { benchAccess } = await import('./bench/access.js');
      return benchAccess({
        reads: int(a, 'reads', 2000, 1),
        concurrency: int(a, 'concurrency', 32, 1),
        records: int(a, 'records', 20, 1),
        log,
      });
    }
    case 'crypto': {
      // Loaded on demand: the pairing and WASM libraries are not needed by other commands.
      const { benchCrypto } = await import('./bench/crypto.js');
      return { bench: 'crypto', ...(await benchCrypto({ quick: bool(a, 'quick') })) };
    }
    case 'anonymity': {
      const { benchAnonymity } = await import('./bench/anonymity.js');
      return { bench: 'anonymity', ...(await benchAnonymity({ quick: bool(a, 'quick') })) };
    }
    case 'emergency': {
      const { benchEmergency } = await import('./bench/emergency.js');
      return { bench: 'emergency', ...(await benchEmergency({ runs: int(a, 'runs', 20, 1) })) };
    }
    default:
      throw new UsageError('bench ledger|access|crypto|anonymity|emergency');
  }
}

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const [cmd, sub] = a._;
  switch (cmd) {
    case 'init': {
      const dir = dirOf(a);
      const { consortium } = await init({
        dir,
        org: str(a, 'org', 'hospitalA'),
        host: str(a, 'host', '127.0.0.1'),
        port: int(a, 'port', 7545),
        dev: bool(a, 'dev'),
      });
      log(
        `created consortium ${consortium.genesis.chainName} in ${dir}: ${[...consortium.orgs.keys()].join(', ')}; ${consortium.members.length} members`,
      );
      return 0;
    }
    case 'start': {
      const dir = dirOf(a);
      const port = a.flags.has('port') ? int(a, 'port', 0) : undefined;
      const host = a.flags.has('host') ? str(a, 'host') : undefined;
      const s = await start({
        dir,
        dev: bool(a, 'dev'),
        log,
        ...(port === undefined ? {} : { port }),
        ...(host === undefined ? {} : { host }),
      });
      const st = s.node.status();
      process.stdout.write(
        `medledger node ${st.org} (chain ${st.chainName}, height ${st.height}) listening on ${s.url}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await s.close();
      return 0;
    }
    case 'keys': {
      const dir = dirOf(a);
      if (sub === 'list' || sub === undefined) {
        for (const line of keysList(dir)) process.stdout.write(`${line}\n`);
        return 0;
      }
      if (sub === 'new') {
        const label = a._[2];
        if (!label) throw new UsageError('keys new LABEL');
        process.stdout.write(`${keysNew(dir, label)}\n`);
        return 0;
      }
      throw new UsageError(`unknown keys subcommand ${sub}`);
    }
    case 'demo': {
      const out = (l: string): void => void process.stdout.write(`${l}\n`);
      if (sub === 'pharmacy') {
        await (await import('./commands/pharmacy.js')).demoPharmacy({ out });
        return 0;
      }
      if (sub === 'payments') {
        await (await import('./commands/payments.js')).demoPayments({ out });
        return 0;
      }
      if (sub !== undefined) throw new UsageError('demo [pharmacy|payments]');
      const { demo } = await import('./commands/demo.js');
      const dir = a.flags.has('dir') ? str(a, 'dir') : undefined;
      await demo({ ...(dir === undefined ? {} : { dir }), out: (l) => void process.stdout.write(`${l}\n`) });
      return 0;
    }
    case 'verify-pack': {
      const [gtin, serial] = a._.slice(1);
      if (gtin === undefined || serial === undefined)
        throw new UsageError('verify-pack GTIN SERIAL [--url URL] [--json]');
      const { verifyPackCommand } = await import('./commands/supply.js');
      return verifyPackCommand({
        url: str(a, 'url', process.env.MEDLEDGER_URL ?? 'http://127.0.0.1:7545'),
        gtin,
        serial,
        json: bool(a, 'json'),
        out: (l) => void process.stdout.write(`${l}\n`),
      });
    }
    case 'verify': {
      const dir = sub ?? dirOf(a);
      const r = await verify(dir);
      if (r.ok) {
        process.stdout.write(
          `ok: ${r.height} blocks, ${r.txs} transactions, ${r.stateKeys} state keys verified\n`,
        );
        return 0;
      }
      process.stdout.write(`FAILED at block ${r.height}: ${r.reason}\n`);
      return 1;
    }
    case 'bench': {
      const result = await bench(sub, a);
      if (!bool(a, 'json'))
        for (const [k, v] of Object.entries(result)) log(`${k.padEnd(22)} ${JSON.stringify(v)}`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`medledger: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`medledger: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
