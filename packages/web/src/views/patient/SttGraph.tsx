/**
 * An STT record's transmission path as a graph (SVG, pathLayout.ts): who sent the record to
 * whom, and when. A list of the same hops follows for screen readers and small screens.
 */
import type { Transmission } from '@medledger/core';
import { layoutPath } from './pathLayout.js';
import { whoText } from './names.js';
import type { MemberName } from './loadTimeline.js';

const R = 22;

/** One STT record's transmission path, drawn and listed. */
export function SttGraph({
  recordId,
  path,
  names,
}: {
  recordId: string;
  path: readonly Transmission[];
  names: ReadonlyMap<string, MemberName>;
}) {
  if (path.length === 0) return <p className="muted">No transmission of this record is on the ledger.</p>;
  const g = layoutPath(path);
  const at = new Map(g.nodes.map((n) => [n.id, n]));
  const marker = `arrow-${recordId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <figure className="graph" data-testid={`stt-graph-${recordId}`}>
      <svg
        viewBox={`0 0 ${g.width} ${g.height}`}
        width={g.width}
        role="img"
        aria-label={`Transmission path of ${recordId}: ${path.length} transmission${path.length === 1 ? '' : 's'}`}
      >
        <defs>
          <marker
            id={marker}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#0b5cad" />
          </marker>
        </defs>
        {g.edges.map((e, i) => {
          const a = at.get(e.from)!;
          const b = at.get(e.to)!;
          const dx = b.x - a.x;
          const dy = b.y - a.y;
          const len = Math.max(1, Math.hypot(dx, dy));
          const [x1, y1] = [a.x + (dx / len) * R, a.y + (dy / len) * R];
          const [x2, y2] = [b.x - (dx / len) * (R + 2), b.y - (dy / len) * (R + 2)];
          const bend = e.back ? 40 : 0;
          const mx = (x1 + x2) / 2;
          const my = (y1 + y2) / 2 - bend;
          return (
            <g key={i} data-testid="stt-edge" data-from={e.from} data-to={e.to}>
              <path
                d={`M${x1},${y1} Q${mx},${my} ${x2},${y2}`}
                fill="none"
                stroke="#0b5cad"
                strokeWidth="2"
                markerEnd={`url(#${marker})`}
              />
              <text x={mx} y={my - 6} textAnchor="middle" fontSize="11" fill="#33383d">
                {`${e.step} · block ${e.height}`}
              </text>
            </g>
          );
        })}
        {g.nodes.map((n) => (
          <g key={n.id} data-testid="stt-node">
            <circle cx={n.x} cy={n.y} r={R} fill={n.layer === 0 ? '#0b3d5c' : '#e6f0fa'} stroke="#0b3d5c" />
            <text x={n.x} y={n.y + R + 13} textAnchor="middle" fontSize="12" fill="#1a1a1a">
              {whoText(n.id, names)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        <ol className="hops">
          {[...path]
            .sort((a, b) => a.height - b.height)
            .map((t) => (
              <li key={t.txId}>
                {whoText(t.from, names)} → {t.to.map((x) => whoText(x, names)).join(', ')}{' '}
                <span className="muted">
                  (block {t.height}, {new Date(t.time).toLocaleString()})
                </span>
              </li>
            ))}
        </ol>
      </figcaption>
    </figure>
  );
}
