import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateP256KeyPair } from '@medledger/crypto';
import {
  defaultContracts,
  isTxOf,
  parseTx,
  txIdOf,
  type LedgerEvent,
  type TxPayloads,
} from '@medledger/core';
import { Wallet } from '../src/wallet.js';

const wallet = (): Wallet =>
  new Wallet({ signerId: 'a'.repeat(64), privateKey: generateP256KeyPair().privateKey });

test('behavior: wallet.tx builds a transaction whose payload the contract of its type accepts', () => {
  const payload: TxPayloads['consent.revoke'] = { grantId: 'g-1' };
  const tx = wallet().tx({ chainId: 'c'.repeat(64), type: 'consent.revoke', payload, createdAt: 1 });
  const parsed = parseTx(JSON.parse(JSON.stringify(tx)));
  assert.equal(parsed.body.type, 'consent.revoke');
  assert.equal(txIdOf(parsed.body), txIdOf(tx.body));
  const contract = defaultContracts().get(parsed.body.type);
  assert.ok(contract, 'the default registry has a contract for the type');
  assert.deepEqual(contract.parse(parsed.body.payload), payload);
});

test('types: a wrong payload, a misspelled type or event name does not compile', () => {
  const w = wallet();
  const base = { chainId: 'c', createdAt: 1 } as const;
  // Each line below is a compile error, asserted by @ts-expect-error: if the compiler ever
  // accepted one, `tsc -b` would fail on the unused directive and the build would break.
  // @ts-expect-error consent.revoke's payload needs grantId: string, not a number
  const wrongField = w.tx({ ...base, type: 'consent.revoke', payload: { grantId: 7 } });
  // @ts-expect-error consent.revoke's payload has no `reason`
  const extraField = w.tx({ ...base, type: 'consent.revoke', payload: { grantId: 'g', reason: 'x' } });
  // @ts-expect-error 'consent.revok' is not a transaction type
  const misspelled = w.tx({ ...base, type: 'consent.revok', payload: { grantId: 'g' } });
  // @ts-expect-error the JSON escape hatch still checks the type
  const jsonMisspelled = w.txFromJson({ ...base, type: 'rx.alrt', payload: {} });
  // @ts-expect-error 'consent.grnted' is not an event a contract emits
  const event: LedgerEvent = { type: 'consent.grnted' };
  // @ts-expect-error isTxOf takes a checked type
  const narrowed = isTxOf(wrongField.body, 'record.dsss');
  // At run time the malformed ones are still built (the node's contract would reject them).
  assert.equal(misspelled.body.type, 'consent.revok');
  assert.equal(extraField.body.payload.reason, 'x');
  assert.equal(jsonMisspelled.body.type, 'rx.alrt');
  assert.equal(event.type, 'consent.grnted');
  assert.equal(narrowed, false);
});
