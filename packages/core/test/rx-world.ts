/**
 * A consortium in memory for the prescription and supply contract tests: a hospital with two
 * doctors, two pharmacies, a manufacturer, a distributor and a regulator; a product approved
 * by the regulator and packs commissioned, shipped and received into pharmacy 1's stock.
 */
import assert from 'node:assert/strict';
import {
  canonicalBytes,
  commit,
  envelopeToJson,
  generateEncryptionKeyPair,
  generateP256KeyPair,
  sealEnvelope,
  toB64u,
  toHex,
  utf8,
  type JsonValue,
  type P256KeyPair,
} from '@medledger/crypto';
import type { SignedTx } from '../src/index.js';
import { signStatement } from '../src/statement.js';
import { APPROVAL_TAG, approvalStatement } from '../src/contracts/supply/state.js';
import { commissionEvent, receiveEvent, shipEvent } from '../src/contracts/supply/epcis.js';
import { PHARMACY_CHOICE_TAG, pharmacyChoice } from '../src/contracts/pharmacy/state.js';
import { MemChain, T0, enrollTx, makeFixture, makeTx, type Fixture, type Member } from './fixtures.js';

export const DAY = 86_400_000;
export const GTIN = '09506000134352';
export const LOT = 'LOT-A1';

const ROLES: Record<string, string> = {
  hospital: 'cdo',
  pharmacy1: 'pharmacy',
  pharmacy2: 'pharmacy',
  pharma: 'manufacturer',
  wholesale: 'distributor',
  regulator: 'regulator',
};

export interface RxWorld {
  f: Fixture;
  c: MemChain;
  m: Record<'drA' | 'drB' | 'ph1' | 'ph2' | 'mfr' | 'dist' | 'officer', Member>;
  t: number;
  tx(m: Member, type: string, payload: { [k: string]: JsonValue }): SignedTx;
  run(...txs: SignedTx[]): string[];
  state<T>(key: string): T;
}

export async function rxWorld(): Promise<RxWorld> {
  const f = await makeFixture(Object.keys(ROLES));
  for (const o of f.genesis.orgs) (o as { role: string }).role = ROLES[o.id]!;
  const c = new MemChain(f);
  const w = {
    f,
    c,
    m: {
      drA: await f.member('hospital', 'doctor', 'dr-a'),
      drB: await f.member('hospital', 'doctor', 'dr-b'),
      ph1: await f.member('pharmacy1', 'pharmacist', 'ph-1'),
      ph2: await f.member('pharmacy2', 'pharmacist', 'ph-2'),
      mfr: await f.member('pharma', 'staff', 'mfr'),
      dist: await f.member('wholesale', 'staff', 'dist'),
      officer: await f.member('regulator', 'officer', 'officer'),
    },
    t: T0 + 1000,
  } as RxWorld;
  w.tx = (m, type, payload) => makeTx(f.chainId, type, payload, [[m.id, m.keys.privateKey]], w.t);
  w.run = (...txs) => {
    w.t += 1000;
    return c.commit(txs, w.t);
  };
  w.state = <T>(key: string): T => c.state.get(key) as T;
  const orgOf: Record<string, string> = {
    drA: 'hospital',
    drB: 'hospital',
    ph1: 'pharmacy1',
    ph2: 'pharmacy2',
    mfr: 'pharma',
    dist: 'wholesale',
    officer: 'regulator',
  };
  const codes = w.run(...Object.entries(w.m).map(([k, m]) => enrollTx(f, orgOf[k]!, m, w.t)));
  assert.ok(
    codes.every((x) => x === 'OK'),
    codes.join(),
  );
  return w;
}

/** Registers the product (2 units per pack) and puts `serials` of one lot into pharmacy 1's stock. */
export function stockPharmacy1(w: RxWorld, serials: string[], expiry = '2027-12-31'): void {
  const product = {
    gtin: GTIN,
    name: 'Oxycodone 5 mg, 2 tablets',
    code: {
      system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
      code: '1049621',
      display: 'oxycodone 5 MG',
    },
    unitsPerPack: 2,
    controlled: true,
  };
  const approval = { number: 'MA-1', issuer: w.m.officer.id, issuedAt: T0 };
  const signature = signStatement(
    APPROVAL_TAG,
    w.f.chainId,
    approvalStatement({ ...product, manufacturer: 'pharma', ...approval }),
    w.m.officer.keys.privateKey,
  );
  const packs = serials.map((serial) => ({ gtin: GTIN, serial }));
  assert.deepEqual(
    w.run(w.tx(w.m.mfr, 'supply.product', { ...product, approval: { ...approval, signature } })),
    ['OK'],
  );
  assert.deepEqual(
    w.run(
      w.tx(w.m.mfr, 'supply.commission', {
        event: commissionEvent({ time: w.t, gtin: GTIN, serials, lot: LOT, expiry }),
      }),
    ),
    ['OK'],
  );
  assert.deepEqual(
    w.run(
      w.tx(w.m.mfr, 'supply.ship', {
        event: shipEvent({ time: w.t, packs, from: 'pharma', to: 'pharmacy1' }),
      }),
    ),
    ['OK'],
  );
  assert.deepEqual(
    w.run(w.tx(w.m.ph1, 'supply.receive', { event: receiveEvent({ time: w.t, packs, to: 'pharmacy1' }) })),
    ['OK'],
  );
}

/** A prescription's payload (not controlled), its commitment and the patient's key. */
export async function rxPayload(
  w: RxWorld,
  rxId: string,
  o: { quantity: number; refills: number; pharmacy?: string; validMs?: number },
): Promise<{ payload: { [k: string]: JsonValue }; commitment: string; patientKey: P256KeyPair }> {
  const request = { resourceType: 'MedicationRequest', id: rxId, quantity: o.quantity };
  const { commitment, salt } = commit(canonicalBytes(request));
  const pharmacy = o.pharmacy ?? 'pharmacy1';
  const patientKey = generateP256KeyPair();
  const env = await sealEnvelope({
    plaintext: canonicalBytes({ request, salt: toB64u(salt) }),
    receivers: [
      { id: 'patient', publicKey: generateEncryptionKeyPair().publicKey },
      { id: 'pharmacy', publicKey: generateEncryptionKeyPair().publicKey },
    ],
    aad: utf8(rxId),
  });
  const choice = signStatement(
    PHARMACY_CHOICE_TAG,
    w.f.chainId,
    pharmacyChoice({ rxId, pharmacy, seq: 0, wrap: null }),
    patientKey.privateKey,
  );
  return {
    payload: {
      rxId,
      pharmacy,
      patientKey: toB64u(patientKey.publicKey),
      choice,
      commitment: toHex(commitment),
      envelope: envelopeToJson(env) as unknown as { [k: string]: JsonValue },
      quantity: o.quantity,
      refills: o.refills,
      expiresAt: w.t + (o.validMs ?? 30 * DAY),
      controlled: false,
    },
    commitment: toHex(commitment),
    patientKey,
  };
}
