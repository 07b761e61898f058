/** A small argument parser: positionals, `--flag`, `--key value`, `--key=value`. */
export interface Args {
  _: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): Args {
  const out: Args = { _: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) out.flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.flags.set(a.slice(2), argv[++i]!);
      else out.flags.set(a.slice(2), true);
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
