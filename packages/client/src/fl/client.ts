/**
 * Reading federated studies from a node (`/v1/fl/...`, member-signed requests) and checking
 * them: anyone holding the transcript of a round — the posts the ledger keeps — recomputes the
 * aggregate and the model that follows (core `recomputeRound`, the same rule every node ran)
 * and compares them with the model on the ledger; a study checks when every round does and
 * each round starts from the model the previous one produced.
 */
import {
  modelHashOf,
  recomputeRound,
  type FlModel,
  type FlRound,
  type FlStudy,
  type RoundTranscript,
} from '@medledger/core/contracts/fl';
import { MedledgerClient, type RequestSigner } from '../http.js';
import { API } from '../api/index.js';

/** `GET /v1/fl/studies/:id`: the study, its current round and its latest model. */
export interface FlStudyView {
  study: FlStudy;
  round?: FlRound;
  model?: FlModel;
}

/** `GET /v1/fl/studies/:id/rounds/:r/transcript`: a round's posts, with the model it produced. */
export interface FlTranscriptView extends RoundTranscript {
  model?: FlModel;
}

/** The outcome of checking one round. */
export type VerifyRoundResult =
  | { ok: true; round: number; modelHash: string; records: number }
  | { ok: false; round: number; reason: string };

/**
 * Checks one done round from its transcript: the aggregate recomputed from the posts equals
 * the one stored with the model, the model that follows has the hash the round and the model
 * carry, and the stored model's fields hash to it.
 */
export function verifyRoundTranscript(t: FlTranscriptView): VerifyRoundResult {
  const round = t.round.round;
  const no = (reason: string): VerifyRoundResult => ({ ok: false, round, reason });
  if (t.round.phase !== 'done' || !t.model) return no(`round ${round} is ${t.round.phase}, without a model`);
  const r = recomputeRound(t);
  if (!r.ok) return no(`${r.code}: ${r.message}`);
  if (r.aggregateB64u !== t.model.aggregate) return no('the aggregate does not follow from the posts');
  if (r.model.hash !== t.round.modelHash || r.model.hash !== t.model.hash)
    return no('the model does not follow from the aggregate');
  if (modelHashOf(t.model) !== t.model.hash) return no("the stored model's fields do not match its hash");
  if (r.records !== t.round.records) return no('the record count does not match the updates');
  return { ok: true, round, modelHash: r.model.hash, records: r.records };
}

/**
 * A node's federated-learning routes.
 * @example
 * const fl = new FlClient(url, { signerId: memberId, privateKey });
 * const check = await fl.verifyStudy('wdbc-2026');
 */
export class FlClient {
  readonly http: MedledgerClient;
  constructor(baseUrl: string, signer?: RequestSigner) {
    this.http = new MedledgerClient(baseUrl, signer);
  }

  /** Every study on the ledger, briefly. */
  studies(): Promise<{ studies: { studyId: string; title: string; status: string; round: number }[] }> {
    return this.http.api.call(API.fl.studies);
  }

  study(studyId: string): Promise<FlStudyView> {
    return this.http.api.call(API.fl.study, { params: { id: studyId } }) as Promise<FlStudyView>;
  }

  round(studyId: string, round: number): Promise<{ round: FlRound; model?: FlModel }> {
    return this.http.api.call(API.fl.round, { params: { id: studyId, r: String(round) } }) as Promise<{
      round: FlRound;
      model?: FlModel;
    }>;
  }

  transcript(studyId: string, round: number): Promise<FlTranscriptView> {
    return this.http.api.call(API.fl.transcript, {
      params: { id: studyId, r: String(round) },
    }) as Promise<FlTranscriptView>;
  }

  /** The study with every round's summary and its latest model. */
  result(studyId: string): Promise<{ study: FlStudy; rounds: FlRound[]; model?: FlModel }> {
    return this.http.api.call(API.fl.result, { params: { id: studyId } }) as Promise<{
      study: FlStudy;
      rounds: FlRound[];
      model?: FlModel;
    }>;
  }

  /** Checks one round from its transcript as served (see {@link verifyRoundTranscript}). */
  async verifyRound(studyId: string, round: number): Promise<VerifyRoundResult> {
    return verifyRoundTranscript(await this.transcript(studyId, round));
  }

  /**
   * Checks every done round of a study, and that each starts from the previous round's model.
   * @returns ok with the last model's hash, or the first round that does not check
   */
  async verifyStudy(
    studyId: string,
  ): Promise<{ ok: boolean; rounds: VerifyRoundResult[]; modelHash?: string; reason?: string }> {
    const { rounds } = await this.result(studyId);
    const out: VerifyRoundResult[] = [];
    let previous: string | undefined;
    for (const r of rounds.filter((x) => x.phase === 'done')) {
      const t = await this.transcript(studyId, r.round);
      if (r.round > 0 && t.previous?.hash !== previous)
        return {
          ok: false,
          rounds: out,
          reason: `round ${r.round} does not start from round ${r.round - 1}'s model`,
        };
      const v = verifyRoundTranscript(t);
      out.push(v);
      if (!v.ok) return { ok: false, rounds: out, reason: v.reason };
      previous = v.modelHash;
    }
    return previous === undefined
      ? { ok: false, rounds: out, reason: 'no round is done' }
      : { ok: true, rounds: out, modelHash: previous };
  }
}
