/**
 * Governance proposals travel as JSON files from founder to founder: each signs on its own
 * machine, a founder counts once, and only a fully signed proposal becomes a transaction.
 * Proven cards: only the holder of the card's root key proves it, for one chain and one card.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOrgRootCertificate,
  fromHex,
  generateP256KeyPair,
  toB64u,
  verifyP256,
  type P256KeyPair,
} from '@medledger/crypto';
import { LedgerError, parseTx, txIdOf, type OrgCard } from '@medledger/core';
import {
  assembleProposal,
  describeProposal,
  missingSigners,
  parseProposal,
  parseProvenCard,
  proveOrgCard,
  removeOrgProposal,
  rotateNodeKeyProposal,
  addOrgProposal,
  signProposal,
  type GovernanceProposal,
} from '../src/index.js';

const chainId = 'ab'.repeat(32);
const otherChain = 'cd'.repeat(32);
const T = Date.UTC(2026, 5, 1);
// A proposal file's JSON, as a test mutates it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const viaFile = (p: GovernanceProposal): GovernanceProposal => parseProposal(JSON.parse(JSON.stringify(p)));
const isCode = (code: string, re?: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === code && (re === undefined || re.test(e.message));

async function org(id: string): Promise<{ root: P256KeyPair; card: OrgCard }> {
  const root = generateP256KeyPair();
  const cert = await createOrgRootCertificate({ org: id, ...root, notBefore: T - 1000, notAfter: T + 1e10 });
  return {
    root,
    card: {
      id,
      name: id,
      role: 'cdo',
      rootCertificate: toB64u(cert),
      nodeKey: toB64u(generateP256KeyPair().publicKey),
    },
  };
}

test('behavior: two founders sign a proposal in turn through a file; the assembled transaction carries both signatures', () => {
  const a = generateP256KeyPair();
  const b = generateP256KeyPair();
  let p = removeOrgProposal({ chainId, org: 'labD', reason: 'left', founders: ['b', 'a'], createdAt: T });
  assert.deepEqual(p.body.signers, ['org:a', 'org:b']);
  assert.deepEqual(missingSigners(p), ['org:a', 'org:b']);
  assert.throws(() => assembleProposal(p), isCode('PROPOSAL_INCOMPLETE', /not signed yet by org:a, org:b/));
  p = viaFile(signProposal(viaFile(p), 'a', a.privateKey));
  assert.throws(() => assembleProposal(p), isCode('PROPOSAL_INCOMPLETE', /not signed yet by org:b;/));
  p = viaFile(signProposal(p, 'b', b.privateKey));
  const tx = assembleProposal(p);
  assert.deepEqual(parseTx(JSON.parse(JSON.stringify(tx))), tx, 'the wire format accepts it');
  const id = fromHex(txIdOf(tx.body));
  const keyOf = { 'org:a': a.publicKey, 'org:b': b.publicKey } as Record<string, Uint8Array>;
  for (const s of tx.signatures)
    assert.ok(verifyP256(keyOf[s.signer]!, id, Buffer.from(s.sig, 'base64url')), s.signer);
  assert.match(
    describeProposal(p).join('\n'),
    /remove organization labD; reason: left[\s\S]*org:a \(signed\), org:b \(signed\)/,
  );
});

test('security: a founder who signs twice counts once; an unlisted signer cannot sign', () => {
  const a = generateP256KeyPair();
  let p = removeOrgProposal({ chainId, org: 'labD', reason: 'left', founders: ['a', 'b'], createdAt: T });
  p = signProposal(signProposal(p, 'a', a.privateKey), 'a', a.privateKey);
  assert.equal(p.signatures.length, 1);
  assert.deepEqual(missingSigners(p), ['org:b']);
  assert.throws(
    () => signProposal(p, 'c', a.privateKey),
    isCode('NOT_A_SIGNER', /org:c is not a listed signer/),
  );
  // A file with a doubled signature, or one from an unlisted signer, is refused.
  const doubled = { ...p, signatures: [p.signatures[0]!, p.signatures[0]!] };
  assert.throws(
    () => parseProposal(JSON.parse(JSON.stringify(doubled))),
    isCode('MALFORMED_PROPOSAL', /signs twice/),
  );
  const stranger = { ...p, signatures: [{ signer: 'org:c', sig: p.signatures[0]!.sig }] };
  assert.throws(() => parseProposal(stranger), isCode('MALFORMED_PROPOSAL', /org:c is not listed/));
});

test('behavior: a rotation lists the organization itself among the signers', () => {
  const p = rotateNodeKeyProposal({
    chainId,
    org: 'c',
    nodeKey: toB64u(generateP256KeyPair().publicKey),
    founders: ['a', 'b'],
    createdAt: T,
  });
  assert.deepEqual(p.body.signers, ['org:a', 'org:b', 'org:c']);
});

test('negative: a malformed or altered proposal file is refused with the field', () => {
  const p = removeOrgProposal({ chainId, org: 'labD', reason: 'left', founders: ['a'], createdAt: T });
  const j = (): Json => JSON.parse(JSON.stringify(p)) as Json;
  const cases: [string, (x: Json) => void, RegExp][] = [
    ['wrong kind', (x) => (x.kind = 'tx'), /proposal\.kind: must be/],
    ['not governance', (x) => (x.body.type = 'record.anchor'), /proposal\.body\.type: must be one of/],
    ['bad payload', (x) => (x.body.payload = { org: 'labD' }), /payload\.reason: must be a string/],
    ['bad chain id', (x) => (x.body.chainId = 'zz'), /proposal\.body\.chainId/],
    ['short signature', (x) => (x.signatures = [{ signer: 'org:a', sig: 'AAAA' }]), /must be 64 bytes/],
  ];
  for (const [what, mutate, re] of cases) {
    const x = j();
    mutate(x);
    assert.throws(() => parseProposal(x), isCode('MALFORMED_PROPOSAL', re), what);
  }
  // Built locally, a bad payload is refused before any founder sees it.
  assert.throws(
    () => rotateNodeKeyProposal({ chainId, org: 'a', nodeKey: 'AAAA', founders: ['a'], createdAt: T }),
    isCode(
      'MALFORMED_PROPOSAL',
      /proposal\.body\.payload\.nodeKey: must be the SPKI DER of a P-256 public key/,
    ),
  );
});

test('security: only the root key of the card proves it, for this chain and this card', async () => {
  const d = await org('labD');
  const thief = generateP256KeyPair();
  assert.throws(() => proveOrgCard(chainId, d.card, thief.privateKey), isCode('WRONG_KEY'));
  const proven = proveOrgCard(chainId, d.card, d.root.privateKey);
  const file = JSON.parse(JSON.stringify(proven)) as unknown;
  assert.deepEqual(parseProvenCard(file, chainId), { card: d.card, proof: proven.proof });
  assert.throws(() => parseProvenCard(file, otherChain), isCode('BAD_PROOF'));
  assert.throws(() => parseProvenCard({ ...proven, name: 'Another name' }, chainId), isCode('BAD_PROOF'));
  const { proof: _p, ...bare } = proven;
  assert.throws(() => parseProvenCard(bare, chainId), isCode('MALFORMED_CARD', /prove-card/));
  const p = addOrgProposal({
    chainId,
    ...parseProvenCard(file, chainId),
    founders: ['a', 'b'],
    createdAt: T,
  });
  assert.match(
    describeProposal(viaFile(p))[0]!,
    /add organization labD "labD" \(cdo\), running a node with key [0-9a-f]{16}/,
  );
  assert.equal(describeProposal(p)[2], 'proof of possession of its root key: verifies');
});
