import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LedgerError,
  chainIdOf,
  checkGenesisSignatures,
  missingGenesisSignatures,
  parseGenesis,
  signGenesis,
  type Genesis,
} from '../src/index.js';
import { makeFixture } from './fixtures.js';

const clone = (g: Genesis): Genesis => JSON.parse(JSON.stringify(g)) as Genesis;

test('genesis: every founder signed — accepted; the chain id does not cover the signatures', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  assert.deepEqual(missingGenesisSignatures(f.genesis), []);
  checkGenesisSignatures(f.genesis);
  const g = clone(f.genesis);
  g.signatures = [];
  assert.equal(chainIdOf(g), f.chainId);
  assert.deepEqual(parseGenesis(clone(f.genesis)), f.genesis);
});

test('negative: a genesis without one founder signature is refused, naming the founder', async () => {
  const f = await makeFixture(['a', 'b', 'c']);
  const g = clone(f.genesis);
  g.signatures = g.signatures.filter((s) => s.org !== 'b');
  assert.deepEqual(missingGenesisSignatures(g), ['b']);
  assert.throws(
    () => checkGenesisSignatures(g),
    (e: unknown) => e instanceof LedgerError && e.code === 'GENESIS_UNSIGNED' && /founder b/.test(e.message),
  );
});

test('negative: a founder signature made with another organization key does not count', async () => {
  const f = await makeFixture(['a', 'b']);
  const g = clone(f.genesis);
  // a signs twice, once claiming to be b
  g.signatures = [
    signGenesis(g, 'a', f.orgs.a!.root.privateKey),
    signGenesis(g, 'b', f.orgs.a!.root.privateKey),
  ];
  assert.deepEqual(missingGenesisSignatures(g), ['b']);
});

test('negative: a genesis changed after the founders signed fails every signature', async () => {
  const f = await makeFixture(['a', 'b']);
  const g = clone(f.genesis);
  g.params.txTtlMs += 1;
  assert.deepEqual(missingGenesisSignatures(g), ['a', 'b']);
  const flipped = clone(f.genesis);
  const s = flipped.signatures[0]!;
  s.sig = (s.sig[0] === 'A' ? 'B' : 'A') + s.sig.slice(1);
  assert.deepEqual(missingGenesisSignatures(flipped), ['a']);
});

test('negative: malformed governance is refused with the path', async () => {
  const f = await makeFixture(['a', 'b']);
  const cases: [string, (g: Genesis) => void, RegExp][] = [
    [
      'unknown founder',
      (g) => (g.governance.founders = ['a', 'z']),
      /founders\[1\]: z is not an organization/,
    ],
    ['duplicate founder', (g) => (g.governance.founders = ['a', 'a']), /duplicate founder/],
    ['threshold above founders', (g) => (g.governance.threshold = 3), /threshold: must be in \[1, 2\]/],
    ['threshold zero', (g) => (g.governance.threshold = 0), /threshold: must be in \[1, 2\]/],
    ['no node at all', (g) => g.orgs.forEach((o) => delete o.nodeKey), /at least one must run a node/],
    ['no governance', (g) => delete (g as Partial<Genesis>).governance, /governance: must be an object/],
    [
      'a node key that is not a P-256 key',
      (g) => (g.orgs[0]!.nodeKey = 'AAAA'),
      /orgs\[0\]\.nodeKey: must be the SPKI DER of a P-256 public key/,
    ],
    [
      "another organization's root certificate",
      (g) => (g.orgs[0]!.rootCertificate = g.orgs[1]!.rootCertificate),
      /orgs\[0\]\.rootCertificate: must be a CA certificate of a/,
    ],
  ];
  for (const [what, mutate, re] of cases) {
    const g = clone(f.genesis);
    mutate(g);
    assert.throws(
      () => parseGenesis(g),
      (e: unknown) => e instanceof LedgerError && e.code === 'MALFORMED_GENESIS' && re.test(e.message),
      what,
    );
  }
});
