/**
 * The signature pool (sigpool/): one boolean per item, in order, across chunks and workers;
 * a wrong signature, a wrong message, a malformed key, id or signature (short, not canonical,
 * not base64url, the high-S twin of a valid one) is false, never an exception. On Linux the verifier threads run at a lower priority than the main thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { negateP256S, signP256 } from '@medledger/crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { SignaturePool, type SigItem } from '../src/sigpool/pool.js';

function signer(): { publicKey: string; sign: (m: Uint8Array) => Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
    sign: (m) => Buffer.from(signP256(privateKey, m)), // low-S, as every medledger signer
  };
}

/** Niceness of every thread of this process, from /proc (field 19 of stat). */
function niceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('sigpool: results in order over chunks and workers; every kind of bad item is false', async () => {
  const pool = new SignaturePool(2);
  try {
    const a = signer();
    const b = signer();
    const items: SigItem[] = [];
    const expected: boolean[] = [];
    for (let i = 0; i < 700; i++) {
      const s = i % 2 ? a : b;
      const message = randomBytes(32);
      const signature = s.sign(message);
      const item = {
        publicKey: s.publicKey,
        messageHex: message.toString('hex'),
        signatureB64u: signature.toString('base64url'),
      };
      const bad: Partial<SigItem> | undefined = [
        undefined,
        undefined,
        { publicKey: (i % 2 ? b : a).publicKey }, // signed by the other key
        { messageHex: flip(message).toString('hex') }, // one flipped bit in the message
        { publicKey: 'AAAA' }, // a key that is not a key
        { signatureB64u: signature.subarray(0, 63).toString('base64url') }, // truncated
        { signatureB64u: `${item.signatureB64u.slice(0, 85)}B` }, // non-canonical last character
        { signatureB64u: `${item.signatureB64u.slice(0, 40)}*${item.signatureB64u.slice(41)}` }, // not base64url
        { messageHex: `${item.messageHex.slice(0, 62)}zz` }, // not hex
        { messageHex: item.messageHex.slice(0, 62) }, // 31 bytes
        { signatureB64u: Buffer.from(negateP256S(signature)).toString('base64url') }, // high-S twin
      ][i % 11];
      items.push({ ...item, ...bad });
      expected.push(bad === undefined);
    }
    assert.deepEqual(await pool.verify(items, 64), expected);
  } finally {
    await pool.close();
  }
});

test(
  'sigpool: on Linux the verifier threads run niced below the main thread',
  { skip: process.platform !== 'linux' },
  async () => {
    const before = niceness();
    const pool = new SignaturePool(2);
    try {
      // A verification round trip guarantees both workers have started and run their prologue.
      const s = signer();
      const m = randomBytes(32);
      const items = Array.from({ length: 4 }, () => ({
        publicKey: s.publicKey,
        messageHex: m.toString('hex'),
        signatureB64u: s.sign(m).toString('base64url'),
      }));
      assert.deepEqual(await pool.verify(items, 1), [true, true, true, true]);
      const after = niceness();
      const main = after[0];
      assert.equal(main, 0, 'the main thread keeps its priority');
      assert.equal(
        after.filter((n) => n === 10).length - before.filter((n) => n === 10).length,
        2,
        `two threads at niceness 10 (threads: ${after.join(',')})`,
      );
    } finally {
      await pool.close();
    }
  },
);

function flip(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[0]! ^= 1;
  return c;
}
