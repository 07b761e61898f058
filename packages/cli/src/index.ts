/** @medledger/cli — the `medledger` command's building blocks, importable by tests. */
export * from './args.js';
export * from './commands/init.js';
export * from './commands/start.js';
export * from './commands/verify.js';
export * from './commands/keys.js';
export * from './commands/org.js';
export * from './commands/genesis.js';
export * from './commands/node.js';
export * from './commands/wallet.js';
export * from './dirs/admin.js';
export * from './dirs/wallets.js';
export * from './dirs/layout.js';
export * from './commands/consortium.js';
export * from './devSeed.js';
export * from './bench/ledger.js';
export * from './bench/verifyLimit.js';
export * from './bench/stats.js';
