/**
 * Transactions of federated-learning studies (contracts in core/src/contracts/fl). A study is
 * opened by a researcher's wallet; every other transaction is signed by an organization's node
 * key (`node:<org>`): participants' posts and the aggregator's aggregate.
 */
import type { JsonValue } from '@medledger/crypto';
import type { SignedTx, TxType } from '@medledger/core';
import type { FlStudySpec } from '@medledger/core/contracts/fl';
import type { TxContext } from '../confidentiality.js';

const build = (c: TxContext, type: TxType, payload: { [k: string]: JsonValue }): SignedTx =>
  c.wallet.txFromJson({ chainId: c.chainId, type, payload, createdAt: c.createdAt ?? Date.now() });

/** `fl.open`, signed by a researcher of a research organization. */
export function openStudyTx(c: TxContext, spec: FlStudySpec): SignedTx {
  return build(c, 'fl.open', spec as unknown as { [k: string]: JsonValue });
}

/** `fl.join`, signed by a participant's node key. */
export function joinStudyTx(c: TxContext, studyId: string): SignedTx {
  return build(c, 'fl.join', { studyId });
}

/** `fl.keys`: the round's two X25519 public keys, base64url. */
export function postKeysTx(
  c: TxContext,
  studyId: string,
  round: number,
  keys: { c: string; s: string },
): SignedTx {
  return build(c, 'fl.keys', { studyId, round, ...keys });
}

/** `fl.shares`: the self-mask commitment and the sealed shares by recipient. */
export function postSharesTx(
  c: TxContext,
  studyId: string,
  round: number,
  dealt: { bCommit: string; shares: { [org: string]: JsonValue } },
): SignedTx {
  return build(c, 'fl.shares', { studyId, round, bCommit: dealt.bCommit, shares: dealt.shares });
}

/** `fl.update`: the masked update, its record count and the commitment to it. */
export function submitUpdateTx(
  c: TxContext,
  studyId: string,
  round: number,
  u: { masked: string; records: number; commitment: string },
): SignedTx {
  return build(c, 'fl.update', { studyId, round, ...u });
}

/** `fl.unmask`: revealed shares by owner. */
export function postUnmaskTx(
  c: TxContext,
  studyId: string,
  round: number,
  shares: { b: { [org: string]: string }; s: { [org: string]: string } },
): SignedTx {
  return build(c, 'fl.unmask', { studyId, round, b: shares.b, s: shares.s });
}

/** `fl.aggregate`, signed by the aggregator's node key. */
export function aggregateRoundTx(
  c: TxContext,
  studyId: string,
  round: number,
  claim: { aggregate: string; modelHash: string },
): SignedTx {
  return build(c, 'fl.aggregate', { studyId, round, ...claim });
}

/** `fl.advance`: closes a phase (or the join) after its deadline. */
export function advanceStudyTx(c: TxContext, studyId: string): SignedTx {
  return build(c, 'fl.advance', { studyId });
}
