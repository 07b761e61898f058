/** A member shown by name, role and organization, with the full id on hover. */
import type { MemberName } from './loadTimeline.js';

/** A member by name (see the file comment). */
export function Who({ id, names }: { id: string; names: ReadonlyMap<string, MemberName> }) {
  const n = names.get(id);
  if (!n) return <span className="mono" title={id}>{`${id.slice(0, 10)}…`}</span>;
  return (
    <span title={id}>
      <strong>{n.name}</strong>
      {n.role && n.org ? (
        <span className="muted">
          {' '}
          ({n.role}, {n.org})
        </span>
      ) : null}
    </span>
  );
}

/** The same, as plain text (SVG labels, aria labels). */
export function whoText(id: string, names: ReadonlyMap<string, MemberName>): string {
  return names.get(id)?.name ?? `${id.slice(0, 10)}…`;
}
