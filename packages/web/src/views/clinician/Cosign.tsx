/**
 * Co-signing: the DSS records this doctor proposed or is asked to co-sign (the node's
 * mailbox, polled every 3 s). A record awaiting this doctor's signature is shown whole for
 * review and signed here; the node checks the signature and submits the record once every
 * named doctor has signed, and the page shows the ledger's outcome.
 */
import { useCallback, useEffect, useState } from 'react';
import { cosignProposal, listProposals, type CosignProposal, type RecordsClient } from '@medledger/client';
import { memberName } from './members.js';
import { reasonOf } from './reasons.js';

type Outcome = { code: string; height: number; message?: string };

export function Cosign({ records }: { records: RecordsClient }) {
  const me = records.memberId;
  const [list, setList] = useState<CosignProposal[]>();
  const [names, setNames] = useState<Record<string, string>>({});
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [msg, setMsg] = useState<{ ok: boolean; text: string }>();

  const load = useCallback(async () => {
    try {
      const ps = await listProposals(records);
      setList(ps);
      setError(undefined);
      const ids = [...new Set(ps.flatMap((p) => [...p.signers, String(p.body.payload['patient'])]))];
      const got = await Promise.all(ids.map((id) => memberName(records, id)));
      setNames(Object.fromEntries(got.map((m) => [m.id, m.name])));
      for (const p of ps)
        if (p.txId && !outcomes[p.id]) {
          const r = await records.http.getReceipt(p.txId, 0).catch(() => undefined);
          if (r) setOutcomes((o) => ({ ...o, [p.id]: r as Outcome }));
        }
    } catch (e) {
      const r = reasonOf(e);
      setError(`The co-signing mailbox could not be read (${r.code}): ${r.text}. Retrying…`);
    }
  }, [records, outcomes]);

  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 3000);
    return () => clearInterval(t);
  }, [load]);

  async function sign(p: CosignProposal) {
    setBusy(p.id);
    setMsg(undefined);
    try {
      const done = await cosignProposal(records, p);
      const id = String(p.body.payload['recordId']);
      if (done.txId) {
        const r = (await records.http.getReceipt(done.txId, 15_000)) as Outcome;
        setOutcomes((o) => ({ ...o, [p.id]: r }));
        setMsg(
          r.code === 'OK'
            ? { ok: true, text: `Co-signed: ${id} is on the ledger, in block ${r.height}.` }
            : {
                ok: false,
                text: `Co-signed, but the ledger refused ${id} (${r.code}): ${reasonOf(r).text}.`,
              },
        );
      } else setMsg({ ok: true, text: `Co-signed ${id}: waiting for the other doctors.` });
      await load();
    } catch (e) {
      const r = reasonOf(e);
      setMsg({ ok: false, text: `Not co-signed (${r.code}): ${r.text}.` });
    } finally {
      setBusy(undefined);
    }
  }

  const name = (id: string) => (id === me ? 'you' : (names[id] ?? `${id.slice(0, 8)}…`));
  const awaiting = (list ?? []).filter(
    (p) => p.status === 'open' && p.signers.includes(me) && !p.signed.includes(me),
  );
  const others = (list ?? []).filter((p) => !awaiting.includes(p));

  return (
    <section className="card" aria-labelledby="cosign-title">
      <h3 id="cosign-title">Co-signing</h3>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {list === undefined && !error && <p className="progress">Reading the mailbox…</p>}
      {list?.length === 0 && <p className="muted">No record awaits a co-signature.</p>}
      {awaiting.map((p) => {
        const pl = p.body.payload as Record<string, unknown>;
        const id = String(pl['recordId']);
        return (
          <article
            key={p.id}
            className="proposal awaiting"
            data-testid="proposal"
            aria-label={`Record ${id}`}
          >
            <h4>Awaiting your co-signature: {id}</h4>
            <p>
              Proposed by {name(p.proposer)} for {name(String(pl['patient']))}: a {String(pl['resourceType'])}{' '}
              ({String(pl['category'])}) that needs {String(pl['k'])} of{' '}
              {(pl['responsible'] as string[]).length} responsible doctors. Signed so far:{' '}
              {p.signed.map(name).join(', ')}. Expires {new Date(p.expiresAt).toLocaleTimeString()}.
            </p>
            <details open>
              <summary>The record you are signing</summary>
              <pre className="resource">{JSON.stringify(pl['resource'], null, 2)}</pre>
            </details>
            <button onClick={() => void sign(p)} disabled={busy !== undefined}>
              {busy === p.id ? 'Signing here and submitting…' : `Co-sign ${id}`}
            </button>
          </article>
        );
      })}
      {others.length > 0 && (
        <ul className="proposals">
          {others.map((p) => {
            const id = String(p.body.payload['recordId']);
            const o = outcomes[p.id];
            const waiting = p.signers.filter((s) => !p.signed.includes(s));
            return (
              <li key={p.id} data-testid="proposal">
                <span className="mono">{id}</span>:{' '}
                {p.status === 'open'
                  ? `waiting for ${waiting.map(name).join(', ')} (${p.signed.length} of ${p.signers.length} signed)`
                  : p.status === 'expired'
                    ? 'expired before every doctor signed'
                    : o
                      ? o.code === 'OK'
                        ? `on the ledger, in block ${o.height}`
                        : `refused by the ledger (${o.code}): ${reasonOf(o).text}`
                      : 'submitted; waiting for the ledger…'}
              </li>
            );
          })}
        </ul>
      )}
      {msg && (
        <p role={msg.ok ? 'status' : 'alert'} className={msg.ok ? 'ok' : 'error'} data-testid="cosign-result">
          {msg.text}
        </p>
      )}
    </section>
  );
}
