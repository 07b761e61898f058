/**
 * `medledger genesis`: the founders' part of the ceremony.
 *   genesis assemble — one genesis from the organizations' public cards (unsigned);
 *   genesis sign     — a founder adds its signature with its root key, from its admin directory;
 *   genesis check    — which founders' signatures are missing or do not verify.
 * A founder signs the chain id: the hash of the whole genesis but its signatures. Change any
 * byte of the body after some founders signed and their signatures no longer verify; `check`
 * names them and they must sign again. A node refuses a genesis until every founder has signed.
 */
import { existsSync } from 'node:fs';
import {
  chainIdOf,
  missingGenesisSignatures,
  parseGenesis,
  signGenesis,
  type Genesis,
  type OrderingParams,
} from '@medledger/core';
import { assembleGenesis, parseOrgCard, type OrgCard } from '@medledger/node';
import { UsageError } from '../args.js';
import { openAdmin, readCard, type OrgAdmin } from '../dirs/admin.js';
import { readJson, writeJson } from '../dirs/files.js';

/** Reads and validates a genesis file; a malformed one is a usage error naming the field. */
export function readGenesisFile(path: string): Genesis {
  try {
    return parseGenesis(readJson(path, 'genesis'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
}

/** Options of {@link genesisAssemble} (`medledger genesis assemble`). */
export interface GenesisAssembleOptions {
  /** Paths of the organizations' card.json files. */
  cards: string[];
  chainName: string;
  founders?: string[];
  threshold?: number;
  genesisTime?: number;
  /** The block cutter's limits (default core's `DEFAULT_ORDERING`). */
  ordering?: OrderingParams;
  out: string;
}

/** Assembles an unsigned genesis from card files and writes it to `out` (never replacing a file). */
export function genesisAssemble(o: GenesisAssembleOptions): Genesis {
  if (o.cards.length === 0) throw new UsageError('--cards: give the card.json of every organization');
  if (existsSync(o.out)) throw new UsageError(`${o.out} already exists`);
  const cards: OrgCard[] = o.cards.map((f) => {
    try {
      return parseOrgCard(readJson(f, 'org card'), f);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError((e as Error).message);
    }
  });
  let genesis: Genesis;
  try {
    genesis = assembleGenesis({
      chainName: o.chainName,
      genesisTime: o.genesisTime ?? Date.now(),
      cards,
      ...(o.founders === undefined || o.founders.length === 0 ? {} : { founders: o.founders }),
      ...(o.threshold === undefined ? {} : { threshold: o.threshold }),
      ...(o.ordering === undefined ? {} : { ordering: o.ordering }),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  writeJson(o.out, genesis, { exclusive: true });
  return genesis;
}

/** Which founders have validly signed a genesis. */
export interface GenesisStatus {
  chainId: string;
  founders: string[];
  /** Founders with no signature in the file. */
  missing: string[];
  /** Founders whose signature does not verify over this genesis (signed another body, or forged). */
  bad: string[];
}

/** The signature status of a genesis: missing and bad founder signatures. */
export function genesisStatus(g: Genesis): GenesisStatus {
  const invalid = missingGenesisSignatures(g);
  const present = new Set(g.signatures.map((s) => s.org));
  return {
    chainId: chainIdOf(g),
    founders: g.governance.founders,
    missing: invalid.filter((f) => !present.has(f)),
    bad: invalid.filter((f) => present.has(f)),
  };
}

/** `genesis check`: the signature status of a genesis file. */
export function genesisCheck(path: string): GenesisStatus {
  return genesisStatus(readGenesisFile(path));
}

/** Options of {@link genesisSign} (`medledger genesis sign`). */
export interface GenesisSignOptions {
  /** The genesis file, rewritten in place with this founder's signature. */
  file: string;
  adminDir: string;
  /** Its passphrase, or the organization's root already opened (`openAdmin`). */
  passphrase?: string;
  admin?: OrgAdmin;
}

/**
 * Adds this founder's signature (replacing an earlier one of the same founder). Refuses if the
 * organization is not a founder, or if the genesis does not list it exactly as its own card
 * says (root certificate, node key, name, role): a founder signs only a genesis that names it
 * truly.
 */
export function genesisSign(o: GenesisSignOptions): GenesisStatus & { org: string } {
  const g = readGenesisFile(o.file);
  const card = readCard(o.adminDir);
  if (!g.governance.founders.includes(card.id))
    throw new UsageError(
      `${card.id} is not a founder of this genesis (founders: ${g.governance.founders.join(', ')})`,
    );
  const listed = g.orgs.find((x) => x.id === card.id);
  const same = (a: OrgCard, b: OrgCard): boolean =>
    a.name === b.name &&
    a.role === b.role &&
    a.rootCertificate === b.rootCertificate &&
    a.nodeKey === b.nodeKey;
  if (!listed || !same(listed, card))
    throw new UsageError(
      `the genesis does not list ${card.id} as its card says (root certificate, node key, name or role differ): refusing to sign`,
    );
  if (o.admin === undefined && o.passphrase === undefined)
    throw new TypeError('genesisSign: passphrase or admin');
  const admin = o.admin ?? openAdmin(o.adminDir, o.passphrase!);
  const sig = signGenesis(g, admin.org, admin.rootPrivateKey);
  if (o.admin === undefined) admin.rootPrivateKey.fill(0);
  g.signatures = [...g.signatures.filter((s) => s.org !== admin.org), sig];
  writeJson(o.file, g);
  return { org: admin.org, ...genesisStatus(g) };
}

/** One line per problem, for `genesis check` and `genesis sign`. */
export function describeStatus(s: GenesisStatus): string[] {
  const out: string[] = [];
  if (s.missing.length > 0)
    out.push(`missing the signature of founder${s.missing.length > 1 ? 's' : ''} ${s.missing.join(', ')}`);
  if (s.bad.length > 0)
    out.push(
      `bad signature of ${s.bad.join(', ')}: it does not verify over this genesis (the body changed after they signed, or it is forged); they must sign again`,
    );
  return out;
}
