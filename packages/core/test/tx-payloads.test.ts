import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_OF, EVENT_NAMES, TX_TYPES, defaultContracts, isEventName, isTxType } from '../src/index.js';

test('behavior: TxPayloads lists exactly the transaction types of the default registry', () => {
  const registry = defaultContracts();
  assert.deepEqual([...TX_TYPES].sort(), registry.types());
  for (const type of TX_TYPES) {
    assert.equal(CONTRACT_OF[type].type, type, `CONTRACT_OF['${type}'] is the contract of another type`);
    assert.equal(registry.get(type), CONTRACT_OF[type], `${type}: the registry holds another contract`);
  }
});

test('behavior: isTxType and isEventName accept the listed names only', () => {
  assert.ok(isTxType('consent.grant'));
  assert.ok(!isTxType('consent.grnt'));
  assert.ok(!isTxType('toString'));
  assert.ok(isEventName('consent.granted'));
  assert.ok(!isEventName('consent.grant'));
  assert.equal(new Set(EVENT_NAMES).size, EVENT_NAMES.length, 'event names are unique');
});
