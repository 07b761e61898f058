/** Federated-learning studies, read from the ledger (node/src/api/routes/fl.ts). */
import { route } from '../route.js';
import { Obj, Open, Params, Text, Type } from '../schema.js';

const Study = Params({ id: Text });
const Round = Params({ id: Text, r: Text });

export const fl = {
  studies: route({
    method: 'GET',
    path: '/v1/fl/studies',
    auth: 'member',
    summary: 'every study: id, title, status, round',
    response: {
      200: Type.Object({
        studies: Type.Array(
          Type.Object({
            studyId: Type.String(),
            title: Type.String(),
            status: Type.String(),
            round: Type.Integer(),
          }),
        ),
      }),
    },
  }),
  study: route({
    method: 'GET',
    path: '/v1/fl/studies/:id',
    auth: 'member',
    summary: 'a study, its current round and its latest model',
    params: Study,
    response: { 200: Type.Object({ study: Obj, round: Type.Optional(Obj), model: Type.Optional(Obj) }) },
  }),
  round: route({
    method: 'GET',
    path: '/v1/fl/studies/:id/rounds/:r',
    auth: 'member',
    summary: 'a round (phase, participants, contributions) and the model it produced',
    params: Round,
    response: { 200: Type.Object({ round: Obj, model: Type.Optional(Obj) }) },
  }),
  transcript: route({
    method: 'GET',
    path: '/v1/fl/studies/:id/rounds/:r/transcript',
    auth: 'member',
    summary: "a round's posts: what anyone needs to recompute its aggregate",
    params: Round,
    response: { 200: Open({ model: Type.Optional(Obj) }) },
  }),
  result: route({
    method: 'GET',
    path: '/v1/fl/studies/:id/result',
    auth: 'member',
    summary: "a study, every round's summary and the latest model",
    params: Study,
    response: { 200: Type.Object({ study: Obj, rounds: Type.Array(Obj), model: Type.Optional(Obj) }) },
  }),
} as const;
