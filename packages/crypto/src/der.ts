/** A minimal DER reader (ITU-T X.690): internal, for the fixed shapes of keys and signatures. */

/** One DER tag-length-value: where its content starts and where it ends. */
export interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** Reads the DER TLV at `off` (definite, minimal length) or returns undefined. */
export function tlv(der: Uint8Array, off: number, limit: number): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = der[off]!;
  const first = der[off + 1]!;
  let len = first;
  let start = off + 2;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 3 || der[off + 2] === 0) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[off + 2 + i] ?? 0);
    if (len < 0x80) return undefined;
    start = off + 2 + n;
  }
  const end = start + len;
  return end <= limit ? { tag, start, end } : undefined;
}
