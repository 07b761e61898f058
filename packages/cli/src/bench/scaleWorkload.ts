/**
 * The transactions of a generated ledger (`medledger generate`): real, signed record and access
 * transactions of a hospital's patients, each valid on the ledger it builds.
 *
 * Set-up: the organization enrolls every doctor (with an X25519 key, so they can receive STT
 * records) and every patient; each patient names a care team of two doctors.
 *
 * Then rounds: in round r, patient p (every patient once per round, so a patient's history
 * grows evenly with the ledger) does one thing, picked by slot (7r + p) mod 40 — over 40 rounds
 * every patient goes through every slot:
 *   12/40 `record.dss`      an Observation in plaintext, signed by a care-team doctor, chained to
 *                           the patient's previous DSS record
 *   10/40 `record.spv`      a salted commitment of a DiagnosticReport (the record itself is not
 *                           uploaded to an EHR store), chained to the previous SPV record
 *    1/40 `record.stt`      a record sealed (HPKE, RFC 9180) to the other care-team doctor; rare
 *                           because `@hpke/core` seals about 330 envelopes/s on this machine
 *    4/40 `consent.grant`   the patient grants a doctor outside the care team treatment access
 *                           to `lab` records, signed by the patient
 *   13/40 `access.request`  a doctor asks the ledger to read the patient's latest record (a
 *                           grantee or a stranger, so both allowed and denied decisions are
 *                           logged); a patient with no record yet writes a DSS record instead
 * Patients in one batch are distinct, and a patient's next transaction is built only after the
 * batches holding its previous one committed (the caller's window), so every chain link (`prev`)
 * is the committed head.
 */
import {
  canonicalBytes,
  commit,
  envelopeToJson,
  fromB64u,
  randomBytes,
  sealEnvelope,
  toHex,
  type JsonValue,
} from '@medledger/crypto';
import { Wallet, encryptSttBody, sttEnvelopeAad } from '@medledger/client';
import { txIdOf, type SignedTx } from '@medledger/core';
import { keyOf, type ScaleFixture, type ScaleMember } from './scaleSetup.js';

type Obj = { [k: string]: JsonValue };

interface PatientState {
  dssHead: string | null;
  spvHead: string | null;
  /** The latest record of any mode (what an access request asks for). */
  lastRecord?: string;
  /** Doctors (indexes) the patient granted lab access to. */
  grantees: number[];
}

const SLOTS = 40;
const kindOf = (slot: number): string =>
  slot < 12
    ? 'record.dss'
    : slot < 22
      ? 'record.spv'
      : slot < 23
        ? 'record.stt'
        : slot < 27
          ? 'consent.grant'
          : 'access.request';

/** Builds the generated ledger's transactions in order (see the module comment). */
export class ScaleWorkload {
  readonly #f: ScaleFixture;
  readonly #chainId: string;
  readonly #doctors: Wallet[];
  readonly #patients: Wallet[];
  readonly #state: PatientState[];
  /** Transactions built, by type. */
  readonly byType: Record<string, number> = {};

  constructor(f: ScaleFixture, chainId: string) {
    this.#f = f;
    this.#chainId = chainId;
    const wallet = (m: ScaleMember): Wallet => new Wallet({ signerId: m.id, privateKey: keyOf(m) });
    this.#doctors = f.doctors.map(wallet);
    this.#patients = f.patients.map(wallet);
    this.#state = f.patients.map(() => ({ dssHead: null, spvHead: null, grantees: [] }));
  }

  get patients(): number {
    return this.#patients.length;
  }

  #count(type: string): void {
    this.byType[type] = (this.byType[type] ?? 0) + 1;
  }

  /** The enrollments (doctors, then patients), signed by the organization's root key. */
  enrollments(): SignedTx[] {
    const org = new Wallet({ signerId: `org:${this.#f.org}`, privateKey: fromB64u(this.#f.orgKey) });
    return [...this.#f.doctors, ...this.#f.patients].map((m) => {
      this.#count('registry.enroll');
      return org.tx({
        chainId: this.#chainId,
        type: 'registry.enroll',
        payload:
          m.encryptionKey === undefined
            ? { certificate: m.certificate }
            : { certificate: m.certificate, encryptionKey: m.encryptionKey },
        createdAt: Date.now(),
      });
    });
  }

  /** The care team of patient p: two doctors. */
  #team(p: number): [number, number] {
    const d = this.#doctors.length;
    return [p % d, (p + 1) % d];
  }

  /** Each patient names a care team of two doctors (signed by the patient). */
  careTeams(): SignedTx[] {
    return this.#patients.map((w, p) => {
      this.#count('patient.careteam');
      return w.tx({
        chainId: this.#chainId,
        type: 'patient.careteam',
        payload: { add: this.#team(p).map((d) => this.#doctors[d]!.signerId), remove: [] },
        createdAt: Date.now(),
      });
    });
  }

  /** The transaction of patient p in round r. */
  async next(p: number, r: number): Promise<SignedTx> {
    const s = this.#state[p]!;
    let kind = kindOf((7 * r + p) % SLOTS);
    if (kind === 'access.request' && s.lastRecord === undefined) kind = 'record.dss';
    const tx = await this.#build(kind, p, r, s);
    this.#count(kind);
    const id = txIdOf(tx.body);
    if (kind === 'record.dss') s.dssHead = id;
    if (kind === 'record.spv') s.spvHead = id;
    return tx;
  }

  async #build(kind: string, p: number, r: number, s: PatientState): Promise<SignedTx> {
    const patient = this.#patients[p]!;
    const [t0, t1] = this.#team(p);
    const [a, b] = r % 2 === 0 ? [t0, t1] : [t1, t0];
    const author = this.#doctors[a]!;
    const subject = `ep-${p.toString(36)}`;
    const createdAt = Date.now();
    const chainId = this.#chainId;
    switch (kind) {
      case 'record.dss': {
        const recordId = `d-${p.toString(36)}-${r.toString(36)}`;
        s.lastRecord = recordId;
        return author.tx({
          chainId,
          type: 'record.dss',
          payload: {
            recordId,
            patient: patient.signerId,
            subject,
            category: 'clinical',
            resourceType: 'Observation',
            responsible: [author.signerId],
            k: 1,
            prev: s.dssHead,
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'Heart rate' },
              subject: { reference: `Patient/${subject}` },
              valueQuantity: { value: 55 + ((p + r) % 50), unit: '/min' },
            },
          },
          createdAt,
        });
      }
      case 'record.spv': {
        const recordId = `s-${p.toString(36)}-${r.toString(36)}`;
        s.lastRecord = recordId;
        const resource: Obj = {
          resourceType: 'DiagnosticReport',
          status: 'final',
          code: { text: `Full blood count ${r}` },
          subject: { reference: `Patient/${subject}` },
          conclusion: `Haemoglobin ${120 + ((p + r) % 40)} g/L`,
        };
        return author.tx({
          chainId,
          type: 'record.spv',
          payload: {
            recordId,
            patient: patient.signerId,
            subject,
            category: 'lab',
            resourceType: 'DiagnosticReport',
            responsible: [author.signerId],
            k: 1,
            prev: s.spvHead,
            commitment: toHex(commit(canonicalBytes(resource)).commitment),
            holder: this.#f.org,
          },
          createdAt,
        });
      }
      case 'record.stt': {
        const recordId = `t-${p.toString(36)}-${r.toString(36)}`;
        s.lastRecord = recordId;
        const receiver = this.#f.doctors[b]!;
        const resource = {
          resourceType: 'DiagnosticReport',
          status: 'final',
          code: { text: 'CT chest' },
          subject: { reference: `Patient/${subject}` },
        };
        const releaseKey = randomBytes(32);
        const env = await sealEnvelope({
          plaintext: encryptSttBody(releaseKey, canonicalBytes(resource), recordId),
          receivers: [{ id: receiver.id, publicKey: fromB64u(receiver.encryptionKey!) }],
          aad: sttEnvelopeAad(recordId),
        });
        releaseKey.fill(0);
        return author.tx({
          chainId,
          type: 'record.stt',
          payload: {
            recordId,
            patient: patient.signerId,
            subject,
            category: 'imaging',
            resourceType: 'DiagnosticReport',
            receivers: [receiver.id],
            purpose: 'treatment',
            prev: null,
            holder: this.#f.org,
            envelope: envelopeToJson(env) as unknown as Obj,
          },
          createdAt,
        });
      }
      case 'consent.grant': {
        const d = this.#doctors.length;
        const g = (p + 2 + s.grantees.length) % d;
        s.grantees.push(g);
        const grantee = this.#doctors[g]!.signerId;
        return patient.tx({
          chainId,
          type: 'consent.grant',
          payload: {
            grantId: `g-${p.toString(36)}-${r.toString(36)}`,
            grantee: { kind: 'member', memberId: grantee },
            scope: { categories: ['lab'] },
            purposes: ['treatment'],
            notBefore: this.#f.genesisTime,
            notAfter: this.#f.genesisTime + 10 * 365 * 86_400_000,
          },
          createdAt,
        });
      }
      default: {
        // A grantee (allowed for lab records) every other time, else a doctor the patient has
        // never granted anything (denied unless the record is DSS).
        const d = this.#doctors.length;
        const granted = r % 2 === 0 && s.grantees.length > 0;
        const requester = granted
          ? this.#doctors[s.grantees[r % s.grantees.length]!]!
          : this.#doctors[(p + d - 1) % d]!;
        return requester.tx({
          chainId,
          type: 'access.request',
          payload: { recordId: s.lastRecord!, purpose: 'treatment' },
          createdAt,
        });
      }
    }
  }
}
