/**
 * `medledger consortium`: changes of the consortium on the ledger, approved by k of n
 * founders (core contracts/consortium). A proposal is an unsigned transaction body in a JSON
 * file; each founder signs it on its own machine with its root key from its organization's
 * admin directory (`keys/org-<id>.key.json`), and anyone submits it once every listed founder
 * has signed.
 *
 *   prove-card CARD.json --admin-dir DIR [--org ID] (--node URL | --genesis FILE) [--out FILE]
 *   propose add-org --card CARD.json | remove-org ORG --reason R | rotate-node-key ORG --key K
 *           | record-policy --policy POLICY.json
 *           (--node URL | --genesis FILE) --out P.json [--signers A,B]
 *   sign P.json --admin-dir DIR --org ID [--out FILE]
 *   show P.json
 *   submit P.json --node URL [--wait MS]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toB64u, type JsonValue } from '@medledger/crypto';
import { chainIdOf, checkGenesisSignatures, parseGenesis, parseNodeKey, type Genesis } from '@medledger/core';
import {
  MedledgerClient,
  MedledgerHttpError,
  addOrgProposal,
  assembleProposal,
  describeProposal,
  missingSigners,
  parseProposal,
  parseProvenCard,
  proveOrgCard,
  recordPolicyProposal,
  removeOrgProposal,
  rotateNodeKeyProposal,
  signProposal,
  type GovernanceProposal,
} from '@medledger/client';
import { loadPrivateKey } from '@medledger/node';
import { UsageError, int, str, type Args } from '../args.js';
import { passphraseFor } from '../passphrase.js';
import { clientOptionsFor } from '../transport.js';

/** Where the command writes: results to `out` (stdout), progress and explanations to `log` (stderr). */
export interface ConsortiumIo {
  out(line: string): void;
  log(line: string): void;
}

/** Runs `medledger consortium <sub> ...`; returns the exit code. */
export async function consortium(a: Args, io: ConsortiumIo): Promise<number> {
  const [, sub, ...rest] = a._;
  switch (sub) {
    case 'prove-card':
      return proveCard(need(rest[0], 'consortium prove-card CARD.json'), a, io);
    case 'propose':
      return propose(rest, a, io);
    case 'sign':
      return sign(need(rest[0], 'consortium sign P.json --admin-dir DIR --org ID'), a, io);
    case 'show':
      for (const l of describeProposal(readProposal(need(rest[0], 'consortium show P.json')))) io.out(l);
      return 0;
    case 'submit':
      return submit(need(rest[0], 'consortium submit P.json --node URL'), a, io);
    default:
      throw new UsageError('consortium prove-card|propose|sign|show|submit');
  }
}

async function proveCard(file: string, a: Args, io: ConsortiumIo): Promise<number> {
  const card = readJson(file, 'card') as { id?: unknown };
  const org = str(a, 'org', typeof card.id === 'string' ? card.id : undefined);
  const genesis = await genesisOf(a);
  const proven = proveOrgCard(chainIdOf(genesis), card, rootKey(a, org));
  const out = str(a, 'out', file);
  writeJson(out, proven);
  io.log(
    `proved ${org}'s root key for chain ${genesis.chainName} (${chainIdOf(genesis).slice(0, 16)}…) in ${out}`,
  );
  return 0;
}

async function propose(rest: string[], a: Args, io: ConsortiumIo): Promise<number> {
  const [what, target] = rest;
  const out = str(a, 'out');
  const genesis = await genesisOf(a);
  const chainId = chainIdOf(genesis);
  const founders = a.flags.has('signers')
    ? str(a, 'signers')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : genesis.governance.founders;
  const common = { chainId, founders, createdAt: Date.now() };
  let p: GovernanceProposal;
  switch (what) {
    case 'add-org':
      p = addOrgProposal({ ...common, ...parseProvenCard(readJson(str(a, 'card'), 'card'), chainId) });
      break;
    case 'remove-org':
      p = removeOrgProposal({
        ...common,
        org: need(target, 'propose remove-org ORG --reason R'),
        reason: str(a, 'reason'),
      });
      break;
    case 'rotate-node-key':
      p = rotateNodeKeyProposal({
        ...common,
        org: need(target, 'propose rotate-node-key ORG --key SPKI'),
        nodeKey: nodeKeyArg(str(a, 'key')),
      });
      break;
    case 'record-policy':
      p = recordPolicyProposal({
        ...common,
        dss: readJson(str(a, 'policy'), 'record policy') as { [k: string]: JsonValue },
      });
      break;
    default:
      throw new UsageError('consortium propose add-org|remove-org|rotate-node-key|record-policy');
  }
  writeJson(out, p);
  for (const l of describeProposal(p)) io.log(l);
  const { threshold } = genesis.governance;
  if (founders.length < threshold)
    io.log(
      `note: ${founders.length} founders listed; genesis asks ${threshold}, so the ledger will refuse it`,
    );
  io.log(
    `wrote ${out}; every listed signer signs it (medledger consortium sign ${out} --admin-dir DIR --org ID), ` +
      `then submit it before ${new Date(p.body.createdAt + genesis.params.txTtlMs).toISOString()}`,
  );
  return 0;
}

function sign(file: string, a: Args, io: ConsortiumIo): number {
  const org = str(a, 'org');
  const before = readProposal(file);
  for (const l of describeProposal(before)) io.log(l);
  const p = signProposal(before, org, rootKey(a, org));
  const out = str(a, 'out', file);
  writeJson(out, p);
  const missing = missingSigners(p);
  io.log(
    `org:${org} signed ${out}; ${missing.length ? `still to sign: ${missing.join(', ')}` : 'ready to submit'}`,
  );
  return 0;
}

async function submit(file: string, a: Args, io: ConsortiumIo): Promise<number> {
  const tx = assembleProposal(readProposal(file));
  const client = new MedledgerClient(str(a, 'node'), undefined, clientOptionsFor(str(a, 'node')));
  const waitMs = int(a, 'wait', 30_000, 1);
  try {
    const r = await client.submit(tx, { waitMs });
    if (r.status === 'committed') {
      const { code, message, height } = r.receipt;
      io.out(message === undefined ? `${code} ${r.txId} height ${height}` : `${code}: ${message}`);
      return code === 'OK' ? 0 : 1;
    }
    if (r.status === 'rejected') {
      io.out(`${r.error.code}: ${r.error.message}`);
      return 1;
    }
    io.out(`PENDING: ${r.txId} not committed within ${waitMs} ms`);
    return 1;
  } catch (e) {
    if (!(e instanceof MedledgerHttpError)) throw e;
    io.out(`${e.code}: ${e.message}`);
    return 1;
  }
}

/** The genesis from the node's `/v1/genesis` or from `--genesis FILE`, checked and founder-signed. */
async function genesisOf(a: Args): Promise<Genesis> {
  const raw = a.flags.has('genesis')
    ? readJson(str(a, 'genesis'), 'genesis')
    : a.flags.has('node')
      ? await new MedledgerClient(str(a, 'node'), undefined, clientOptionsFor(str(a, 'node'))).genesis()
      : (() => {
          throw new UsageError('the chain id comes from --node URL or --genesis FILE');
        })();
  const g = parseGenesis(raw);
  checkGenesisSignatures(g);
  return g;
}

/** The organization's root key from its admin directory (`keys/org-<id>.key.json`). */
function rootKey(a: Args, org: string): Uint8Array {
  const dir = str(a, 'admin-dir');
  const label = `org-${org}`;
  if (!existsSync(join(dir, 'keys', `${label}.key.json`)))
    throw new UsageError(`${dir} holds no root key of ${org} (keys/${label}.key.json)`);
  return loadPrivateKey(dir, label, passphraseFor(dir));
}

/**
 * A node key given as SPKI base64url, or as a file: PEM "PUBLIC KEY", a sealed key file
 * (`medledger keys new`: its public key), base64url text, or raw DER.
 */
function nodeKeyArg(v: string): string {
  let key = v;
  if (existsSync(v)) {
    const bytes = readFileSync(v);
    const text = bytes.toString('utf8').trim();
    if (text.startsWith('-----BEGIN PUBLIC KEY-----'))
      key = toB64u(new Uint8Array(Buffer.from(text.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')));
    else if (text.startsWith('{')) key = String((JSON.parse(text) as { publicKey?: unknown }).publicKey);
    else if (/^[A-Za-z0-9_-]+$/.test(text)) key = text;
    else key = toB64u(bytes);
  }
  return parseNodeKey(key, '--key', 'BAD_KEY');
}

function readProposal(file: string): GovernanceProposal {
  return parseProposal(readJson(file, 'proposal'));
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new UsageError(`no ${what} file ${file}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not a JSON ${what}: ${(e as Error).message}`);
  }
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

function need(v: string | undefined, usage: string): string {
  if (v === undefined) throw new UsageError(usage);
  return v;
}
