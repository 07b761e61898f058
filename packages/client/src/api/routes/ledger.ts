/** The ledger's own routes (node/src/api/server.ts). */
import { route } from '../route.js';
import {
  Obj,
  Open,
  Params,
  Receipt,
  SignedTx,
  SubmitResult,
  Text,
  Type,
  UIntText,
  WaitQuery,
} from '../schema.js';

const TxWithProof = Open({
  tx: SignedTx,
  receipt: Receipt,
  proof: Obj,
  header: Obj,
  proposerSig: Type.String(),
  checkpoint: Type.Optional(Obj),
  codeProof: Type.Optional(Obj),
});

export const ledger = {
  submitTx: route({
    method: 'POST',
    path: '/v1/txs',
    auth: 'tx',
    summary: 'submit one transaction (?wait=<ms> waits for its receipt: 200 committed, 202 pending)',
    query: WaitQuery,
    body: SignedTx,
    validateBody: false,
    bodyLimit: 'tx',
    response: { 200: SubmitResult, 202: SubmitResult },
  }),
  submitBatch: route({
    method: 'POST',
    path: '/v1/txs/batch',
    auth: 'tx',
    summary: 'submit up to 10000 transactions (?wait=<ms>); each gets its own result',
    query: WaitQuery,
    body: Type.Object({ txs: Type.Array(Type.Unknown(), { maxItems: 10_000 }) }),
    bodyLimit: 'batch',
    response: { 200: Type.Object({ results: Type.Array(SubmitResult) }) },
  }),
  getTx: route({
    method: 'GET',
    path: '/v1/txs/:id',
    auth: 'member',
    summary: 'a committed transaction with its receipt, inclusion proof, header and checkpoint (?final=<ms>)',
    params: Params({ id: Text }),
    query: Type.Object({ final: Type.Optional(UIntText) }, { additionalProperties: true }),
    response: { 200: TxWithProof },
  }),
  getReceipt: route({
    method: 'GET',
    path: '/v1/txs/:id/receipt',
    auth: 'optional',
    summary: "a transaction's receipt (?wait=<ms>)",
    params: Params({ id: Text }),
    query: WaitQuery,
    response: { 200: Receipt },
  }),
  getBlock: route({
    method: 'GET',
    path: '/v1/blocks/:height',
    auth: 'member',
    summary: 'a block with the validity code of each transaction (DSS reads are logged)',
    params: Params({ height: Text }),
    response: {
      200: Open({
        block: Open({ header: Obj, txs: Type.Array(SignedTx), proposerSig: Type.String() }),
        hash: Type.String(),
        codes: Type.Array(Type.String()),
      }),
    },
  }),
  getState: route({
    method: 'GET',
    path: '/v1/state/:key',
    auth: 'member',
    summary: 'a world-state value (logged if it names a patient)',
    params: Params({ key: Text }),
    response: { 200: Type.Object({ key: Type.String(), value: Type.Unknown() }) },
  }),
  status: route({
    method: 'GET',
    path: '/v1/status',
    auth: 'public',
    summary: "the node's status: chain, organization, height, mempool",
    response: {
      200: Open({
        chainId: Type.String(),
        org: Type.String(),
        height: Type.Integer(),
        headHash: Type.String(),
      }),
    },
  }),
  genesis: route({
    method: 'GET',
    path: '/v1/genesis',
    auth: 'public',
    summary: 'the consortium genesis',
    response: { 200: Open({ chainName: Type.String() }) },
  }),
  checkpoint: route({
    method: 'GET',
    path: '/v1/checkpoints/:height',
    auth: 'public',
    summary: "a height's checkpoint and the node signatures of it this node holds",
    params: Params({ height: Text }),
    response: { 200: Open({ final: Type.Boolean() }) },
  }),
  checkpoints: route({
    method: 'GET',
    path: '/v1/checkpoints',
    auth: 'public',
    summary: 'every checkpoint signature stored for heights from..to (at most 500)',
    query: Type.Object({ from: Text, to: Type.Optional(Text) }, { additionalProperties: true }),
    response: {
      200: Type.Object({
        checkpoints: Type.Array(Type.Object({ height: Type.Integer(), signatures: Type.Array(Obj) })),
      }),
    },
  }),
  syncBlocks: route({
    method: 'GET',
    path: '/v1/sync/blocks',
    auth: 'peer',
    summary: 'stored blocks from..to (at most 64) for a peer node that syncs',
    query: Type.Object({ from: Text, to: Type.Optional(Text) }, { additionalProperties: true }),
    response: { 200: Type.Object({ blocks: Type.Array(Type.Object({ block: Obj, hash: Type.String() })) }) },
  }),
} as const;
