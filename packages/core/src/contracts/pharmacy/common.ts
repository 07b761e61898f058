/** Payload parts shared by the prescription contracts: sealed envelopes and key wraps. */
import { canonicalBytes, envelopeFromJson, hashTagged, toHex, type JsonValue } from '@medledger/crypto';
import { malformed } from '../../errors.js';
import { obj, onlyKeys, str, B64U } from '../../validate.js';
import type { EnvelopeJsonValue } from './state.js';

export const C = 'INVALID_PAYLOAD';
/** Largest sealed body accepted (a MedicationRequest with its salt, or an alert). */
export const MAX_SEALED_BYTES = 16 * 1024;

/**
 * An HPKE envelope (crypto/envelope.ts, JSON form) whose receivers are exactly `labels`.
 * @throws LedgerError INVALID_PAYLOAD naming the bad field
 */
export function parseEnvelope(v: unknown, path: string, labels: readonly string[]): EnvelopeJsonValue {
  const e = obj(v, path, C);
  if (typeof e.ciphertext === 'string' && e.ciphertext.length > (MAX_SEALED_BYTES * 4) / 3 + 4)
    malformed(C, `${path}.ciphertext`, `must be at most ${MAX_SEALED_BYTES} bytes`);
  let env: ReturnType<typeof envelopeFromJson>;
  try {
    env = envelopeFromJson(e);
  } catch (err) {
    return malformed(C, path, (err as Error).message);
  }
  const ids = env.receivers.map((r) => r.id).sort();
  if (ids.join() !== [...labels].sort().join())
    malformed(C, `${path}.receivers`, `must be exactly ${labels.join(', ')}`);
  return e as EnvelopeJsonValue;
}

/** One receiver's key wrap of an envelope: `{ id, enc, wrappedKey }`. */
export interface WrapJson {
  [k: string]: JsonValue;
  id: string;
  enc: string;
  wrappedKey: string;
}

export function parseWrap(v: unknown, path: string, label: string): WrapJson {
  const w = obj(v, path, C);
  onlyKeys(w, ['id', 'enc', 'wrappedKey'], path, C);
  if (w.id !== label) malformed(C, `${path}.id`, `must be ${label}`);
  return {
    id: label,
    enc: str(w.enc, `${path}.enc`, C, 43, B64U),
    wrappedKey: str(w.wrappedKey, `${path}.wrappedKey`, C, 64, B64U),
  };
}

/** Hex hash of a key wrap, as the patient's pharmacy choice signs it. */
export function wrapHash(w: WrapJson): string {
  return toHex(
    hashTagged('medledger/rx-wrap/v1', canonicalBytes({ id: w.id, enc: w.enc, wrappedKey: w.wrappedKey })),
  );
}

/** An SPKI P-256 public key, base64url (checked by the signature verification that uses it). */
export const parseSpki = (v: unknown, path: string): string => str(v, path, C, 200, B64U);
