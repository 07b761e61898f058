/** @medledger/node — storage, ordering, mempool, commit pipeline and HTTP API. */
export * from './node.js';
export * from './mempool.js';
export * from './store/ledgerStore.js';
export * from './sigpool/pool.js';
export * from './ordering/orderer.js';
export * from './ordering/solo.js';
export * from './api/server.js';
export * from './api/errors.js';
export * from './datadir.js';
export * from './consortium.js';
export * from './verify/verifyLedger.js';
export * from './ehr/types.js';
export * from './ehr/memory.js';
export * from './ehr/sqlite.js';
export * from './ehr/postgres.js';
export * from './records/fhir.js';
export * from './records/category.js';
