/**
 * The transaction fuzzer's catalogue: a valid transaction of a given type (a seed payload, or a
 * live one that commits OK), signed by a fitting signer, then changed by one mutation. Each
 * mutation says by construction what the node must do with the result:
 *
 * - `refuse`: broken before any contract runs (encoding, signature, signer, time, chain, shape,
 *   size): the node must refuse it at admission with a 4xx `{ code, message }`;
 * - `not-ok`: a payload the contract must refuse (an unknown field, a missing or mistyped one,
 *   a huge number, bad base64) or a signer it must refuse: refused at admission, or committed
 *   with a validity code other than OK; `contract.parse` is also called on it directly and must
 *   throw a LedgerError;
 * - `replay`: a transaction already submitted, resent: refused, or answered as the same
 *   transaction (`duplicate`), never committed a second time;
 * - `ok`: the unchanged live transaction, which must commit OK (the harness's own check);
 * - `any`: changes whose validity is not known by construction (random values deep in a
 *   payload, another type's payload): only no crash, no 500 and a clear error.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { fromB64u, negateP256S, signP256, toB64u, toHex, type JsonValue } from '@medledger/crypto';
import {
  createTxBody,
  txSigningBytes,
  type ContractRegistry,
  type SignedTx,
  type TxBody,
} from '@medledger/core';
import type { Seed } from './corpus.js';

export type Expect = 'ok' | 'refuse' | 'not-ok' | 'replay' | 'any';

/** A signing identity of the fuzzed node's consortium. */
export interface FuzzKey {
  id: string;
  privateKey: KeyObject;
}

/** What the catalogue needs to know about the node under test. */
export interface TxWorld {
  chainId: string;
  contracts: ContractRegistry;
  corpus: Record<string, Seed[]>;
  /** Enrolled members by role, organization roots, node keys. */
  doctors: FuzzKey[];
  patients: FuzzKey[];
  members: FuzzKey[];
  orgs: FuzzKey[];
  nodes: FuzzKey[];
  /** An enrolled member since revoked; a key nobody enrolled. */
  revoked: FuzzKey;
  stranger: FuzzKey;
  /** Transactions the node admitted, for replays. */
  admitted: { tx: SignedTx; id: string; text: string }[];
  /** Doctor of the other organization, grantee of live consent grants. */
  grantee: string;
}

/** One fuzz input: the bytes to post and what must happen to them. */
export interface TxCase {
  type: string;
  mutation: string;
  expect: Expect;
  body: Buffer;
  contentType: string;
  /** For `replay`: the id the node may answer as a duplicate. */
  replayOf?: string;
  /** For `not-ok` payload mutations: the payload `contract.parse` must refuse. */
  badPayload?: { type: string; payload: unknown; change: string };
}

const LIVE = ['record.anchor', 'consent.grant', 'patient.careteam'] as const;

const MUTATIONS = {
  control: 'any',
  live: 'ok',
  'live.forbidden-signer': 'not-ok',
  'sig.bit-flip': 'refuse',
  'sig.non-canonical-b64': 'refuse',
  'sig.high-s': 'refuse',
  'sig.bad-b64': 'refuse',
  'sig.wrong-key': 'refuse',
  'sig.other-body': 'refuse',
  'signer.unknown': 'refuse',
  'signer.revoked': 'refuse',
  'signer.unlisted': 'refuse',
  'signer.missing-signature': 'refuse',
  'signer.unsorted': 'refuse',
  'body.created-at': 'refuse',
  'body.chain-id': 'refuse',
  'body.nonce': 'refuse',
  'body.type': 'refuse',
  'body.shape': 'refuse',
  'tx.shape': 'refuse',
  'enc.invalid-utf8': 'refuse',
  'enc.lone-surrogate': 'refuse',
  'enc.truncated': 'refuse',
  'enc.content-type': 'refuse',
  'enc.too-large': 'refuse',
  'payload.extra-key': 'not-ok',
  'payload.missing-key': 'not-ok',
  'payload.wrong-type': 'not-ok',
  'payload.huge-number': 'not-ok',
  'payload.bad-b64': 'not-ok',
  'payload.deep-random': 'any',
  'payload.other-type': 'any',
  'replay.same': 'replay',
  'replay.high-s': 'replay',
  'replay.reencoded': 'replay',
} as const satisfies Record<string, Expect>;
export type MutationName = keyof typeof MUTATIONS;
export const MUTATION_NAMES = Object.keys(MUTATIONS) as MutationName[];

/** The random choices of one input; {@link buildTxCase} turns them into bytes. */
export interface TxRecipe {
  type: number;
  seed: number;
  signer: number;
  mutation: MutationName;
  n1: number;
  n2: number;
  junk: JsonValue;
}

export const txRecipe: fc.Arbitrary<TxRecipe> = fc.record({
  type: fc.nat(),
  seed: fc.nat(),
  signer: fc.nat(),
  mutation: fc.constantFrom(...MUTATION_NAMES),
  n1: fc.nat(),
  n2: fc.nat(),
  junk: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
});

/**
 * Top-level payload fields a contract may leave out, by type (read from each contract's
 * `parse`): deleting one of these is not a known-invalid mutation.
 */
export const OPTIONAL_FIELDS: Record<string, readonly string[]> = {
  'anon.ring.submit': ['scope', 'role'],
  'consent.grant': ['linkage', 'emergency'],
  'fl.open': ['dp'],
  'keys.publish': ['pre', 'preVerifying', 'he', 'heHolder', 'peks', 'x25519'],
  'patient.careteam': ['add', 'remove'],
  'registry.enroll': ['encryptionKey'],
};

/**
 * Top-level payload fields that legitimately take more than one JSON kind (e.g. a free-form
 * JSON value): giving one of these another kind is not a known-invalid mutation.
 */
export const FREE_FORM_FIELDS: Record<string, readonly string[]> = {
  // `prev`: the hash of the patient's previous record transaction, or null for the first.
  'record.dss': ['prev'],
  'record.spv': ['prev'],
  'record.stt': ['prev'],
  'record.stt.abe': ['prev'],
};

/**
 * Types whose contract takes broken nested bytes on purpose: `fl.shares` (fl/processPostShares.ts)
 * commits a participant's malformed share envelopes OK and records that participant's
 * contribution of the round as `malformed` (Bonawitz et al.: it is then treated as dropped), so
 * the ledger keeps the evidence. A bad-base64 mutation there is not invalid by construction.
 */
export const RECORDED_AS_MALFORMED: readonly string[] = ['fl.shares'];

// Field names that hold bytes as base64url (not ids, not text).
const BYTES_FIELD =
  /(key|sig|signature|certificate|cert|ciphertext|proof|nonce|salt|commitment|capsule|frag|mac|tag|wrapped|enc|pk|presentation)$/i;

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function sign(body: TxBody, keys: FuzzKey[]): SignedTx {
  const bytes = txSigningBytes(body);
  return {
    body,
    signatures: body.signers.map((s) => ({
      signer: s,
      sig: toB64u(signP256(keys.find((k) => k.id === s)!.privateKey, bytes)),
    })),
  };
}

function bodyOf(
  w: TxWorld,
  type: string,
  payload: TxBody['payload'],
  signers: string[],
  createdAt = Date.now(),
): TxBody {
  return createTxBody({ chainId: w.chainId, type, payload, signers, nonce: randomBytes(16), createdAt });
}

/** A live transaction of `type` that commits OK when unchanged, and a signer the contract refuses. */
function live(
  w: TxWorld,
  type: (typeof LIVE)[number],
  r: TxRecipe,
): { payload: TxBody['payload']; ok: FuzzKey; forbidden: FuzzKey } {
  const suffix = toHex(randomBytes(8));
  const now = Date.now();
  switch (type) {
    case 'record.anchor':
      return {
        payload: { recordId: `fz-${suffix}`, hash: toHex(randomBytes(32)) },
        ok: pick(w.members, r.signer),
        forbidden: pick(w.orgs, r.signer),
      };
    case 'consent.grant':
      return {
        payload: {
          grantId: `fz-${suffix}`,
          grantee: { kind: 'member', memberId: w.grantee },
          scope: { categories: ['lab'] },
          purposes: ['treatment'],
          notBefore: now - 60_000,
          notAfter: now + 7 * 24 * 3600_000,
        },
        ok: pick(w.patients, r.signer),
        forbidden: pick(w.doctors, r.signer),
      };
    case 'patient.careteam':
      return {
        payload: { add: [], remove: [] },
        ok: pick(w.patients, r.signer),
        forbidden: pick(w.doctors, r.signer),
      };
  }
}

function signerFor(w: TxWorld, seed: Seed, n: number): FuzzKey {
  return seed.signer === 'org'
    ? pick(w.orgs, n)
    : seed.signer === 'node'
      ? pick(w.nodes, n)
      : pick(w.members, n);
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const JSON_CT = 'application/json';

/** Builds the input a recipe describes. */
export function buildTxCase(w: TxWorld, r: TxRecipe): TxCase {
  const types = w.contracts.types();
  const mutation = r.mutation;
  const isLive =
    mutation === 'live' ||
    mutation === 'live.forbidden-signer' ||
    (r.n2 % 4 === 0 && mutation.startsWith('payload.'));
  const type = isLive ? pick(LIVE, r.type) : pick(types, r.type);
  let payload: TxBody['payload'];
  let signer: FuzzKey;
  let forbidden: FuzzKey | undefined;
  if (isLive) {
    const l = live(w, type as (typeof LIVE)[number], r);
    ({ payload, forbidden } = l);
    signer = l.ok;
  } else {
    const seed = pick(w.corpus[type]!, r.seed);
    payload = structuredClone(seed.payload);
    signer = signerFor(w, seed, r.signer);
  }
  const all = [...w.members, ...w.orgs, ...w.nodes, w.revoked, w.stranger];
  const out = (expect: Expect, tx: unknown, extra: Partial<TxCase> = {}): TxCase => ({
    type,
    mutation,
    expect,
    body: json(tx),
    contentType: JSON_CT,
    ...extra,
  });
  const signed = (p = payload, s: FuzzKey = signer): SignedTx => sign(bodyOf(w, type, p, [s.id]), all);

  switch (mutation) {
    case 'control':
      return out('any', signed());
    case 'live':
      return out('ok', signed());
    case 'live.forbidden-signer':
      return out('not-ok', signed(payload, forbidden!));
    case 'sig.bit-flip': {
      const tx = signed();
      const sig = fromB64u(tx.signatures[0]!.sig);
      sig[(r.n1 >> 3) % 64]! ^= 1 << (r.n1 & 7);
      tx.signatures[0]!.sig = toB64u(sig);
      return out('refuse', tx);
    }
    case 'sig.non-canonical-b64': {
      const tx = signed();
      tx.signatures[0]!.sig = nonCanonicalB64u(tx.signatures[0]!.sig, r.n1);
      return out('refuse', tx);
    }
    case 'sig.high-s': {
      const tx = signed();
      tx.signatures[0]!.sig = toB64u(negateP256S(fromB64u(tx.signatures[0]!.sig)));
      return out('refuse', tx);
    }
    case 'sig.bad-b64': {
      const tx = signed();
      const s = tx.signatures[0]!.sig;
      const i = r.n1 % s.length;
      const variants = [
        s.slice(0, i) + pick(['+', '/', '=', '!', ' ', '.', '\u00e9'], r.n2) + s.slice(i + 1),
        `${s}==`,
        s.slice(0, -1),
        `${s}A`,
        Buffer.from(fromB64u(s)).toString('base64'),
        '',
        s.slice(0, 43),
      ];
      tx.signatures[0]!.sig = pick(variants, r.n2 >> 3);
      return out('refuse', tx);
    }
    case 'sig.wrong-key': {
      const other = pick(
        all.filter((k) => k.id !== signer.id),
        r.n1,
      );
      const body = bodyOf(w, type, payload, [signer.id]);
      return out('refuse', {
        body,
        signatures: [{ signer: signer.id, sig: toB64u(signP256(other.privateKey, txSigningBytes(body))) }],
      });
    }
    case 'sig.other-body': {
      const a = signed();
      const b = signed();
      return out('refuse', { body: a.body, signatures: b.signatures });
    }
    case 'signer.unknown':
      return out('refuse', signed(payload, w.stranger));
    case 'signer.revoked':
      return out('refuse', signed(payload, w.revoked));
    case 'signer.unlisted': {
      const tx = signed();
      const other = pick(
        w.members.filter((k) => k.id !== signer.id),
        r.n1,
      );
      tx.signatures.push({
        signer: other.id,
        sig: toB64u(signP256(other.privateKey, txSigningBytes(tx.body))),
      });
      return out('refuse', tx);
    }
    case 'signer.missing-signature': {
      const other = pick(
        w.members.filter((k) => k.id !== signer.id),
        r.n1,
      );
      const tx = sign(bodyOf(w, type, payload, [signer.id, other.id]), all);
      tx.signatures = tx.signatures.filter((s) => s.signer === signer.id);
      return out('refuse', tx);
    }
    case 'signer.unsorted': {
      const other = pick(
        w.members.filter((k) => k.id !== signer.id),
        r.n1,
      );
      const body = bodyOf(w, type, payload, [signer.id, other.id]);
      const tx = sign(body, all);
      body.signers = r.n2 % 2 ? [...body.signers].reverse() : [signer.id, signer.id];
      return out('refuse', tx);
    }
    case 'body.created-at': {
      const now = Date.now();
      const values: JsonValue[] = [
        now + 6 * 60_000 + (r.n1 % 1_000_000_000),
        now - 61 * 60_000 - (r.n1 % 1_000_000_000),
        0,
        -1,
        now + 0.5,
        1e300,
        8.64e15 + 1,
        String(now),
        null,
        2 ** 53 + 1,
      ];
      const body = bodyOf(w, type, payload, [signer.id]);
      body.createdAt = pick(values, r.n2) as number;
      // Signed over the mutated body, so only the time is wrong (where it can be hashed at all).
      let tx: SignedTx;
      try {
        tx = sign(body, all);
      } catch {
        tx = { body, signatures: [{ signer: signer.id, sig: signed().signatures[0]!.sig }] };
      }
      return out('refuse', tx);
    }
    case 'body.chain-id': {
      const body = bodyOf(w, type, payload, [signer.id]);
      const values = [
        toHex(randomBytes(32)),
        w.chainId.toUpperCase(),
        w.chainId.slice(2),
        `${w.chainId}00`,
        '',
      ];
      body.chainId = pick(values, r.n1);
      return out('refuse', signOrGarble(body, all, signer));
    }
    case 'body.nonce': {
      const body = bodyOf(w, type, payload, [signer.id]);
      const n = body.nonce;
      const values = [
        toB64u(randomBytes(15)),
        toB64u(randomBytes(17)),
        `${n.slice(0, -1)}B`,
        `${n}==`,
        n.replace(/.$/, '+'),
        '',
      ];
      body.nonce = pick(values, r.n1);
      return out('refuse', signOrGarble(body, all, signer));
    }
    case 'body.type': {
      const body = bodyOf(w, type, payload, [signer.id]);
      const values = ['fuzz.unknown', type.toUpperCase(), `${type}.`, '', 'x'.repeat(65), `${type} `];
      body.type = pick(values, r.n1);
      return out('refuse', signOrGarble(body, all, signer));
    }
    case 'body.shape': {
      const tx = signed() as unknown as { body: Record<string, unknown> };
      const fields = ['chainId', 'type', 'payload', 'signers', 'nonce', 'createdAt'];
      const f = pick(fields, r.n1);
      if (r.n2 % 3 === 0) delete tx.body[f];
      else if (r.n2 % 3 === 1) tx.body[`fuzz${r.n1 % 7}`] = r.junk;
      else tx.body[f] = kindOf(r.junk) === kindOf(tx.body[f]) ? [r.junk] : r.junk;
      return out('refuse', tx);
    }
    case 'tx.shape': {
      const tx = signed() as unknown as Record<string, unknown>;
      const values: unknown[] = [
        { ...tx, extra: r.junk },
        { body: tx.body },
        { ...tx, signatures: [] },
        { ...tx, signatures: {} },
        { ...tx, body: [tx.body] },
        [tx],
        null,
        r.junk,
        { ...tx, signatures: [...(tx.signatures as unknown[]), ...(tx.signatures as unknown[])] },
      ];
      return out('refuse', pick(values, r.n1));
    }
    case 'enc.invalid-utf8': {
      const tx = signed();
      const text = JSON.stringify(tx).replace(`"${tx.body.nonce}"`, `"${tx.body.nonce}\u0001MARK"`);
      const bad = pick(
        [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]],
        r.n1,
      );
      const [a, b] = text.split('\u0001MARK') as [string, string];
      // Invalid bytes inside a string of the body (in place of the nonce's closing part).
      const at = r.n2 % 2 ? a : a.slice(0, -1);
      return {
        ...out('refuse', null),
        body: Buffer.concat([Buffer.from(at), Buffer.from(bad), Buffer.from(b)]),
      };
    }
    case 'enc.lone-surrogate': {
      const p = {
        ...payload,
        [pick(Object.keys(payload), r.n1) ?? 'x']: pick(['\ud800', 'a\udc00b', '\udbff'], r.n2),
      };
      const body = bodyOf(w, type, p, [signer.id]);
      return out('refuse', signOrGarble(body, all, signer));
    }
    case 'enc.truncated': {
      const b = json(signed());
      return { ...out('refuse', null), body: b.subarray(0, Math.max(1, r.n1 % b.length)) };
    }
    case 'enc.content-type':
      return {
        ...out('refuse', signed()),
        contentType: pick(
          ['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'],
          r.n1,
        ),
      };
    case 'enc.too-large': {
      const key = pick(Object.keys(payload), r.n1) ?? 'x';
      return out('refuse', signed({ ...payload, [key]: 'A'.repeat(256 * 1024 + (r.n2 % 4096)) }));
    }
    case 'payload.extra-key': {
      const p = { ...payload, [`fuzz${r.n1 % 13}`]: r.junk };
      return out('not-ok', signed(p), { badPayload: { type, payload: p, change: `added fuzz${r.n1 % 13}` } });
    }
    case 'payload.missing-key': {
      const optional = OPTIONAL_FIELDS[type] ?? [];
      const required = Object.keys(payload).filter((k) => !optional.includes(k));
      if (required.length === 0) return out('any', signed());
      const p = { ...payload };
      const gone = pick(required, r.n1);
      delete p[gone];
      return out('not-ok', signed(p), { badPayload: { type, payload: p, change: `deleted ${gone}` } });
    }
    case 'payload.wrong-type': {
      const free = FREE_FORM_FIELDS[type] ?? [];
      const fields = Object.keys(payload).filter((k) => !free.includes(k));
      if (fields.length === 0) return out('any', signed());
      const f = pick(fields, r.n1);
      const others: JsonValue[] = [
        0,
        1.5,
        -1,
        'x',
        '',
        true,
        false,
        null,
        [],
        {},
        [payload[f]!],
        { v: payload[f]! },
      ].filter((v) => kindOf(v) !== kindOf(payload[f]));
      const v = pick(others, r.n2);
      const p = { ...payload, [f]: v };
      return out('not-ok', signed(p), {
        badPayload: { type, payload: p, change: `${f} = ${JSON.stringify(v).slice(0, 80)}` },
      });
    }
    case 'payload.huge-number': {
      const paths = leafPaths(payload).filter((x) => typeof x.value === 'number' && x.path.length === 1);
      if (paths.length === 0) return out('any', signed());
      const { path } = pick(paths, r.n1);
      const v = pick([1e300, -1e300, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, -(2 ** 63)], r.n2);
      const p = setAt(payload, path, v);
      return out('not-ok', signed(p), {
        badPayload: { type, payload: p, change: `${path.join('.')} = ${v}` },
      });
    }
    case 'payload.bad-b64': {
      const paths = leafPaths(payload).filter(
        (x) =>
          typeof x.value === 'string' &&
          typeof x.path.at(-1) === 'string' &&
          BYTES_FIELD.test(x.path.at(-1) as string) &&
          /^[A-Za-z0-9_-]{16,}$/.test(x.value) &&
          !/^[0-9a-f]+$/.test(x.value),
      );
      if (paths.length === 0) return out('any', signed());
      const { path, value } = pick(paths, r.n1);
      const s = value as string;
      const i = r.n2 % s.length;
      const bad = pick(
        [
          s.slice(0, i) + pick(['+', '/', '=', '!', '.', ' '], r.n2 >> 4) + s.slice(i + 1),
          `${s}=`,
          Buffer.from(s, 'base64url').toString('base64').replace(/[^=]$/, '+'),
          nonCanonicalB64u(s, r.n2),
        ],
        r.n2 >> 2,
      );
      if (bad === s) return out('any', signed());
      const p = setAt(payload, path, bad);
      if (RECORDED_AS_MALFORMED.includes(type)) return out('any', signed(p));
      return out('not-ok', signed(p), {
        badPayload: { type, payload: p, change: `${path.join('.')}: ${s.slice(-12)} -> ${bad.slice(-12)}` },
      });
    }
    case 'payload.deep-random': {
      const paths = leafPaths(payload, true);
      const { path } = pick(paths, r.n1);
      return out('any', signed(path.length === 0 ? payload : setAt(payload, path, r.junk)));
    }
    case 'payload.other-type': {
      const other = pick(types, r.n1);
      return out('any', signed(structuredClone(pick(w.corpus[other]!, r.n2).payload)));
    }
    case 'replay.same':
    case 'replay.high-s':
    case 'replay.reencoded': {
      if (w.admitted.length === 0) return out('any', signed());
      const prior = pick(w.admitted, r.n1);
      const tx: SignedTx = structuredClone(prior.tx);
      if (mutation === 'replay.high-s') {
        tx.signatures[0]!.sig = toB64u(negateP256S(fromB64u(tx.signatures[0]!.sig)));
        return { ...out('replay', tx, { replayOf: prior.id }), type: prior.tx.body.type };
      }
      const text = mutation === 'replay.same' ? prior.text : JSON.stringify(tx, null, 1 + (r.n2 % 3));
      return {
        ...out('replay', null, { replayOf: prior.id }),
        type: prior.tx.body.type,
        body: Buffer.from(text),
      };
    }
  }
}

const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes with unused low bits of the last character set (RFC 4648 §3.5), or, where no
 * bits are unused, one character too many (a length no encoding has).
 */
function nonCanonicalB64u(s: string, n: number): string {
  const unused = s.length % 4 === 2 ? 15 : s.length % 4 === 3 ? 3 : 0;
  if (unused === 0) return `${s}A`;
  const last = B64U_ALPHABET.indexOf(s.at(-1)!);
  return s.slice(0, -1) + B64U_ALPHABET[(last & ~unused) | (1 + (n % unused))]!;
}

/** Signs a body that may not canonicalize (then with a signature of another body). */
function signOrGarble(body: TxBody, all: FuzzKey[], signer: FuzzKey): SignedTx {
  try {
    return sign(body, all);
  } catch {
    return {
      body,
      signatures: [{ signer: signer.id, sig: toB64u(signP256(signer.privateKey, randomBytes(32))) }],
    };
  }
}

type Path = (string | number)[];

/** Every leaf (or, with `inner`, every node) of a JSON value with its path. */
function leafPaths(v: JsonValue, inner = false, path: Path = []): { path: Path; value: JsonValue }[] {
  if (v !== null && typeof v === 'object') {
    const entries: [string | number, JsonValue][] = Array.isArray(v)
      ? v.slice(0, 8).map((x, i) => [i, x])
      : Object.entries(v).slice(0, 16);
    const below = entries.flatMap(([k, x]) => leafPaths(x, inner, [...path, k]));
    return inner ? [{ path, value: v }, ...below] : below;
  }
  return [{ path, value: v }];
}

function setAt(v: { [k: string]: JsonValue }, path: Path, value: JsonValue): { [k: string]: JsonValue } {
  const root = structuredClone(v);
  let cur: JsonValue = root;
  for (let i = 0; i < path.length - 1; i++) cur = (cur as Record<string | number, JsonValue>)[path[i]!]!;
  (cur as Record<string | number, JsonValue>)[path.at(-1)!] = value;
  return root;
}
