/**
 * The consortium explorer: the node's status and height, live; the consortium's nodes with
 * their heights and latest checkpoints (explorer/Nodes.tsx); once signed in, the latest
 * blocks and their transactions (reading a block is a signed read, logged on the ledger when
 * it carries DSS records), and a transaction's inclusion proof checked here, in the browser,
 * by the client's light client against the genesis's node keys.
 */
import { useEffect, useRef, useState } from 'react';
import { MedledgerClient, checkTxWithProof, type BlockWithCodes, type TxCheck } from '@medledger/client';
import { txIdOf, type Genesis } from '@medledger/core';
import type { Session } from '../session.js';
import { Sparkline } from './Sparkline.js';
import { Nodes } from './explorer/Nodes.js';
import './explorer/explorer.css';

type Status = Record<string, unknown> & { chainId: string; height: number };
interface BlockRow {
  height: number;
  time: number;
  txCount: number;
  proposer: string;
  hash: string;
  txs: { id: string; type: string; code: string }[];
}

const POLL_MS = 2000;
const SHOWN = 8;

function rowOf(b: BlockWithCodes): BlockRow {
  const h = b.block.header;
  return {
    height: h.height,
    time: h.time,
    txCount: h.txCount,
    proposer: h.proposer,
    hash: b.hash,
    txs: b.block.txs.map((tx, i) => ({ id: txIdOf(tx.body), type: tx.body.type, code: b.codes[i] ?? '?' })),
  };
}

export function Explorer({ session }: { session: Session | undefined }) {
  const publicClient = useRef(new MedledgerClient(window.location.origin));
  const [status, setStatus] = useState<Status | undefined>();
  const [down, setDown] = useState<string | undefined>();
  const [blocks, setBlocks] = useState<BlockRow[]>([]);
  const [genesis, setGenesis] = useState<Genesis | undefined>();
  const [open, setOpen] = useState<number | undefined>();

  // Status, polled; a node that does not answer for a moment is retried and said so.
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const s = await publicClient.current.status();
        if (stop) return;
        setStatus(s);
        setDown(undefined);
      } catch (e) {
        if (!stop)
          setDown(`The node does not answer (${(e as Error).message}); retrying every ${POLL_MS / 1000} s…`);
      }
    };
    void tick();
    const t = setInterval(() => void tick(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);

  // The genesis, asked again every poll until the node gives it.
  useEffect(() => {
    if (genesis) return;
    void publicClient.current.genesis().then(setGenesis, () => undefined);
  }, [genesis, status]);

  // The latest blocks, fetched as the height grows (signed reads: members only).
  const height = status?.height;
  useEffect(() => {
    if (!session || height === undefined) return;
    let stop = false;
    void (async () => {
      const have = new Set(blocks.map((b) => b.height));
      const want: number[] = [];
      for (let h = height; h >= 1 && h > height - SHOWN; h--) if (!have.has(h)) want.push(h);
      const got = await Promise.all(want.map((h) => session.client.getBlock(h).then(rowOf, () => undefined)));
      if (stop) return;
      setBlocks((prev) =>
        [...prev, ...got.filter((b): b is BlockRow => b !== undefined)]
          .sort((a, b) => b.height - a.height)
          .slice(0, SHOWN),
      );
    })();
    return () => {
      stop = true;
    };
  }, [session, height]);

  const ordered = [...blocks].sort((a, b) => a.height - b.height);
  const gaps = ordered.slice(1).map((b, i) => b.time - ordered[i]!.time);
  const txRate = ordered.slice(1).map((b, i) => (b.txCount * 1000) / Math.max(1, b.time - ordered[i]!.time));

  return (
    <section aria-labelledby="explorer-title">
      <h2 id="explorer-title">Consortium explorer</h2>
      {down && (
        <p role="alert" className="error">
          {down}
        </p>
      )}
      <div className="cards">
        <div className="card">
          <h3>Node</h3>
          <dl>
            <dt>Height</dt>
            <dd data-testid="height">{status ? status.height : '…'}</dd>
            <dt>Ordering</dt>
            <dd>{String(status?.['orderer'] ?? '…')}</dd>
            <dt>Chain</dt>
            <dd className="mono">{status ? `${status.chainId.slice(0, 16)}…` : '…'}</dd>
            <dt>Finalized height</dt>
            <dd>{String(status?.['finalHeight'] ?? '—')}</dd>
          </dl>
        </div>
        <div className="card">
          <h3>Transactions per second</h3>
          <Sparkline values={txRate} label="transactions per second, block by block" />
        </div>
        <div className="card">
          <h3>Block time (ms)</h3>
          <Sparkline values={gaps} label="milliseconds between blocks" />
        </div>
      </div>
      <Nodes client={publicClient.current} genesis={genesis} status={status} />
      {session && <FindTx session={session} genesis={genesis} />}
      {!session ? (
        <p className="note">
          Sign in to see blocks and transactions: reading a block is a member’s signed read, and it is logged
          on the ledger when the block carries records.
        </p>
      ) : (
        <table className="blocks">
          <caption>Latest blocks</caption>
          <thead>
            <tr>
              <th scope="col">Height</th>
              <th scope="col">Time</th>
              <th scope="col">Transactions</th>
              <th scope="col">Proposer</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {blocks.map((b) => (
              <BlockRows
                key={b.height}
                b={b}
                open={open === b.height}
                toggle={() => setOpen(open === b.height ? undefined : b.height)}
                session={session}
                genesis={genesis}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function BlockRows({
  b,
  open,
  toggle,
  session,
  genesis,
}: {
  b: BlockRow;
  open: boolean;
  toggle: () => void;
  session: Session;
  genesis: Genesis | undefined;
}) {
  return (
    <>
      <tr>
        <td>
          <button className="link" aria-expanded={open} onClick={toggle}>
            {b.height}
          </button>
        </td>
        <td>{new Date(b.time).toLocaleTimeString()}</td>
        <td>{b.txCount}</td>
        <td>{b.proposer}</td>
        <td className="mono">{b.hash.slice(0, 12)}…</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={5}>
            <ul className="txs">
              {b.txs.map((t) => (
                <TxItem key={t.id} t={t} session={session} genesis={genesis} />
              ))}
            </ul>
          </td>
        </tr>
      )}
    </>
  );
}

/** Checks any transaction by id: fetched with its proof, verified here. */
function FindTx({ session, genesis }: { session: Session; genesis: Genesis | undefined }) {
  const [id, setId] = useState('');
  const [shown, setShown] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  return (
    <form
      className="card"
      aria-labelledby="find-title"
      onSubmit={(e) => {
        e.preventDefault();
        const t = id.trim().toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(t)) return setError('A transaction id is 64 hexadecimal characters.');
        setError(undefined);
        setShown(t);
      }}
    >
      <h3 id="find-title">Check a transaction</h3>
      <label htmlFor="find-tx">Transaction id</label>
      <input id="find-tx" className="mono" value={id} onChange={(e) => setId(e.target.value)} />
      <button type="submit">Find</button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {shown && (
        <ul className="txs">
          <TxItem key={shown} t={{ id: shown, type: '', code: '' }} session={session} genesis={genesis} />
        </ul>
      )}
    </form>
  );
}

function TxItem({
  t,
  session,
  genesis,
}: {
  t: { id: string; type: string; code: string };
  session: Session;
  genesis: Genesis | undefined;
}) {
  const [check, setCheck] = useState<TxCheck | { busy: true } | { error: string } | undefined>();
  async function verify() {
    if (!genesis) return setCheck({ error: 'The genesis is not loaded yet; try again in a moment.' });
    setCheck({ busy: true });
    try {
      const served = await session.client.getTx(t.id);
      setCheck(checkTxWithProof(served, genesis));
    } catch (e) {
      setCheck({ error: (e as Error).message });
    }
  }
  return (
    <li>
      <span className="mono">{t.id.slice(0, 16)}…</span> <strong>{t.type}</strong>{' '}
      {t.code && <span className={t.code === 'OK' ? 'ok' : 'bad'}>{t.code}</span>}{' '}
      <button onClick={() => void verify()}>Verify inclusion here</button>{' '}
      <span role="status" data-testid={`proof-${t.id}`}>
        {check === undefined
          ? ''
          : 'busy' in check
            ? 'Checking…'
            : 'error' in check
              ? `Could not check: ${check.error}`
              : check.ok
                ? `Verified in this browser: in block ${check.height}, final, signed by ${check.signers.join(', ')}`
                : `Not verified: ${check.reason}`}
      </span>
    </li>
  );
}
