/**
 * `patient.careteam` — the patient names the doctors responsible for them: the only members
 * who may write the patient's records (and send them first over STT). Signed by the patient.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { getMember } from '../../identity.js';
import { asJson, getCareTeam, keys } from '../../records/state.js';
import { HEX32, arr, obj, onlyKeys, str } from '../../validate.js';

export interface SetCareTeamPayload {
  add: string[];
  remove: string[];
}

const C = 'INVALID_PAYLOAD';
// A list left out is empty; a null one is a mistake, refused like any other non-list.
const ids = (v: unknown, path: string): string[] =>
  arr(v === undefined ? [] : v, path, C, 0, 64).map((x, i) => str(x, `${path}[${i}]`, C, 64, HEX32));

export const processSetCareTeam: Contract<SetCareTeamPayload> = {
  type: 'patient.careteam',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['add', 'remove'], 'payload', C);
    return { add: ids(p.add, 'payload.add'), remove: ids(p.remove, 'payload.remove') };
  },
  execute(ctx, p) {
    const patient = ctx.signers[0];
    if (ctx.signers.length !== 1 || patient?.kind !== 'member' || patient.role !== 'patient')
      return fail('UNAUTHORIZED', 'the patient alone sets their care team');
    for (const d of p.add) {
      const m = getMember(ctx.state, d);
      if (!m || m.revokedAt !== undefined || m.role !== 'doctor')
        return fail('BAD_CARE_TEAM', `${d} is not an enrolled doctor`);
    }
    const team = getCareTeam(ctx.state, patient.id).filter((d) => !p.remove.includes(d));
    for (const d of p.add) if (!team.includes(d)) team.push(d);
    ctx.state.put(keys.careTeam(patient.id), asJson(team.sort()));
    ctx.emit({ type: 'careteam.changed', patient: patient.id, add: p.add, remove: p.remove });
    return OK;
  },
};
