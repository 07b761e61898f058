import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  RX_LINK_RECEIVER,
  alertIdOf,
  generateRxLinkKey,
  openLinkRequest,
  regulatorPseudonym,
  sealLinkRequest,
} from '../src/rxlink.js';
import { generateEncryptionKeyPair } from '../src/envelope.js';
import { fromB64u, toB64u } from '../src/bytes.js';

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const id = fc.string({ minLength: 1, maxLength: 64 });

test('rxlink: the pseudonym is hex(HMAC-SHA256(linkKey, "medledger/rx-pseudonym/v1" || patientId)) (RFC 2104)', () => {
  fc.assert(
    fc.property(key32, id, (k, p) => {
      const want = createHmac('sha256', k)
        .update('medledger/rx-pseudonym/v1' + p, 'utf8')
        .digest('hex');
      assert.equal(regulatorPseudonym(k, p), want);
    }),
  );
});

test('rxlink: without the link key, pseudonyms cannot be computed: another key gives unrelated ones', () => {
  fc.assert(
    fc.property(key32, key32, id, (k1, k2, p) => {
      fc.pre(Buffer.compare(k1, k2) !== 0);
      assert.notEqual(regulatorPseudonym(k1, p), regulatorPseudonym(k2, p));
    }),
  );
  const k = generateRxLinkKey();
  assert.equal(
    regulatorPseudonym(k, 'patient-1'),
    regulatorPseudonym(k, 'patient-1'),
    'stable across prescriptions',
  );
  assert.notEqual(regulatorPseudonym(k, 'patient-1'), regulatorPseudonym(k, 'patient-2'));
  assert.throws(() => regulatorPseudonym(new Uint8Array(31), 'p'), RangeError);
  assert.throws(() => regulatorPseudonym(k, ''), RangeError);
});

test('rxlink: alert ids are keyed and do not depend on the order of the prescriptions', () => {
  const k = generateRxLinkKey();
  assert.equal(alertIdOf(k, ['rx-2', 'rx-1']), alertIdOf(k, ['rx-1', 'rx-2']));
  assert.notEqual(alertIdOf(k, ['rx-1', 'rx-2']), alertIdOf(k, ['rx-1', 'rx-3']));
  assert.notEqual(alertIdOf(k, ['rx-1', 'rx-2']), alertIdOf(generateRxLinkKey(), ['rx-1', 'rx-2']));
  assert.match(alertIdOf(k, ['rx-1', 'rx-2']), /^[0-9a-f]{64}$/);
  assert.throws(() => alertIdOf(k, []), RangeError);
});

test('rxlink: a link request opens only for the regulator, only for its prescription, only untampered', async () => {
  const reg = generateEncryptionKeyPair();
  const other = generateEncryptionKeyPair();
  const link = await sealLinkRequest({
    rxId: 'rx-1',
    patientId: 'patient-42',
    regulatorPublicKey: reg.publicKey,
  });
  assert.deepEqual(
    link.receivers.map((r) => r.id),
    [RX_LINK_RECEIVER],
  );
  assert.ok(!JSON.stringify(link).includes('patient-42'), 'the patient id is not in the clear');
  assert.equal(await openLinkRequest(link, reg.privateKey, 'rx-1'), 'patient-42');
  await assert.rejects(openLinkRequest(link, other.privateKey, 'rx-1'), /decryption failed/);
  await assert.rejects(
    openLinkRequest(link, reg.privateKey, 'rx-2'),
    /decryption failed/,
    'moved to another rx',
  );
  const ct = fromB64u(link.ciphertext);
  ct[3]! ^= 1;
  await assert.rejects(
    openLinkRequest({ ...link, ciphertext: toB64u(ct) }, reg.privateKey, 'rx-1'),
    /decryption failed/,
  );
  await assert.rejects(openLinkRequest({ nonsense: 1 }, reg.privateKey, 'rx-1'), TypeError);
  // two requests for the same patient share nothing a reader could compare
  const again = await sealLinkRequest({
    rxId: 'rx-1',
    patientId: 'patient-42',
    regulatorPublicKey: reg.publicKey,
  });
  assert.notEqual(again.ciphertext, link.ciphertext);
  assert.notEqual(again.receivers[0]!.enc, link.receivers[0]!.enc);
});
