/** Read a record by its id with a stated purpose; a refusal is shown with its reason in words. */
import { useState, type FormEvent } from 'react';
import type { RecordsClient } from '@medledger/client';
import { PURPOSES, type Purpose } from '@medledger/core';
import { readRecord, type ReadOutcome } from './read.js';
import { reasonOf } from './reasons.js';

export function ReadForm({ records }: { records: RecordsClient }) {
  const [recordId, setRecordId] = useState('');
  const [purpose, setPurpose] = useState<Purpose>('treatment');
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<({ ok: true } & ReadOutcome) | { ok: false; code: string; text: string }>();

  async function read(e: FormEvent) {
    e.preventDefault();
    setOut(undefined);
    if (recordId.trim() === '') return setOut({ ok: false, code: 'INPUT', text: 'Type the record id' });
    setBusy(true);
    try {
      setOut({ ok: true, ...(await readRecord(records, recordId.trim(), purpose)) });
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
