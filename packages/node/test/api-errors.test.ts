import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LedgerError, isLedgerError, rejectionCode, type LedgerErrorCode } from '@medledger/core';
import { HttpError, statusOf } from '../src/api/errors.js';

// Statuses clients and the fuzz oracle already see on the wire: the move of the domain to
// LedgerError must not change one of them.
const WIRE: [LedgerErrorCode, number][] = [
  ['MALFORMED_REQUEST', 400],
  ['UNAUTHENTICATED', 401],
  ['AUTH_REPLAY', 401],
  ['FORBIDDEN', 403],
  ['ACCESS_DENIED', 403],
  ['NOT_FOUND', 404],
  ['UNKNOWN_PATIENT', 404],
  ['WRONG_MODE', 409],
  ['NOT_HOLDER', 409],
  ['RECORD_ERASED', 410],
  ['ERASURE_NOT_POSSIBLE', 422],
  ['TOO_MANY_STREAMS', 429],
  ['CHALLENGE_UNKNOWN', 401],
  ['PRESENTATION_INVALID', 401],
  ['CHALLENGE_STALE', 409],
  ['NOT_GROUP_MANAGER', 403],
  ['MEMPOOL_FULL', 503],
  ['TX_NOT_COMMITTED', 504],
];

test('behavior: domain codes keep the HTTP statuses they had on the wire', () => {
  for (const [code, status] of WIRE) assert.equal(statusOf(code), status, code);
});

test('behavior: a contract rejection code gets its listed status, or 500 if unlisted', () => {
  assert.equal(statusOf(rejectionCode('ALREADY_ENROLLED')), 409);
  assert.equal(statusOf(rejectionCode('KEY_IMAGE_USED')), 409);
  assert.equal(statusOf(rejectionCode('GRANT_NOT_FOUND_IN_ANY_TABLE')), 500);
  // not a prototype property of the table
  assert.equal(statusOf(rejectionCode('toString')), 500);
});

test('behavior: HttpError is a LedgerError, so one error handler serves both', () => {
  const e = new HttpError('AUTH_EXPIRED', 'request timestamp is outside the window');
  assert.ok(isLedgerError(e, 'AUTH_EXPIRED'));
  assert.equal(e.code, 'AUTH_EXPIRED');
  assert.deepEqual(e.meta, { code: 'AUTH_EXPIRED' });
  assert.equal(statusOf(e.code), 401);
});

test('types: a misspelled code is a compile error, for LedgerError and statusOf', () => {
  // The lines below compile only because the compiler rejects them as the comments say; a
  // code added to the union without a status fails `Record<LedgerErrorCode, number>` in
  // api/errors.ts the same way.
  // @ts-expect-error 'ACCES_DENIED' is not a LedgerErrorCode
  const e = new LedgerError({ code: 'ACCES_DENIED' }, 'typo');
  // @ts-expect-error a free string is not a code: receipts' codes go through rejectionCode()
  const s = statusOf('ACCESS_DENIED' as string);
  assert.equal(e.code, 'ACCES_DENIED');
  assert.equal(s, 403);
});
