/**
 * Logistic regression, the model of a federated study: p(y = 1 | x) = σ(w · z + b) over the
 * standardized features z = (x − mean) / std, trained by full-batch gradient descent on the
 * mean log loss plus (l2 / 2)·|w|² (the bias is not penalized). A participant runs
 * `trainLocal` on its own records each round; the centralized baseline of `medledger bench fl`
 * runs the same function on all training records at once.
 */

/** Standardization parameters and weights (bias last), as in a model on the ledger. */
export interface LogregModel {
  mean: readonly number[];
  std: readonly number[];
  weights: readonly number[];
}

/** A labelled sample (raw features). */
export interface Sample {
  x: readonly number[];
  y: 0 | 1;
}

/** Sums of features and of their squares: the input of a moments round (length 2·d). */
export function momentsOf(rows: readonly Sample[], features: number): number[] {
  const out = new Array<number>(2 * features).fill(0);
  for (const r of rows)
    for (let j = 0; j < features; j++) {
      out[j]! += r.x[j]!;
      out[features + j]! += r.x[j]! * r.x[j]!;
    }
  return out;
}

/** Mean and (population) standard deviation per feature, as the moments round computes them. */
export function standardizationOf(
  rows: readonly Sample[],
  features: number,
): { mean: number[]; std: number[] } {
  const m = momentsOf(rows, features);
  const mean = m.slice(0, features).map((s) => s / rows.length);
  const std = m.slice(features).map((s2, j) => {
    const v = s2 / rows.length - mean[j]! * mean[j]!;
    return v > 0 ? Math.sqrt(v) : 1;
  });
  return { mean, std };
}

function standardized(
  rows: readonly Sample[],
  s: Pick<LogregModel, 'mean' | 'std'>,
): { z: number[]; y: number }[] {
  return rows.map((r) => ({ z: r.x.map((v, j) => (v - s.mean[j]!) / s.std[j]!), y: r.y }));
}

const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));

/**
 * `epochs` full-batch gradient steps from `model.weights` on `rows`.
 * @returns the new weights (bias last)
 */
export function trainLocal(
  model: LogregModel,
  rows: readonly Sample[],
  epochs: number,
  learningRate: number,
  l2: number,
): number[] {
  const data = standardized(rows, model);
  const d = model.mean.length;
  const w = [...model.weights];
  if (data.length === 0) return w;
  for (let e = 0; e < epochs; e++) {
    const g = new Array<number>(d + 1).fill(0);
    for (const { z, y } of data) {
      let a = w[d]!;
      for (let j = 0; j < d; j++) a += w[j]! * z[j]!;
      const err = sigmoid(a) - y;
      for (let j = 0; j < d; j++) g[j]! += err * z[j]!;
      g[d]! += err;
    }
    for (let j = 0; j < d; j++) w[j]! -= learningRate * (g[j]! / data.length + l2 * w[j]!);
    w[d]! -= (learningRate * g[d]!) / data.length;
  }
  return w;
}

/**
 * Σ over `rows` of each record's log-loss gradient at `model.weights` (weights and bias),
 * each clipped to L2 norm `clip`: the sum one record changes by at most `clip` (DP-SGD, Abadi
 * et al. 2016). The L2 penalty is not included (it does not depend on the records).
 */
export function clippedGradientSum(model: LogregModel, rows: readonly Sample[], clip: number): number[] {
  const d = model.mean.length;
  const sum = new Array<number>(d + 1).fill(0);
  for (const { z, y } of standardized(rows, model)) {
    let a = model.weights[d]!;
    for (let j = 0; j < d; j++) a += model.weights[j]! * z[j]!;
    const err = sigmoid(a) - y;
    const g = [...z.map((v) => err * v), err];
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const f = norm > clip ? clip / norm : 1;
    for (let j = 0; j <= d; j++) sum[j]! += g[j]! * f;
  }
  return sum;
}

/** Share of `rows` whose label the model predicts (threshold 0.5). */
export function accuracyOf(model: LogregModel, rows: readonly Sample[]): number {
  if (rows.length === 0) return 0;
  const d = model.mean.length;
  let right = 0;
  for (const { z, y } of standardized(rows, model)) {
    let a = model.weights[d]!;
    for (let j = 0; j < d; j++) a += model.weights[j]! * z[j]!;
    if ((a > 0 ? 1 : 0) === y) right++;
  }
  return right / rows.length;
}
