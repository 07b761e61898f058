/**
 * The clinician's page: read a record with a stated purpose (the decision is made on the
 * ledger, and a refusal is shown with its reason in words), and write an Observation or a
 * Condition as DSS (on the ledger, signed here) or SPV (a salted commitment on the ledger, the
 * record in this organization's store). Records are opened in this page with the member's
 * keys; nothing secret is sent.
 */
import { useState, type FormEvent } from 'react';
import type { RecordsClient } from '@medledger/client';
import { PURPOSES, type Purpose } from '@medledger/core';
import { randomBytes, toHex } from '@medledger/crypto';
import type { Session } from '../session.js';

type Obj = Record<string, unknown>;

/** What a denial code means, for a clinician. */
const REASONS: Record<string, string> = {
  NO_GRANT: 'the patient has not given you (or your role or organization) access',
  OUT_OF_SCOPE: 'the patient’s consent does not cover this kind of record',
  PURPOSE_NOT_ALLOWED: 'the patient’s consent does not cover this purpose',
  NOT_YET_VALID: 'the patient’s consent is not valid yet',
  EXPIRED: 'the patient’s consent has expired',
  GRANT_REVOKED: 'the patient revoked the consent',
  RECORD_ERASED: 'the record was erased at the patient’s request',
  NOT_A_RECEIVER: 'the record was not sent to you',
  NOT_RESPONSIBLE: 'you are not in the patient’s care team, so you cannot write their records',
};

function reasonOf(e: unknown): { code: string; text: string } {
  const err = e as { code?: string; message?: string };
  const m = /\b([A-Z][A-Z_]{3,})\b/.exec(`${err.code ?? ''} ${err.message ?? ''}`);
  const code = m?.[1] ?? err.code ?? 'ERROR';
  return { code, text: REASONS[code] ?? err.message ?? String(e) };
}

export function Clinician({ session }: { session: Session }) {
  const records = session.records;
  return (
    <section aria-labelledby="clinician-title">
      <h2 id="clinician-title">Clinical records</h2>
      <ReadForm records={records} />
      <WriteForm records={records} />
    </section>
  );
}

function ReadForm({ records }: { records: RecordsClient }) {
  const [recordId, setRecordId] = useState('');
  const [purpose, setPurpose] = useState<Purpose>('treatment');
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<
    { ok: true; resource: Obj; note: string } | { ok: false; code: string; text: string }
  >();

  async function read(e: FormEvent) {
    e.preventDefault();
    setOut(undefined);
    if (recordId.trim() === '') return setOut({ ok: false, code: 'INPUT', text: 'Type the record id.' });
    setBusy(true);
    try {
      const meta = await records.state<{ mode?: string }>(`record:${recordId.trim()}`);
      if (!meta) return setOut({ ok: false, code: 'NOT_FOUND', text: 'There is no record with this id.' });
      if (meta.mode === 'dss') {
        const r = await records.readDss(recordId.trim(), purpose);
        setOut({ ok: true, resource: r.resource, note: 'Read from the ledger (DSS); this read is logged.' });
      } else if (meta.mode === 'spv') {
        const r = await records.readSpv(recordId.trim(), purpose);
        setOut({
          ok: true,
          resource: r.resource,
          note: r.verified
            ? 'Opened here and checked against its commitment on the ledger; this read is logged.'
            : 'Opened here, de-identified; this read is logged.',
        });
      } else {
        const r = await records.openStt(recordId.trim(), purpose);
        setOut({ ok: true, resource: r, note: 'Decrypted here (STT); this read is logged.' });
      }
    } catch (err) {
      setOut({ ok: false, ...reasonOf(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={read} noValidate aria-labelledby="read-title">
      <h3 id="read-title">Read a record</h3>
      <label htmlFor="read-record">Record id</label>
      <input id="read-record" value={recordId} onChange={(e) => setRecordId(e.target.value)} />
      <label htmlFor="read-purpose">Purpose</label>
      <select id="read-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value as Purpose)}>
        {PURPOSES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <button type="submit" disabled={busy}>
        {busy ? 'Asking the ledger…' : 'Read'}
      </button>
      {out && !out.ok && (
        <p role="alert" className="error" data-testid="read-denied">
          Refused ({out.code}): {out.text}.
        </p>
      )}
      {out?.ok && (
        <div role="status" data-testid="read-result">
          <p className="ok">{out.note}</p>
          <pre className="resource">{JSON.stringify(out.resource, null, 2)}</pre>
        </div>
      )}
    </form>
  );
}

function WriteForm({ records }: { records: RecordsClient }) {
  const [type, setType] = useState<'Observation' | 'Condition'>('Observation');
  const [arch, setArch] = useState<'spv' | 'dss'>('spv');
  const [patient, setPatient] = useState('');
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [value, setValue] = useState('');
  const [unit, setUnit] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string }>();

  async function write(e: FormEvent) {
    e.preventDefault();
    setMsg(undefined);
    if (!/^[0-9a-f]{64}$/.test(patient.trim()))
      return setMsg({ ok: false, text: 'The patient’s member id is 64 hexadecimal characters.' });
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(subject.trim()))
      return setMsg({ ok: false, text: 'The episode (FHIR subject) is letters, digits, “.”, “_” or “-”.' });
    if (text.trim() === '') return setMsg({ ok: false, text: 'Say what was observed or diagnosed.' });
    const v = Number(value);
    if (type === 'Observation' && (value.trim() === '' || !Number.isFinite(v)))
      return setMsg({ ok: false, text: 'An observation needs a numeric value.' });
    const ref = { reference: `Patient/${subject.trim()}` };
    const resource: Obj =
      type === 'Observation'
        ? {
            resourceType: 'Observation',
            status: 'final',
            category: [
              {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                    code: 'laboratory',
                  },
                ],
              },
            ],
            code: { text: text.trim() },
            subject: ref,
            performer: [{ reference: `Practitioner/${records.memberId}` }],
            valueQuantity: { value: v, ...(unit.trim() ? { unit: unit.trim() } : {}) },
          }
        : {
            resourceType: 'Condition',
            code: { text: text.trim() },
            subject: ref,
            recorder: { reference: `Practitioner/${records.memberId}` },
          };
    const recordId = `${type === 'Observation' ? 'obs' : 'cond'}-${toHex(randomBytes(8))}`;
    setBusy(true);
    try {
      const r =
        arch === 'spv'
          ? await records.writeSpv({ recordId, patient: patient.trim(), resource: resource as never })
          : await records.writeDss({
              recordId,
              patient: patient.trim(),
              category: type === 'Observation' ? 'lab' : 'clinical',
              resource: resource as never,
            });
      setMsg(
        r.receipt.code === 'OK'
          ? {
              ok: true,
              text: `Written as ${recordId} (${arch.toUpperCase()}), in block ${r.receipt.height}.`,
            }
          : {
              ok: false,
              text: `The ledger refused the record: ${r.receipt.code} ${r.receipt.message ?? ''}`,
            },
      );
    } catch (err) {
      const r = reasonOf(err);
      setMsg({ ok: false, text: `Not written (${r.code}): ${r.text}` });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={write} noValidate aria-labelledby="write-title">
      <h3 id="write-title">Write a record</h3>
      <fieldset>
        <legend>Record</legend>
        {(['Observation', 'Condition'] as const).map((t) => (
          <label key={t} className="inline">
            <input type="radio" name="type" checked={type === t} onChange={() => setType(t)} /> {t}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Where it lives</legend>
        <label className="inline">
          <input type="radio" name="arch" checked={arch === 'spv'} onChange={() => setArch('spv')} /> SPV: a
          commitment on the ledger, the record in our store
        </label>
        <label className="inline">
          <input type="radio" name="arch" checked={arch === 'dss'} onChange={() => setArch('dss')} /> DSS: on
          the ledger, readable by every member
        </label>
      </fieldset>
      <label htmlFor="write-patient">Patient’s member id</label>
      <input
        id="write-patient"
        className="mono"
        value={patient}
        onChange={(e) => setPatient(e.target.value)}
      />
      <label htmlFor="write-subject">Episode (FHIR subject)</label>
      <input id="write-subject" value={subject} onChange={(e) => setSubject(e.target.value)} />
      <label htmlFor="write-text">{type === 'Observation' ? 'What was measured' : 'Diagnosis'}</label>
      <input id="write-text" value={text} onChange={(e) => setText(e.target.value)} />
      {type === 'Observation' && (
        <>
          <label htmlFor="write-value">Value</label>
          <input
            id="write-value"
            inputMode="decimal"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
          <label htmlFor="write-unit">Unit</label>
          <input id="write-unit" value={unit} onChange={(e) => setUnit(e.target.value)} />
        </>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Signing and committing…' : 'Write'}
      </button>
      {msg && (
        <p role={msg.ok ? 'status' : 'alert'} className={msg.ok ? 'ok' : 'error'}>
          {msg.text}
        </p>
      )}
    </form>
  );
}
