/**
 * My patients: the patients whose care team names this doctor (from the ledger, through the
 * node's care-team index), and, for the one opened, their records (meta only; listing them is
 * logged for the patient), each read here with a stated purpose.
 */
import { useCallback, useEffect, useState } from 'react';
import { API, pathOf, type RecordsClient } from '@medledger/client';
import { PURPOSES, type Purpose } from '@medledger/core';
import { memberName, type MemberName } from './members.js';
import { readRecord, type ReadOutcome } from './read.js';
import { reasonOf, shortId } from './reasons.js';

interface ListedRecord {
  recordId: string;
  mode: string;
  category: string;
  resourceType: string;
  time: number;
  erasedAt?: number;
}

export function Patients({
  records,
  onWrite,
}: {
  records: RecordsClient;
  onWrite: (patient: string) => void;
}) {
  const [patients, setPatients] = useState<(MemberName & { since: number })[]>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();

  const load = useCallback(async () => {
    setError(undefined);
    try {
      const r = await records.signed<{ patients: { patient: string; since: number }[] }>(
        'GET',
        pathOf(API.patients.ofClinician, { id: records.memberId }),
      );
      setPatients(
        await Promise.all(
          r.patients.map(async (p) => ({ ...(await memberName(records, p.patient)), since: p.since })),
        ),
      );
    } catch (e) {
      const r = reasonOf(e);
      setError(`Your patients could not be loaded (${r.code}): ${r.text}`);
    }
  }, [records]);
  useEffect(() => void load(), [load]);

  return (
    <section className="card" aria-labelledby="patients-title">
      <h3 id="patients-title">My patients</h3>
      {error && (
        <p role="alert" className="error">
          {error} <button onClick={() => void load()}>Try again</button>
        </p>
      )}
      {patients === undefined && !error && <p className="progress">Loading your patients…</p>}
      {patients?.length === 0 && <p className="muted">No patient has named you in their care team yet.</p>}
      {patients && patients.length > 0 && (
        <ul className="patients">
          {patients.map((p) => (
            <li key={p.id} data-testid="patient">
              <div className="patient-row">
                <span>
                  <strong>{p.name}</strong>{' '}
                  <span className="mono muted" title={p.id}>
                    {shortId(p.id)}
                  </span>
                  <span className="muted">
                    {' '}
                    · in your care since {new Date(p.since).toLocaleDateString()}
                  </span>
                </span>
                <span className="actions">
                  <button
                    aria-expanded={open === p.id}
                    onClick={() => setOpen(open === p.id ? undefined : p.id)}
                  >
                    {open === p.id ? 'Close' : 'Open'} {p.name}
                  </button>
                  <button onClick={() => onWrite(p.id)}>Write for {p.name}</button>
                </span>
              </div>
              {open === p.id && <PatientRecords records={records} patient={p} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PatientRecords({ records, patient }: { records: RecordsClient; patient: MemberName }) {
  const [list, setList] = useState<ListedRecord[]>();
  const [error, setError] = useState<string>();
  const [purpose, setPurpose] = useState<Purpose>('treatment');
  const [reading, setReading] = useState<string>();
  const [shown, setShown] = useState<
    { recordId: string } & (({ ok: true } & ReadOutcome) | { ok: false; code: string; text: string })
  >();

  useEffect(() => {
    let live = true;
    records
      .signed<{ records: ListedRecord[] }>(
        'GET',
        pathOf(API.patients.recordsOfPatient, { id: records.memberId, patient: patient.id }),
      )
      .then((r) => live && setList(r.records))
      .catch((e: unknown) => {
        const r = reasonOf(e);
        if (live) setError(`Their records could not be listed (${r.code}): ${r.text}`);
      });
    return () => {
      live = false;
    };
  }, [records, patient.id]);

  async function read(recordId: string) {
    setReading(recordId);
    setShown(undefined);
    try {
      setShown({ recordId, ok: true, ...(await readRecord(records, recordId, purpose)) });
    } catch (e) {
      setShown({ recordId, ok: false, ...reasonOf(e) });
    } finally {
      setReading(undefined);
    }
  }

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!list) return <p className="progress">Listing {patient.name}’s records…</p>;
  return (
    <div className="patient-records">
      <label htmlFor={`purpose-${patient.id}`}>Read for</label>
      <select
        id={`purpose-${patient.id}`}
        value={purpose}
        onChange={(e) => setPurpose(e.target.value as Purpose)}
      >
        {PURPOSES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      {list.length === 0 ? (
        <p className="muted">No record of {patient.name} on the ledger yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="log" aria-label={`Records of ${patient.name}`}>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Kind</th>
                <th scope="col">Written</th>
                <th scope="col">
                  <span className="sr-only">Read</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.recordId} data-testid="patient-record">
                  <td className="mono">{r.recordId}</td>
                  <td>
                    {r.resourceType} · {r.category} · {r.mode.toUpperCase()}
                    {r.erasedAt !== undefined && ' · erased'}
                  </td>
                  <td>{new Date(r.time).toLocaleString()}</td>
                  <td>
                    <button disabled={reading !== undefined} onClick={() => void read(r.recordId)}>
                      {reading === r.recordId ? 'Asking the ledger…' : `Read ${r.recordId}`}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && !shown.ok && (
        <p role="alert" className="error" data-testid="patient-read-denied">
          {shown.recordId}: refused ({shown.code}): {shown.text}.
        </p>
      )}
      {shown?.ok && (
        <div role="status" data-testid="patient-read-result">
          <p className="ok">
            {shown.recordId}: {shown.note}
          </p>
          <pre className="resource">{JSON.stringify(shown.resource, null, 2)}</pre>
        </div>
      )}
    </div>
  );
}
