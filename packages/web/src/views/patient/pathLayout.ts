/**
 * A layered layout of an STT record's transmission path (survey §6.2: each `record.stt`
 * names the previous transmission of the same record, so the transmissions form a DAG).
 * The members are the graph's nodes, each transmission adds an edge from its sender to each
 * receiver. Layers follow the order of the transmissions: the first sender is in layer 0, a
 * member first reached from layer i is in layer i + 1 (a member who is reached again keeps the
 * layer where it first appeared, so a cycle back to an earlier member is drawn as a back edge).
 * Within a layer, members keep the order in which they were reached; room is left under each
 * member for its name. Small by design: a
 * record's path has a handful of hops, so no crossing minimisation is attempted.
 */

/** One transmission as the ledger keeps it (`stt:<recordId>`). */
export interface PathStep {
  txId: string;
  from: string;
  to: string[];
  height: number;
  time: number;
}

/** A member placed in the drawing. */
export interface LaidNode {
  id: string;
  layer: number;
  x: number;
  y: number;
}

/** A transmission to one receiver. */
export interface LaidEdge {
  from: string;
  to: string;
  /** 1-based position of its transmission in the path. */
  step: number;
  height: number;
  time: number;
  /** True when it goes to an earlier or the same layer. */
  back: boolean;
}

/** The laid-out path and the size of its drawing. */
export interface PathLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

/** Spacing of the layout, in SVG units. */
export const PATH_GEOMETRY = { col: 190, row: 72, padX: 70, padY: 30, label: 24 } as const;

/** Lays out a transmission path; the steps may come in any order (they are sorted by height). */
export function layoutPath(steps: readonly PathStep[]): PathLayout {
  const ordered = [...steps].sort((a, b) => a.height - b.height || a.time - b.time);
  const layer = new Map<string, number>();
  const order: string[] = [];
  const place = (id: string, l: number): void => {
    if (layer.has(id)) return;
    layer.set(id, l);
    order.push(id);
  };
  const edges: LaidEdge[] = [];
  ordered.forEach((s, i) => {
    place(s.from, 0);
    const l = layer.get(s.from)!;
    for (const r of s.to) {
      place(r, l + 1);
      edges.push({
        from: s.from,
        to: r,
        step: i + 1,
        height: s.height,
        time: s.time,
        back: layer.get(r)! <= l,
      });
    }
  });
  const perLayer = new Map<number, number>();
  const { col, row, padX, padY, label } = PATH_GEOMETRY;
  const nodes = order.map((id) => {
    const l = layer.get(id)!;
    const k = perLayer.get(l) ?? 0;
    perLayer.set(l, k + 1);
    return { id, layer: l, x: padX + l * col, y: padY + k * row };
  });
  const layers = Math.max(1, ...[...perLayer.keys()].map((l) => l + 1));
  const rows = Math.max(1, ...perLayer.values());
  return { nodes, edges, width: padX * 2 + (layers - 1) * col, height: padY * 2 + label + (rows - 1) * row };
}
