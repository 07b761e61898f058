/**
 * Ledger state of federated-learning studies with secure aggregation (survey §7.1, DeepChain;
 * protocol of Bonawitz et al. 2017, see packages/crypto/docs/fl.md). Keys:
 *   fl:studies                       ids of every study, in order of opening
 *   fl:study:<studyId>               FlStudy: the protocol, the participants, where it stands
 *   fl:round:<studyId>:<r>           FlRound: phase, who took part, contribution records
 *   fl:keys:<studyId>:<r>:<org>      FlKeysPost: the participant's two X25519 keys of round r
 *   fl:shares:<studyId>:<r>:<org>    FlSharesPost: Shamir shares sealed to the other participants
 *   fl:update:<studyId>:<r>:<org>    FlUpdatePost: the masked update, its record count, a commitment
 *   fl:unmask:<studyId>:<r>:<org>    FlUnmaskPost: shares revealed to remove the masks
 *   fl:model:<studyId>:<r>           FlModel: the model after round r, with the aggregate it follows from
 * Round 0 aggregates feature sums and sums of squares (the standardization of the features);
 * rounds 1..rounds aggregate record-weighted model updates (federated averaging).
 */
import type { JsonValue } from '@medledger/crypto';
import type { StateReader } from '../../state.js';

/** Phases of a round, in order; a round ends `done` or `failed`. */
export type FlPhase = 'keys' | 'shares' | 'masked' | 'unmask' | 'done' | 'failed';
/** What a round aggregates. */
export type FlRoundKind = 'moments' | 'train';
/** Where a study stands. */
export type FlStudyStatus = 'joining' | 'running' | 'done' | 'failed';

/** Most participants of one study (each posts a share to every other one in one transaction). */
export const FL_MAX_PARTICIPANTS = 32;
/** Most features of a model. */
export const FL_MAX_FEATURES = 512;
/** Most records one participant may report for one round. */
export const FL_MAX_RECORDS = 10_000_000;

/** The protocol of a study, as opened by a researcher. */
export interface FlStudySpec {
  studyId: string;
  title: string;
  /** Logistic regression over `features` standardized features (weights and a bias). */
  model: { kind: 'logreg'; features: number };
  /** Federated averaging: `rounds` training rounds of `localEpochs` full-batch gradient steps. */
  hyper: { rounds: number; localEpochs: number; learningRate: number; l2: number };
  /** The records a participant considers (its EHR records of this type, category and code). */
  selection: { resourceType: string; category: string; code: string };
  /** Participating organizations (CDOs), sorted; a participant's Shamir x is its index + 1. */
  participants: string[];
  /** Shares needed to unmask (t): at least 2, at most the number of participants. */
  threshold: number;
  /** The organization whose node computes and publishes each round's aggregate. */
  aggregator: string;
  /** How long a phase waits for missing participants (ms of block time). */
  phaseMs: number;
  /** How long the study waits for every participant to join (ms of block time). */
  joinMs: number;
  /**
   * Differential privacy of the training rounds (optional; needs `localEpochs` 1): each
   * participant sends −lr·(Σ per-record gradients clipped to L2 norm `clip` + its share of
   * Gaussian noise), the shares summing to at least N(0, (noiseMultiplier·clip)²) per weight
   * over any t participants. The ledger cannot check that noise was added; see docs/fl.md.
   */
  dp?: { clip: number; noiseMultiplier: number; delta: number };
}

/** A study on the ledger. */
export interface FlStudy extends FlStudySpec {
  /** The researcher who opened it: eligibility is "may this member read the record for research". */
  principal: string;
  /** The principal's organization (a research institute). */
  org: string;
  openedAt: number;
  openedHeight: number;
  joinDeadline: number;
  joined: string[];
  status: FlStudyStatus;
  /** The current round (0 = moments); after the last round, `hyper.rounds`. */
  round: number;
  /** Participants of the rounds: the joined ones once the study runs. */
  active: string[];
  failure?: string;
}

/** What a participant's round came to. */
export type FlContributionStatus = 'included' | 'dropped' | 'absent' | 'late' | 'malformed';

/** A participant's contribution record of one round (the DeepChain incentive record). */
export interface FlContribution {
  status: FlContributionStatus;
  /** The phase in which it went wrong (for all but 'included'). */
  phase?: 'keys' | 'shares' | 'masked' | 'unmask';
  /** Records it used ('included' and 'late' / 'malformed' updates that stated it). */
  records?: number;
  reason?: string;
  /** Height of the transaction that caused the record (late and malformed posts). */
  height?: number;
}

/** One round of a study. */
export interface FlRound {
  studyId: string;
  round: number;
  kind: FlRoundKind;
  /** Length of the aggregated vector. */
  dimension: number;
  phase: FlPhase;
  /** Block time from which `fl.advance` may close the current phase. */
  deadline: number;
  /** Block time and height the round opened at: eligibility is decided against this state. */
  openedAt: number;
  openedHeight: number;
  /** Who may post in the current phase, and who has. */
  expected: string[];
  posted: string[];
  /** Posted keys (U1), dealt shares (U2), sent a valid masked update (U3). */
  u1?: string[];
  u2?: string[];
  u3?: string[];
  contributions: { [org: string]: FlContribution };
  /** Set when done: total records of U3 and the new model's hash. */
  records?: number;
  modelHash?: string;
  closedAt?: number;
  closedHeight?: number;
  failure?: string;
}

/** Round keys: X25519 public keys, base64url (c: shares are sealed to it; s: mask agreement). */
export interface FlKeysPost {
  c: string;
  s: string;
  height: number;
}

/** Dealt shares: a commitment to the self-mask seed and one sealed envelope per other participant. */
export interface FlSharesPost {
  /** selfMaskCommitment(b_u, context), hex. */
  bCommit: string;
  /** Envelope JSON (crypto envelope.ts) sealed to the recipient's `c` key, by recipient org. */
  shares: { [org: string]: JsonValue };
  height: number;
}

/** A masked update. */
export interface FlUpdatePost {
  /** y_u, 16 bytes per element, base64url. */
  masked: string;
  records: number;
  /** Salted hash commitment to (update, record ids) the participant can open to an auditor, hex. */
  commitment: string;
  height: number;
}

/** Revealed shares (66-byte values, base64url): b-shares of U3, s-shares of U2 \ U3. */
export interface FlUnmaskPost {
  b: { [org: string]: string };
  s: { [org: string]: string };
  height: number;
}

/** The model after a round, and the aggregate it follows from. */
export interface FlModel {
  studyId: string;
  round: number;
  kind: FlRoundKind;
  /** Records the aggregate covers. */
  records: number;
  /** The unmasked sum, 16 bytes per element, base64url. */
  aggregate: string;
  /** Standardization: x ↦ (x − mean) / std, per feature. */
  mean: number[];
  std: number[];
  /** Logistic regression weights, the bias last. */
  weights: number[];
  /** modelHashOf(studyId, round, mean, std, weights). */
  hash: string;
}

export const flKeys = {
  studies: (): string => 'fl:studies',
  study: (id: string): string => `fl:study:${id}`,
  round: (id: string, r: number): string => `fl:round:${id}:${r}`,
  keys: (id: string, r: number, org: string): string => `fl:keys:${id}:${r}:${org}`,
  shares: (id: string, r: number, org: string): string => `fl:shares:${id}:${r}:${org}`,
  update: (id: string, r: number, org: string): string => `fl:update:${id}:${r}:${org}`,
  unmask: (id: string, r: number, org: string): string => `fl:unmask:${id}:${r}:${org}`,
  model: (id: string, r: number): string => `fl:model:${id}:${r}`,
};

/**
 * Values read from state are shared with the node's read cache: never change them. Contracts
 * that update a study or a round take a copy with {@link editStudy} / {@link editRound}.
 */
export const getStudy = (s: StateReader, id: string): FlStudy | undefined =>
  s.get(flKeys.study(id)) as FlStudy | undefined;
export const getRound = (s: StateReader, id: string, r: number): FlRound | undefined =>
  s.get(flKeys.round(id, r)) as FlRound | undefined;
export const getModel = (s: StateReader, id: string, r: number): FlModel | undefined =>
  s.get(flKeys.model(id, r)) as FlModel | undefined;
/** A copy of a study to change and write back (a contract's working value). */
export const editStudy = (s: StateReader, id: string): FlStudy | undefined => copy(getStudy(s, id));
/** A copy of a round to change and write back (a contract's working value). */
export const editRound = (s: StateReader, id: string, r: number): FlRound | undefined =>
  copy(getRound(s, id, r));
const copy = <T>(v: T | undefined): T | undefined => (v === undefined ? undefined : structuredClone(v));
export const getStudyIds = (s: StateReader): string[] =>
  (s.get(flKeys.studies()) as string[] | undefined) ?? [];

/** A participant's Shamir x-coordinate: its position in the study's sorted participants, plus one. */
export function participantX(study: FlStudySpec, org: string): number {
  const i = study.participants.indexOf(org);
  if (i < 0) throw new RangeError(`${org} is not a participant`);
  return i + 1;
}

/** The length of a round's vector: feature sums and sums of squares, or weights and bias. */
export function roundDimension(study: FlStudySpec, kind: FlRoundKind): number {
  return kind === 'moments' ? 2 * study.model.features : study.model.features + 1;
}

export const asJson = <T>(v: T): JsonValue => v as unknown as JsonValue;
