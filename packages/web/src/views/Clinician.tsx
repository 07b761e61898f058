/**
 * The clinician's page: their patients (care teams) with each one's records, read with a
 * stated purpose; records awaiting their co-signature; a record read by id (the decision is
 * made on the ledger, and a refusal is shown with its reason in words); a record written as
 * SPV, DSS (alone or co-signed by k of n) or STT; and emergency access. Records are opened
 * and signed in this page with the member's keys; nothing secret is sent.
 */
import { useState } from 'react';
import type { Session } from '../session.js';
import { Cosign } from './clinician/Cosign.js';
import { Emergency } from './clinician/Emergency.js';
import { Patients } from './clinician/Patients.js';
import { ReadForm } from './clinician/ReadForm.js';
import { WriteForm } from './clinician/WriteForm.js';
import './clinician/clinician.css';

export function Clinician({ session }: { session: Session }) {
  const records = session.records;
  const [writeFor, setWriteFor] = useState<{ patient: string; n: number }>({ patient: '', n: 0 });
  return (
    <section aria-labelledby="clinician-title" className="clinician">
      <h2 id="clinician-title">Clinical records</h2>
      <Patients
        records={records}
        onWrite={(patient) => {
          setWriteFor((w) => ({ patient, n: w.n + 1 }));
          document.getElementById('write-title')?.scrollIntoView({ behavior: 'smooth' });
        }}
      />
      <Cosign records={records} />
      <ReadForm records={records} />
      <WriteForm key={writeFor.n} records={records} patient={writeFor.patient} />
      <Emergency session={session} />
    </section>
  );
}
