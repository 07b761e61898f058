/**
 * A credential issuer's state as JSON, for the node's sealed service store
 * (orgServices/stateStore.ts): the BBS issuer key pair, the revocation accumulator with its
 * secret key (RevocationRegistry.toJson), the register of credential ids issued per member,
 * the revoked members and the updates not yet committed. Secret: only ever stored sealed.
 */
import { fromB64u, toB64u, type JsonValue } from '@medledger/crypto';
import {
  RevocationRegistry,
  revocationUpdateFromJson,
  revocationUpdateToJson,
} from '@medledger/crypto/credentials';
import type { IssuerState } from './issuer.js';

interface Json {
  v: 1;
  secretKey: string;
  publicKey: string;
  registry: { secretKey: string; accumulated: string; members: string[] };
  issued: Record<string, string[]>;
  revokedMembers: string[];
  pending: Record<string, string>[];
}

/** The state as JSON (secret). */
export function issuerStateToJson(s: IssuerState): JsonValue {
  const j: Json = {
    v: 1,
    secretKey: toB64u(s.keys.secretKey),
    publicKey: toB64u(s.keys.publicKey),
    registry: s.registry.toJson(),
    issued: Object.fromEntries([...s.issued].map(([m, ids]) => [m, ids.map(toB64u)])),
    revokedMembers: [...s.revokedMembers].sort(),
    pending: s.pending.map(revocationUpdateToJson),
  };
  return j as unknown as JsonValue;
}

/**
 * Parses {@link issuerStateToJson}.
 * @throws TypeError on malformed state
 */
export async function issuerStateFromJson(v: JsonValue): Promise<IssuerState> {
  const j = v as unknown as Json;
  if (typeof j !== 'object' || j === null || j.v !== 1) throw new TypeError('issuer state: not version 1');
  return {
    keys: { secretKey: fromB64u(j.secretKey), publicKey: fromB64u(j.publicKey) },
    registry: await RevocationRegistry.fromJson(j.registry),
    issued: new Map(Object.entries(j.issued).map(([m, ids]) => [m, ids.map(fromB64u)])),
    revokedMembers: new Set(j.revokedMembers),
    pending: j.pending.map(revocationUpdateFromJson),
  };
}
