/**
 * World of the fl contract tests: four hospitals and a research institute on a MemChain, and
 * participants that speak the protocol with the crypto package directly (an implementation
 * independent of the client's, which the node's integration tests exercise).
 */
import {
  concatBytes,
  encodeFixedPoint,
  envelopeFromJson,
  envelopeToJson,
  fromB64u,
  generateEncryptionKeyPair,
  maskInput,
  openEnvelope,
  randomBytes,
  sealEnvelope,
  selfMaskCommitment,
  shamirShareToBytes,
  shamirSplit,
  toB64u,
  toHex,
  utf8,
  vectorToBytes,
  type EncryptionKeyPair,
  type JsonValue,
} from '@medledger/crypto';
import type { SignedTx } from '../src/index.js';
import {
  getRound,
  getStudy,
  participantX,
  roundContext,
  type FlRound,
  type FlSharesPost,
  type FlStudy,
} from '../src/contracts/fl/index.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx, type Fixture, type Member } from './fixtures.js';

export const HOSPITALS = ['h1', 'h2', 'h3', 'h4'] as const;
export const STUDY = 'study-1';

export interface Secrets {
  c: EncryptionKeyPair;
  s: EncryptionKeyPair;
  b?: Uint8Array;
  own?: { s: Uint8Array; b: Uint8Array };
}

export interface FlWorld {
  f: Fixture;
  c: MemChain;
  researcher: Member;
  t: number;
  secrets: Map<string, Secrets>;
  tx(signer: Member | string, type: string, payload: { [k: string]: JsonValue }): SignedTx;
  run(...txs: SignedTx[]): string[];
  /** Moves block time forward without a transaction-bearing block of interest. */
  wait(ms: number): void;
  study(): FlStudy;
  round(r?: number): FlRound;
  spec(over?: { [k: string]: JsonValue }): { [k: string]: JsonValue };
  keysTx(org: string): SignedTx;
  sharesTx(org: string): Promise<SignedTx>;
  updateTx(org: string, values: number[], records: number, round?: number): SignedTx;
  unmaskTx(org: string): Promise<SignedTx>;
  /** The `fl.unmask` payload an honest participant would send. */
  unmaskPayload(org: string): Promise<{ b: { [o: string]: string }; s: { [o: string]: string } }>;
}

const aad = (ctx: Uint8Array, from: string, to: string) => concatBytes(ctx, utf8(`|share|${from}|${to}`));

export async function flWorld(): Promise<FlWorld> {
  const f = await makeFixture([...HOSPITALS, 'institute']);
  f.genesis.orgs.find((o) => o.id === 'institute')!.role = 'research';
  const c = new MemChain(f);
  const researcher = await f.member('institute', 'researcher', 'rita');
  const w: FlWorld = {
    f,
    c,
    researcher,
    t: T0 + 1000,
    secrets: new Map(),
    tx(signer, type, payload) {
      let key: [string, Uint8Array];
      if (typeof signer !== 'string') key = [signer.id, signer.keys.privateKey];
      else key = [signer, f.orgs[signer.slice(5)]!.node.privateKey];
      return makeTx(f.chainId, type, payload, [key], w.t);
    },
    run(...txs) {
      w.t += 1000;
      return c.commit(txs, w.t);
    },
    wait(ms) {
      w.t += ms;
    },
    study: () => getStudy(c.reader, STUDY)!,
    round: (r) => getRound(c.reader, STUDY, r ?? w.study().round)!,
    spec: (over = {}) => ({
      studyId: STUDY,
      title: 'toy study',
      model: { kind: 'logreg', features: 2 },
      hyper: { rounds: 2, localEpochs: 1, learningRate: 0.5, l2: 0 },
      selection: { resourceType: 'Observation', category: 'lab', code: 'x|y' },
      participants: [...HOSPITALS],
      threshold: 3,
      aggregator: 'institute',
      phaseMs: 5000,
      joinMs: 60_000,
      ...over,
    }),
    keysTx(org) {
      const s = { c: generateEncryptionKeyPair(), s: generateEncryptionKeyPair() };
      w.secrets.set(org, s);
      const r = w.study().round;
      return w.tx(`node:${org}`, 'fl.keys', {
        studyId: STUDY,
        round: r,
        c: toB64u(s.c.publicKey),
        s: toB64u(s.s.publicKey),
      });
    },
    async sharesTx(org) {
      const study = w.study();
      const round = w.round();
      const ctx = roundContext(f.chainId, STUDY, round.round);
      const sec = w.secrets.get(org)!;
      sec.b = randomBytes(32);
      const xs = round.expected.map((o) => participantX(study, o));
      const sS = shamirSplit(sec.s.privateKey, study.threshold, xs);
      const bS = shamirSplit(sec.b, study.threshold, xs);
      const shares: { [o: string]: JsonValue } = {};
      for (const [i, o] of round.expected.entries()) {
        const pair = { s: shamirShareToBytes(sS[i]!), b: shamirShareToBytes(bS[i]!) };
        if (o === org) {
          sec.own = pair;
          continue;
        }
        const env = await sealEnvelope({
          plaintext: concatBytes(Uint8Array.of(1), pair.s, pair.b),
          receivers: [{ id: o, publicKey: w.secrets.get(o)!.c.publicKey }],
          aad: aad(ctx, org, o),
        });
        shares[o] = envelopeToJson(env) as unknown as JsonValue;
      }
      return w.tx(`node:${org}`, 'fl.shares', {
        studyId: STUDY,
        round: round.round,
        bCommit: toHex(selfMaskCommitment(sec.b, ctx)),
        shares,
      });
    },
    updateTx(org, values, records, r) {
      const round = w.round(r);
      const sec = w.secrets.get(org)!;
      const peers = (round.u2 ?? [])
        .filter((o) => o !== org)
        .map((o) => ({ id: o, publicKey: w.secrets.get(o)!.s.publicKey }));
      const y = maskInput({
        input: encodeFixedPoint(values),
        selfSeed: sec.b!,
        self: org,
        privateKey: sec.s.privateKey,
        peers,
        context: roundContext(f.chainId, STUDY, round.round),
      });
      return w.tx(`node:${org}`, 'fl.update', {
        studyId: STUDY,
        round: round.round,
        masked: toB64u(vectorToBytes(y)),
        records,
        commitment: '00'.repeat(32),
      });
    },
    async unmaskPayload(org) {
      const round = w.round();
      const ctx = roundContext(f.chainId, STUDY, round.round);
      const sec = w.secrets.get(org)!;
      const pair = async (from: string) => {
        if (from === org) return sec.own!;
        const post = c.state.get(`fl:shares:${STUDY}:${round.round}:${from}`) as unknown as FlSharesPost;
        const plain = await openEnvelope(
          envelopeFromJson(post.shares[org]),
          { id: org, privateKey: sec.c.privateKey },
          aad(ctx, from, org),
        );
        return { s: plain.slice(1, 67), b: plain.slice(67) };
      };
      const u3 = round.u3 ?? [];
      const out = { b: {} as { [o: string]: string }, s: {} as { [o: string]: string } };
      for (const u of u3) out.b[u] = toB64u((await pair(u)).b);
      for (const d of (round.u2 ?? []).filter((o) => !u3.includes(o))) out.s[d] = toB64u((await pair(d)).s);
      return out;
    },
    async unmaskTx(org) {
      return w.tx(`node:${org}`, 'fl.unmask', {
        studyId: STUDY,
        round: w.round().round,
        ...(await w.unmaskPayload(org)),
      });
    },
  };
  const codes = w.run(enrollTx(f, 'institute', researcher, w.t));
  if (codes[0] !== 'OK') throw new Error(`enrolment failed: ${codes[0]}`);
  return w;
}

/** Opens the study and has every hospital join. */
export function openAndJoin(w: FlWorld, over: { [k: string]: JsonValue } = {}): void {
  const open = w.run(w.tx(w.researcher, 'fl.open', w.spec(over)));
  if (open[0] !== 'OK') throw new Error(`open: ${open[0]}`);
  const participants = (over.participants as string[] | undefined) ?? [...HOSPITALS];
  const joined = w.run(...participants.map((h) => w.tx(`node:${h}`, 'fl.join', { studyId: STUDY })));
  if (!joined.every((x) => x === 'OK')) throw new Error(`join: ${joined.join(',')}`);
}

export { fromB64u, T0 };
