/**
 * `medledger demo` — the survey's §4.1 scenario, end to end on the embedded node, printing
 * what each step verified. Bob's GP refers him; hospital A diagnoses gastric cancer (SPV
 * records in its EHR store, commitments on the ledger); hospital B's consultation group with
 * the GP co-signs the surgical plan (DSS, 3 of 3); a CT report travels over STT and is
 * re-shared; Bob grants time-limited access, an insurer sees only billing, a researcher sees
 * de-identified data, a nurse without a grant is refused; Bob revokes, erases, reads his
 * access log and receives notifications as they happen. Exits non-zero if any check fails.
 *
 * Real identities never reach the ledger: Bob is a pseudonymous member key, and his records
 * are indexed by per-episode HMAC pseudonyms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEpisodeKey, type JsonValue } from '@medledger/crypto';
import { DSS_ERASURE_REFUSAL } from '@medledger/core';
import {
  MedledgerHttpError,
  RecordsClient,
  RecordsError,
  episodeSubject,
  readDssChain,
  readStateList,
  subscribeNotifications,
  type PatientNotification,
} from '@medledger/client';
import { paths, verifyLedger } from '@medledger/node';
import { openWalletFile, readMembers } from '../dirs/wallets.js';
import { passphraseFor } from '../passphrase.js';
import { start } from './start.js';

type Obj = { [k: string]: JsonValue };

export interface DemoOptions {
  /** Data directory; a fresh temporary one by default (removed afterwards). */
  dir?: string;
  /** Grant window of the time-limited grant, in ms (it must expire during the demo). */
  windowMs?: number;
  out: (line: string) => void;
}

class DemoFailure extends Error {}

export async function demo(o: DemoOptions): Promise<void> {
  const temp = o.dir === undefined;
  const dir = o.dir ?? join(mkdtempSync(join(tmpdir(), 'medledger-demo-')), 'data');
  const say = o.out;
  let step = 0;
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new DemoFailure(`check failed: ${what}`);
    say(`    ✓ ${what}`);
  };
  const section = (title: string): void => say(`\n${++step}. ${title}`);
  const denied = async (p: Promise<unknown>, code: string): Promise<boolean> => {
    try {
      await p;
      return false;
    } catch (e) {
      return (e instanceof RecordsError || e instanceof MedledgerHttpError) && e.code === code;
    }
  };

  const s = await start({ dir, dev: true, port: 0, log: () => {} });
  let closed = false;
  const notes: PatientNotification[] = [];
  let sub: { close(): void } | undefined;
  try {
    // Each member acts with the keys of their own wallet (the dev layout's wallets directory).
    if (s.layout === undefined) throw new DemoFailure(`${dir} is not a dev layout (consortium.json)`);
    const wallets = s.layout.wallets;
    const passphrase = passphraseFor(wallets);
    const members = readMembers(wallets);
    const id = (label: string): string => members.find((m) => m.label === label)!.memberId;
    const client = (label: string): RecordsClient => {
      const w = openWalletFile(wallets, label, passphrase);
      return new RecordsClient({
        baseUrl: s.url,
        signerId: id(label),
        privateKey: w.keys.signing.privateKey,
        encryptionKey: w.keys.encryption.privateKey,
      });
    };
    const bob = client('bob');
    const gp = client('dr-gp');
    const alice = client('dr-alice');
    const baker = client('dr-baker');
    const chen = client('dr-chen');
    const dana = client('nurse-dana');
    const claims = client('claims');
    const researcher = client('researcher');
    const B = bob.memberId;
    say(`medledger demo — survey §4.1 on one embedded node (${s.url}, data in ${dir})`);
    say(`the patient "Bob" is member ${B.slice(0, 12)}…; his real identity stays at the GP clinic`);

    section('Bob subscribes to notifications and names his care team');
    sub = subscribeNotifications({
      baseUrl: s.url,
      patientId: B,
      privateKey: openWalletFile(wallets, 'bob', passphrase).keys.signing.privateKey,
      onNotification: (n) => notes.push(n),
    });
    await (sub as unknown as { opened: Promise<void> }).opened;
    const team = [gp.memberId, alice.memberId, baker.memberId, chen.memberId];
    await bob.setCareTeam(team);
    const onLedger = (await bob.state<string[]>(`careteam:${B}`)) ?? [];
    check(
      onLedger.join() === [...team].sort().join(),
      'care team on the ledger: his GP, dr-alice (hospital A), dr-baker and dr-chen (hospital B)',
    );
    const deadline = Date.now() + 2000;
    while (!notes.some((n) => n.type === 'careteam.changed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    check(
      notes.some((n) => n.type === 'careteam.changed'),
      'Bob is notified at once over his server-sent event stream (authenticated by a signed request)',
    );

    section("The GP refers Bob (DSS: plaintext on the ledger, on Bob's chain)");
    const episode = generateEpisodeKey();
    const subject = episodeSubject(episode, B);
    const referral: Obj = {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${subject}` },
      participant: [{ individual: { reference: `Practitioner/${gp.memberId}` } }],
      reasonCode: [{ text: 'persistent epigastric pain, weight loss: referral to gastroenterology' }],
    };
    const r1 = await gp.writeDss({
      recordId: 'gp-referral',
      patient: B,
      category: 'clinical',
      resource: referral,
    });
    check(
      r1.receipt.code === 'OK',
      `referral committed at height ${r1.receipt.height}, first link of Bob's DSS chain`,
    );
    check(subject !== B, `indexed by the episode pseudonym ${subject.slice(0, 10)}…, not by Bob's key`);

    section('Hospital A diagnoses gastric cancer (SPV: commitment on the ledger, record in its EHR store)');
    // A final FHIR DiagnosticReport by Alice about Bob's episode; `section` is an HL7 v2-0074 code.
    const report = (section: string, text: string, conclusion: string): Obj => ({
      resourceType: 'DiagnosticReport',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: section }] }],
      code: { text },
      subject: { reference: `Patient/${subject}` },
      performer: [{ reference: `Practitioner/${alice.memberId}` }],
      conclusion,
    });
    const biopsy = report('LAB', 'Gastric biopsy, histopathology', 'Adenocarcinoma of the stomach');
    const diagnosis: Obj = {
      resourceType: 'Condition',
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      code: {
        coding: [
          {
            system: 'http://hl7.org/fhir/sid/icd-10',
            code: 'C16.9',
            display: 'Malignant neoplasm of stomach',
          },
        ],
      },
      subject: { reference: `Patient/${subject}` },
      recorder: { reference: `Practitioner/${alice.memberId}` },
    };
    const lab = await alice.writeSpv({ recordId: 'biopsy-1', patient: B, resource: biopsy });
    const dx = await alice.writeSpv({ recordId: 'diagnosis-1', patient: B, resource: diagnosis });
    check(
      lab.receipt.code === 'OK' && dx.receipt.code === 'OK',
      'biopsy (lab) and diagnosis (clinical) stored at hospital A, encrypted at rest',
    );
    check(
      /^[0-9a-f]{64}$/.test(lab.commitment),
      `only salted commitments on the ledger (${lab.commitment.slice(0, 12)}…)`,
    );

    section("Hospital B's consultation group and the GP co-sign the surgical plan (DSS, 3 of 3)");
    const plan: Obj = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'plan',
      medicationCodeableConcept: { text: 'Perioperative FLOT chemotherapy, then total gastrectomy' },
      subject: { reference: `Patient/${subject}` },
      requester: { reference: `Practitioner/${baker.memberId}` },
    };
    const group = [baker.memberId, chen.memberId, gp.memberId];
    const body = await baker.prepareDss(
      {
        recordId: 'surgical-plan',
        patient: B,
        category: 'clinical',
        resource: plan,
        responsible: group,
        k: 3,
      },
      [chen.memberId, gp.memberId],
    );
    const twoOnly = await baker.prepareDss(
      {
        recordId: 'surgical-plan',
        patient: B,
        category: 'clinical',
        resource: plan,
        responsible: group,
        k: 3,
      },
      [chen.memberId],
    );
    const short = await denied(
      baker.submitCosigned(twoOnly, [baker.sign(twoOnly), chen.sign(twoOnly)]),
      'QUORUM_NOT_MET',
    );
    check(short, 'signed by two of the three: refused by the ledger (QUORUM_NOT_MET)');
    const signed = await baker.submitCosigned(body, [baker.sign(body), chen.sign(body), gp.sign(body)]);
    check(signed.receipt.code === 'OK', 'three signatures: committed');
    const planTx = await baker.http.getTx(signed.txId);
    check(
      (planTx.tx.body.payload as Obj).prev === r1.txId,
      "its prev link is the GP's referral: Bob's chronological DSS chain holds",
    );
    const chain = await readDssChain(bob.http, await bob.http.genesis(), B);
    check(
      chain.ok && chain.records.map((r) => r.recordId).join(' → ') === 'gp-referral → surgical-plan',
      `Bob queries his DSS chain in order, every link and proof checked: ${chain.ok ? chain.records.map((r) => r.recordId).join(' → ') : chain.reason}`,
    );
    const outsider = await denied(
      dana.writeDss({ recordId: 'nurse-note', patient: B, category: 'clinical', resource: referral }),
      'NOT_RESPONSIBLE',
    );
    check(outsider, 'a nurse outside the care team cannot write his record (NOT_RESPONSIBLE)');

    section('A CT report travels over STT (encrypted to its receivers) and is re-shared');
    const ct = report('RAD', 'CT abdomen: staging', 'cT3 N1 M0');
    const sent = await alice.sendStt({
      recordId: 'ct-staging',
      patient: B,
      category: 'imaging',
      resource: ct,
      receivers: [baker.memberId],
      purpose: 'treatment',
    });
    await baker.reshareStt({ recordId: 'ct-staging', receivers: [chen.memberId], purpose: 'treatment' });
    const opened = await chen.openStt('ct-staging', 'treatment');
    check(
      opened.conclusion === 'cT3 N1 M0',
      'dr-chen (re-share receiver) decrypts it; the decryption is logged on the ledger',
    );
    check(
      await denied(dana.openStt('ct-staging', 'treatment'), 'NOT_A_RECEIVER'),
      'nurse-dana cannot open it: not a receiver',
    );
    const path =
      (await readStateList<{ from: string; to: string[] }>((k) => bob.state(k), 'stt:ct-staging')) ?? [];
    check(
      path.length === 2 && path[1]!.from === baker.memberId,
      `Bob sees the path: alice → baker → chen (${path.length} transmissions from ${sent.txId.slice(0, 8)}…)`,
    );

    section('Bob grants time-limited access; the grant expires by block time');
    const now = Date.now();
    await bob.grantConsent({
      grantId: 'g-baker-lab',
      grantee: { kind: 'member', memberId: baker.memberId },
      scope: { categories: ['lab'] },
      purposes: ['treatment'],
      notBefore: now - 1000,
      notAfter: now + (o.windowMs ?? 2500),
    });
    const read = await baker.readSpv('biopsy-1', 'treatment');
    check(
      read.verified && read.resource.conclusion === 'Adenocarcinoma of the stomach',
      'dr-baker reads the biopsy from hospital A and checks it against the on-chain commitment',
    );
    check(
      await denied(baker.readSpv('diagnosis-1', 'treatment'), 'OUT_OF_SCOPE'),
      'the diagnosis is outside the lab scope: denied',
    );
    await new Promise((r) => setTimeout(r, (o.windowMs ?? 2500) + 200));
    check(
      await denied(baker.readSpv('biopsy-1', 'treatment'), 'GRANT_EXPIRED'),
      'after the window: denied (GRANT_EXPIRED), and the attempt is logged',
    );

    section('An insurer sees only billing');
    const claim: Obj = {
      resourceType: 'Claim',
      status: 'active',
      type: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }],
      },
      use: 'claim',
      patient: { reference: `Patient/${subject}` },
      created: '2026-11-21',
      provider: { reference: `Practitioner/${alice.memberId}` },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/demo' } }],
      total: { value: 18250, currency: 'EUR' },
    };
    await alice.writeSpv({ recordId: 'claim-1', patient: B, resource: claim, category: 'billing' });
    const wide = await denied(
      bob.grantConsent({
        grantId: 'g-ins-wide',
        grantee: { kind: 'org', org: 'insurer' },
        scope: { categories: ['billing', 'clinical'] },
        purposes: ['payment'],
        notBefore: now,
        notAfter: now + 86_400_000,
      }),
      'INSURER_SCOPE',
    );
    check(
      wide,
      'a grant to the insurer beyond billing is refused by the ledger (INSURER_SCOPE: minimal disclosure)',
    );
    await bob.grantConsent({
      grantId: 'g-insurer',
      grantee: { kind: 'org', org: 'insurer' },
      scope: { categories: ['billing'] },
      purposes: ['payment'],
      notBefore: now - 1000,
      notAfter: now + 86_400_000,
    });
    const bill = await claims.readSpv('claim-1', 'payment');
    check(
      bill.verified && (bill.resource.total as Obj).value === 18250,
      'the claims officer reads the claim',
    );
    check(
      await denied(claims.readSpv('diagnosis-1', 'payment'), 'OUT_OF_SCOPE'),
      'and is denied the diagnosis (OUT_OF_SCOPE)',
    );

    section('A researcher receives de-identified data');
    await bob.grantConsent({
      grantId: 'g-research',
      grantee: { kind: 'role', org: 'institute', role: 'researcher' },
      scope: { categories: ['lab'] },
      purposes: ['research'],
      notBefore: now - 1000,
      notAfter: now + 86_400_000,
    });
    const res = await researcher.readSpv('biopsy-1', 'research');
    check(
      res.deidentified &&
        JSON.stringify(res.resource).indexOf(subject) < 0 &&
        JSON.stringify(res.resource).indexOf(B) < 0,
      `served de-identified (removed: ${res.removed.join(', ')}): no linkable identifier`,
    );

    section('A nurse without a grant is refused, and Bob revokes a grant');
    check(
      await denied(dana.readSpv('biopsy-1', 'treatment'), 'NO_GRANT'),
      'nurse-dana: denied (NO_GRANT), logged',
    );
    await bob.grantConsent({
      grantId: 'g-chen',
      grantee: { kind: 'member', memberId: chen.memberId },
      scope: { categories: ['lab'] },
      purposes: ['treatment'],
      notBefore: now - 1000,
      notAfter: now + 86_400_000,
    });
    check((await chen.readSpv('biopsy-1', 'treatment')).verified, 'dr-chen reads under his grant');
    await bob.revokeConsent('g-chen');
    check(
      await denied(chen.readSpv('biopsy-1', 'treatment'), 'GRANT_REVOKED'),
      'after the revocation: denied from the next block (GRANT_REVOKED)',
    );

    section('Erasure (GDPR Art. 17)');
    const dssErase = await denied(bob.erase('gp-referral', 'GDPR Art. 17'), 'ERASURE_NOT_POSSIBLE');
    check(dssErase, `DSS erasure refused: "${DSS_ERASURE_REFUSAL.slice(0, 60)}…"`);
    await bob.erase('biopsy-1', 'GDPR Art. 17');
    await new Promise((r) => setTimeout(r, 200));
    check(
      await denied(baker.readSpv('biopsy-1', 'treatment'), 'RECORD_ERASED'),
      'the biopsy is shredded at hospital A; every later read is denied (RECORD_ERASED)',
    );

    section('Bob reads his access log and the notifications he received');
    const log = await bob.accessLog();
    const decided = log.filter((e) => e.type === 'access.decided');
    const deniedCount = decided.filter((e) => e.allow === false).length;
    check(
      decided.length >= 10 && deniedCount >= 5,
      `${log.length} log entries: ${decided.length} access decisions (${deniedCount} denied), consent changes, transmissions, the erasure`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const types = new Map<string, number>();
    for (const n of notes) types.set(n.type, (types.get(n.type) ?? 0) + 1);
    check(
      notes.length > 0 && types.has('access.decided') && types.has('consent.revoked'),
      `${notes.length} notifications pushed as they happened (${[...types].map(([t, n]) => `${t} ×${n}`).join(', ')})`,
    );

    section('The whole ledger verifies');
    sub.close();
    sub = undefined;
    await s.close();
    closed = true;
    const v = await verifyLedger(paths(s.nodeDir).ledger);
    check(
      v.ok,
      v.ok
        ? `${v.height} blocks, ${v.txs} transactions: hash chain, Merkle roots, signatures, state digests`
        : v.reason,
    );
    say('\ndemo complete: every check passed');
  } finally {
    sub?.close();
    if (!closed) await s.close().catch(() => undefined);
    if (temp) rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

export { DemoFailure };
