/**
 * The growth plot of `medledger bench scale`: each figure against the ledger's size (log-log),
 * one panel per figure, drawn by Vega-Lite (compiled to a Vega spec and rendered to SVG by
 * Vega's headless view; no browser, no canvas).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One point of the plot: a figure at a ledger size. */
export interface ScalePoint {
  txs: number;
  figure: string;
  value: number;
}

/**
 * Renders the points as an SVG document: a panel per figure (in the order they first appear),
 * ledger size on a log x axis, the figure on a log y axis of its own.
 */
export async function scalePlotSvg(points: readonly ScalePoint[], title: string): Promise<string> {
  const figures = [...new Set(points.map((p) => p.figure))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points.filter((p) => p.value > 0) as unknown as Record<string, unknown>[] },
    facet: { field: 'figure', type: 'nominal', sort: figures, title: null, header: { labelFontSize: 12 } },
    columns: 3,
    // A grid of the panels' plot areas (not of their long titles), with room for the y axes.
    bounds: 'flush',
    spacing: { column: 90, row: 60 },
    spec: {
      width: 220,
      height: 150,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: {
              field: 'txs',
              type: 'quantitative',
              scale: { type: 'log' },
              title: 'ledger size (transactions)',
              axis: { format: '~s' },
            },
            y: {
              field: 'value',
              type: 'quantitative',
              scale: { type: 'log' },
              title: null,
              axis: { format: '~s' },
            },
          },
        },
        {
          mark: { type: 'text', dy: -9, fontSize: 10 },
          encoding: {
            x: { field: 'txs', type: 'quantitative', scale: { type: 'log' } },
            y: { field: 'value', type: 'quantitative', scale: { type: 'log' } },
            text: { field: 'value', type: 'quantitative', format: '.3~s' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * How a figure grows with the ledger between its first and last size: the exponent k of
 * figure ∝ size^k (1 grows as the ledger, 0 stays flat, above 1 grows faster than the ledger).
 */
export function growthExponent(a: { txs: number; value: number }, b: { txs: number; value: number }): number {
  if (a.value <= 0 || b.value <= 0 || a.txs === b.txs) return NaN;
  return Math.log(b.value / a.value) / Math.log(b.txs / a.txs);
}
