/**
 * The signature pool (sigpool/): one boolean per item, in order, across chunks and workers;
 * a wrong signature, a wrong message, a malformed key or a short signature is false, never an
 * exception. On Linux the verifier threads run at a lower priority than the main thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { SignaturePool, type SigItem } from '../src/sigpool/pool.js';

function signer(): { publicKey: string; sign: (m: Uint8Array) => Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
    sign: (m) => sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
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
      switch (i % 7) {
        case 3: // signed by the other key
          items.push({ publicKey: (i % 2 ? b : a).publicKey, message, signature });
          expected.push(false);
          break;
        case 4: // one flipped bit in the message
          items.push({ publicKey: s.publicKey, message: flip(message), signature });
          expected.push(false);
          break;
        case 5: // a key that is not a key
          items.push({ publicKey: 'AAAA', message, signature });
          expected.push(false);
          break;
        case 6: // a truncated signature
          items.push({ publicKey: s.publicKey, message, signature: signature.subarray(0, 63) });
          expected.push(false);
          break;
        default:
          items.push({ publicKey: s.publicKey, message, signature });
          expected.push(true);
      }
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
        message: m,
        signature: s.sign(m),
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

function flip(b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  c[0]! ^= 1;
  return c;
}
