/** A small argument parser: positionals, `--flag`, `--key value`, `--key=value`. */
export interface Args {
  _: string[];
  /** The last value of each flag. */
  flags: Map<string, string | true>;
  /** Every value of each flag, in order (`--attr a=1 --attr b=2`). */
  all: Map<string, (string | true)[]>;
}

export function parseArgs(argv: readonly string[]): Args {
  const out: Args = { _: [], flags: new Map(), all: new Map() };
  const set = (k: string, v: string | true): void => {
    out.flags.set(k, v);
    out.all.set(k, [...(out.all.get(k) ?? []), v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) set(a.slice(2), argv[++i]!);
      else set(a.slice(2), true);
    } else out._.push(a);
  }
  return out;
}

export class UsageError extends Error {}

export function str(a: Args, name: string, dflt?: string): string {
  const v = a.flags.get(name);
  if (v === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function int(a: Args, name: string, dflt: number, min = 0): number {
  const v = a.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v === true || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

export function bool(a: Args, name: string): boolean {
  return a.flags.get(name) === true || a.flags.get(name) === 'true';
}

/** Every value given for a repeatable flag, each split at commas (`--founders a,b --founders c`). */
export function strs(a: Args, name: string): string[] {
  return (a.all.get(name) ?? []).flatMap((v) => {
    if (v === true) throw new UsageError(`--${name} needs a value`);
    return v.split(',').filter((x) => x !== '');
  });
}

/** `--attr k=v` flags as an object, or undefined if none was given. */
export function keyValues(a: Args, name: string): Record<string, string> | undefined {
  const vs = a.all.get(name);
  if (vs === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const v of vs) {
    const eq = v === true ? -1 : v.indexOf('=');
    if (v === true || eq <= 0) throw new UsageError(`--${name} takes key=value`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
