/** A small line of recent values, as SVG, with the last value in words for screen readers. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 220;
  const h = 48;
  if (values.length < 2) return <p className="muted">Waiting for blocks…</p>;
  const max = Math.max(...values, 1);
  const pts = values
    .map((v, i) => `${(i * w) / (values.length - 1)},${h - (v / max) * (h - 4) - 2}`)
    .join(' ');
  const last = Math.round(values[values.length - 1]!);
  return (
    <figure className="spark">
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}: latest ${last}`}>
        <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="2" />
      </svg>
      <figcaption>
        latest {last}, highest {Math.round(max)}
      </figcaption>
    </figure>
  );
}
