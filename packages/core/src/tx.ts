/**
 * Transactions. A transaction is a body (what is asked, by whom, when) and signatures over
 * its id. The id is the tagged hash of the canonical body only: signatures are malleable and
 * never part of an identity, so a transaction re-sent with re-encoded signatures is still the
 * same transaction and commits at most once.
 *
 * `signers` is part of the body: the set of required signers is fixed by the id and cannot
 * be stripped or extended by whoever relays the transaction. Co-signed records (k of n
 * responsible doctors) list every co-signer.
 */
import {
  HashTag,
  canonicalize,
  fromHex,
  signP256,
  toB64u,
  toHex,
  type JsonValue,
  hashTaggedText,
  utf8Length,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { LedgerError } from './errors.js';
import { B64U, HEX32, ID, arr, int, obj, onlyKeys, str } from './validate.js';

/** The signed part of a transaction. */
export interface TxBody {
  chainId: string;
  type: string;
  payload: { [k: string]: JsonValue };
  /** Signer ids (member ids, or `org:<id>` for an organization's root key), distinct, sorted. */
  signers: string[];
  /** 16 random bytes, base64url: distinguishes otherwise identical bodies. */
  nonce: string;
  /** Creation time claimed by the signer, ms since the epoch. */
  createdAt: number;
}

export interface TxSignature {
  signer: string;
  /** 64-byte P-256 r || s, base64url. */
  sig: string;
}

export interface SignedTx {
  body: TxBody;
  signatures: TxSignature[];
}

/** Largest canonical transaction accepted, in bytes. */
export const MAX_TX_BYTES = 256 * 1024;
const MAX_SIGNERS = 32;

// Memoized per object: bodies and transactions are never mutated once built or parsed.
const ids = new WeakMap<TxBody, string>();
const bodyTexts = new WeakMap<TxBody, string>();
const txTexts = new WeakMap<SignedTx, string>();

function bodyText(body: TxBody): string {
  let t = bodyTexts.get(body);
  if (t === undefined) {
    t = canonicalize(body);
    bodyTexts.set(body, t);
  }
  return t;
}

/** Hex id of a transaction body: the tagged hash of its canonical bytes. */
export function txIdOf(body: TxBody): string {
  let id = ids.get(body);
  if (id === undefined) {
    id = toHex(hashTaggedText(HashTag.tx, bodyText(body)));
    ids.set(body, id);
  }
  return id;
}

/** Canonical JSON text of a signed transaction (RFC 8785), memoized. */
export function txCanonicalText(tx: SignedTx): string {
  let t = txTexts.get(tx);
  if (t === undefined) {
    // Member order of RFC 8785: "body" < "signatures"; signatures are [{sig, signer}].
    t = `{"body":${bodyText(tx.body)},"signatures":${canonicalize(tx.signatures)}}`;
    txTexts.set(tx, t);
  }
  return t;
}

/** The bytes each signer signs: the 32-byte transaction id. */
export function txSigningBytes(body: TxBody): Uint8Array {
  return fromHex(txIdOf(body));
}

/** Parameters of {@link createTxBody}. */
export interface CreateTxBodyParameters {
  chainId: string;
  type: string;
  payload: { [k: string]: JsonValue };
  signers: string[];
  nonce: Uint8Array;
  createdAt: number;
}

/** Builds a body; signers are sorted so that the id does not depend on their order. */
export function createTxBody(p: CreateTxBodyParameters): TxBody {
  return {
    chainId: p.chainId,
    type: p.type,
    payload: p.payload,
    signers: [...new Set(p.signers)].sort(),
    nonce: toB64u(p.nonce),
    createdAt: p.createdAt,
  };
}

/** Signs a body as `signer`; returns the signature to attach. */
export function signTxBody(body: TxBody, signer: string, privateKey: Uint8Array | KeyObject): TxSignature {
  if (!body.signers.includes(signer)) {
    throw new LedgerError(
      { code: 'NOT_A_SIGNER', signer },
      `${signer} is not listed in the transaction's signers`,
    );
  }
  return { signer, sig: toB64u(signP256(privateKey, txSigningBytes(body))) };
}

const C = 'MALFORMED_TX';

/**
 * Checks the shape of an untrusted transaction and returns it typed. Stateless: does not
 * check signatures (that needs the signers' keys) or anything about the ledger.
 * @throws LedgerError MALFORMED_TX naming the first bad field.
 */
export function parseTx(input: unknown): SignedTx {
  return parseTxSized(input).tx;
}

/** {@link parseTx}, also returning the size of the canonical transaction in bytes. */
export function parseTxSized(input: unknown): { tx: SignedTx; size: number } {
  const t = obj(input, 'tx', C);
  onlyKeys(t, ['body', 'signatures'], 'tx', C);
  const b = obj(t.body, 'tx.body', C);
  onlyKeys(b, ['chainId', 'type', 'payload', 'signers', 'nonce', 'createdAt'], 'tx.body', C);
  str(b.chainId, 'tx.body.chainId', C, 64, HEX32);
  str(b.type, 'tx.body.type', C, 64, /^[a-z][a-z0-9.-]*$/);
  obj(b.payload, 'tx.body.payload', C);
  const signers = arr(b.signers, 'tx.body.signers', C, 1, MAX_SIGNERS).map((s, i) =>
    str(s, `tx.body.signers[${i}]`, C, 128, ID),
  );
  for (let i = 1; i < signers.length; i++) {
    if (signers[i - 1]! >= signers[i]!)
      throw new LedgerError(
        { code: C, path: 'tx.body.signers' },
        'tx.body.signers: must be distinct and sorted',
      );
  }
  const nonce = str(b.nonce, 'tx.body.nonce', C, 64, B64U);
  if (!B64U_16.test(nonce))
    throw new LedgerError({ code: C, path: 'tx.body.nonce' }, 'tx.body.nonce: must be 16 bytes of base64url');
  int(b.createdAt, 'tx.body.createdAt', C, 0, 8.64e15);
  const sigs = arr(t.signatures, 'tx.signatures', C, 1, MAX_SIGNERS).map((s, i) => {
    const o = obj(s, `tx.signatures[${i}]`, C);
    onlyKeys(o, ['signer', 'sig'], `tx.signatures[${i}]`, C);
    const signer = str(o.signer, `tx.signatures[${i}].signer`, C, 128, ID);
    const sig = str(o.sig, `tx.signatures[${i}].sig`, C, 128, B64U);
    if (!B64U_64.test(sig))
      throw new LedgerError(
        { code: C, path: `tx.signatures[${i}].sig` },
        `tx.signatures[${i}].sig: must be 64 bytes of base64url`,
      );
    return { signer, sig };
  });
  const seen = new Set<string>();
  for (const s of sigs) {
    if (seen.has(s.signer))
      throw new LedgerError({ code: C, path: 'tx.signatures' }, `tx.signatures: ${s.signer} signs twice`);
    if (!signers.includes(s.signer))
      throw new LedgerError(
        { code: C, path: 'tx.signatures' },
        `tx.signatures: ${s.signer} is not a listed signer`,
      );
    seen.add(s.signer);
  }
  if (seen.size !== signers.length)
    throw new LedgerError({ code: C, path: 'tx.signatures' }, 'tx.signatures: every listed signer must sign');
  // Every field but the payload was just checked against patterns that need no JSON escaping
  // (hex, base64url, ids, integers), so their canonical text is written out directly; only the
  // payload goes through the general RFC 8785 serializer. Equal to canonicalize(tx): tested.
  const tx = t as unknown as SignedTx;
  const body = tx.body;
  const bodyCanonical =
    `{"chainId":"${body.chainId}","createdAt":${body.createdAt},"nonce":"${body.nonce}",` +
    `"payload":${canonicalize(body.payload)},"signers":[${body.signers.map((x) => `"${x}"`).join(',')}],` +
    `"type":"${body.type}"}`;
  bodyTexts.set(body, bodyCanonical);
  txTexts.set(
    tx,
    `{"body":${bodyCanonical},"signatures":[${tx.signatures.map((x) => `{"sig":"${x.sig}","signer":"${x.signer}"}`).join(',')}]}`,
  );
  const size = utf8Length(txCanonicalText(tx));
  if (size > MAX_TX_BYTES)
    throw new LedgerError(
      { code: 'TX_TOO_LARGE', size },
      `transaction is ${size} bytes; the limit is ${MAX_TX_BYTES}`,
    );
  return { tx: t as unknown as SignedTx, size };
}

// Canonical unpadded base64url of exactly 16 and 64 bytes: 22 and 86 characters whose last
// character leaves the 4 unused bits zero (RFC 4648 §3.5).
const B64U_16 = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const B64U_64 = /^[A-Za-z0-9_-]{85}[AQgw]$/;
