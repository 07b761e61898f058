/**
 * Write an Observation or a Condition as SPV (a salted commitment on the ledger, the record in
 * this organization's store), DSS (on the ledger, signed here; with co-signers, proposed in the
 * node's mailbox until they sign) or STT (encrypted here to the receivers chosen, the release
 * key kept by this organization's node). A wrong field is named next to it before anything is
 * sent.
 */
import { useState, type FormEvent } from 'react';
import { proposeDss, type RecordsClient } from '@medledger/client';
import { PURPOSES, type Purpose } from '@medledger/core';
import { randomBytes, toHex } from '@medledger/crypto';
import { MEMBER_ID, fieldErrors, resourceOf, type FieldErrors, type RecordFields } from './fhirForm.js';
import { useCareTeam, useDssQuorum } from './members.js';
import { reasonOf, shortId } from './reasons.js';

type Arch = 'spv' | 'dss' | 'stt';
type Obj = Parameters<RecordsClient['writeDss']>[0]['resource'];

export function WriteForm({
  records,
  patient: initialPatient,
}: {
  records: RecordsClient;
  patient?: string;
}) {
  const me = records.memberId;
  const [f, setF] = useState<RecordFields>({
    type: 'Observation',
    patient: initialPatient ?? '',
    subject: '',
    text: '',
    value: '',
    unit: '',
  });
  const [arch, setArch] = useState<Arch>('spv');
  const [cosigners, setCosigners] = useState<string[]>([]);
  const [receivers, setReceivers] = useState<string[]>([me]);
  const [others, setOthers] = useState('');
  const [sentFor, setSentFor] = useState<Purpose>('treatment');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<string>();
  const [msg, setMsg] = useState<{ ok: boolean; text: string }>();
  const team = useCareTeam(records, f.patient);
  const category = f.type === 'Observation' ? 'lab' : 'clinical';
  const quorum = useDssQuorum(records, f.patient, category, f.type);
  const set = (k: keyof RecordFields) => (v: string) => setF((x) => ({ ...x, [k]: v }));
  const toggle = (list: string[], id: string) =>
    list.includes(id) ? list.filter((x) => x !== id) : [...list, id];

  async function write(e: FormEvent) {
    e.preventDefault();
    setMsg(undefined);
    const errs = fieldErrors(f);
    const extra = others.split(/[\s,]+/).filter((x) => x !== '');
    if (arch === 'stt' && extra.some((x) => !MEMBER_ID.test(x)))
      errs.receivers = 'Each other receiver is a member id of 64 hexadecimal characters.';
    const to = [...new Set([...receivers, ...extra])];
    if (arch === 'stt' && to.length === 0) errs.receivers = 'Choose at least one receiver.';
    if (arch === 'dss' && quorum && cosigners.length + 1 < quorum.k)
      errs.cosigners = `This record must be signed by ${quorum.k} of the patient’s doctors (${quorum.by === 'patient' ? 'the patient’s' : 'the consortium’s'} rule): ask ${quorum.k - 1 - cosigners.length} more to co-sign.`;
    setErrors(errs);
    if (Object.keys(errs).length > 0)
      return setMsg({ ok: false, text: `Check the form: ${Object.values(errs).join(' ')}` });
    const resource = resourceOf(f, me) as Obj;
    const recordId = `${f.type === 'Observation' ? 'obs' : 'cond'}-${toHex(randomBytes(8))}`;
    const patient = f.patient.trim();
    try {
      if (arch === 'dss' && cosigners.length > 0) {
        const ids = team.map((t) => t.id);
        if (!ids.includes(me))
          return setMsg({
            ok: false,
            text: `Not proposed (NOT_RESPONSIBLE): ${reasonOf({ code: 'NOT_RESPONSIBLE' }).text}.`,
          });
        setBusy('Signing here and leaving it for your colleagues…');
        const body = await records.prepareDss(
          { recordId, patient, category, resource, responsible: ids, k: 1 + cosigners.length },
          cosigners,
        );
        const p = await proposeDss(records, body);
        const names = team.filter((t) => cosigners.includes(t.id)).map((t) => t.name);
        return setMsg({
          ok: true,
          text: `Proposed as ${recordId} (DSS, ${p.signers.length} of ${ids.length} doctors): waiting for the co-signature of ${names.join(', ')}. It is not on the ledger until they sign.`,
        });
      }
      setBusy(arch === 'stt' ? 'Encrypting here and committing…' : 'Signing and committing…');
      const r =
        arch === 'spv'
          ? await records.writeSpv({ recordId, patient, resource })
          : arch === 'dss'
            ? await records.writeDss({ recordId, patient, category, resource })
            : await records.sendStt({
                recordId,
                patient,
                category,
                resource,
                receivers: to,
                purpose: sentFor,
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
      setBusy(undefined);
    }
  }

  const field = (
    k: keyof RecordFields,
    label: string,
    extra: { inputMode?: 'decimal'; className?: string } = {},
  ) => (
    <>
      <label htmlFor={`write-${k}`}>{label}</label>
      <input
        id={`write-${k}`}
        value={f[k]}
        onChange={(e) => set(k)(e.target.value)}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `write-${k}-error` : undefined}
        {...extra}
      />
      {errors[k] && (
        <span id={`write-${k}-error`} className="field-error">
          {errors[k]}
        </span>
      )}
    </>
  );
  const colleagues = team.filter((t) => t.id !== me);

  return (
    <form className="card" onSubmit={write} noValidate aria-labelledby="write-title">
      <h3 id="write-title">Write a record</h3>
      <fieldset>
        <legend>Record</legend>
        {(['Observation', 'Condition'] as const).map((t) => (
          <label key={t} className="inline">
            <input type="radio" name="type" checked={f.type === t} onChange={() => set('type')(t)} /> {t}
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
          the ledger, readable by every member, signed by its doctors
        </label>
        <label className="inline">
          <input type="radio" name="arch" checked={arch === 'stt'} onChange={() => setArch('stt')} /> STT:
          encrypted to the receivers you choose
        </label>
      </fieldset>
      {field('patient', 'Patient’s member id', { className: 'mono' })}
      {field('subject', 'Episode (FHIR subject)')}
      {field('text', f.type === 'Observation' ? 'What was measured' : 'Diagnosis')}
      {f.type === 'Observation' && (
        <>
          {field('value', 'Value', { inputMode: 'decimal' })}
          {field('unit', 'Unit')}
        </>
      )}
      {arch === 'dss' && (
        <fieldset aria-describedby="write-cosigners-note">
          <legend>Co-signers</legend>
          <span
            id="write-cosigners-note"
            className={`note-line ${errors.cosigners ? 'field-error' : 'muted'}`}
          >
            {errors.cosigners ??
              (quorum && quorum.k > 1
                ? `This record needs ${quorum.k} signatures: yours and ${quorum.k - 1} more.`
                : 'Optional: colleagues who sign with you.')}
          </span>
          {colleagues.length === 0 ? (
            <p className="muted">No other doctor is in this patient’s care team.</p>
          ) : (
            colleagues.map((t) => (
              <label key={t.id} className="inline" title={t.id}>
                <input
                  type="checkbox"
                  checked={cosigners.includes(t.id)}
                  onChange={() => setCosigners((c) => toggle(c, t.id))}
                />{' '}
                Ask {t.name} to co-sign
              </label>
            ))
          )}
        </fieldset>
      )}
      {arch === 'stt' && (
        <fieldset>
          <legend>Receivers</legend>
          <label className="inline">
            <input
              type="checkbox"
              checked={receivers.includes(me)}
              onChange={() => setReceivers((r) => toggle(r, me))}
            />{' '}
            Send to me
          </label>
          {colleagues.map((t) => (
            <label key={t.id} className="inline" title={t.id}>
              <input
                type="checkbox"
                checked={receivers.includes(t.id)}
                onChange={() => setReceivers((r) => toggle(r, t.id))}
              />{' '}
              Send to {t.name} ({shortId(t.id)})
            </label>
          ))}
          <label htmlFor="write-others">Other receivers (member ids)</label>
          <textarea
            id="write-others"
            className="mono"
            rows={2}
            value={others}
            onChange={(e) => setOthers(e.target.value)}
            aria-invalid={errors.receivers ? true : undefined}
            aria-describedby={errors.receivers ? 'write-receivers-error' : undefined}
          />
          {errors.receivers && (
            <span id="write-receivers-error" className="field-error">
              {errors.receivers}
            </span>
          )}
          <label htmlFor="write-sent-for">Sent for</label>
          <select id="write-sent-for" value={sentFor} onChange={(e) => setSentFor(e.target.value as Purpose)}>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </fieldset>
      )}
      <button type="submit" disabled={busy !== undefined}>
        {busy ?? 'Write'}
      </button>
      {busy && (
        <p role="status" className="progress">
          {busy}
        </p>
      )}
      {msg && (
        <p role={msg.ok ? 'status' : 'alert'} className={msg.ok ? 'ok' : 'error'} data-testid="write-result">
          {msg.text}
        </p>
      )}
    </form>
  );
}
