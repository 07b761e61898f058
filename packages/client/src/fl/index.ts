/** Client side of federated-learning studies: transactions, a participant's protocol steps, reads and checks. */
export * from './tx.js';
export * from './protocol.js';
export * from './client.js';
