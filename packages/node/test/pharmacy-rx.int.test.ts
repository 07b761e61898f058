/**
 * Electronic prescriptions through a real node over HTTP (issue 16 §1): a prescription reaches
 * the ledger only as a valid FHIR MedicationRequest matching its transaction, sealed to the
 * patient and the chosen pharmacy with its commitment on the ledger; the ledger tracks what
 * remains and refuses a dispense beyond the quantity, by another pharmacy, of an altered
 * prescription, after cancellation and after expiry; the patient moves a prescription to
 * another pharmacy with a signed, numbered choice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '@medledger/crypto';
import {
  cancelPrescriptionTx,
  createPrescriptionKey,
  dispenseTx,
  nodeEncryptionKey,
  openPrescription,
  pharmacyChangeTx,
  prescriptionTx,
  signPharmacyChoice,
} from '@medledger/client';
import type { PrescriptionEntry } from '@medledger/core/contracts/pharmacy';
import { validateFhirResource } from '../src/records/fhir.js';
import { httpCode, makeRxWorld, prescribe, sleep, type Json, type RxWorld } from './helpers/rx.js';

let w: RxWorld;
before(async () => {
  w = await makeRxWorld();
});
after(async () => {
  await w.cleanup();
});

const rxState = (id: string): PrescriptionEntry => w.node.stateValue(`rx:${id}`) as PrescriptionEntry;
const dispense = (
  by: 'ph1' | 'ph2',
  p: { dispenseId: string; rxId: string; request: Json; salt: string; quantity: number },
) => w.pharmacy(by).dispense(dispenseTx(w.ctx(by), p));

test('prescriptions: only a valid FHIR MedicationRequest that says what its transaction says reaches the ledger', async () => {
  const ok = await prescribe(w, { rxId: 'rx-fhir', by: 'drA', quantity: 20 });
  assert.equal(ok.receipt.code, 'OK');
  // the same flow with a broken resource, and with a resource that differs from the transaction
  const key = createPrescriptionKey();
  const choice = signPharmacyChoice(w.node.chainId, key, { rxId: 'rx-bad', pharmacy: 'pharmacy1', seq: 0 });
  const base = {
    rxId: 'rx-bad',
    pharmacy: 'pharmacy1',
    pharmacyKey: await nodeEncryptionKey(w.source('drA'), 'pharmacy1'),
    patientEncryptionKey: w.member('pat').encryption.publicKey,
    patientKey: key.publicKey,
    choice,
    quantity: 20,
    refills: 0,
    expiresAt: Date.now() + 86_400_000,
  };
  const noMedication = { ...ok.request, id: 'rx-bad' } as Json;
  delete noMedication.medicationCodeableConcept;
  const a = await prescriptionTx(w.ctx('drA'), { ...base, request: noMedication });
  await assert.rejects(
    w.pharmacy('drA').submitPrescription({ tx: a.tx, request: noMedication, salt: a.salt }),
    (e) => httpCode('INVALID_RECORD')(e) && /medication/.test((e as Error).message),
  );
  const other = { ...ok.request, id: 'rx-bad' } as Json;
  const b = await prescriptionTx(w.ctx('drA'), { ...base, request: other, quantity: 200 });
  await assert.rejects(
    w.pharmacy('drA').submitPrescription({ tx: b.tx, request: other, salt: b.salt }),
    (e) => httpCode('RESOURCE_MISMATCH')(e) && /quantity/.test((e as Error).message),
  );
  assert.equal(w.node.stateValue('rx:rx-bad'), undefined, 'nothing reached the ledger');
});

test('prescriptions: the chosen pharmacy and the patient open the content; nobody else; the ledger never names the patient', async () => {
  const rx = await prescribe(w, { rxId: 'rx-open', by: 'drA', quantity: 10 });
  const got = await w.pharmacy('ph1').content('rx-open');
  assert.equal(canonicalize(got.request), canonicalize(rx.request));
  await assert.rejects(w.pharmacy('ph2').content('rx-open'), httpCode('NOT_THIS_PHARMACY'));
  await assert.rejects(w.pharmacy('drA').content('rx-open'), httpCode('FORBIDDEN'));
  await assert.rejects(w.pharmacy('ph1').content('rx-missing'), httpCode('NOT_FOUND'));
  const mine = await openPrescription(rxState('rx-open'), {
    id: 'patient',
    privateKey: w.member('pat').encryption.privateKey,
  });
  assert.equal(mine.salt, rx.salt);
  await assert.rejects(
    openPrescription(rxState('rx-open'), {
      id: 'patient',
      privateKey: w.member('pat2').encryption.privateKey,
    }),
    /decryption failed/,
  );
  // Neither the transaction nor the state entry carries the patient's member id.
  const patient = w.id('pat');
  const tx = w.node.getTxWithProof(rxState('rx-open').txId)!.tx;
  assert.ok(!JSON.stringify(tx).includes(patient));
  assert.ok(!JSON.stringify(rxState('rx-open')).includes(patient));
  const status = await w.pharmacy('ph2').prescription('rx-open');
  assert.deepEqual([status.pharmacy, status.authorized, status.remaining], ['pharmacy1', 10, 10]);
});

test('dispense: the ledger tracks what remains and refuses a dispense beyond the quantity', async () => {
  const rx = await prescribe(w, { rxId: 'rx-qty', by: 'drA', quantity: 10, refills: 1 });
  const p = { rxId: 'rx-qty', request: rx.request, salt: rx.salt };
  const first = await dispense('ph1', { ...p, dispenseId: 'qty-1', quantity: 10 });
  assert.equal(first.receipt.code, 'OK');
  const v = validateFhirResource(first.resource, 'MedicationDispense');
  assert.ok(v.ok, JSON.stringify(v));
  assert.equal((await w.pharmacy('ph1').prescription('rx-qty')).remaining, 10);
  const big = await dispense('ph1', { ...p, dispenseId: 'qty-2', quantity: 11 });
  assert.equal(big.receipt.code, 'RX_QUANTITY_EXCEEDED', 'more than one fill');
  assert.equal((await dispense('ph1', { ...p, dispenseId: 'qty-3', quantity: 10 })).receipt.code, 'OK');
  const beyond = await dispense('ph1', { ...p, dispenseId: 'qty-4', quantity: 1 });
  assert.equal(beyond.receipt.code, 'RX_QUANTITY_EXCEEDED', 'nothing remains');
  const s = await w.pharmacy('ph1').prescription('rx-qty');
  assert.deepEqual([s.status, s.dispensed, s.remaining, s.fills], ['completed', 20, 0, 2]);
});

test('dispense: refused by another pharmacy than the one the patient chose', async () => {
  const rx = await prescribe(w, { rxId: 'rx-other', by: 'drA', quantity: 5 });
  const r = await dispense('ph2', {
    rxId: 'rx-other',
    request: rx.request,
    salt: rx.salt,
    dispenseId: 'oth-1',
    quantity: 5,
  });
  assert.equal(r.receipt.code, 'RX_WRONG_PHARMACY');
  assert.equal(rxState('rx-other').dispensed, 0);
});

test('dispense: refused for an altered prescription (its commitment differs from the ledger)', async () => {
  const rx = await prescribe(w, { rxId: 'rx-alt', by: 'drA', quantity: 5 });
  const altered = {
    ...rx.request,
    dispenseRequest: { ...(rx.request.dispenseRequest as Json), quantity: { value: 50, unit: 'tablet' } },
  };
  const r = await dispense('ph1', {
    rxId: 'rx-alt',
    request: altered,
    salt: rx.salt,
    dispenseId: 'alt-1',
    quantity: 5,
  });
  assert.equal(r.receipt.code, 'RX_ALTERED');
  const otherSalt = await dispense('ph1', {
    rxId: 'rx-alt',
    request: rx.request,
    salt: rx.salt.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    dispenseId: 'alt-2',
    quantity: 5,
  });
  assert.equal(otherSalt.receipt.code, 'RX_ALTERED');
  const genuine = await dispense('ph1', {
    rxId: 'rx-alt',
    request: rx.request,
    salt: rx.salt,
    dispenseId: 'alt-3',
    quantity: 5,
  });
  assert.equal(genuine.receipt.code, 'OK');
});

test('dispense: refused after cancellation; only the prescriber or a doctor of its organization cancels', async () => {
  const rx = await prescribe(w, { rxId: 'rx-cancel', by: 'drA', quantity: 5 });
  assert.equal(
    (await w.commit(cancelPrescriptionTx(w.ctx('drB'), 'rx-cancel', 'not mine'))).code,
    'NOT_PRESCRIBER',
  );
  assert.equal(
    (await w.commit(cancelPrescriptionTx(w.ctx('drA2'), 'rx-cancel', 'interaction found'))).code,
    'OK',
  );
  const r = await dispense('ph1', {
    rxId: 'rx-cancel',
    request: rx.request,
    salt: rx.salt,
    dispenseId: 'can-1',
    quantity: 5,
  });
  assert.equal(r.receipt.code, 'RX_CANCELLED');
  assert.equal((await w.pharmacy('ph1').prescription('rx-cancel')).remaining, 0);
});

test('dispense: refused after expiry, by block time', async () => {
  const rx = await prescribe(w, { rxId: 'rx-exp', by: 'drA', quantity: 5, validMs: 1200 });
  assert.equal(rx.receipt.code, 'OK');
  await sleep(1500);
  const r = await dispense('ph1', {
    rxId: 'rx-exp',
    request: rx.request,
    salt: rx.salt,
    dispenseId: 'exp-1',
    quantity: 5,
  });
  assert.equal(r.receipt.code, 'RX_EXPIRED');
});

test('pharmacy choice: the patient moves a prescription; the old pharmacy can neither open nor dispense it; replayed or forged choices are refused', async () => {
  const rx = await prescribe(w, { rxId: 'rx-move', by: 'drA', quantity: 8 });
  const change = await pharmacyChangeTx(w.ctx('ph2'), rxState('rx-move'), {
    pharmacy: 'pharmacy2',
    pharmacyKey: await nodeEncryptionKey(w.source('ph2'), 'pharmacy2'),
    patientEncryptionKey: w.member('pat').encryption.privateKey,
    patientKey: rx.patientKey,
  });
  assert.equal((await w.commit(change)).code, 'OK');
  const p = { rxId: 'rx-move', request: rx.request, salt: rx.salt };
  assert.equal(
    (await dispense('ph1', { ...p, dispenseId: 'mv-1', quantity: 4 })).receipt.code,
    'RX_WRONG_PHARMACY',
  );
  await assert.rejects(w.pharmacy('ph1').content('rx-move'), httpCode('NOT_THIS_PHARMACY'));
  const opened = await w.pharmacy('ph2').content('rx-move');
  assert.equal(
    canonicalize(opened.request),
    canonicalize(rx.request),
    'the new pharmacy opens the re-wrapped content',
  );
  assert.equal((await dispense('ph2', { ...p, dispenseId: 'mv-2', quantity: 4 })).receipt.code, 'OK');
  // the same choice relayed again by someone else: its number is used
  const replay = w.ctx('ph1').wallet.txFromJson({
    chainId: w.node.chainId,
    type: 'rx.pharmacy',
    payload: { ...change.body.payload, pharmacy: 'pharmacy1' },
    createdAt: Date.now(),
  });
  assert.equal((await w.commit(replay)).code, 'CHOICE_REPLAYED');
  // a choice signed with another key than the patient's
  const forged = await pharmacyChangeTx(w.ctx('ph1'), rxState('rx-move'), {
    pharmacy: 'pharmacy1',
    pharmacyKey: await nodeEncryptionKey(w.source('ph1'), 'pharmacy1'),
    patientEncryptionKey: w.member('pat').encryption.privateKey,
    patientKey: createPrescriptionKey(),
  });
  assert.equal((await w.commit(forged)).code, 'CHOICE_INVALID');
  assert.equal(rxState('rx-move').pharmacy, 'pharmacy2');
});
