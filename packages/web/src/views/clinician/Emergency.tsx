/**
 * Emergency access (break-glass; survey §5, threshold proxy re-encryption): the doctor's
 * receiving key, derived in this page from their wallet (crypto `preKeyPairFromSeed`) and
 * published once so that a patient can name them; a request with a coded reason
 * (`emergency.request`, signed here: the ledger decides, keeps the reason with the decision, and
 * the patient is notified); its progress while the patient's proxies re-encrypt (any threshold
 * of them, e.g. 2 of 3); and the record, decrypted in this page from the proxies' capsule
 * fragments (Umbral in WebAssembly).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { API, httpLedgerSource, openEmergencyRecord, pathOf } from '@medledger/client';
import { fromUtf8, toB64u } from '@medledger/crypto';
import { preKeyPairFromSeed, type PreKeyPair } from '@medledger/crypto/pre';
import {
  EMERGENCY_REASONS,
  type EmergencyReason,
  type EmergencyRequest,
} from '@medledger/core/contracts/confidentiality';
import type { Session } from '../../session.js';
import { reasonOf } from './reasons.js';

/** The coded reasons in words (the ledger keeps the code: no clinical detail on the ledger). */
const REASON_WORDS: Record<EmergencyReason, string> = {
  'patient-unconscious': 'The patient is unconscious',
  'life-threatening': 'The patient’s life is in danger',
  'unable-to-consent': 'The patient cannot give consent',
  'urgent-treatment': 'Urgent treatment cannot wait for consent',
};

type Status =
  | { step: 'sending' }
  | { step: 'waiting'; request: EmergencyRequest }
  | { step: 'done'; request: EmergencyRequest; text: string }
  | { step: 'failed'; code: string; text: string };

export function Emergency({ session }: { session: Session }) {
  const records = session.records;
  // Derived when the card mounts, wiped when it unmounts (sign-out included).
  const [key, setKey] = useState<PreKeyPair | Error>();
  useEffect(() => {
    let k: PreKeyPair;
    try {
      k = preKeyPairFromSeed(session.encryptionKey);
    } catch (e) {
      setKey(e as Error);
      return;
    }
    setKey(k);
    return () => {
      k.secretKey.fill(0);
    };
  }, [session.encryptionKey]);
  const [published, setPublished] = useState<boolean>();
  const [publishing, setPublishing] = useState(false);
  const [setupId, setSetupId] = useState('');
  const [recordId, setRecordId] = useState('');
  const [reason, setReason] = useState<EmergencyReason>('patient-unconscious');
  const [problem, setProblem] = useState<string>();
  const [requestId, setRequestId] = useState<string>();
  const [status, setStatus] = useState<Status>();

  useEffect(() => {
    if (key === undefined || key instanceof Error) return;
    void records
      .state<{ pre?: string }>(`pubkeys:${records.memberId}`)
      .then((k) => setPublished(k?.pre === toB64u(key.publicKey)))
      .catch(() => setPublished(false));
  }, [records, key]);

  // Follows the request until the threshold of proxies has answered, then decrypts here.
  useEffect(() => {
    if (!requestId || key === undefined || key instanceof Error) return;
    let live = true;
    const source = httpLedgerSource(window.location.origin, {
      signerId: session.memberId,
      privateKey: session.signingKey,
    });
    const poll = async (): Promise<void> => {
      while (live) {
        try {
          const r = await records.signed<EmergencyRequest>(
            'GET',
            pathOf(API.confidentiality.emergencyRequest, { id: requestId }),
          );
          if (!r.allow) {
            setStatus({ step: 'failed', ...reasonOf({ code: r.code }) });
            return;
          }
          if (r.cfrags.length >= r.threshold) {
            const plain = await openEmergencyRecord(source, requestId, key.secretKey);
            if (live) setStatus({ step: 'done', request: r, text: fromUtf8(plain) });
            return;
          }
          if (live) setStatus({ step: 'waiting', request: r });
        } catch (e) {
          // Not decided yet (404 until the request commits) or a node away for a moment.
          if ((e as { status?: number }).status !== 404) {
            const r = reasonOf(e);
            if (live) setProblem(`Still trying (${r.code}): ${r.text}`);
          }
        }
        await new Promise((r) => setTimeout(r, 700));
      }
    };
    void poll();
    return () => {
      live = false;
    };
  }, [requestId, key, records, session]);

  async function publish() {
    if (key === undefined || key instanceof Error) return;
    setPublishing(true);
    setProblem(undefined);
    try {
      await records.submit('keys.publish', { pre: toB64u(key.publicKey) });
      setPublished(true);
    } catch (e) {
      const r = reasonOf(e);
      setProblem(`Your emergency key was not published (${r.code}): ${r.text}.`);
    } finally {
      setPublishing(false);
    }
  }

  async function request(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    if (setupId.trim() === '' || recordId.trim() === '')
      return setProblem('Give the patient’s emergency arrangement and the emergency record to open.');
    setStatus({ step: 'sending' });
    setRequestId(undefined);
    try {
      const { txId } = await records.submit('emergency.request', {
        setupId: setupId.trim(),
        recordId: recordId.trim(),
        reason,
      });
      setRequestId(txId);
    } catch (err) {
      setStatus({ step: 'failed', ...reasonOf(err) });
    }
  }

  return (
    <section className="card" aria-labelledby="emergency-title">
      <h3 id="emergency-title">Emergency access</h3>
      {key === undefined ? (
        <p className="progress">Preparing your emergency key…</p>
      ) : key instanceof Error ? (
        <p role="alert" className="error">
          This browser could not start the re-encryption code ({key.message}); emergency access needs a
          current browser with WebAssembly.
        </p>
      ) : (
        <p>
          Your emergency key{' '}
          <span className="mono" title={toB64u(key.publicKey)}>
            {toB64u(key.publicKey).slice(0, 12)}…
          </span>{' '}
          {published === undefined
            ? '…'
            : published
              ? 'is published: patients can name you for emergencies.'
              : 'is not published yet.'}{' '}
          {published === false && (
            <button onClick={() => void publish()} disabled={publishing}>
              {publishing ? 'Publishing…' : 'Publish my emergency key'}
            </button>
          )}
        </p>
      )}
      <form onSubmit={request} noValidate aria-label="Request emergency access">
        <label htmlFor="er-setup">Patient’s emergency arrangement (set-up id)</label>
        <input id="er-setup" value={setupId} onChange={(e) => setSetupId(e.target.value)} />
        <label htmlFor="er-record">Emergency summary to open (its id)</label>
        <input id="er-record" value={recordId} onChange={(e) => setRecordId(e.target.value)} />
        <label htmlFor="er-reason">Reason for emergency access</label>
        <select id="er-reason" value={reason} onChange={(e) => setReason(e.target.value as EmergencyReason)}>
          {EMERGENCY_REASONS.map((r) => (
            <option key={r} value={r}>
              {REASON_WORDS[r]}
            </option>
          ))}
        </select>
        <button type="submit" disabled={status?.step === 'sending' || status?.step === 'waiting'}>
          Request emergency access
        </button>
      </form>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {status?.step === 'sending' && <p className="progress">Asking the ledger…</p>}
      {status?.step === 'waiting' && (
        <p role="status" className="progress" data-testid="emergency-progress">
          Allowed by the ledger; the patient is notified. Waiting for the proxies:{' '}
          {status.request.cfrags.length} of {status.request.threshold} have re-encrypted.
        </p>
      )}
      {status?.step === 'failed' && (
        <p role="alert" className="error" data-testid="emergency-refused">
          Refused ({status.code}): {status.text}.
        </p>
      )}
      {status?.step === 'done' && (
        <div role="status" data-testid="emergency-result">
          <p className="ok">
            Released by {status.request.cfrags.length} of the patient’s proxies and decrypted in this page
            (reason on the ledger: {REASON_WORDS[(status.request.reason ?? reason) as EmergencyReason]}). This
            access is on the ledger and the patient is notified.
          </p>
          <pre className="resource">{pretty(status.text)}</pre>
        </div>
      )}
    </section>
  );
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
