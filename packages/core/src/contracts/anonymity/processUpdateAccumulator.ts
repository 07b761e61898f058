/**
 * `anon.issuer.accumulator` — an issuer publishes accumulator updates (a credential added at
 * issuance, or removed: revoked), in order. Signed by the organization's root key or by its
 * node key (the node runs the issuing service and holds the accumulator secret key anyway).
 * The updates must chain from the current value (`before` of the first is the value in the
 * state, each `after` is the next `before`); the last `after` becomes the value verifiers use
 * from this block on. Each update is kept in the state so holders can bring their witnesses
 * up to date (`updateWitness` of @medledger/crypto) without asking the issuer, and anyone can
 * audit the history. The contract cannot check that an update is a correct accumulator
 * operation (that needs the manager's secret key); the manager is trusted for that, as the
 * crypto doc says, and the history makes a dishonest "un-revoke" visible.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { arr, obj, onlyKeys } from '../../validate.js';
import { C } from './common.js';
import { bytesField } from './processRegisterIssuer.js';
import { anonKeys, asJson, getIssuer, type AccumulatorUpdateJson } from './state.js';

export interface UpdateAccumulatorPayload {
  updates: AccumulatorUpdateJson[];
}

export const processUpdateAccumulator: Contract<UpdateAccumulatorPayload> = {
  type: 'anon.issuer.accumulator',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['updates'], 'payload', C);
    const updates = arr(p.updates, 'payload.updates', C, 1, 1000).map((u, i) => {
      const path = `payload.updates[${i}]`;
      const o = obj(u, path, C);
      onlyKeys(o, ['op', 'credentialId', 'before', 'after'], path, C);
      if (o.op !== 'add' && o.op !== 'remove') malformed(C, `${path}.op`, 'must be add or remove');
      return {
        op: o.op,
        credentialId: bytesField(o.credentialId, `${path}.credentialId`, 32),
        before: bytesField(o.before, `${path}.before`, 48),
        after: bytesField(o.after, `${path}.after`, 48),
      } satisfies AccumulatorUpdateJson;
    });
    return { updates };
  },
  execute(ctx, p) {
    const s = ctx.signers[0];
    if (ctx.signers.length !== 1 || (s?.kind !== 'org' && s?.kind !== 'node'))
      return fail('UNAUTHORIZED', 'accumulator updates are signed by the issuer org or its node');
    const issuer = getIssuer(ctx.state, s.org);
    if (!issuer) return fail('UNKNOWN_ISSUER', `organization ${s.org} has no registered issuer key`);
    let acc = issuer.accumulated;
    let seq = issuer.seq;
    for (const u of p.updates) {
      if (u.before !== acc)
        return fail('ACCUMULATOR_MISMATCH', `update ${seq} does not start from the current accumulator`);
      ctx.state.put(anonKeys.accUpdate(s.org, seq), asJson(u));
      acc = u.after;
      seq += 1;
    }
    ctx.state.put(
      anonKeys.issuer(s.org),
      asJson({ ...issuer, accumulated: acc, seq, updatedAt: ctx.height }),
    );
    ctx.emit({ type: 'anon.accumulator.updated', org: s.org, seq, accumulated: acc });
    return OK;
  },
};
