/**
 * @medledger/core — canonical encoding, ids, transactions, blocks, identities, and the pure
 * state machine (contracts and `applyBlock`). No I/O, no clock: time comes from the block.
 */
export * from './errors.js';
export * from './ids.js';
export * from './tx.js';
export { memoOf, memoize } from './memo.js';
export * from './block.js';
export * from './state.js';
export * from './stateList.js';
export * from './genesis.js';
export * from './identity.js';
export * from './contract.js';
export * from './apply.js';
export * from './commitRule.js';
export * from './contracts/index.js';
export * from './access/index.js';
export * from './records/state.js';
export * from './records/quorumPolicy.js';
export * from './checkpoint.js';
export * from './statement.js';
