#!/usr/bin/env node
/**
 * `medledger` — the command line of medledger.
 *
 *   medledger init    [--dir D] [--org hospitalA] [--port 7545] [--dev]
 *   medledger start   [--dir D] [--port P] [--host H] [--dev]
 *   medledger keys    list|new <label> [--dir D]
 *   medledger verify  <dir>
 *   medledger demo    [--dir D]
 *   medledger study   open|join|status|result --url URL --study ID ...   (commands/study.ts)
 *   medledger bench   ledger [--txs N] [--warmup W] [--batch B] [--in-flight K] [--json]
  medledger bench   access [--reads N] [--concurrency C] [--records R] [--json]   consented SPV reads/s, each audited
  medledger bench   crypto [--quick] [--json]                       ABE / PRE / HE / PEKS per-operation times
  medledger bench   anonymity [--quick] [--json]                    credentials / group / ring / ZK per-operation times
  medledger bench   emergency [--runs 20] [--json]                  emergency access by 2-of-3 PRE, end to end
 *   medledger bench   access [--reads N] [--concurrency C] [--records R] [--json]
 *   medledger bench   crypto [--quick] [--json]
 *   medledger bench   anonymity [--quick] [--json]
 *   medledger bench   emergency [--runs 20] [--json]
 *   medledger bench   fl [--rounds 20] [--local-epochs 5] [--seed S] [--dp] [--json]
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
  medledger bench   ledger [--txs N] [--warmup W] [--batch B] [--in-flight K] [--json]
  medledger bench   crypto [--quick] [--json]                       ABE / PRE / HE / PEKS per-operation times
  medledger bench   anonymity [--quick] [--json]                    credentials / group / ring / ZK per-operation times
  medledger bench   emergency [--runs 20] [--json]                  emergency access by 2-of-3 PRE, end to end
  medledger bench   fl [--rounds 20] [--local-epochs 5] [--seed S] [--dp] [--json]  federated study on WDBC vs centralized
  medledger study   open --url URL --key FILE --signer ID --study ID --participants A,B,C --aggregator ORG
                         [--title T] [--threshold T] [--rounds 20] [--local-epochs 5] [--lr 0.5] [--l2 0.001]
                         [--phase-ms 2000] [--join-ms 86400000] [--features 30] [--code SYSTEM|CODE]
                         [--dp-noise SIGMA [--dp-clip 1] [--dp-delta 1e-5]]  (differential privacy; --local-epochs 1)
  medledger study   join --url URL --key NODE-KEY-FILE --org ORG --study ID
  medledger study   status|result --url URL --key FILE --signer ID --study ID [--json]

environment:
  MEDLEDGER_PASSPHRASE   passphrase of the data directory's key files (a --dev directory keeps its own)
  MEDLEDGER_DIR          default data directory (otherwise ./data)
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
    case 'fl': {
      const { benchFl } = await import('./bench/fl.js');
      return benchFl({
        rounds: int(a, 'rounds', 20, 1),
        localEpochs: int(a, 'local-epochs', 5, 1),
        ...(a.flags.has('timeout-ms') ? { timeoutMs: int(a, 'timeout-ms', 50, 1) } : {}),
        dp: bool(a, 'dp'),
        ...(a.flags.has('seed') ? { seed: str(a, 'seed') } : {}),
        log,
      });
    }
    default:
      throw new UsageError('bench ledger|access|crypto|anonymity|emergency|fl');
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
      const { demo } = await import('./commands/demo.js');
      const dir = a.flags.has('dir') ? str(a, 'dir') : undefined;
      await demo({ ...(dir === undefined ? {} : { dir }), out: (l) => void process.stdout.write(`${l}\n`) });
      return 0;
    }
    case 'study': {
      const { studyOpen, studyJoin, studyStatus, studyResult, studySpec, readKeyFile } =
        await import('./commands/study.js');
      const url = str(a, 'url');
      const studyId = str(a, 'study');
      const passphrase = process.env.MEDLEDGER_PASSPHRASE;
      if (!passphrase) throw new UsageError('set MEDLEDGER_PASSPHRASE to the passphrase of the key file');
      const key = () => readKeyFile(str(a, 'key'), passphrase);
      const print = (lines: string[], json?: unknown) => {
        if (bool(a, 'json')) process.stdout.write(`${JSON.stringify(json ?? { lines })}\n`);
        else for (const l of lines) process.stdout.write(`${l}\n`);
      };
      const num = (name: string, dflt: number) => {
        const v = a.flags.has(name) ? Number(str(a, name)) : dflt;
        if (!Number.isFinite(v)) throw new UsageError(`--${name} must be a number`);
        return v;
      };
      switch (sub) {
        case 'open': {
          const spec = studySpec({
            studyId,
            title: str(a, 'title', studyId),
            participants: str(a, 'participants').split(','),
            aggregator: str(a, 'aggregator'),
            ...(a.flags.has('threshold') ? { threshold: int(a, 'threshold', 2, 2) } : {}),
            rounds: int(a, 'rounds', 20, 1),
            localEpochs: int(a, 'local-epochs', 5, 1),
            learningRate: num('lr', 0.5),
            l2: num('l2', 0.001),
            phaseMs: int(a, 'phase-ms', 2000, 100),
            joinMs: int(a, 'join-ms', 86_400_000, 100),
            features: int(a, 'features', 30, 1),
            ...(a.flags.has('code') ? { code: str(a, 'code') } : {}),
            ...(a.flags.has('dp-noise')
              ? {
                  dp: {
                    clip: num('dp-clip', 1),
                    noiseMultiplier: num('dp-noise', 1),
                    delta: num('dp-delta', 1e-5),
                  },
                }
              : {}),
          });
          print(await studyOpen({ url, signer: str(a, 'signer'), privateKey: key(), spec }), spec);
          return 0;
        }
        case 'join':
          print(await studyJoin({ url, org: str(a, 'org'), nodeKey: key(), studyId }));
          return 0;
        case 'status': {
          const r = await studyStatus({
            url,
            signer: { signerId: str(a, 'signer'), privateKey: key() },
            studyId,
          });
          print(r.lines, r.json);
          return 0;
        }
        case 'result': {
          const r = await studyResult({
            url,
            signer: { signerId: str(a, 'signer'), privateKey: key() },
            studyId,
          });
          print(r.lines, r.json);
          return r.ok ? 0 : 1;
        }
        default:
          throw new UsageError('study open|join|status|result');
      }
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
