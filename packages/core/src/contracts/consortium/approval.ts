/**
 * Who may change the consortium: at least `threshold` distinct current founders, each with
 * its root key (`org:<founder>`). A founder counts once however its signature is presented;
 * any other signer makes the change invalid rather than being ignored, so a proposal says
 * exactly who approved it. A removed founder's key resolves to no signer at all (identity.ts),
 * so its signature fails before the contract runs (ORG_REMOVED).
 */
import { fail, type ContractResult } from '../../contract.js';
import type { Governance } from '../../genesis.js';
import type { Signer } from '../../identity.js';

/**
 * Checks the signers of a governance transaction.
 * @param what the change, for messages ("adding org X")
 * @param alsoAllowed an organization whose root key may sign without being a founder (the
 *   organization whose node key is rotated); it counts toward the threshold only if it is one.
 * @returns a failure (NOT_A_FOUNDER, GOVERNANCE_THRESHOLD), or undefined if approved.
 */
export function founderApproval(
  signers: readonly Signer[],
  gov: Governance,
  what: string,
  alsoAllowed?: string,
): ContractResult | undefined {
  const founders = new Set(gov.founders);
  const approving = new Set<string>();
  for (const s of signers) {
    if (s.kind !== 'org')
      return fail(
        'NOT_A_FOUNDER',
        `${s.id} may not sign ${what}: a change of the consortium is signed with founders' root keys (org:<founder>)`,
      );
    if (founders.has(s.org)) approving.add(s.org);
    else if (s.org !== alsoAllowed)
      return fail('NOT_A_FOUNDER', `org:${s.org} is not a founder (founders: ${gov.founders.join(', ')})`);
  }
  if (approving.size < gov.threshold)
    return fail(
      'GOVERNANCE_THRESHOLD',
      `${what} needs the signatures of ${gov.threshold} founders; it has ${approving.size}` +
        `${approving.size ? ` (${[...approving].sort().join(', ')})` : ''}`,
    );
  return undefined;
}
