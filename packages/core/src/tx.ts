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
  type JsonValue,
  hashTaggedTextHex,
  utf8Length,
} from '@medledger/crypto';
import type { KeyObject } from 'node:crypto';
import { LedgerError } from './errors.js';
import { bodyMemo, freshBodyMemo, memoOf, memoize } from './memo.js';
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

// Memoized per object (memo.ts): bodies and transactions are never mutated once built or
// parsed; parseTx gives a parsed body a fresh record (its text, no id, no parsed payload).
const TX_TEXT = Symbol('txText');

function bodyText(body: TxBody): string {
  const m = bodyMemo(body);
  return (m.text ??= canonicalize(body));
}

/** Hex id of a transaction body: the tagged hash of its canonical bytes. */
export function txIdOf(body: TxBody): string {
  const m = bodyMemo(body);
  return (m.id ??= hashTaggedTextHex(HashTag.tx, bodyText(body)));
}

/** Canonical JSON text of a signed transaction (RFC 8785), memoized. */
export function txCanonicalText(tx: SignedTx): string {
  return (
    memoOf<string>(tx, TX_TEXT) ??
    // Member order of RFC 8785: "body" < "signatures"; signatures are [{sig, signer}].
    memoize(tx, TX_TEXT, `{"body":${bodyText(tx.body)},"signatures":${canonicalize(tx.signatures)}}`)
  );
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
  // Array items are checked on a fast path; the path of an item is built only to report it.
  const signers = arr(b.signers, 'tx.body.signers', C, 1, MAX_SIGNERS) as string[];
  for (let i = 0; i < signers.length; i++) {
    strItem(signers[i], 'tx.body.signers', i, '', ID);
    if (i > 0 && signers[i - 1]! >= signers[i]!)
      throw new LedgerError(
        { code: C, path: 'tx.body.signers' },
        'tx.body.signers: must be distinct and sorted',
      );
  }
  if (typeof b.nonce !== 'string' || !B64U_16.test(b.nonce)) {
    str(b.nonce, 'tx.body.nonce', C, 64, B64U);
    throw new LedgerError({ code: C, path: 'tx.body.nonce' }, 'tx.body.nonce: must be 16 bytes of base64url');
  }
  int(b.createdAt, 'tx.body.createdAt', C, 0, 8.64e15);
  const sigs = arr(t.signatures, 'tx.signatures', C, 1, MAX_SIGNERS);
  // Distinct signers: a set only for co-signed transactions (most carry one signature).
  const seen = sigs.length > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < sigs.length; i++) {
    const o = sigs[i] as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) obj(o, `tx.signatures[${i}]`, C);
    for (const k in o)
      if (k !== 'signer' && k !== 'sig') onlyKeys(o, ['signer', 'sig'], `tx.signatures[${i}]`, C);
    const signer = strItem(o.signer, 'tx.signatures', i, '.signer', ID);
    if (typeof o.sig !== 'string' || !B64U_64.test(o.sig)) {
      str(o.sig, `tx.signatures[${i}].sig`, C, 128, B64U);
      throw new LedgerError(
        { code: C, path: `tx.signatures[${i}].sig` },
        `tx.signatures[${i}].sig: must be 64 bytes of base64url`,
      );
    }
    if (seen?.has(signer))
      throw new LedgerError({ code: C, path: 'tx.signatures' }, `tx.signatures: ${signer} signs twice`);
    if (!signers.includes(signer))
      throw new LedgerError(
        { code: C, path: 'tx.signatures' },
        `tx.signatures: ${signer} is not a listed signer`,
      );
    seen?.add(signer);
  }
  if ((seen?.size ?? sigs.length) !== signers.length)
    throw new LedgerError({ code: C, path: 'tx.signatures' }, 'tx.signatures: every listed signer must sign');
  // Every field but the payload was just checked against patterns that need no JSON escaping
  // (hex, base64url, ids, integers), so their canonical text is written out directly; only the
  // payload goes through the general RFC 8785 serializer. Equal to canonicalize(tx): tested.
  const tx = t as unknown as SignedTx;
  const body = tx.body;
  const payloadText = canonicalize(body.payload);
  const bodyCanonical =
    `{"chainId":"${body.chainId}","createdAt":${body.createdAt},"nonce":"${body.nonce}",` +
    `"payload":${payloadText},"signers":[${quotedList(body.signers)}],"type":"${body.type}"}`;
  freshBodyMemo(body, bodyCanonical);
  const text = `{"body":${bodyCanonical},"signatures":[${signaturesText(tx.signatures)}]}`;
  memoize(tx, TX_TEXT, text);
  // Only the payload can hold characters outside ASCII; measuring it alone leaves the whole
  // text unflattened (the block's text copies it once, later).
  const size = text.length + utf8Length(payloadText) - payloadText.length;
  if (size > MAX_TX_BYTES)
    throw new LedgerError(
      { code: 'TX_TOO_LARGE', size },
      `transaction is ${size} bytes; the limit is ${MAX_TX_BYTES}`,
    );
  return { tx: t as unknown as SignedTx, size };
}

// The canonical text of checked ids and signatures (no escaping needed); one item, the usual
// case, without an intermediate array.
function quotedList(ids: readonly string[]): string {
  return ids.length === 1 ? `"${ids[0]!}"` : ids.map((x) => `"${x}"`).join(',');
}

function signaturesText(sigs: readonly TxSignature[]): string {
  const one = (x: TxSignature): string => `{"sig":"${x.sig}","signer":"${x.signer}"}`;
  return sigs.length === 1 ? one(sigs[0]!) : sigs.map(one).join(',');
}

/** An id-like string item of an array (at most 128 characters); throws naming `path[i]field`. */
function strItem(v: unknown, path: string, i: number, field: string, pattern: RegExp): string {
  if (typeof v === 'string' && v.length > 0 && v.length <= 128 && pattern.test(v)) return v;
  return str(v, `${path}[${i}]${field}`, C, 128, pattern);
}

// Canonical unpadded base64url of exactly 16 and 64 bytes: 22 and 86 characters whose last
// character leaves the 4 unused bits zero (RFC 4648 §3.5).
const B64U_16 = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const B64U_64 = /^[A-Za-z0-9_-]{85}[AQgw]$/;
