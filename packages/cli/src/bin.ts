#!/usr/bin/env node
/**
 * `medledger` — the command line of medledger. See USAGE below and the README ("Building a
 * consortium" for the ceremony of the org / genesis / node / wallet commands).
 *
 * Human-readable progress goes to stderr; results to stdout. Exit code 0 on success, 1 on a
 * failed check, 2 on a usage error.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs, str, int, bool, strs, keyValues, UsageError, type Args } from './args.js';
import { initDev } from './commands/init.js';
import { start } from './commands/start.js';
import { verify } from './commands/verify.js';
import { keysList, keysNew } from './commands/keys.js';
import { orgEnroll, orgInit, orgIssue, readCsrFile } from './commands/org.js';
import { orgIssueRequest, orgRequests } from './commands/orgRequests.js';
import { describeStatus, genesisAssemble, genesisCheck, genesisSign } from './commands/genesis.js';
import { nodeInit } from './commands/node.js';
import { nodeTlsInstall, nodeTlsRequest, orgIssueTls, readCertificateFile } from './commands/tls.js';
import { certificateToPem } from '@medledger/crypto';
import { readCertFile, walletImportCert, walletNew, walletShow } from './commands/wallet.js';
import { readCard } from './dirs/admin.js';
import { isWalletsDir } from './dirs/wallets.js';
import { devPassphrasePath, newPassphrase, passphraseFor } from './passphrase.js';
import { benchLedger } from './bench/ledger.js';
import { orgServicesCmd, serviceCmd } from './serviceCmds.js';

const USAGE = `medledger — a permissioned healthcare blockchain with patients in control

usage:
  medledger init    --dev [--dir DIR] [--nodes N] [--port PORT] [--tls] a dev consortium: every party in its own directory
  medledger start   [--dir DIR] [--org ORG] [--port PORT] [--host HOST] [--dev]
                                                                     run a node directory (or a dev layout's node);
                                                                     --dev: create a dev layout if empty + demo data
  medledger cluster up [--nodes 3] [--dir DIR]                       3 etcd members + a node process per organization on
                                                                     loopback (DIR, default ./cluster: a dev layout, made
                                                                     if empty); Ctrl-C stops all
  medledger status  [--dir DIR | --url URL] [--json]                 every node's height, head, final checkpoint, cutter,
                                                                     alarm; exit 1 if a node is down or halted
  medledger keys    list [--dir DIR] | new LABEL [--dir DIR]         list key files (no secrets) / create a P-256 key
  medledger verify  DIR [--org ORG] [--json]                         re-check every block (progress and rate on stderr);
                                                                     non-zero exit on tampering
  medledger demo    [--dir DIR]                                      the survey's §4.1 scenario (Bob), every step checked
  medledger demo    pharmacy                                         prescriptions, doctor shopping, track and trace (§7.2, §7.3)
  medledger demo    payments                                         claims over encrypted expenses, payments, disputes, one statement
  medledger verify-pack GTIN SERIAL [--url URL] [--json]             is a pack authentic; its custody; recalled, expired, dispensed?

the genesis ceremony (README "Building a consortium"):
  medledger org init      --org ID --name NAME --role ROLE --dir ADMIN_DIR [--node-dir NODE_DIR] [--dev]
                                                  root CA key + card in ADMIN_DIR; node key in NODE_DIR
  medledger org card      --dir ADMIN_DIR         print the organization's public card
  medledger genesis assemble --cards A.json B.json ... --chain-name NAME [--founders ID,ID] [--threshold K] --out FILE
  medledger genesis sign  FILE --admin-dir ADMIN_DIR       add this founder's signature
  medledger genesis check FILE                             exit 1 naming founders whose signature is missing or bad
  medledger node init     --dir NODE_DIR --genesis FILE [--host H] [--port P]
                          [--etcd URL,URL,URL] [--peer ORG=URL ...]

TLS of a node's API (README "Transport"):
  medledger node tls-request --dir NODE_DIR [--host NAME ...]      TLS key (stays there) + request NODE_DIR/tls.csr.pem
  medledger org issue --tls  --dir ADMIN_DIR --csr tls.csr.pem --out tls.cert.pem [--days 90]
  medledger node tls-install --dir NODE_DIR --cert tls.cert.pem    checks it and stores NODE_DIR/tls.cert.pem

members (their keys never leave their wallet):
  medledger wallet new    --dir WALLETS --label L --org ORG --role ROLE [--cn NAME] [--attr k=v ...] [--dev]
                                                  sealed keys in L.wallet.json + request L.csr.pem
  medledger org issue     --dir ADMIN_DIR --csr L.csr.pem --out L.cert.der [--role R] [--attr k=v ...] [--cn NAME] [--days D]
  medledger wallet import-cert --dir WALLETS --label L --cert L.cert.der
  medledger wallet show   --dir WALLETS --label L [--field NAME]
  medledger org enroll    --dir ADMIN_DIR --cert L.cert.der [--enc-key B64U] --node URL
  medledger org requests  --dir ADMIN_DIR --node URL [--status pending|issued]
                                                  certificate requests members sent to the node (e.g. from the portal)
  medledger org issue     --dir ADMIN_DIR --node URL --request ID [--role R] [--attr k=v ...] [--cn NAME] [--days D]
                                                  issue one from the node, enroll it, hand the certificate back

an organization's services (README "Organization services"; node.json "services" says which a node runs):
  medledger org services  --dir ADMIN_DIR --node URL      register the node's services' public keys (root key)
  medledger abe issue     --dir WALLETS --label L --node URL          the member's ABE attribute keys
  medledger credential issue  --dir WALLETS --label L --node URL [--issuer ORG]   an anonymous credential
  medledger credential revoke --dir WALLETS --label ADMIN --member ID --node URL [--issuer ORG]
  medledger group join    --dir WALLETS --label L --group G --node URL           a BBS04 group member key
  medledger group revoke  --dir WALLETS --label ADMIN --group G --member ID --node URL
  medledger group open    --dir WALLETS --label ADMIN --group G --tx TXID --node URL
                          (secrets arrive sealed to the member's key and stay sealed beside its wallet)

changing the consortium (README "Changing the consortium"):
  medledger consortium propose add-org --card CARD.json | remove-org ORG --reason R | rotate-node-key ORG --key K
                    | record-policy --policy POLICY.json
                    (--node URL | --genesis FILE) --out P.json [--signers A,B]   a change of the consortium, unsigned
  medledger consortium sign P.json --admin-dir DIR --org ID          add this founder's root-key signature
  medledger consortium show P.json                                   what a proposal asks and who has signed
  medledger consortium submit P.json --node URL [--wait MS]          submit; prints the validity code, exit 1 unless OK
  medledger consortium prove-card CARD.json --admin-dir DIR (--node URL | --genesis FILE)
                                                                     a new organization proves its root key

benchmarks:
  medledger bench   ledger [--txs N] [--warmup W] [--batch B] [--in-flight K] [--json]
  medledger bench   consortium [--nodes 3] [--txs N] [--failover-txs N/2] [--warmup W] [--batch B] [--in-flight K] [--json]
                    node processes ordered by a 3-member etcd cluster: commit on every node, the cutter killed mid-run
  medledger bench   access [--reads N] [--concurrency C] [--batch B] [--block-cut-ms M] [--records R] [--warmup W] [--commit-txs T] [--json]   consented SPV reads/s, each audited; the same run's commit rate
  medledger bench   queries --dir D [--samples 500] [--json]        p50/p99 of a patient's records, access log, consents
                                                                     and GET /v1/txs/:id on a generated ledger
  medledger bench   appends [--grants 80000] [--window 5000] [--json]  one patient's consent grants/s per window: flat if appends are O(1)
  medledger bench   sync --dir D [--json]                           a new node syncs a generated ledger from its node: blocks/s, tx/s
  medledger bench   scale [--sizes 10000,100000,1000000] [--dir D] [--out docs] [--verify-max N] [--json]
                    generate + queries + verify + sync at each size; plots each figure against ledger size (SVG)
  medledger generate --txs N --patients P [--dir D] [--json]        a ledger of N real record and access transactions,
                                                                     committed through a node (progress on stderr)
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
  MEDLEDGER_PASSPHRASE       passphrase of the directory a command opens or creates (a --dev directory keeps its own
                             in DIR/dev-passphrase)
  MEDLEDGER_NODE_PASSPHRASE  passphrase of the node directory that \`org init --node-dir\` creates
  MEDLEDGER_DIR              default data directory (otherwise ./data; ./cluster for cluster up and status)
  MEDLEDGER_URL              default node URL of verify-pack (otherwise http://127.0.0.1:7545)
  MEDLEDGER_GENESIS          genesis file whose roots an https:// node URL is checked against
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
    case 'consortium': {
      const { benchConsortium } = await import('./bench/consortium.js');
      const txs = int(a, 'txs', 20_000, 1);
      return benchConsortium({
        nodes: int(a, 'nodes', 3, 2),
        txs,
        warmup: int(a, 'warmup', 5000, 0),
        failoverTxs: int(a, 'failover-txs', Math.ceil(txs / 2), 1),
        batch: int(a, 'batch', 250, 1),
        // 4 batches in flight keep every node's pipeline full: the same throughput as 6 (2,260–2,725
        // against 2,047–2,670 tx/s, README), while each batch more in flight only queues longer.
        inFlight: int(a, 'in-flight', 4, 1),
        log,
      });
    }
    case 'access': {
      const { benchAccess } = await import('./bench/access.js');
      return benchAccess({
        reads: int(a, 'reads', 6000, 1),
        concurrency: int(a, 'concurrency', 64, 1),
        records: int(a, 'records', 20, 1),
        batch: int(a, 'batch', 16, 1),
        commitTxs: int(a, 'commit-txs', 5000, 0),
        blockCutMs: int(a, 'block-cut-ms', 10, 1),
        // Each reader's first call fills its light-client cache and the JIT warms: 512 reads
        // (32 calls) first, outside the figures, as `bench ledger` warms up with 5,000 txs.
        warmupReads: int(a, 'warmup', 512, 0),
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
    case 'queries': {
      const { benchQueries } = await import('./bench/queries.js');
      return benchQueries({ dir: str(a, 'dir'), samples: int(a, 'samples', 500, 1), log });
    }
    case 'appends': {
      const { benchAppends } = await import('./bench/appends.js');
      return benchAppends({ grants: int(a, 'grants', 80_000, 1), window: int(a, 'window', 5000, 1), log });
    }
    case 'sync': {
      const { benchSync } = await import('./bench/sync.js');
      return benchSync({ dir: str(a, 'dir'), log });
    }
    case 'scale': {
      const { benchScale } = await import('./bench/scale.js');
      return benchScale({
        sizes: a.flags.has('sizes') ? str(a, 'sizes').split(',').map(Number) : [10_000, 100_000, 1_000_000],
        samples: int(a, 'samples', 500, 1),
        ...(a.flags.has('dir') ? { dir: str(a, 'dir') } : {}),
        ...(a.flags.has('verify-max') ? { verifyMax: int(a, 'verify-max', 0, 0) } : {}),
        out: str(a, 'out', 'docs'),
        log,
      });
    }
    default:
      throw new UsageError(
        'bench ledger|consortium|access|crypto|anonymity|emergency|fl|queries|sync|scale|appends',
      );
  }
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** A positional after the subcommand, or a flag (`genesis sign FILE` or `--file FILE`). */
function positional(a: Args, i: number, flag: string, what: string): string {
  const v = a._[i] ?? (a.flags.has(flag) ? str(a, flag) : undefined);
  if (v === undefined) throw new UsageError(`${what} is required`);
  return v;
}

async function orgCmd(sub: string | undefined, a: Args): Promise<number> {
  switch (sub) {
    case 'init': {
      const nodeDir = a.flags.has('node-dir') ? str(a, 'node-dir') : undefined;
      const card = await orgInit({
        org: str(a, 'org'),
        name: str(a, 'name'),
        role: str(a, 'role'),
        dir: str(a, 'dir'),
        ...(nodeDir === undefined ? {} : { nodeDir }),
        dev: bool(a, 'dev'),
      });
      log(
        `organization ${card.id}: root CA key and card in ${str(a, 'dir')}${nodeDir ? `; node key in ${nodeDir}` : ' (no node)'}`,
      );
      out(JSON.stringify(card, null, 2));
      return 0;
    }
    case 'card':
      out(JSON.stringify(readCard(str(a, 'dir')), null, 2));
      return 0;
    case 'issue': {
      if (bool(a, 'tls')) return orgIssueTlsCmd(a);
      if (a.flags.has('request')) return orgIssueRequestCmd(a);
      const dir = str(a, 'dir');
      const outFile = str(a, 'out');
      const attributes = keyValues(a, 'attr');
      const r = await orgIssue({
        dir,
        passphrase: passphraseFor(dir),
        request: readCsrFile(str(a, 'csr')),
        ...(a.flags.has('role') ? { role: str(a, 'role') } : {}),
        ...(a.flags.has('cn') ? { commonName: str(a, 'cn') } : {}),
        ...(attributes === undefined ? {} : { attributes }),
        days: int(a, 'days', 365, 1),
      });
      writeFileSync(outFile, r.certificate, { flag: 'wx' });
      const q = r.requested;
      log(
        `issued ${r.issued.role} certificate for ${r.issued.commonName} (requested ${q.role}${JSON.stringify(q.attributes) === JSON.stringify(r.issued.attributes) ? '' : `, attributes ${JSON.stringify(q.attributes)} → ${JSON.stringify(r.issued.attributes)}`}) → ${outFile}`,
      );
      out(r.memberId);
      return 0;
    }
    case 'enroll': {
      const dir = str(a, 'dir');
      // The member's public encryption key: `medledger wallet show --field encryptionKey` (their side).
      const encryptionKey = a.flags.has('enc-key') ? str(a, 'enc-key') : undefined;
      const r = await orgEnroll({
        dir,
        passphrase: passphraseFor(dir),
        certificate: readCertFile(str(a, 'cert')),
        node: str(a, 'node'),
        ...(encryptionKey === undefined ? {} : { encryptionKey }),
      });
      log(`enrolled member ${r.memberId} at height ${r.receipt.height}`);
      out(r.memberId);
      return 0;
    }
    case 'requests': {
      const dir = str(a, 'dir');
      const status = a.flags.has('status') ? str(a, 'status') : 'pending';
      if (status !== 'pending' && status !== 'issued') throw new UsageError('--status pending|issued');
      const list = await orgRequests({ dir, passphrase: passphraseFor(dir), node: str(a, 'node'), status });
      for (const r of list)
        out(
          `${r.id}  ${r.status}  ${r.requested.role}  ${r.requested.commonName}  ${new Date(r.receivedAt).toISOString()}${r.memberId ? `  member ${r.memberId}` : ''}`,
        );
      log(`${list.length} ${status} certificate request(s)`);
      return 0;
    }
    case 'services':
      return orgServicesCmd(a);
    default:
      throw new UsageError('org init|card|issue|enroll|requests|services');
  }
}

function genesisCmd(sub: string | undefined, a: Args): number {
  switch (sub) {
    case 'assemble': {
      const founders = strs(a, 'founders');
      const g = genesisAssemble({
        cards: [...strs(a, 'cards'), ...a._.slice(2)],
        chainName: str(a, 'chain-name'),
        ...(founders.length === 0 ? {} : { founders }),
        ...(a.flags.has('threshold') ? { threshold: int(a, 'threshold', 1, 1) } : {}),
        ...(a.flags.has('genesis-time') ? { genesisTime: int(a, 'genesis-time', 0) } : {}),
        out: str(a, 'out'),
      });
      log(
        `assembled ${g.chainName}: ${g.orgs.map((o) => o.id).join(', ')}; founders ${g.governance.founders.join(', ')} (${g.governance.threshold} to change it); unsigned — each founder runs \`medledger genesis sign\``,
      );
      return 0;
    }
    case 'sign': {
      const file = positional(a, 2, 'file', 'the genesis file');
      const adminDir = str(a, 'admin-dir');
      const s = genesisSign({ file, adminDir, passphrase: passphraseFor(adminDir) });
      log(`${s.org} signed chain ${s.chainId}`);
      for (const line of describeStatus(s)) log(line);
      if (s.missing.length + s.bad.length === 0) log('every founder has signed');
      return 0;
    }
    case 'check': {
      const s = genesisCheck(positional(a, 2, 'file', 'the genesis file'));
      const problems = describeStatus(s);
      if (problems.length === 0) {
        out(`ok: chain ${s.chainId}, signed by every founder (${s.founders.join(', ')})`);
        return 0;
      }
      for (const line of problems) out(line);
      return 1;
    }
    default:
      throw new UsageError('genesis assemble|sign|check');
  }
}

function nodeCmd(sub: string | undefined, a: Args): number | Promise<number> {
  if (sub === 'tls-request' || sub === 'tls-install') return nodeTlsCmd(sub, a);
  if (sub !== 'init') throw new UsageError('node init|tls-request|tls-install');
  const { config, status } = nodeInit({
    dir: str(a, 'dir'),
    genesis: str(a, 'genesis'),
    ...(a.flags.has('host') ? { host: str(a, 'host') } : {}),
    ...(a.flags.has('port') ? { port: int(a, 'port', 0) } : {}),
    ...(a.flags.has('etcd') ? { etcd: strs(a, 'etcd') } : {}),
    ...(a.flags.has('peer') ? { peers: keyValues(a, 'peer')! } : {}),
  });
  const ordering =
    config.orderer?.kind === 'etcd'
      ? `ordered by etcd at ${config.orderer.endpoints.join(', ')}`
      : 'solo ordering';
  log(`node directory ${str(a, 'dir')}: ${config.org}'s node on ${config.host}:${config.port}, ${ordering}`);
  for (const line of describeStatus(status)) log(`warning: ${line}; the node refuses to start until then`);
  return 0;
}

async function nodeTlsCmd(sub: 'tls-request' | 'tls-install', a: Args): Promise<number> {
  const dir = str(a, 'dir');
  if (sub === 'tls-install') {
    const f = nodeTlsInstall(dir, readCertificateFile(str(a, 'cert')));
    log(`installed ${f}; the node serves TLS from its next start`);
    return 0;
  }
  const hosts = strs(a, 'host');
  const r = await nodeTlsRequest({ dir, passphrase: passphraseFor(dir), hosts });
  log(`TLS key sealed in ${dir}/keys; give the organization ${r.request} (public) for ${r.hosts.join(', ')}`);
  out(r.request);
  return 0;
}

async function orgIssueRequestCmd(a: Args): Promise<number> {
  const dir = str(a, 'dir');
  const attributes = keyValues(a, 'attr');
  const r = await orgIssueRequest({
    dir,
    passphrase: passphraseFor(dir),
    node: str(a, 'node'),
    id: str(a, 'request'),
    ...(a.flags.has('role') ? { role: str(a, 'role') } : {}),
    ...(a.flags.has('cn') ? { commonName: str(a, 'cn') } : {}),
    ...(attributes === undefined ? {} : { attributes }),
    days: int(a, 'days', 365, 1),
  });
  log(
    `issued ${r.issued.role} certificate for ${r.issued.commonName}, enrolled at height ${r.receipt.height}, handed back to the node`,
  );
  out(r.memberId);
  return 0;
}

async function orgIssueTlsCmd(a: Args): Promise<number> {
  const dir = str(a, 'dir');
  const outFile = str(a, 'out');
  const r = await orgIssueTls({
    dir,
    passphrase: passphraseFor(dir),
    request: readCsrFile(str(a, 'csr')),
    days: int(a, 'days', 90, 1),
  });
  writeFileSync(outFile, certificateToPem(r.certificate), { flag: 'wx' });
  log(
    `issued ${r.org}'s TLS server certificate for ${r.hosts.map((h) => h.value).join(', ')}, valid until ${new Date(r.notAfter).toISOString()} → ${outFile}`,
  );
  return 0;
}

async function walletCmd(sub: string | undefined, a: Args): Promise<number> {
  const dir = str(a, 'dir');
  switch (sub) {
    case 'new': {
      // --dev: a random passphrase in the wallets directory's dev-passphrase, made with the first wallet.
      const dev = bool(a, 'dev') && !existsSync(devPassphrasePath(dir));
      if (dev && isWalletsDir(dir))
        throw new UsageError(`${dir} already holds wallets sealed under MEDLEDGER_PASSPHRASE; drop --dev`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const passphrase = dev ? newPassphrase(dir, true) : passphraseFor(dir);
      const attributes = keyValues(a, 'attr');
      const r = await walletNew({
        dir,
        label: str(a, 'label'),
        org: str(a, 'org'),
        role: str(a, 'role'),
        ...(a.flags.has('cn') ? { commonName: str(a, 'cn') } : {}),
        ...(attributes === undefined ? {} : { attributes }),
        passphrase,
      });
      log(`wallet ${r.wallet}; give the organization ${r.csr} (public) and keep the wallet`);
      out(r.csr);
      return 0;
    }
    case 'import-cert': {
      const r = walletImportCert({ dir, label: str(a, 'label'), certificate: readCertFile(str(a, 'cert')) });
      log(`wallet ${str(a, 'label')}: ${r.role} at ${r.org}`);
      out(r.memberId);
      return 0;
    }
    case 'show': {
      const info = walletShow(dir, str(a, 'label'));
      if (a.flags.has('field')) {
        const v = info[str(a, 'field')];
        if (v === undefined) throw new UsageError(`wallet has no field ${str(a, 'field')}`);
        out(typeof v === 'string' ? v : JSON.stringify(v));
      } else out(JSON.stringify(info, null, 2));
      return 0;
    }
    default:
      throw new UsageError('wallet new|import-cert|show');
  }
}

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const [cmd, sub] = a._;
  switch (cmd) {
    case 'init': {
      if (!bool(a, 'dev'))
        throw new UsageError(
          'init creates a dev consortium only (--dev); a real consortium is built party by party with org init, genesis assemble / sign and node init (README "Building a consortium")',
        );
      const dir = dirOf(a);
      const { dirs, genesis } = await initDev({
        dir,
        nodes: int(a, 'nodes', 1, 1),
        host: str(a, 'host', '127.0.0.1'),
        port: int(a, 'port', 7545),
        ...(bool(a, 'tls') ? { tls: true } : {}),
      });
      log(
        `created consortium ${genesis.chainName} in ${dir}: ${dirs.layout.orgs.map((o) => `${o.id} (${o.node ? 'admin + node' : 'admin'})`).join(', ')}; wallets in ${dirs.wallets}; genesis signed by ${genesis.signatures.length} founders`,
      );
      return 0;
    }
    case 'org':
      return orgCmd(sub, a);
    case 'genesis':
      return genesisCmd(sub, a);
    case 'node':
      return nodeCmd(sub, a);
    case 'wallet':
      return walletCmd(sub, a);
    case 'abe':
    case 'credential':
    case 'group':
      return serviceCmd(cmd, sub, a);
    case 'start': {
      const dir = dirOf(a);
      const port = a.flags.has('port') ? int(a, 'port', 0) : undefined;
      const host = a.flags.has('host') ? str(a, 'host') : undefined;
      const org = a.flags.has('org') ? str(a, 'org') : undefined;
      const s = await start({
        dir,
        dev: bool(a, 'dev'),
        log,
        ...(org === undefined ? {} : { org }),
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
    case 'cluster': {
      if (sub !== 'up') throw new UsageError('cluster up [--nodes 3] [--dir DIR]');
      const { clusterUp } = await import('./commands/cluster.js');
      await clusterUp({
        dir: str(a, 'dir', process.env.MEDLEDGER_DIR ?? 'cluster'),
        nodes: int(a, 'nodes', 3, 1),
        out,
        log,
      });
      return 0;
    }
    case 'status': {
      const { statusCommand } = await import('./commands/cluster.js');
      const url = a.flags.has('url') ? str(a, 'url') : undefined;
      const dir = str(a, 'dir', process.env.MEDLEDGER_DIR ?? 'cluster');
      return statusCommand({ ...(url === undefined ? { dir } : { url }), json: bool(a, 'json'), out });
    }
    case 'keys': {
      const dir = dirOf(a);
      const org = a.flags.has('org') ? str(a, 'org') : undefined;
      if (sub === 'list' || sub === undefined) {
        for (const line of keysList(dir, org)) process.stdout.write(`${line}\n`);
        return 0;
      }
      if (sub === 'new') {
        const label = a._[2];
        if (!label) throw new UsageError('keys new LABEL');
        process.stdout.write(`${keysNew(dir, label, org)}\n`);
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
      const r = await verify(dir, process.stderr, a.flags.has('org') ? str(a, 'org') : undefined);
      if (bool(a, 'json')) process.stdout.write(`${JSON.stringify(r)}\n`);
      if (r.ok) {
        if (!bool(a, 'json'))
          process.stdout.write(
            `ok: ${r.height} blocks, ${r.txs} transactions, ${r.stateKeys} state keys verified in ${r.seconds} s (${r.blocksPerSec} blocks/s, ${r.txPerSec} tx/s)\n`,
          );
        return 0;
      }
      if (bool(a, 'json')) return 1;
      process.stdout.write(`FAILED at block ${r.height}: ${r.reason}\n`);
      return 1;
    }
    case 'consortium': {
      const { consortium } = await import('./commands/consortium.js');
      return consortium(a, { out: (l) => void process.stdout.write(`${l}\n`), log });
    }
    case 'generate': {
      const { generate } = await import('./commands/generate.js');
      const result = await generate({
        txs: int(a, 'txs', 1_000_000, 1),
        patients: int(a, 'patients', 10_000, 1),
        ...(a.flags.has('dir') ? { dir: str(a, 'dir') } : {}),
        log,
        progress: process.stderr,
      });
      if (!bool(a, 'json'))
        for (const [k, v] of Object.entries(result)) log(`${k.padEnd(26)} ${JSON.stringify(v)}`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return result.failed === 0 ? 0 : 1;
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
