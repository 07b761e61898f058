/**
 * Routes of federated-learning studies (a ServerPlugin). Every route is a member-signed read
 * of what the ledger holds; studies are opened, joined and run with transactions
 * (`POST /v1/txs`, client/src/fl/tx.ts):
 *   GET /v1/fl/studies                              every study: id, title, status, round
 *   GET /v1/fl/studies/:id                          the study, its current round, its latest model
 *   GET /v1/fl/studies/:id/rounds/:r                a round (phase, participants, contribution
 *                                                   records) and the model it produced
 *   GET /v1/fl/studies/:id/rounds/:r/transcript     the round's posts: what anyone needs to
 *                                                   recompute its aggregate (client verifyRound)
 *   GET /v1/fl/studies/:id/result                   the study, every round's summary, the latest model
 * Nothing here is secret beyond what the ledger already shows to members: masked updates,
 * sealed shares, revealed shares that open only the masks the protocol lets go, and models.
 */
import { API } from '@medledger/client';
import { serve } from '../contract.js';
import type { FastifyInstance } from 'fastify';
import type { StateReader } from '@medledger/core';
import {
  getModel,
  getRound,
  getStudy,
  getStudyIds,
  readRoundTranscript,
  type FlModel,
  type FlStudy,
} from '@medledger/core/contracts/fl';
import type { MedledgerNode } from '../../node.js';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';

const ID = /^[A-Za-z0-9._:@-]{1,64}$/;

/** The latest model of a study: that of its last done round. */
function latestModel(state: StateReader, study: FlStudy): FlModel | undefined {
  for (let r = study.round; r >= 0; r--) {
    const m = getModel(state, study.studyId, r);
    if (m) return m;
  }
  return undefined;
}

export function flRoutes(auth: RequestAuthenticator): ServerPlugin {
  return (app: FastifyInstance, node: MedledgerNode) => {
    const state: StateReader = { get: (k) => node.stateValue(k), hasCommittedTx: () => false };
    const studyOf = (params: unknown): FlStudy => {
      const { id } = params as { id: string };
      if (!ID.test(id))
        throw new HttpError('MALFORMED_REQUEST', 'a study id is 1-64 characters of [A-Za-z0-9._:@-]');
      const study = getStudy(state, id);
      if (!study) throw new HttpError('NOT_FOUND', `no study ${id}`);
      return study;
    };
    const roundOf = (study: FlStudy, params: unknown) => {
      const r = Number((params as { r: string }).r);
      if (!Number.isSafeInteger(r) || r < 0)
        throw new HttpError('MALFORMED_REQUEST', 'a round is a non-negative integer');
      const round = getRound(state, study.studyId, r);
      if (!round) throw new HttpError('NOT_FOUND', `study ${study.studyId} has no round ${r}`);
      return round;
    };

    serve(app, API.fl.studies, async (req) => {
      auth.authenticate(req);
      const studies = getStudyIds(state)
        .map((id) => getStudy(state, id))
        .filter((s): s is FlStudy => s !== undefined)
        .map((s) => ({ studyId: s.studyId, title: s.title, status: s.status, round: s.round }));
      return { studies };
    });

    serve(app, API.fl.study, async (req) => {
      auth.authenticate(req);
      const study = studyOf(req.params);
      const round = study.status === 'joining' ? undefined : getRound(state, study.studyId, study.round);
      const model = latestModel(state, study);
      return { study, ...(round ? { round } : {}), ...(model ? { model } : {}) };
    });

    serve(app, API.fl.round, async (req) => {
      auth.authenticate(req);
      const study = studyOf(req.params);
      const round = roundOf(study, req.params);
      const model = getModel(state, study.studyId, round.round);
      return { round, ...(model ? { model } : {}) };
    });

    serve(app, API.fl.transcript, async (req) => {
      auth.authenticate(req);
      const study = studyOf(req.params);
      const round = roundOf(study, req.params);
      const model = getModel(state, study.studyId, round.round);
      return { ...readRoundTranscript(state, node.chainId, study, round), ...(model ? { model } : {}) };
    });

    serve(app, API.fl.result, async (req) => {
      auth.authenticate(req);
      const study = studyOf(req.params);
      const rounds = [];
      if (study.status !== 'joining')
        for (let r = 0; r <= study.round; r++) {
          const round = getRound(state, study.studyId, r);
          if (round) rounds.push(round);
        }
      const model = latestModel(state, study);
      return { study, rounds, ...(model ? { model } : {}) };
    });
  };
}
