/**
 * The vault of record secrets (records/vault.ts) and de-identification (records/deidentify.ts):
 * encrypted at rest under a key derived from the EHR master key, bound to id and kind,
 * shredded on erasure with tombstones; research copies without linkable identifiers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { randomBytes } from '@medledger/crypto';
import { isEhrError } from '../src/ehr/types.js';
import { ReleaseKeyVault } from '../src/records/vault.js';
import { LINKAGE_SYSTEM, deidentifyResource } from '../src/records/deidentify.js';

test('vault: secrets are encrypted at rest, bound to their row, and shredded on erasure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medledger-vault-'));
  const path = join(dir, 'vault.sqlite');
  const masterKey = randomBytes(32);
  const secret = randomBytes(32);
  try {
    const v = ReleaseKeyVault.open({ path, masterKey });
    v.put('r1', 'release', secret, 'owner-1', 1000);
    v.put('r2', 'release', randomBytes(32), 'owner-1', 1000);
    assert.deepEqual(v.get('r1', 'release')?.secret, secret);
    assert.equal(v.get('r1', 'release')?.confirmedAt, undefined, 'pending until confirmed');
    assert.deepEqual(
      v
        .pendingBefore(2000)
        .map((p) => p.id)
        .sort(),
      ['r1', 'r2'],
    );
    assert.equal(v.confirm('r1', 'release', 1500), true);
    assert.deepEqual(
      v.pendingBefore(2000).map((p) => p.id),
      ['r2'],
    );
    assert.throws(
      () => v.put('r1', 'release', secret, 'owner-1', 1),
      (e) => isEhrError(e, 'DUPLICATE_RECORD'),
    );
    v.close();
    const file = readFileSync(path);
    assert.equal(file.indexOf(Buffer.from(secret)), -1, 'no secret in clear in the file');

    // A row moved to another id does not open; a wrong master key does not open.
    const db = new Database(path);
    db.prepare("UPDATE vault SET sealed = (SELECT sealed FROM vault WHERE id = 'r1') WHERE id = 'r2'").run();
    db.close();
    const v2 = ReleaseKeyVault.open({ path, masterKey });
    assert.throws(
      () => v2.get('r2', 'release'),
      (e) => isEhrError(e, 'CORRUPT'),
    );
    v2.close();
    const wrong = ReleaseKeyVault.open({ path, masterKey: randomBytes(32) });
    assert.throws(
      () => wrong.get('r1', 'release'),
      (e) => isEhrError(e, 'CORRUPT'),
    );
    wrong.close();

    const v3 = ReleaseKeyVault.open({ path, masterKey });
    assert.deepEqual(v3.erase('r1', 3000), ['release']);
    assert.deepEqual(v3.erase('r1', 3001), [], 'erasing twice erases nothing');
    assert.equal(v3.get('r1', 'release'), undefined);
    assert.equal(v3.isErased('r1', 'release'), true);
    assert.throws(
      () => v3.put('r1', 'release', secret, 'owner-1', 1),
      (e) => isEhrError(e, 'ERASED'),
    );
    v3.close();
    const sealedAfter = new Database(path)
      .prepare<[], { sealed: Buffer | null }>("SELECT sealed FROM vault WHERE id = 'r1'")
      .get()!.sealed;
    assert.equal(sealedAfter, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deidentify: ids, identifiers, narrative, references and the patient are removed; linkage id replaces the patient', () => {
  const obs = {
    resourceType: 'Observation',
    id: 'obs-1',
    meta: { versionId: '3', source: 'lab-7', security: [{ system: 's', code: 'N' }] },
    identifier: [{ value: 'ACC-1' }],
    text: { status: 'generated', div: '<div>John Doe</div>' },
    status: 'final',
    code: { text: 'Glucose' },
    subject: { reference: 'Patient/abc', display: 'John Doe' },
    encounter: { reference: 'Encounter/e1' },
    performer: [{ reference: 'Practitioner/p1', display: 'Dr X' }],
    note: [{ text: 'called John' }],
    valueQuantity: { value: 5.4, unit: 'mmol/L' },
  };
  const { resource, removed } = deidentifyResource(obs);
  assert.deepEqual(resource, {
    resourceType: 'Observation',
    meta: { security: [{ system: 's', code: 'N' }] },
    status: 'final',
    code: { text: 'Glucose' },
    valueQuantity: { value: 5.4, unit: 'mmol/L' },
  });
  for (const p of ['Observation.id', 'Observation.subject', 'Observation.identifier', 'Observation.text'])
    assert.ok(removed.includes(p), p);
  assert.ok(!JSON.stringify(removed).includes('John'), 'removed lists paths, not values');
  const linked = deidentifyResource(obs, 'L1').resource;
  assert.deepEqual(linked.subject, { identifier: { system: LINKAGE_SYSTEM, value: 'L1' } });
  const bundle = deidentifyResource({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [{ fullUrl: 'urn:uuid:1', resource: obs }],
  });
  const entry = (bundle.resource.entry as { resource: { subject?: unknown }; fullUrl?: string }[])[0]!;
  assert.equal(entry.fullUrl, undefined);
  assert.equal(entry.resource.subject, undefined);
});
