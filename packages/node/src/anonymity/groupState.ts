/**
 * A group manager service's state as JSON, for the node's sealed service store
 * (orgServices/stateStore.ts): the manager (GroupManager.exportState: issuing and opening
 * keys, member table with each member's x), the group key and member table of every past
 * epoch (to open signatures made before a revocation), the revoked members and the
 * revocations published. Secret: only ever stored sealed.
 */
import { fromB64u, toB64u, type JsonValue } from '@medledger/crypto';
import { GroupManager, groupPublicKeyFromBytes, groupPublicKeyToBytes } from '@medledger/crypto/groupsig';
import { g1FromBytes, g1ToBytes } from '@medledger/crypto/groupsig';
import type { GroupServiceState } from './groups.js';

interface Json {
  v: 1;
  manager: {
    gamma: string;
    xi1: string;
    xi2: string;
    publicKey: string;
    members: { id: string; A: string; x: string }[];
  };
  epochs: { epoch: number; gpk: string; table: { id: string; A: string }[] }[];
  revoked: string[];
  revocations: { epoch: number; bytes: string }[];
}

/** The state as JSON (secret). */
export function groupStateToJson(s: GroupServiceState): JsonValue {
  const m = s.manager.exportState();
  const j: Json = {
    v: 1,
    manager: {
      gamma: toB64u(m.gamma),
      xi1: toB64u(m.xi1),
      xi2: toB64u(m.xi2),
      publicKey: toB64u(m.publicKey),
      members: m.members.map((x) => ({ id: x.id, A: toB64u(x.A), x: toB64u(x.x) })),
    },
    epochs: [...s.epochs].map(([epoch, e]) => ({
      epoch,
      gpk: toB64u(groupPublicKeyToBytes(e.gpk)),
      table: e.table.map((t) => ({ id: t.id, A: toB64u(g1ToBytes(t.A)) })),
    })),
    revoked: [...s.revoked].sort(),
    revocations: [...s.revocations].map(([epoch, b]) => ({ epoch, bytes: toB64u(b) })),
  };
  return j as unknown as JsonValue;
}

/**
 * Parses {@link groupStateToJson}; the manager is checked (GroupManager.fromState).
 * @throws TypeError on malformed or inconsistent state
 */
export function groupStateFromJson(v: JsonValue): GroupServiceState {
  const j = v as unknown as Json;
  if (typeof j !== 'object' || j === null || j.v !== 1) throw new TypeError('group state: not version 1');
  const m = j.manager;
  const manager = GroupManager.fromState({
    gamma: fromB64u(m.gamma),
    xi1: fromB64u(m.xi1),
    xi2: fromB64u(m.xi2),
    publicKey: fromB64u(m.publicKey),
    members: m.members.map((x) => ({ id: x.id, A: fromB64u(x.A), x: fromB64u(x.x) })),
  });
  return {
    manager,
    epochs: new Map(
      j.epochs.map((e) => [
        e.epoch,
        {
          gpk: groupPublicKeyFromBytes(fromB64u(e.gpk)),
          table: e.table.map((t) => ({ id: t.id, A: g1FromBytes(fromB64u(t.A), 'group state') })),
        },
      ]),
    ),
    revoked: new Set(j.revoked),
    revocations: new Map(j.revocations.map((r) => [r.epoch, fromB64u(r.bytes)])),
  };
}
