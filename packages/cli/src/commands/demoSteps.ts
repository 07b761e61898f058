/**
 * The step printer of the domain demos, in the style of `medledger demo`: numbered sections,
 * one ✓ line per check, and the first failed check ends the demo with a `DemoCheckFailure`
 * (the command then exits 1).
 */
import { MedledgerHttpError, type Receipt } from '@medledger/client';

export class DemoCheckFailure extends Error {}

export interface DemoSteps {
  section(title: string): void;
  /** Prints `✓ what`, or throws DemoCheckFailure. */
  check(ok: boolean, what: string): void;
  /** Prints an indented line that is not a check. */
  note(line: string): void;
  /**
   * The validity code of a receipt (or of `{ receipt }`), the error code of a refused request,
   * or 'OK' for any other answer.
   */
  codeOf(p: Promise<unknown>): Promise<string>;
}

export function demoSteps(say: (line: string) => void): DemoSteps {
  let step = 0;
  return {
    section: (title) => say(`\n${++step}. ${title}`),
    check(ok, what) {
      if (!ok) throw new DemoCheckFailure(`check failed: ${what}`);
      say(`    ✓ ${what}`);
    },
    note: (line) => say(`      ${line}`),
    async codeOf(p) {
      try {
        const r = (await p) as Partial<Receipt> & { receipt?: Receipt };
        return r.receipt?.code ?? (typeof r.code === 'string' ? r.code : 'OK');
      } catch (e) {
        if (e instanceof MedledgerHttpError) return e.code;
        throw e;
      }
    },
  };
}

/** Cents as `12.34 EUR`. */
export const eur = (cents: number): string => `${(cents / 100).toFixed(2)} EUR`;
