/** Step 2 of committing a block: the pure state transition of the core. */
import {
  applyBlock,
  type ApplyResult,
  type Block,
  type ChainParams,
  type ContractRegistry,
  type KnownSignatures,
  type StateReader,
} from '@medledger/core';

export function transition(
  state: StateReader,
  block: Block,
  contracts: ContractRegistry,
  params: ChainParams,
  prevStateDigest: string,
  known: KnownSignatures,
): ApplyResult {
  return applyBlock(state, block, { contracts, params, prevStateDigest, knownSignatures: known });
}
