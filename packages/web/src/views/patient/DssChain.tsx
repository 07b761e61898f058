/**
 * The patient's DSS chain drawn as a chain (survey §6.1): each record's transaction names the
 * previous one's, newest first, each with its quorum (k of n responsible doctors) and who
 * signed. "Check the chain here" walks it again with the client's light client
 * (`readDssChain`: every transaction's inclusion proof against the genesis node keys, every
 * link) and says what it found.
 */
import { useState } from 'react';
import { readDssChain, type DssChainResult } from '@medledger/client';
import type { Session } from '../../session.js';
import type { MemberName, TimelineItem } from './loadTimeline.js';
import { whoText } from './names.js';

const BOX_W = 210;
const BOX_H = 62;
const GAP = 36;

/** The patient's DSS records as a chain, with the in-browser check. */
export function DssChain({
  items,
  names,
  session,
}: {
  items: readonly TimelineItem[];
  names: ReadonlyMap<string, MemberName>;
  session: Session;
}) {
  const [check, setCheck] = useState<DssChainResult | { busy: true } | { error: string } | undefined>();
  const chain = items.filter((i) => i.mode === 'dss'); // newest first
  if (chain.length === 0) return null;
  const byTx = new Map(chain.map((i) => [i.txId, i]));
  const height = chain.length * BOX_H + (chain.length - 1) * GAP + 8;

  async function verify() {
    setCheck({ busy: true });
    try {
      const genesis = await session.client.genesis();
      setCheck(await readDssChain(session.client, genesis, session.memberId));
    } catch (e) {
      setCheck({ error: (e as Error).message });
    }
  }

  return (
    <div className="card" data-testid="dss-chain">
      <h3>Your DSS chain</h3>
      <p className="muted">
        Each record written in the open (DSS) points to your previous one, so none can be removed or reordered
        unnoticed.
      </p>
      <svg
        viewBox={`0 0 ${BOX_W + 8} ${height}`}
        width={BOX_W + 8}
        role="img"
        aria-label={`Your DSS chain: ${chain.map((c) => c.recordId).join(' ← ')}`}
      >
        {chain.map((c, i) => {
          const y = 4 + i * (BOX_H + GAP);
          const k = c.entry?.k ?? 1;
          const n = c.entry?.responsible.length ?? 1;
          const linked = c.entry?.prev ? byTx.has(c.entry.prev) : i === chain.length - 1;
          return (
            <g key={c.txId}>
              <rect
                x="4"
                y={y}
                width={BOX_W}
                height={BOX_H}
                rx="6"
                fill="#fff"
                stroke="#0b3d5c"
                strokeWidth="2"
              />
              <text x="14" y={y + 20} fontSize="13" fontWeight="600" fill="#1a1a1a">
                {c.recordId}
              </text>
              <text x="14" y={y + 37} fontSize="11" fill="#33383d">
                {`${c.resourceType} · block ${c.height}`}
              </text>
              <text x="14" y={y + 53} fontSize="11" fill="#33383d">
                {`${c.signers?.length ?? 0} of ${n} signed (needs ${k})`}
              </text>
              {i < chain.length - 1 && (
                <g>
                  <line
                    x1={4 + BOX_W / 2}
                    y1={y + BOX_H}
                    x2={4 + BOX_W / 2}
                    y2={y + BOX_H + GAP - 4}
                    stroke={linked ? '#0b5cad' : '#9b1c1c'}
                    strokeWidth="2"
                  />
                  <text x={14 + BOX_W / 2} y={y + BOX_H + GAP / 2 + 4} fontSize="11" fill="#33383d">
                    {linked ? 'previous' : 'link missing'}
                  </text>
                </g>
              )}
            </g>
          );
        })}
      </svg>
      <p>
        <button onClick={() => void verify()}>Check the chain here</button>{' '}
        <span role="status" data-testid="dss-chain-check">
          {check === undefined
            ? ''
            : 'busy' in check
              ? 'Checking every link and proof in this browser…'
              : 'error' in check
                ? `Could not check: ${check.error}`
                : check.ok
                  ? `Checked in this browser: ${check.records.length} record${check.records.length === 1 ? '' : 's'}, every link and every block signature holds.`
                  : `The chain does not hold: ${check.reason}`}
        </span>
      </p>
      <p className="sr-only">
        {chain
          .map(
            (c) => `${c.recordId}, signed by ${(c.signers ?? []).map((s) => whoText(s, names)).join(', ')}`,
          )
          .join('; ')}
      </p>
    </div>
  );
}
