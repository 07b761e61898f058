/**
 * The HE custodian that `medledger start` runs (hospital A's node.json names it under
 * `init --dev`): the patient Bob deposits his Paillier key sealed to the node's published
 * X25519 key; the node restarts; an insurer's claim over Bob's encrypted expenses is then
 * answered by the restarted custodian with the claim's total, sealed to the insurer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromB64u } from '@medledger/crypto';
import { createHeKeyPair } from '@medledger/crypto/he';
import {
  MedledgerClient,
  OrgServicesClient,
  claimTx,
  expenseTx,
  httpLedgerSource,
  openClaimTotal,
  publishKeysTx,
  type TxContext,
} from '@medledger/client';
import type { SignedTx } from '@medledger/core';
import { start } from '../src/commands/start.js';
import { memberWallet, openWalletFile } from '../src/dirs/wallets.js';
import { makeDevDir } from './helpers.js';

test(
  'cli services: start runs hospital A’s HE custodian; a key Bob deposited (sealed to the node) before a restart answers an insurer’s claim after it',
  { timeout: 180_000 },
  async () => {
    const d = await makeDevDir();
    let s = await start({ dir: d.dir, dev: true, port: 0, log: () => {} });
    try {
      const chainId = s.node.chainId;
      const open = (label: string) => openWalletFile(d.wallets, label, d.walletPassphrase);
      const ctx = (label: string): TxContext => ({
        wallet: memberWallet(d.wallets, label, d.walletPassphrase),
        chainId,
      });
      const at = (label: string) => {
        const w = open(label);
        return {
          signerId: w.memberId,
          privateKey: w.keys.signing.privateKey,
          encryptionPrivateKey: w.keys.encryption.privateKey,
        };
      };
      const commit = async (url: string, tx: SignedTx | Promise<SignedTx>): Promise<string> =>
        (await new MedledgerClient(url).submitAndWait(await tx, 10_000)).code;
      const bob = open('bob').memberId;
      const { publicKey, secretKey } = await createHeKeyPair();
      assert.equal(
        await commit(s.url, publishKeysTx(ctx('bob'), { he: publicKey, heHolder: 'hospitalA' })),
        'OK',
      );
      const nodeX25519 = fromB64u((s.node.stateValue('pubkeys:node:hospitalA') as { x25519: string }).x25519);
      await new OrgServicesClient(s.url).depositHeKey(at('bob'), 'hospitalA', nodeX25519, secretKey);

      await s.close();
      s = await start({ dir: d.dir, dev: true, port: 0, log: () => {} });
      const url = s.url;
      const source = (label: string) =>
        httpLedgerSource(url, { signerId: at(label).signerId, privateKey: at(label).privateKey });
      for (const [id, by, cents] of [
        ['e-1', 'dr-alice', 125_50],
        ['e-2', 'dr-gp', 99_00],
      ] as const)
        assert.equal(
          await commit(url, expenseTx(ctx(by), source(by), { expenseId: id, patient: bob, cents })),
          'OK',
        );
      const now = Date.now();
      const grant = ctx('bob').wallet.tx({
        chainId,
        type: 'consent.grant',
        payload: {
          grantId: 'g-pay',
          grantee: { kind: 'org', org: 'insurer' },
          scope: { categories: ['billing'] },
          purposes: ['payment'],
          notBefore: now - 60_000,
          notAfter: now + 86_400_000,
        },
        createdAt: now,
      });
      assert.equal(await commit(url, grant), 'OK');
      assert.equal(
        await commit(
          url,
          claimTx(ctx('claims'), { claimId: 'c-1', patient: bob, expenseIds: ['e-1', 'e-2'] }),
        ),
        'OK',
      );
      for (let i = 0; i < 400; i++) {
        if ((s.node.stateValue('he:claim:c-1') as { status: string }).status === 'released') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const insurer = { id: at('claims').signerId, privateKey: at('claims').encryptionPrivateKey };
      assert.equal(
        await openClaimTotal(source('claims'), 'c-1', insurer),
        224_50n,
        'released by the restarted custodian',
      );
    } finally {
      await s.close();
    }
  },
);
