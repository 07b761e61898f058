/**
 * The Breast Cancer Wisconsin (Diagnostic) data set (CC BY 4.0; attribution and format in
 * packages/node/data/wdbc/README.md) as patient records: one FHIR Observation per sample, with
 * the 30 nuclear features as components and the diagnosis as a coded component. Hospitals hold
 * these records in their EHR stores; a participant reads its features back from the FHIR body.
 * Also the seeded split used by tests and `medledger bench fl`: a held-out test set, and the
 * rest spread over hospitals with one of them holding mostly malignant cases (non-IID).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { JsonValue } from '@medledger/crypto';
import { LedgerError } from '@medledger/core';

/** One sample: 30 features and the label (1 = malignant, 0 = benign). */
export interface WdbcRow {
  /** Row number in the file (0-based, header excluded). */
  index: number;
  x: number[];
  y: 0 | 1;
}

export const WDBC_SYSTEM = 'https://medledger.example/fhir/CodeSystem/wdbc';
export const WDBC_PANEL = 'fna-nuclear-features';
/** The study selection code of these records: `<system>|<code>`. */
export const WDBC_CODE = `${WDBC_SYSTEM}|${WDBC_PANEL}`;

const MEASURES = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave-points',
  'symmetry',
  'fractal-dimension',
];
/** Component codes of the 30 features, in file order. */
export const WDBC_FEATURES: readonly string[] = ['mean', 'se', 'worst'].flatMap((g) =>
  MEASURES.map((m) => `${m}-${g}`),
);

/** Path of the shipped CSV file. */
export function wdbcCsvPath(): string {
  return fileURLToPath(new URL('../../../data/wdbc/wdbc.csv', import.meta.url));
}

/**
 * Parses the CSV (header `569,30,malignant,benign`, then 30 features and a 0/1 label per line).
 * @throws Error naming the line of the first malformed row
 */
export function parseWdbcCsv(text: string): WdbcRow[] {
  const lines = text.trim().split('\n');
  const [n, d] = (lines[0] ?? '').split(',').map(Number);
  if (n !== lines.length - 1 || d !== WDBC_FEATURES.length)
    throw new LedgerError({ code: 'FL_BAD_DATA', line: 1 }, 'wdbc.csv: unexpected header');
  return lines.slice(1).map((line, index) => {
    const v = line.split(',').map(Number);
    if (v.length !== 31 || v.some((x) => !Number.isFinite(x)) || (v[30] !== 0 && v[30] !== 1))
      throw new LedgerError(
        { code: 'FL_BAD_DATA', line: index + 2 },
        `wdbc.csv: line ${index + 2} is malformed`,
      );
    return { index, x: v.slice(0, 30), y: v[30] === 0 ? 1 : 0 };
  });
}

/** The shipped data set. */
export function loadWdbc(): WdbcRow[] {
  return parseWdbcCsv(readFileSync(wdbcCsvPath(), 'utf8'));
}

/** A FHIR R4 Observation of one sample, for the patient pseudonym `subject`. */
export function wdbcObservation(
  row: WdbcRow,
  subject: string,
  performer: string,
): { [k: string]: JsonValue } {
  const coding = (code: string, display?: string) => ({
    coding: [{ system: WDBC_SYSTEM, code, ...(display === undefined ? {} : { display }) }],
  });
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: coding(WDBC_PANEL, 'Breast mass fine-needle aspirate, nuclear features'),
    subject: { reference: `Patient/${subject}` },
    performer: [{ reference: `Practitioner/${performer}` }],
    effectiveDateTime: '1995-01-01T00:00:00Z',
    component: [
      ...WDBC_FEATURES.map((f, j) => ({ code: coding(f), valueQuantity: { value: row.x[j]! } })),
      { code: coding('diagnosis'), valueCodeableConcept: coding(row.y === 1 ? 'malignant' : 'benign') },
    ],
  };
}

/**
 * Features and label of a record made by {@link wdbcObservation}, or undefined when the body
 * is not such a record (another code, a missing or non-numeric feature, no diagnosis).
 */
export function wdbcFromObservation(resource: unknown): { x: number[]; y: 0 | 1 } | undefined {
  const r = resource as {
    resourceType?: unknown;
    code?: { coding?: { system?: unknown; code?: unknown }[] };
    component?: {
      code?: { coding?: { system?: unknown; code?: unknown }[] };
      valueQuantity?: { value?: unknown };
      valueCodeableConcept?: { coding?: { code?: unknown }[] };
    }[];
  };
  if (r?.resourceType !== 'Observation') return undefined;
  const isCode = (c: { coding?: { system?: unknown; code?: unknown }[] } | undefined, code: string) =>
    c?.coding?.some((x) => x.system === WDBC_SYSTEM && x.code === code) === true;
  if (!isCode(r.code, WDBC_PANEL) || !Array.isArray(r.component)) return undefined;
  const x: number[] = [];
  for (const f of WDBC_FEATURES) {
    const v = r.component.find((c) => isCode(c.code, f))?.valueQuantity?.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    x.push(v);
  }
  const dx = r.component.find((c) => isCode(c.code, 'diagnosis'))?.valueCodeableConcept?.coding?.[0]?.code;
  if (dx !== 'malignant' && dx !== 'benign') return undefined;
  return { x, y: dx === 'malignant' ? 1 : 0 };
}

/** A deterministic shuffle (Fisher–Yates driven by SHA-256 of the seed and a counter). */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  const out = [...items];
  let counter = 0;
  const next = (): number => {
    const h = createHash('sha256').update(`${seed}/${counter++}`).digest();
    return h.readUInt32BE(0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Parameters of {@link splitWdbc}. */
export interface WdbcSplitParameters {
  rows: readonly WdbcRow[];
  hospitals: readonly string[];
  seed: string;
  /** Share of rows held out for testing (default 0.2). */
  testFraction?: number;
  /** The hospital that holds mostly malignant cases (default the last). */
  skewed?: string;
  /** Share of the training rows' malignant cases that go to the skewed hospital (default 0.6). */
  skewMalignant?: number;
  /** Benign rows the skewed hospital receives per malignant one (default 0.15). */
  skewBenignRatio?: number;
}

/**
 * A held-out test set and a non-IID split of the rest: `skewed` gets most of the malignant
 * cases and few benign ones; the other hospitals share the remainder in equal random parts.
 */
export function splitWdbc(p: WdbcSplitParameters): { test: WdbcRow[]; byHospital: Map<string, WdbcRow[]> } {
  const shuffled = seededShuffle(p.rows, `${p.seed}/split`);
  const nTest = Math.round(shuffled.length * (p.testFraction ?? 0.2));
  const test = shuffled.slice(0, nTest);
  const train = shuffled.slice(nTest);
  const skewed = p.skewed ?? p.hospitals[p.hospitals.length - 1]!;
  const malignant = train.filter((r) => r.y === 1);
  const benign = train.filter((r) => r.y === 0);
  const nMal = Math.round(malignant.length * (p.skewMalignant ?? 0.6));
  const nBen = Math.round(nMal * (p.skewBenignRatio ?? 0.15));
  const byHospital = new Map<string, WdbcRow[]>(p.hospitals.map((h) => [h, []]));
  byHospital.set(skewed, [...malignant.slice(0, nMal), ...benign.slice(0, nBen)]);
  const rest = seededShuffle([...malignant.slice(nMal), ...benign.slice(nBen)], `${p.seed}/rest`);
  const others = p.hospitals.filter((h) => h !== skewed);
  rest.forEach((r, i) => byHospital.get(others[i % others.length]!)!.push(r));
  return { test, byHospital };
}
