/**
 * @medledger/crypto — the cryptographic primitives of medledger. No I/O, no clock; every
 * function that needs randomness takes an optional `RandomSource`. Schemes live one per file;
 * the package's `exports` lists the public subpaths (the pairing- and WASM-based schemes, below)
 * and every other module is internal.
 */
export * from './assert.js';
export * from './bytes.js';
export * from './jcs.js';
export * from './hash.js';
export * from './merkle.js';
export * from './sig.js';
export * from './random.js';
export * from './keystore.js';
export * from './x509.js';
export * from './csr.js';
export * from './tls-cert.js';
export * from './aead.js';
export * from './envelope.js';
export * from './pseudonym.js';
export * from './commitment.js';
// Pairing- and WASM-based schemes are imported by subpath only, so that importing this
// module never loads a WASM runtime: '@medledger/crypto/abe', '/pre', '/he', '/peks',
// '/credentials', '/groupsig', '/ring', '/zk'.
export * from './shamir.js';
export * from './secagg.js';
export * from './dp.js';
