/**
 * Governance proposals: a change of the consortium (add or remove an organization, rotate a
 * node key) as an unsigned transaction body that travels as a JSON file from founder to
 * founder. Each founder adds its root key's signature on its own machine; when every listed
 * signer has signed, the proposal becomes a transaction to submit.
 *
 * The body lists its signers and the transaction id covers that list, so the proposer picks
 * the founders who will sign (at least the threshold). The body's `createdAt` starts the
 * chain's transaction lifetime (`txTtlMs`, one hour by default): submit within it.
 *
 * @example
 * let p = removeOrgProposal({ chainId, org: 'labD', reason: 'left', founders: ['a', 'b'], createdAt: Date.now() });
 * p = signProposal(p, 'a', rootKeyA); // on a's machine
 * p = signProposal(p, 'b', rootKeyB); // on b's machine
 * await new MedledgerClient(url).submitAndWait(assembleProposal(p));
 */
import { fromB64u, randomBytes, toB64u, type JsonValue, type RandomSource } from '@medledger/crypto';
import {
  LedgerError,
  createTxBody,
  defaultContracts,
  parsePayload,
  parseTx,
  signTxBody,
  type OrgCard,
  type SignedTx,
  type TxBody,
  type TxSignature,
} from '@medledger/core';
import { B64U, arr, obj, onlyKeys, str } from '@medledger/core/validate';
import { assembleTx } from '../wallet.js';

export const PROPOSAL_KIND = 'medledger/governance-proposal/v1';

/** The transaction types a proposal may carry. */
export const GOVERNANCE_TYPES = [
  'consortium.add-org',
  'consortium.remove-org',
  'consortium.rotate-node-key',
  'consortium.record-policy',
] as const;
export type GovernanceType = (typeof GOVERNANCE_TYPES)[number];

/** A governance change on its way from founder to founder. */
export interface GovernanceProposal {
  kind: typeof PROPOSAL_KIND;
  body: TxBody;
  /** The signatures gathered so far, at most one per listed signer. */
  signatures: TxSignature[];
}

interface Common {
  chainId: string;
  /** Founders (organization ids) who will sign; at least the threshold of them. */
  founders: string[];
  /** Creation time, ms since the epoch (the chain refuses it after `txTtlMs`). */
  createdAt: number;
  random?: RandomSource;
}

/** Parameters of {@link addOrgProposal}: the card and the proof the new organization made. */
export interface AddOrgProposalParameters extends Common {
  card: OrgCard;
  proof: string;
}

/** A proposal to add the organization of `card`. */
export function addOrgProposal(p: AddOrgProposalParameters): GovernanceProposal {
  return proposal(p, 'consortium.add-org', { card: p.card as unknown as JsonValue, proof: p.proof }, []);
}

/** A proposal to remove organization `org`. */
export function removeOrgProposal(p: Common & { org: string; reason: string }): GovernanceProposal {
  return proposal(p, 'consortium.remove-org', { org: p.org, reason: p.reason }, []);
}

/**
 * A proposal to set the consortium's minimum quorum of DSS records (core records/quorumPolicy.ts):
 * `{ default, categories?, resourceTypes? }`, each a number of responsible doctors.
 */
export function recordPolicyProposal(p: Common & { dss: { [k: string]: JsonValue } }): GovernanceProposal {
  return proposal(p, 'consortium.record-policy', { dss: p.dss }, []);
}

/** A proposal to give `org`'s node the key `nodeKey` (SPKI, base64url); `org` signs it too. */
export function rotateNodeKeyProposal(p: Common & { org: string; nodeKey: string }): GovernanceProposal {
  return proposal(p, 'consortium.rotate-node-key', { org: p.org, nodeKey: p.nodeKey }, [p.org]);
}

function proposal(
  p: Common,
  type: GovernanceType,
  payload: { [k: string]: JsonValue },
  also: string[],
): GovernanceProposal {
  const body = createTxBody({
    chainId: p.chainId,
    type,
    payload,
    signers: [...p.founders, ...also].map((o) => `org:${o}`),
    nonce: (p.random ?? randomBytes)(16),
    createdAt: p.createdAt,
  });
  return parseProposal({ kind: PROPOSAL_KIND, body, signatures: [] });
}

/**
 * Adds organization `org`'s root-key signature. Signing again replaces its earlier signature:
 * a founder counts once.
 * @throws LedgerError NOT_A_SIGNER if `org:<org>` is not a listed signer
 */
export function signProposal(
  p: GovernanceProposal,
  org: string,
  rootPrivateKey: Uint8Array,
): GovernanceProposal {
  const signer = `org:${org}`;
  if (!p.body.signers.includes(signer))
    throw new LedgerError(
      { code: 'NOT_A_SIGNER', signer },
      `${signer} is not a listed signer of this proposal (listed: ${p.body.signers.join(', ')})`,
    );
  const sig = signTxBody(p.body, signer, rootPrivateKey);
  return { ...p, signatures: [...p.signatures.filter((s) => s.signer !== signer), sig] };
}

/** Listed signers whose signature is still missing. */
export function missingSigners(p: GovernanceProposal): string[] {
  const have = new Set(p.signatures.map((s) => s.signer));
  return p.body.signers.filter((s) => !have.has(s));
}

/**
 * The signed transaction, once every listed signer has signed.
 * @throws LedgerError PROPOSAL_INCOMPLETE naming the missing signers
 */
export function assembleProposal(p: GovernanceProposal): SignedTx {
  const missing = missingSigners(p);
  if (missing.length > 0)
    throw new LedgerError(
      { code: 'PROPOSAL_INCOMPLETE', missing },
      `not signed yet by ${missing.join(', ')}; every listed signer signs before the proposal is submitted`,
    );
  return assembleTx(p.body, p.signatures);
}

const C = 'MALFORMED_PROPOSAL';
// A well-formed stand-in signature: lets parseTx check the body, the one definition of a valid one.
const STAND_IN = toB64u(new Uint8Array(64));

/**
 * Reads a proposal (untrusted JSON): a valid transaction body of a governance type whose
 * payload its contract accepts, and at most one well-formed signature per listed signer.
 * Does not verify signatures (that needs the signers' keys from the ledger; the node does).
 * @throws LedgerError MALFORMED_PROPOSAL naming the first bad field
 */
export function parseProposal(input: unknown): GovernanceProposal {
  const o = obj(input, 'proposal', C);
  onlyKeys(o, ['kind', 'body', 'signatures'], 'proposal', C);
  if (o.kind !== PROPOSAL_KIND)
    throw new LedgerError({ code: C, path: 'proposal.kind' }, `proposal.kind: must be ${PROPOSAL_KIND}`);
  const body = obj(o.body, 'proposal.body', C) as unknown as TxBody;
  const signers = Array.isArray(body.signers) ? (body.signers as unknown[]) : [];
  try {
    parseTx({ body, signatures: signers.map((signer) => ({ signer, sig: STAND_IN })) });
  } catch (e) {
    throw new LedgerError({ code: C }, (e as Error).message.replace(/^tx\./, 'proposal.'));
  }
  if (!(GOVERNANCE_TYPES as readonly string[]).includes(body.type))
    throw new LedgerError(
      { code: C, path: 'proposal.body.type' },
      `proposal.body.type: must be one of ${GOVERNANCE_TYPES.join(', ')}`,
    );
  try {
    parsePayload(defaultContracts().get(body.type)!, body);
  } catch (e) {
    throw new LedgerError({ code: C }, `proposal.body.${(e as Error).message}`);
  }
  const seen = new Set<string>();
  const signatures = arr(o.signatures, 'proposal.signatures', C, 0, signers.length).map((x, i) => {
    const p = `proposal.signatures[${i}]`;
    const s = obj(x, p, C);
    onlyKeys(s, ['signer', 'sig'], p, C);
    const signer = str(s.signer, `${p}.signer`, C, 128);
    if (!body.signers.includes(signer) || seen.has(signer))
      throw new LedgerError({ code: C, path: p }, `${p}: ${signer} is not listed, or signs twice`);
    seen.add(signer);
    const sig = str(s.sig, `${p}.sig`, C, 86, B64U);
    if (!isSignatureText(sig))
      throw new LedgerError({ code: C, path: `${p}.sig` }, `${p}.sig: must be 64 bytes of base64url`);
    return { signer, sig };
  });
  return { kind: PROPOSAL_KIND, body, signatures };
}

function isSignatureText(sig: string): boolean {
  try {
    return fromB64u(sig).length === 64;
  } catch {
    return false;
  }
}
