/**
 * Access decisions: the pure rules for reading a patient's record, shared by the consent
 * contract and the off-chain EHR store.
 */
export * from './types.js';
export * from './decideRead.js';
export * from './validateGrant.js';
export * from './decideRecordRead.js';
