/**
 * `medledger demo pharmacy` — electronic prescriptions, doctor shopping, and drug track and
 * trace (survey §7.2, §7.3) on a fresh node, every step checked over HTTP: a medicine approved
 * and serialized; packs from maker to pharmacies; a prescription sealed to the patient and her
 * pharmacy, dispensed against with packs, moved to another pharmacy by the patient; every
 * refusal the ledger owes; controlled prescriptions from two prescribers linked by the
 * regulator alone; a recall reaching every holder; packs verified. Exits 1 if a check fails.
 */
import { canonicalize, type JsonValue } from '@medledger/crypto';
import { regulatorPseudonym } from '@medledger/crypto/rxlink';
import {
  cancelPrescriptionTx,
  createPrescriptionKey,
  dispenseTx,
  medicationRequest,
  nodeEncryptionKey,
  openAlert,
  pharmacyChangeTx,
  prescriptionTx,
  signPharmacyChoice,
} from '@medledger/client';
import type { PrescriptionEntry } from '@medledger/core/contracts/pharmacy';
import type { P256KeyPair } from '@medledger/crypto';
import { openDemoConsortium, type DemoConsortium, type DemoLabel } from './demoConsortium.js';
import { demoSteps, type DemoSteps } from './demoSteps.js';
import { DEMO_PRODUCT, packsOf, recallAndVerifySteps, supplyChainSteps } from './supply.js';

type Json = { [k: string]: JsonValue };
const OXYCODONE = {
  system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  code: '1049621',
  display: 'oxycodone hydrochloride 5 MG Oral Tablet',
};
const DAY = 86_400_000;

interface Rx {
  rxId: string;
  code: string;
  request: Json;
  salt: string;
  key: P256KeyPair;
}

/** Ana's device makes the key and signs her choice; the prescriber seals and submits through its node. */
async function prescribe(
  w: DemoConsortium,
  s: DemoSteps,
  p: {
    rxId: string;
    by: DemoLabel;
    quantity: number;
    refills?: number;
    validMs?: number;
    controlled?: boolean;
    lie?: number;
  },
): Promise<Rx> {
  const key = createPrescriptionKey();
  const choice = signPharmacyChoice(w.node.chainId, key, { rxId: p.rxId, pharmacy: 'pharmacy1', seq: 0 });
  const now = Date.now();
  const expiresAt = now + (p.validMs ?? 30 * DAY);
  const request = medicationRequest({
    rxId: p.rxId,
    patient: w.id('ana'),
    prescriber: w.id(p.by),
    medication: p.controlled ? OXYCODONE : DEMO_PRODUCT.code,
    dosage: p.controlled ? '1 tablet every 6 hours if needed for pain' : '1 capsule 3 times a day for 7 days',
    quantity: p.lie ?? p.quantity,
    unit: p.controlled ? 'tablet' : 'capsule',
    refills: p.refills ?? 0,
    authoredOn: now,
    expiresAt,
  });
  const src = w.source(p.by);
  const controlled = p.controlled
    ? {
        regulator: 'regulator',
        regulatorKey: await nodeEncryptionKey(src, 'regulator'),
        patientId: w.id('ana'),
      }
    : undefined;
  const { tx, salt } = await prescriptionTx(w.ctx(p.by), {
    rxId: p.rxId,
    request,
    pharmacy: 'pharmacy1',
    pharmacyKey: await nodeEncryptionKey(src, 'pharmacy1'),
    patientEncryptionKey: w.member('ana').encryption.publicKey,
    patientKey: key.publicKey,
    choice,
    quantity: p.quantity,
    refills: p.refills ?? 0,
    expiresAt,
    ...(controlled ? { controlled } : {}),
  });
  const code = await s.codeOf(w.pharmacy(p.by).submitPrescription({ tx, request, salt }));
  return { rxId: p.rxId, code, request, salt, key };
}

const dispense = (
  w: DemoConsortium,
  s: DemoSteps,
  by: 'pharmacist-1' | 'pharmacist-2',
  rx: Rx,
  id: string,
  quantity: number,
  serials: string[] = [],
  request = rx.request,
) =>
  s.codeOf(
    w.pharmacy(by).dispense(
      dispenseTx(w.ctx(by), {
        dispenseId: id,
        rxId: rx.rxId,
        request,
        salt: rx.salt,
        quantity,
        packs: packsOf(...serials),
      }),
    ),
  );

async function prescriptionSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  const rxState = (id: string): PrescriptionEntry => w.node.stateValue(`rx:${id}`) as PrescriptionEntry;
  s.section('Dr A prescribes amoxicillin; Ana chooses pharmacy 1 with her own key for this prescription');
  const lie = await prescribe(w, s, { rxId: 'rx-lie', by: 'dr-a', quantity: 20, lie: 200 });
  s.check(
    lie.code === 'RESOURCE_MISMATCH',
    `a MedicationRequest for 200 in a transaction for 20 is refused before the ledger (${lie.code})`,
  );
  const rx = await prescribe(w, s, { rxId: 'rx-1', by: 'dr-a', quantity: 20, refills: 1 });
  const entry = rxState('rx-1');
  s.check(
    rx.code === 'OK',
    `valid FHIR R4 MedicationRequest, 20 capsules + 1 refill, committed at height ${entry?.height}`,
  );
  const text = JSON.stringify(entry) + JSON.stringify(w.node.getTxWithProof(entry.txId)?.tx);
  s.check(
    !text.includes(w.id('ana')),
    `on the ledger: commitment ${entry.commitment.slice(0, 12)}…, content sealed to 'patient' and 'pharmacy', no patient id`,
  );

  s.section('Pharmacy 1 dispenses against it; the ledger refuses what it must');
  const opened = await w.pharmacy('pharmacist-1').content('rx-1');
  s.check(
    canonicalize(opened.request) === canonicalize(rx.request),
    "pharmacy 1's node opens it for its pharmacist and checks it against the commitment",
  );
  const first = await w.pharmacy('pharmacist-1').dispense(
    dispenseTx(w.ctx('pharmacist-1'), {
      dispenseId: 'd-1',
      rxId: 'rx-1',
      request: rx.request,
      salt: rx.salt,
      quantity: 20,
      packs: packsOf('S1'),
    }),
  );
  s.check(
    first.receipt.code === 'OK' && first.resource?.resourceType === 'MedicationDispense',
    `20 dispensed with pack S1 (FHIR MedicationDispense, validated); ${(await w.pharmacy('ana').prescription('rx-1')).remaining} remain`,
  );
  const other = await dispense(w, s, 'pharmacist-2', rx, 'd-x1', 20);
  s.check(other === 'RX_WRONG_PHARMACY', `pharmacy 2 is refused: Ana chose pharmacy 1 (${other})`);
  const altered = {
    ...rx.request,
    dispenseRequest: { ...(rx.request.dispenseRequest as Json), quantity: { value: 200, unit: 'capsule' } },
  };
  const alt = await dispense(w, s, 'pharmacist-1', rx, 'd-x2', 20, [], altered);
  s.check(
    alt === 'RX_ALTERED',
    `a copy altered to 200 capsules is refused: its commitment is not the ledger's (${alt})`,
  );
  const big = await dispense(w, s, 'pharmacist-1', rx, 'd-x3', 40);
  s.check(big === 'RX_QUANTITY_EXCEEDED', `40 in one fill is refused (${big})`);
  const again = await dispense(w, s, 'pharmacist-1', rx, 'd-x4', 20, ['S1']);
  s.check(again === 'PACK_DISPENSED', `pack S1 a second time is refused (${again})`);

  s.section('Ana moves the prescription to pharmacy 2 (her signed choice, relayed by pharmacy 2)');
  const move = await pharmacyChangeTx(w.ctx('pharmacist-2'), rxState('rx-1'), {
    pharmacy: 'pharmacy2',
    pharmacyKey: await nodeEncryptionKey(w.source('pharmacist-2'), 'pharmacy2'),
    patientEncryptionKey: w.member('ana').encryption.privateKey,
    patientKey: rx.key,
  });
  s.check(
    (await s.codeOf(w.commit(move))) === 'OK',
    'committed: the content key is re-wrapped for pharmacy 2 on her device',
  );
  const gone = await s.codeOf(w.pharmacy('pharmacist-1').content('rx-1'));
  s.check(gone === 'NOT_THIS_PHARMACY', `pharmacy 1 can no longer open it (${gone})`);
  s.check(
    (await dispense(w, s, 'pharmacist-2', rx, 'd-2', 20, ['S3'])) === 'OK',
    'pharmacy 2 dispenses the refill with pack S3: nothing remains',
  );
  const more = await dispense(w, s, 'pharmacist-2', rx, 'd-x5', 1);
  s.check(more === 'RX_QUANTITY_EXCEEDED', `one more capsule is refused (${more})`);

  s.section('Cancellation and expiry');
  const rx2 = await prescribe(w, s, { rxId: 'rx-2', by: 'dr-a', quantity: 20 });
  await w.commit(cancelPrescriptionTx(w.ctx('dr-a'), 'rx-2', 'allergy reported'));
  const cancelled = await dispense(w, s, 'pharmacist-1', rx2, 'd-x6', 20);
  s.check(
    rx2.code === 'OK' && cancelled === 'RX_CANCELLED',
    `a cancelled prescription is not dispensed (${cancelled})`,
  );
  const rx3 = await prescribe(w, s, { rxId: 'rx-3', by: 'dr-a', quantity: 20, validMs: 1500 });
  await new Promise((r) => setTimeout(r, 1800));
  const expired = await dispense(w, s, 'pharmacist-1', rx3, 'd-x7', 20);
  s.check(
    rx3.code === 'OK' && expired === 'RX_EXPIRED',
    `one valid for 1.5 s is not dispensed after it, by block time (${expired})`,
  );
}

async function shoppingSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  s.section('Doctor shopping: Ana obtains oxycodone from two prescribers of two organizations');
  const a = await prescribe(w, s, { rxId: 'c-1', by: 'dr-a', quantity: 30, controlled: true });
  const b = await prescribe(w, s, { rxId: 'c-2', by: 'dr-b', quantity: 40, controlled: true });
  s.check(
    a.code === 'OK' && b.code === 'OK',
    'Dr A (hospital) and Dr B (clinic) each write one, days apart at most; each carries the patient id sealed to the regulator',
  );
  let alerts = (await w.pharmacy('inspector').alerts()).alerts;
  for (let i = 0; i < 200 && alerts.length === 0; i++) {
    await w.regulator.idle();
    await new Promise((r) => setTimeout(r, 10));
    alerts = (await w.pharmacy('inspector').alerts()).alerts;
  }
  s.check(
    alerts.length === 1,
    `the regulator's node links them by its pseudonym and records alert ${alerts[0]?.alertId.slice(0, 12)}… on the ledger`,
  );
  const content = await openAlert(alerts[0]!, {
    id: w.id('inspector'),
    privateKey: w.member('inspector').encryption.privateKey,
  });
  s.check(
    content.prescriptions
      .map((p) => `${p.rxId}@${p.prescriberOrg}`)
      .sort()
      .join() === 'c-1@hospital,c-2@clinic',
    `the inspector opens it: ${content.prescriptions.map((p) => `${p.rxId} (${p.prescriberOrg}, ${p.quantity} tablets)`).join(', ')}`,
  );
  const others = await Promise.all(
    (['pharmacist-1', 'dr-b'] as const).map((l) =>
      openAlert(alerts[0]!, { id: w.id(l), privateKey: w.member(l).encryption.privateKey }).then(
        () => 'opened',
        (e: Error) => e.message,
      ),
    ),
  );
  s.check(
    others.every((x) => x === 'not a receiver'),
    'pharmacy 1 and Dr B cannot open it: they learn nothing of her other prescriptions',
  );
  const pseudonym = regulatorPseudonym(w.linkKey, w.id('ana'));
  let seen = false;
  for (let h = 1; h <= w.node.head().height; h++)
    seen ||= JSON.stringify(w.node.getBlock(h)!.block).includes(pseudonym);
  s.check(
    !seen,
    `the pseudonym (${pseudonym.slice(0, 8)}…, HMAC under the regulator's key) appears nowhere on the ledger`,
  );
}

export async function demoPharmacy(o: { out: (line: string) => void }): Promise<void> {
  const w = await openDemoConsortium();
  const s = demoSteps(o.out);
  try {
    o.out(
      `medledger demo pharmacy — prescriptions, doctor shopping, track and trace (survey §7.2, §7.3) on one node (${w.url}, data in ${w.dir})`,
    );
    o.out(
      `the patient "Ana" is member ${w.id('ana').slice(0, 12)}…; prescriptions never name her on the ledger`,
    );
    await supplyChainSteps(w, s);
    await prescriptionSteps(w, s);
    await shoppingSteps(w, s);
    const rx4 = await prescribe(w, s, { rxId: 'rx-4', by: 'dr-a', quantity: 20 });
    await recallAndVerifySteps(w, s, () => dispense(w, s, 'pharmacist-1', rx4, 'd-x8', 20, ['S2']));
    s.section('The whole ledger verifies');
    await w.close();
    const v = await w.verify();
    s.check(
      v.ok,
      v.ok
        ? `${v.height} blocks, ${v.txs} transactions: hash chain, Merkle roots, signatures, state digests`
        : v.reason,
    );
    o.out('\ndemo complete: every check passed');
  } finally {
    await w.close().catch(() => undefined);
    w.remove();
  }
}
