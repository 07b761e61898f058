/** Contracts of the confidentiality schemes (ABE-encrypted STT, emergency PRE, HE sums, PEKS). */
import type { Contract } from '../../contract.js';

export const confidentialityContracts: Contract<never>[] = [];
