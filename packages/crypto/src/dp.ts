/**
 * Differential privacy for federated training: Gaussian noise and its accounting.
 *
 * The Gaussian mechanism adds N(0, (σ·Δ)²) to each coordinate of a sum whose L2 sensitivity is
 * Δ; with noise multiplier σ it satisfies (α, α / (2σ²))-Rényi DP for every α > 1, and R such
 * releases compose to (α, R·α / (2σ²))-RDP (Mironov, "Rényi Differential Privacy", CSF 2017,
 * Prop. 3 and 7). Converted to (ε, δ)-DP with ε = ε_RDP(α) + ln(1/δ) / (α − 1) (ibid., Prop. 3)
 * and minimized over α in closed form:
 *   ε(σ, R, δ) = R / (2σ²) + sqrt(2·R·ln(1/δ)) / σ.
 * This is the classic conversion, a little looser than later ones: the ε it states is an upper
 * bound. Full-batch releases (no subsampling), so no amplification is claimed.
 *
 * Sampling: Box–Muller over uniforms built from 53 random bits each. Threat model: the noise is
 * only as good as the random source; floating-point samplers leak through the low-order bits of
 * their outputs (Mironov, CCS 2012, for the Laplace mechanism), and this one makes no attempt to
 * close that channel: the values it feeds are rounded to 2^-32 by the fixed-point encoding
 * before they leave the participant, which blunts but does not provably remove it.
 */
import { assertInt } from './assert.js';
import type { RandomSource } from './bytes.js';
import { randomBytes } from './random.js';

/** A uniform number in (0, 1] from 53 random bits. */
function uniform(random: RandomSource): number {
  const b = random(7);
  const hi = ((b[0]! << 16) | (b[1]! << 8) | b[2]!) >>> 3; // 21 bits
  const lo = ((b[3]! << 24) | (b[4]! << 16) | (b[5]! << 8) | b[6]!) >>> 0; // 32 bits
  return (hi * 2 ** 32 + lo + 1) / 2 ** 53;
}

/**
 * `n` independent samples of N(0, stddev²).
 * @throws RangeError unless `stddev` is finite and non-negative
 * @example const noise = gaussianSamples(31, sigma * clip);
 */
export function gaussianSamples(n: number, stddev: number, random: RandomSource = randomBytes): number[] {
  assertInt(n, 'n', 0, 1 << 20);
  if (!(stddev >= 0) || !Number.isFinite(stddev)) throw new RangeError('stddev must be finite and >= 0');
  const out: number[] = [];
  while (out.length < n) {
    const r = Math.sqrt(-2 * Math.log(uniform(random)));
    const t = 2 * Math.PI * uniform(random);
    out.push(stddev * r * Math.cos(t));
    if (out.length < n) out.push(stddev * r * Math.sin(t));
  }
  return out;
}

function checkAccounting(steps: number, delta: number): void {
  assertInt(steps, 'steps', 1, 1_000_000);
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must be in (0, 1)');
}

/**
 * ε of `steps` Gaussian releases with noise multiplier σ at the given δ (see the module comment).
 * Infinity for σ = 0.
 */
export function gaussianEpsilon(p: { noiseMultiplier: number; steps: number; delta: number }): number {
  checkAccounting(p.steps, p.delta);
  if (!(p.noiseMultiplier >= 0)) throw new RangeError('noiseMultiplier must be >= 0');
  if (p.noiseMultiplier === 0) return Infinity;
  const s = p.noiseMultiplier;
  return p.steps / (2 * s * s) + Math.sqrt(2 * p.steps * Math.log(1 / p.delta)) / s;
}

/**
 * The smallest noise multiplier σ for which `steps` Gaussian releases are (ε, δ)-DP by
 * {@link gaussianEpsilon}: the positive root of (R/2)x² + sqrt(2R ln(1/δ))·x − ε = 0, σ = 1/x.
 */
export function gaussianNoiseMultiplier(p: { epsilon: number; steps: number; delta: number }): number {
  checkAccounting(p.steps, p.delta);
  if (!(p.epsilon > 0) || !Number.isFinite(p.epsilon)) throw new RangeError('epsilon must be finite and > 0');
  const r = p.steps;
  const b = Math.sqrt(2 * r * Math.log(1 / p.delta));
  const x = (-b + Math.sqrt(b * b + 2 * r * p.epsilon)) / r;
  return 1 / x;
}
