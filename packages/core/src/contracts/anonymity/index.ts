/** Contracts of the anonymity schemes (group- and ring-signed transactions, ZK predicates). */
import type { Contract } from '../../contract.js';

export const anonymityContracts: Contract<never>[] = [];
