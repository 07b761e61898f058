/**
 * The patient asks to erase one of their records (GDPR Art. 17): a `record.erase` transaction
 * built and signed in this page and sent through the node, which refuses a DSS record before
 * anything is submitted and otherwise waits for the ledger's receipt. The refusal is shown in
 * words with the ledger's own explanation.
 */
import { useState, type FormEvent } from 'react';
import type { RecordsClient } from '@medledger/client';
import { inWords } from './words.js';

/** What became of an erasure request made in this page. */
export type ErasureOutcome =
  | { recordId: string; ok: true; height: number; at: number }
  | { recordId: string; ok: false; code: string; text: string; detail?: string; at: number };

/** The erasure control of one record: a button, then the reason and the request. */
export function EraseRecord({
  recordId,
  records,
  onOutcome,
}: {
  recordId: string;
  records: RecordsClient;
  onOutcome: (o: ErasureOutcome) => void;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('I withdraw my consent (GDPR Art. 17)');
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<ErasureOutcome | undefined>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const why = reason.trim();
    if (why === '' || why.length > 256)
      return setOut({
        recordId,
        ok: false,
        code: 'INPUT',
        text: 'say in a few words why (at most 256 characters)',
        at: Date.now(),
      });
    setBusy(true);
    setOut(undefined);
    try {
      const r = await records.erase(recordId, why);
      const o: ErasureOutcome = { recordId, ok: true, height: r.receipt?.height ?? 0, at: Date.now() };
      setOut(o);
      onOutcome(o);
    } catch (err) {
      const o: ErasureOutcome = { recordId, ok: false, ...inWords(err), at: Date.now() };
      setOut(o);
      onOutcome(o);
    } finally {
      setBusy(false);
    }
  }

  if (!open)
    return (
      <button className="secondary" onClick={() => setOpen(true)} aria-label={`Ask to erase ${recordId}`}>
        Ask to erase…
      </button>
    );
  return (
    <form className="erase" onSubmit={submit} noValidate aria-label={`Erase ${recordId}`}>
      <label htmlFor={`erase-reason-${recordId}`}>Why do you want it erased?</label>
      <input id={`erase-reason-${recordId}`} value={reason} onChange={(e) => setReason(e.target.value)} />
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing and asking the ledger…' : 'Erase this record'}
        </button>{' '}
        <button type="button" className="secondary" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
      </div>
      {out &&
        (out.ok ? (
          <p role="status" className="ok">
            Erased in block {out.height}: the copy kept off the ledger is destroyed.
          </p>
        ) : (
          <p role="alert" className="error" data-testid={`erase-refused-${recordId}`}>
            Not erased: {out.text}.
            {out.detail ? <span className="detail"> The ledger says: “{out.detail}”</span> : null}
          </p>
        ))}
    </form>
  );
}
