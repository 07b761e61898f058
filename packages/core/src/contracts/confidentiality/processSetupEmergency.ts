/**
 * `emergency.setup` — the patient pre-authorizes emergency access by threshold proxy
 * re-encryption (Umbral, Nuñez 2018). With an existing emergency consent grant (`consent.grant`
 * with `emergency: true` and purpose 'emergency') for the grantee, he names n proxies (his GP,
 * a family member, a hospital's node) and gives each one re-encryption key fragment (kfrag)
 * for the grantee's PRE key; any `threshold` of them let the grantee open his PRE records
 * while he cannot consent.
 *
 * The kfrags are posted here, each sealed to its proxy (HPKE envelope, RFC 9180, to the
 * proxy's X25519 key: a member's enrolled encryption key, or the key a node published with
 * `keys.publish`). Why on the ledger rather than handed over off-chain with only a hash: in an
 * emergency the patient is unreachable, so a proxy that lost its copy could not be re-supplied;
 * the ledger is the durable, replicated store every proxy reads, and it shows the patient (and
 * an auditor) exactly which proxy holds which fragment. The cost: the sealed kfrags are
 * permanent, so a proxy key leaked years later exposes that proxy's kfrag — still one share
 * below the threshold, and revocable with `emergency.revoke`.
 *
 * Checked here: the grant (the patient's, emergency, not revoked), the grantee's published PRE
 * key when the grantee is one member, the proxies (enrolled, not the grantee, with an
 * X25519 key), distinct kfrag ids, one sealed receiver per kfrag naming its proxy. The kfrags
 * themselves are verified by each proxy against the patient's published keys.
 */
import { OK, fail, type Contract } from '../../contract.js';
import { malformed } from '../../errors.js';
import { getMember, getOrg } from '../../identity.js';
import { getGrant } from '../../records/state.js';
import { HEX32, ID, arr, int, obj, onlyKeys, str } from '../../validate.js';
import { envelopeFromJson, type JsonValue } from '@medledger/crypto';
import {
  C,
  EMERGENCY_MAX_PROXIES,
  ckeys,
  getEmergencySetup,
  getPublishedKeys,
  umbralPublicKey,
  type EmergencyProxy,
  type EmergencySetup,
} from './state.js';

export interface SetupEmergencyPayload {
  setupId: string;
  grantId: string;
  receivingPublicKey: string;
  threshold: number;
  proxies: EmergencyProxy[];
}

/** A proxy id: a member id or `node:<org>`. */
const PROXY = /^(?:[0-9a-f]{64}|node:[A-Za-z0-9._-]{1,64})$/;

/**
 * A kfrag sealed to its proxy: a whole HPKE envelope (crypto/envelope.ts: version, suite,
 * canonical base64url of the right lengths) with one receiver, the proxy.
 */
function parseSealed(v: unknown, proxy: string, path: string): { [k: string]: JsonValue } {
  const env = obj(v, path, C);
  str(env.ciphertext, `${path}.ciphertext`, C, 4096);
  let parsed: ReturnType<typeof envelopeFromJson>;
  try {
    parsed = envelopeFromJson(env);
  } catch (e) {
    return malformed(C, path, (e as Error).message);
  }
  if (parsed.receivers.length !== 1) malformed(C, `${path}.receivers`, 'must name the proxy alone');
  if (parsed.receivers[0]!.id !== proxy)
    malformed(C, `${path}.receivers[0].id`, 'must be the proxy the kfrag is sealed to');
  return env as { [k: string]: JsonValue };
}

export const processSetupEmergency: Contract<SetupEmergencyPayload> = {
  type: 'emergency.setup',
  parse(payload) {
    const p = obj(payload, 'payload', C);
    onlyKeys(p, ['setupId', 'grantId', 'receivingPublicKey', 'threshold', 'proxies'], 'payload', C);
    const proxies = arr(p.proxies, 'payload.proxies', C, 1, EMERGENCY_MAX_PROXIES).map((x, i) => {
      const path = `payload.proxies[${i}]`;
      const o = obj(x, path, C);
      onlyKeys(o, ['proxy', 'kfragId', 'sealed'], path, C);
      const proxy = str(o.proxy, `${path}.proxy`, C, 70, PROXY);
      return {
        proxy,
        kfragId: str(o.kfragId, `${path}.kfragId`, C, 64, HEX32),
        sealed: parseSealed(o.sealed, proxy, `${path}.sealed`),
      };
    });
    if (new Set(proxies.map((x) => x.proxy)).size !== proxies.length)
      malformed(C, 'payload.proxies', 'duplicate proxy');
    if (new Set(proxies.map((x) => x.kfragId)).size !== proxies.length)
      malformed(C, 'payload.proxies', 'duplicate kfrag id');
    return {
      setupId: str(p.setupId, 'payload.setupId', C, 128, ID),
      grantId: str(p.grantId, 'payload.grantId', C, 128, ID),
      receivingPublicKey: umbralPublicKey(p.receivingPublicKey, 'payload.receivingPublicKey'),
      threshold: int(p.threshold, 'payload.threshold', C, 1, proxies.length),
      proxies,
    };
  },
  execute(ctx, p) {
    const patient = ctx.signers[0];
    if (ctx.signers.length !== 1 || patient?.kind !== 'member' || patient.role !== 'patient')
      return fail('UNAUTHORIZED', 'an emergency set-up is signed by the patient alone');
    if (getEmergencySetup(ctx.state, p.setupId)) return fail('SETUP_EXISTS', `set-up ${p.setupId} exists`);
    const keys = getPublishedKeys(ctx.state, patient.id);
    if (keys?.pre === undefined || keys.preVerifying === undefined)
      return fail('NO_PRE_KEY', 'publish a PRE key and a kfrag-verifying key first (keys.publish)');
    const g = getGrant(ctx.state, p.grantId);
    if (!g || g.patientId !== patient.id)
      return fail('UNKNOWN_GRANT', `no grant ${p.grantId} of this patient`);
    if (g.emergency !== true || !g.purposes.includes('emergency'))
      return fail('NOT_AN_EMERGENCY_GRANT', `grant ${p.grantId} does not pre-authorize emergency access`);
    if (g.revokedAtHeight !== undefined) return fail('GRANT_REVOKED', `grant ${p.grantId} is revoked`);
    if (g.grantee.kind === 'member') {
      const pre = getPublishedKeys(ctx.state, g.grantee.memberId)?.pre;
      if (pre !== p.receivingPublicKey)
        return fail('WRONG_GRANTEE_KEY', "payload.receivingPublicKey is not the grantee's published PRE key");
    }
    for (const x of p.proxies) {
      if (x.proxy.startsWith('node:')) {
        const org = x.proxy.slice(5);
        if (!getOrg(ctx.state, org)) return fail('BAD_PROXY', `${x.proxy}: no such organization`);
        if (getPublishedKeys(ctx.state, x.proxy)?.x25519 === undefined)
          return fail('BAD_PROXY', `${x.proxy} has not published a proxy key`);
      } else {
        const m = getMember(ctx.state, x.proxy);
        if (!m || m.revokedAt !== undefined || m.encryptionKey === undefined)
          return fail('BAD_PROXY', `${x.proxy} is not an enrolled member with an encryption key`);
        if (g.grantee.kind === 'member' && x.proxy === g.grantee.memberId)
          return fail('BAD_PROXY', 'the grantee cannot be one of his own proxies');
      }
    }
    const setup: EmergencySetup = {
      setupId: p.setupId,
      patient: patient.id,
      grantId: p.grantId,
      delegatingPublicKey: keys.pre,
      verifyingPublicKey: keys.preVerifying,
      receivingPublicKey: p.receivingPublicKey,
      threshold: p.threshold,
      proxies: p.proxies,
      revoked: [],
      txId: ctx.txId,
      height: ctx.height,
    };
    ctx.state.put(ckeys.setup(p.setupId), setup);
    ctx.emit({
      type: 'emergency.setup',
      patient: patient.id,
      setupId: p.setupId,
      grantId: p.grantId,
      threshold: p.threshold,
      proxies: p.proxies.map((x) => x.proxy),
    });
    return OK;
  },
};
