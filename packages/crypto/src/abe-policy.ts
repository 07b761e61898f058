/**
 * Access policies for multi-authority ABE (abe.ts): a parser from strings to threshold trees,
 * a canonical printer, linear secret sharing over the tree, and the reconstruction plan
 * (which leaves, with which coefficients) for a set of attributes.
 *
 * Grammar (keywords case-insensitive; AND binds tighter than OR):
 *   policy := or ; or := and ("OR" and)* ; and := atom ("AND" atom)*
 *   atom   := ATTR | "(" or ")" | INT "of" "(" or ("," or)* ")"
 *   ATTR   := name "@" authority, both [A-Za-z0-9_.-]+ (case-sensitive)
 * e.g. `(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute`,
 *      `2 of (gp@clinicA, cardiology@hospitalB, nurse@hospitalB)`.
 *
 * Sharing (a Benaloh–Leichter style LSSS, as used by Lewko–Waters 2011 §G): an OR gate gives
 * every child the gate's secret, an AND gate splits it additively, a k-of-n gate (1 < k < n)
 * gives child i the value q(i) of a random polynomial of degree k - 1 with q(0) = secret.
 * Reconstruction coefficients are therefore 1 for AND/OR policies (decryption needs no
 * exponentiation at all) and Lagrange coefficients below k-of-n gates.
 */
import { assertString } from './assert.js';
import type { RandomSource } from './bytes.js';
import { invR, modR, randomScalar } from './pairing.js';
import { randomBytes } from './random.js';

/** A policy tree: an attribute leaf or a k-of-n gate (AND = n-of-n, OR = 1-of-n). */
export type PolicyNode =
  | { readonly kind: 'attr'; readonly attr: string }
  | { readonly kind: 'gate'; readonly k: number; readonly children: readonly PolicyNode[] };

/** Bounds that keep a hostile policy from exhausting memory or stack. */
export const POLICY_MAX_LEAVES = 256;
export const POLICY_MAX_DEPTH = 32;
export const POLICY_MAX_LENGTH = 16_384;

const ATTR_RE = /^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/;

/** True if `s` is a well-formed `name@authority` attribute. */
export function isAttribute(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 256 && ATTR_RE.test(s);
}

/** The authority part of `name@authority`; throws `TypeError` on a malformed attribute. */
export function attributeAuthority(attr: string): string {
  if (!isAttribute(attr)) throw new TypeError('attribute must look like name@authority');
  return attr.slice(attr.indexOf('@') + 1);
}

type Tok = { t: 'attr' | 'int' | 'and' | 'or' | 'of' | '(' | ')' | ','; v: string; at: number };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const word = /[A-Za-z0-9_.-]+(?:@[A-Za-z0-9_.-]+)?/y;
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ t: ch, v: ch, at: i++ });
      continue;
    }
    word.lastIndex = i;
    const m = word.exec(s);
    if (!m) throw new TypeError(`policy: unexpected character at position ${i}`);
    const w = m[0];
    const lw = w.toLowerCase();
    if (w.includes('@')) out.push({ t: 'attr', v: w, at: i });
    else if (lw === 'and' || lw === 'or' || lw === 'of') out.push({ t: lw, v: w, at: i });
    else if (/^[0-9]{1,3}$/.test(w)) out.push({ t: 'int', v: w, at: i });
    else
      throw new TypeError(`policy: '${w}' at position ${i} is not an attribute (name@authority) or keyword`);
    i += w.length;
  }
  return out;
}

/**
 * Parses a policy string into a tree. Nested ANDs and ORs are flattened.
 * @throws TypeError with the position of the first error; RangeError if a bound is exceeded.
 * @example parsePolicy('(doctor@hospitalB AND oncology@hospitalB) OR researcher@institute')
 */
export function parsePolicy(policy: string): PolicyNode {
  assertString(policy, 'policy', true);
  if (policy.length > POLICY_MAX_LENGTH) throw new RangeError('policy too long');
  const toks = tokenize(policy);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const where = (): string => (p < toks.length ? `position ${toks[p]!.at}` : 'end of policy');
  const expect = (t: Tok['t'], what: string): Tok => {
    const k = toks[p];
    if (!k || k.t !== t) throw new TypeError(`policy: expected ${what} at ${where()}`);
    p++;
    return k;
  };
  const gate = (k: number, kind: 'and' | 'or' | 'thr', kids: PolicyNode[]): PolicyNode => {
    if (kids.length === 1 && kind !== 'thr') return kids[0]!;
    const flat: PolicyNode[] = [];
    for (const c of kids) {
      const same =
        c.kind === 'gate' && ((kind === 'and' && c.k === c.children.length) || (kind === 'or' && c.k === 1));
      if (same && c.kind === 'gate') flat.push(...c.children);
      else flat.push(c);
    }
    return { kind: 'gate', k: kind === 'and' ? flat.length : kind === 'or' ? 1 : k, children: flat };
  };
  const parseOr = (depth: number): PolicyNode => {
    if (depth > POLICY_MAX_DEPTH) throw new RangeError('policy nested too deeply');
    const kids = [parseAnd(depth)];
    while (peek()?.t === 'or') {
      p++;
      kids.push(parseAnd(depth));
    }
    return gate(1, 'or', kids);
  };
  const parseAnd = (depth: number): PolicyNode => {
    const kids = [parseAtom(depth)];
    while (peek()?.t === 'and') {
      p++;
      kids.push(parseAtom(depth));
    }
    return gate(kids.length, 'and', kids);
  };
  const parseAtom = (depth: number): PolicyNode => {
    const k = peek();
    if (!k) throw new TypeError('policy: expected an attribute or ( at end of policy');
    if (k.t === 'attr') {
      p++;
      if (!isAttribute(k.v)) throw new TypeError(`policy: malformed attribute at position ${k.at}`);
      return { kind: 'attr', attr: k.v };
    }
    if (k.t === '(') {
      p++;
      const n = parseOr(depth + 1);
      expect(')', "')'");
      return n;
    }
    if (k.t === 'int') {
      p++;
      expect('of', "'of'");
      expect('(', "'(' after 'of'");
      const kids = [parseOr(depth + 1)];
      while (peek()?.t === ',') {
        p++;
        kids.push(parseOr(depth + 1));
      }
      expect(')', "')' or ','");
      const t = Number(k.v);
      if (!(t >= 1 && t <= kids.length)) {
        throw new TypeError(`policy: threshold ${k.v} at position ${k.at} must be in [1, ${kids.length}]`);
      }
      return gate(t, 'thr', kids);
    }
    throw new TypeError(`policy: expected an attribute, '(' or 'k of (' at position ${k.at}`);
  };
  const tree = parseOr(0);
  if (p !== toks.length) throw new TypeError(`policy: unexpected '${toks[p]!.v}' at position ${toks[p]!.at}`);
  if (policyLeaves(tree).length > POLICY_MAX_LEAVES) throw new RangeError('policy has too many attributes');
  return tree;
}

/** The canonical string of a tree (parses back to the same tree). */
export function policyToString(n: PolicyNode): string {
  if (n.kind === 'attr') return n.attr;
  const sub = n.children.map((c) => (c.kind === 'attr' ? c.attr : `(${policyToString(c)})`));
  if (n.k === n.children.length && n.children.length > 1) return sub.join(' AND ');
  if (n.k === 1 && n.children.length > 1) return sub.join(' OR ');
  return `${n.k} of (${n.children.map(policyToString).join(', ')})`;
}

/** The leaf attributes in depth-first order (one entry per leaf; repeats allowed). */
export function policyLeaves(n: PolicyNode): string[] {
  if (n.kind === 'attr') return [n.attr];
  return n.children.flatMap(policyLeaves);
}

/**
 * Shares `secret` over the tree; returns one share per leaf, in `policyLeaves` order.
 * `secret = Σ cᵢ·shareᵢ (mod r)` for the coefficients of any satisfying plan.
 */
export function shareSecret(n: PolicyNode, secret: bigint, rng: RandomSource = randomBytes): bigint[] {
  if (n.kind === 'attr') return [modR(secret)];
  const m = n.children.length;
  let shares: bigint[];
  if (n.k === 1) shares = n.children.map(() => modR(secret));
  else if (n.k === m) {
    shares = n.children.slice(1).map(() => randomScalar(rng));
    shares.unshift(modR(secret - shares.reduce((a, b) => a + b, 0n)));
  } else {
    const coef = [modR(secret)];
    for (let i = 1; i < n.k; i++) coef.push(randomScalar(rng));
    shares = n.children.map((_, i) => {
      let y = 0n;
      for (let j = coef.length - 1; j >= 0; j--) y = modR(y * BigInt(i + 1) + coef[j]!);
      return y;
    });
  }
  return n.children.flatMap((c, i) => shareSecret(c, shares[i]!, rng));
}

/** A reconstruction plan: leaf indexes (into `policyLeaves`) with their coefficients. */
export type PolicyPlan = ReadonlyArray<{ readonly leaf: number; readonly coeff: bigint }>;

/**
 * The cheapest (fewest leaves) plan that reconstructs the secret from leaves whose attribute
 * is in `attrs`, or `null` if `attrs` does not satisfy the policy.
 */
export function planPolicy(n: PolicyNode, attrs: ReadonlySet<string>): PolicyPlan | null {
  let next = 0;
  const walk = (node: PolicyNode): PolicyPlan | null => {
    if (node.kind === 'attr') {
      const leaf = next++;
      return attrs.has(node.attr) ? [{ leaf, coeff: 1n }] : null;
    }
    const subs = node.children.map((c, i) => ({ i: i + 1, plan: walk(c) }));
    const ok = subs.filter((s): s is { i: number; plan: PolicyPlan } => s.plan !== null);
    if (ok.length < node.k) return null;
    ok.sort((a, b) => a.plan.length - b.plan.length);
    const chosen = ok.slice(0, node.k);
    const m = node.children.length;
    const plain = node.k === 1 || node.k === m; // replication or additive sharing
    return chosen.flatMap(({ i, plan }) => {
      const lambda = plain
        ? 1n
        : lagrangeAtZero(
            i,
            chosen.map((c) => c.i),
          );
      return plan.map((e) => ({ leaf: e.leaf, coeff: modR(e.coeff * lambda) }));
    });
  };
  return walk(n);
}

function lagrangeAtZero(i: number, xs: readonly number[]): bigint {
  let num = 1n;
  let den = 1n;
  for (const j of xs) {
    if (j === i) continue;
    num = modR(num * BigInt(j));
    den = modR(den * BigInt(j - i));
  }
  return modR(num * invR(den));
}
