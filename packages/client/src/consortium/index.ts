/** Client side of consortium governance: proposals signed by founders one at a time, and proven cards. */
export * from './proposal.js';
export * from './card.js';
export * from './describe.js';
