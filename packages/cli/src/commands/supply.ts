/**
 * `medledger verify-pack GTIN SERIAL [--url URL] [--json]` — asks a node
 * (`GET /v1/supply/packs/:gtin/:serial`, public) whether a pack is authentic, where it has
 * been, and whether it is recalled, expired or already dispensed. Exit code 0 when the pack is
 * fit to dispense, 1 when it is not (or not authentic), 2 on a usage error.
 */
import { SupplyClient, type PackVerification } from '@medledger/client';
import {
  approveProduct,
  commissionTx,
  receiveTx,
  recallTx,
  registerProductTx,
  shipTx,
  type PackRef,
} from '@medledger/client';
import type { DemoConsortium } from './demoConsortium.js';
import type { DemoSteps } from './demoSteps.js';

/** The human-readable answer, one line per fact. */
export function formatPackReport(r: PackVerification): string[] {
  const why = [
    !r.authentic && 'not authentic: never commissioned by the registered manufacturer',
    r.recalled && 'recalled',
    r.expired && 'expired',
    r.dispensed && 'already dispensed',
  ].filter((x): x is string => typeof x === 'string');
  const path = r.path.map((s) => `${s.bizStep} ${s.org}${s.to ? ` → ${s.to}` : ''}`).join(', ');
  return [
    `pack ${r.gtin} / ${r.serial}: ${r.authentic ? 'AUTHENTIC' : 'NOT AUTHENTIC'}`,
    `  product   ${r.product ? `${r.product.name} (maker ${r.product.manufacturer}, approval ${r.product.approval})` : 'unknown GTIN'}`,
    `  lot       ${r.lot ?? '-'}, expiry ${r.expiry ?? '-'}${r.expired ? ' (EXPIRED)' : ''}`,
    `  status    ${r.status ?? '-'}${r.holder ? `, held by ${r.holder}` : ''}${r.dispensed ? `, dispensed by ${r.dispensed.pharmacy} at ${r.dispensed.at}` : ''}`,
    `  recalled  ${r.recalled ? `yes, ${r.recalled.at}: ${r.recalled.reason}` : 'no'}`,
    `  custody   ${path || '-'}`,
    `  flags     ${r.flags.length === 0 ? 'none' : r.flags.map((f) => `${f.code} (${f.type} by ${f.org ?? f.signer}, block ${f.height})`).join('; ')}`,
    r.ok ? 'verdict: fit to dispense' : `verdict: NOT fit to dispense (${why.join(', ')})`,
  ];
}

/**
 * Runs the command. Returns the exit code.
 * @param out where the answer goes (stdout)
 */
export async function verifyPackCommand(o: {
  url: string;
  gtin: string;
  serial: string;
  json: boolean;
  out: (line: string) => void;
}): Promise<number> {
  const r = await new SupplyClient(o.url).verifyPack(o.gtin, o.serial);
  if (o.json) o.out(JSON.stringify(r));
  else for (const line of formatPackReport(r)) o.out(line);
  return r.ok ? 0 : 1;
}

// ---- the track-and-trace steps of `medledger demo pharmacy` ------------------------------

/** The demo's product: a GS1 example GTIN (valid check digit), 20 capsules per pack. */
export const DEMO_GTIN = '09506000134352';
export const DEMO_LOT = 'L2031A';
export const DEMO_PRODUCT = {
  gtin: DEMO_GTIN,
  name: 'Amoxicillin 250 mg, 20 capsules',
  code: {
    system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
    code: '308182',
    display: 'amoxicillin 250 MG Oral Capsule',
  },
  unitsPerPack: 20,
  controlled: false,
};
export const packsOf = (...serials: string[]): PackRef[] =>
  serials.map((serial) => ({ gtin: DEMO_GTIN, serial }));

/** Steps 1-2: approval, registration, commissioning, custody from maker to pharmacies. */
export async function supplyChainSteps(w: DemoConsortium, s: DemoSteps): Promise<void> {
  s.section('A medicine is approved, registered and serialized (GS1 GTIN + serial, lot, expiry)');
  const officer = { memberId: w.id('inspector'), privateKey: w.member('inspector').keys.privateKey };
  const approval = approveProduct(w.node.chainId, officer, {
    ...DEMO_PRODUCT,
    manufacturer: 'pharma',
    number: 'EU/1/26/001',
    issuedAt: Date.now(),
  });
  const forged = approveProduct(
    w.node.chainId,
    { ...officer, privateKey: w.member('maker').keys.privateKey },
    {
      ...DEMO_PRODUCT,
      manufacturer: 'pharma',
      number: 'EU/1/26/001',
      issuedAt: approval.issuedAt,
    },
  );
  const c = (tx: Parameters<DemoConsortium['commit']>[0]): Promise<string> => s.codeOf(w.commit(tx));
  const bad = await c(registerProductTx(w.ctx('maker'), DEMO_PRODUCT, forged));
  s.check(
    bad === 'APPROVAL_INVALID',
    `an approval the maker signed itself is refused by the ledger (${bad})`,
  );
  s.check(
    (await c(registerProductTx(w.ctx('maker'), DEMO_PRODUCT, approval))) === 'OK',
    `GTIN ${DEMO_GTIN} registered with the regulator's approval ${approval.number} (its signature checked by the ledger)`,
  );
  const serials = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
  s.check(
    (await c(
      commissionTx(w.ctx('maker'), { gtin: DEMO_GTIN, serials, lot: DEMO_LOT, expiry: '2031-06-30' }),
    )) === 'OK',
    `6 packs commissioned (EPCIS ADD / commissioning), lot ${DEMO_LOT}, expiry 2031-06-30`,
  );
  const dup = await c(
    commissionTx(w.ctx('maker'), { gtin: DEMO_GTIN, serials: ['S3'], lot: DEMO_LOT, expiry: '2031-06-30' }),
  );
  s.check(
    dup === 'DUPLICATE_SERIAL',
    `a second pack with serial S3 is refused as a counterfeit (${dup}) and flagged`,
  );

  s.section(
    'Packs travel maker → distributor → pharmacies (EPCIS shipping / receiving, signed by the holder)',
  );
  const steal = await c(
    shipTx(w.ctx('shipper'), { packs: packsOf('S5'), from: 'wholesale', to: 'pharmacy1' }),
  );
  s.check(
    steal === 'NOT_HOLDER',
    `the distributor cannot ship S5, which the maker holds (${steal}); flagged`,
  );
  const moves: [Parameters<DemoConsortium['commit']>[0], string][] = [
    [
      shipTx(w.ctx('maker'), {
        packs: packsOf('S1', 'S2', 'S3', 'S4', 'S5'),
        from: 'pharma',
        to: 'wholesale',
      }),
      'ship',
    ],
    [
      receiveTx(w.ctx('shipper'), { packs: packsOf('S1', 'S2', 'S3', 'S4', 'S5'), to: 'wholesale' }),
      'receive',
    ],
    [shipTx(w.ctx('shipper'), { packs: packsOf('S1', 'S2'), from: 'wholesale', to: 'pharmacy1' }), 'ship'],
    [shipTx(w.ctx('shipper'), { packs: packsOf('S3', 'S4'), from: 'wholesale', to: 'pharmacy2' }), 'ship'],
    [receiveTx(w.ctx('pharmacist-1'), { packs: packsOf('S1', 'S2'), to: 'pharmacy1' }), 'receive'],
    [receiveTx(w.ctx('pharmacist-2'), { packs: packsOf('S3', 'S4'), to: 'pharmacy2' }), 'receive'],
  ];
  const codes = [];
  for (const [tx] of moves) codes.push(await c(tx));
  s.check(
    codes.every((x) => x === 'OK'),
    'pharma → wholesale (S1-S5) → pharmacy1 (S1, S2) and pharmacy2 (S3, S4): 6 events committed',
  );
}

/** Steps of the recall and of pack verification (after the prescriptions used S1 and S3). */
export async function recallAndVerifySteps(
  w: DemoConsortium,
  s: DemoSteps,
  dispenseRecalled: () => Promise<string>,
): Promise<void> {
  s.section('A recall by lot reaches every holder');
  const r = await s.codeOf(
    w.commit(
      recallTx(w.ctx('maker'), {
        gtin: DEMO_GTIN,
        lot: DEMO_LOT,
        reason: 'out-of-specification dissolution results',
      }),
    ),
  );
  s.check(r === 'OK', `the maker recalls lot ${DEMO_LOT} (EPCIS OBSERVE / holding / recalled)`);
  const reached: string[] = [];
  for (const [org, label] of [
    ['pharma', 'maker'],
    ['wholesale', 'shipper'],
    ['pharmacy1', 'pharmacist-1'],
    ['pharmacy2', 'pharmacist-2'],
  ] as const) {
    const { recalls } = await w.supply(label).recalls(org);
    if (recalls.some((n) => n.lot === DEMO_LOT))
      reached.push(`${org} (${recalls[0]!.packs} ${recalls[0]!.as === 'holder' ? 'held' : 'dispensed'})`);
  }
  s.check(reached.length === 4, `notices on the ledger for every holder: ${reached.join(', ')}`);
  const d = await dispenseRecalled();
  s.check(d === 'PACK_RECALLED', `pharmacy 1 cannot dispense S2 from the recalled lot (${d}); flagged`);

  s.section('Anyone verifies a pack (GET /v1/supply/packs/:gtin/:serial, `medledger verify-pack`)');
  await w.supplyIndex.idle();
  const api = w.supply();
  const s1 = await api.verifyPack(DEMO_GTIN, 'S1');
  s.check(
    s1.authentic && s1.dispensed?.pharmacy === 'pharmacy1' && !s1.ok,
    `S1: authentic, dispensed by pharmacy1; custody ${s1.path.map((x) => x.bizStep).join(' → ')}`,
  );
  const s2 = await api.verifyPack(DEMO_GTIN, 'S2');
  s.check(
    s2.recalled !== null && s2.flags.some((f) => f.code === 'PACK_RECALLED'),
    `S2: recalled, flagged ${s2.flags.map((f) => f.code).join(', ')}`,
  );
  const s3 = await api.verifyPack(DEMO_GTIN, 'S3');
  s.check(
    s3.flags.some((f) => f.code === 'DUPLICATE_SERIAL'),
    `S3: the duplicate attempt is on record (${s3.flags.map((f) => f.code).join(', ')})`,
  );
  const fake = await api.verifyPack(DEMO_GTIN, 'S99');
  s.check(!fake.authentic && !fake.ok, 'S99: never commissioned — not authentic');
  for (const line of formatPackReport(s2)) s.note(line);
}
