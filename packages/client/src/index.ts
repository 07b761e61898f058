/** @medledger/client — wallet (client-side signing), HTTP client and light-client checks. */
export * from './wallet.js';
export * from './http.js';
export * from './lightClient.js';
export * from './auth.js';
export * from './notifications.js';
export * from './confidentiality.js';
export * from './anonymity.js';
export * from './records.js';
export * from './recordCrypto.js';
export * from './chain.js';
export * from './consortium/index.js';
export * from './ledgerApi.js';
export * from './pharmacy/index.js';
export * from './supply/index.js';
export * from './payments/index.js';
export * from './fl/index.js';
export * from './orgServices/index.js';
