/**
 * Writes through the facade. The node never signs for a member (DESIGN.md, "who holds which
 * secret"), so a create or a Consent carries the member's signed transaction in the
 * `X-Medledger-Tx` header (base64url of its JSON); the facade checks that the transaction
 * says what the FHIR resource says, submits it and waits for its receipt.
 *
 * Headers of a write:
 *   X-Medledger-Tx            the signed transaction (required); for DSS `payload.resource` may
 *                             be left out: the facade puts the request's resource there (the
 *                             signatures cover it, so it must be the resource that was signed)
 *   X-Medledger-Salt          SPV: the 32-byte salt of the commitment, base64url
 *   X-Medledger-Release-Key   STT: the 32-byte release key the record is sealed under, base64url;
 *                             this node keeps it (it is the sender's organization's node) and
 *                             hands it to a receiver only after an allowed `access.request`
 *   X-Medledger-Architecture  dss | spv | stt, or the resource's `meta.tag` of system
 *                             {@link ARCHITECTURE_SYSTEM}; SPV when neither says
 */
import { canonicalBytes, fromB64u, fromHex, verifyCommitment, type JsonValue } from '@medledger/crypto';
import { LedgerError, applyBlock, type Block, type SignedTx } from '@medledger/core';
import type { FhirContext } from './context.js';
import type { Receipt } from '@medledger/client';
import { fhirError } from './outcome.js';

type Obj = { [k: string]: JsonValue };

/** The `meta.tag` system that chooses how a created record lives on the ledger. */
export const ARCHITECTURE_SYSTEM = 'https://medledger.dev/fhir/CodeSystem/architecture';

/** The three architectures (survey §6). */
export type Architecture = 'dss' | 'spv' | 'stt';

/** The headers of a write. */
export interface WriteHeaders {
  tx?: string | undefined;
  salt?: string | undefined;
  releaseKey?: string | undefined;
  architecture?: string | undefined;
}

/**
 * A write checked and ready to submit: its member-signed transaction, what must be in place
 * before it is submitted (the SPV record in the EHR store, the STT release key), and the answer
 * once it committed. {@link commitWrites} runs one or a Bundle transaction's many together.
 */
export interface PreparedWrite<R = { status: number; resource: Obj; location?: string }> {
  tx: SignedTx;
  stage?: () => Promise<void> | void;
  done: (receipt: Receipt) => R;
}

/** The architecture a create asks for: the header, else the meta.tag, else SPV. */
export function architectureOf(resource: Obj, header: string | undefined): Architecture {
  const meta = resource['meta'] as Obj | undefined;
  const tags = (Array.isArray(meta?.['tag']) ? meta['tag'] : []) as { system?: string; code?: string }[];
  const tagged = tags.filter((t) => t.system === ARCHITECTURE_SYSTEM).map((t) => t.code);
  const all = [...new Set([...(header === undefined ? [] : [header]), ...tagged])];
  if (all.length > 1)
    throw fhirError(
      'MALFORMED_REQUEST',
      'X-Medledger-Architecture and meta.tag name different architectures',
    );
  const a = all[0] ?? 'spv';
  if (a !== 'dss' && a !== 'spv' && a !== 'stt')
    throw fhirError('MALFORMED_REQUEST', `the architecture must be dss, spv or stt (${ARCHITECTURE_SYSTEM})`);
  return a;
}

/** The signed transaction of the `X-Medledger-Tx` header, of type `type`. */
export function txOf(header: string | undefined, type: string): SignedTx {
  if (header === undefined)
    throw fhirError(
      'MALFORMED_REQUEST',
      `this write needs the member's signed ${type} transaction in the X-Medledger-Tx header (base64url of its JSON): the node does not sign for members`,
    );
  let tx: SignedTx;
  try {
    tx = JSON.parse(Buffer.from(fromB64u(header)).toString('utf8')) as SignedTx;
  } catch {
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Tx is not base64url of a JSON transaction');
  }
  if (
    typeof tx !== 'object' ||
    tx === null ||
    typeof tx.body !== 'object' ||
    tx.body === null ||
    tx.body.type !== type
  )
    throw fhirError('MALFORMED_REQUEST', `X-Medledger-Tx must be a ${type} transaction`);
  if (typeof tx.body.payload !== 'object' || tx.body.payload === null)
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Tx has no payload');
  return tx;
}

/**
 * Runs one write, or a Bundle transaction's writes, as one unit as far as a ledger allows:
 * 1. Every transaction is applied, in order, to the block this node would cut now on top of its
 *    head, with the ledger's own `applyBlock` (chain, timing, replay, signatures, each contract
 *    on the state the ones before it left), and the result is thrown away. If one would be
 *    refused, nothing is staged or submitted, and the error names the write (`meta.write`).
 * 2. Each write is staged (SPV record into the EHR store, STT release key into the vault;
 *    both stay pending and expire unless their transaction commits).
 * 3. All transactions are submitted in one batch, and their receipts awaited.
 * A transaction another member commits between 1 and 3 can still make one of them fail on
 * the ledger (the ledger applies each on its own and cannot roll back); the error then names
 * that write, and those before it stay committed.
 * @throws TX_REJECTED (`meta.write` = index), TX_NOT_COMMITTED, the node's admission error
 */
export async function commitWrites<R>(ctx: FhirContext, writes: readonly PreparedWrite<R>[]): Promise<R[]> {
  const node = ctx.records.node;
  const txs = writes.map((w) => w.tx);
  const head = node.head();
  const block: Block = {
    header: {
      chainId: node.chainId,
      height: head.height + 1,
      prevHash: head.hash,
      txRoot: '',
      stateDigest: head.stateDigest,
      time: Math.max(ctx.now(), head.time),
      proposer: node.org,
      txCount: txs.length,
    },
    txs,
    proposerSig: '',
  };
  const trial = applyBlock(node.store, block, {
    contracts: node.contracts,
    params: node.genesis.params,
    prevStateDigest: head.stateDigest,
  });
  trial.outcomes.forEach((o, i) => {
    if (o.code !== 'OK') throw refused(o.txId, i, o.code, o.message);
  });
  for (const w of writes) await w.stage?.();
  const submitted = await node.submitBatch(txs);
  const ids = submitted.map((s, i) => {
    if (s.status === 'rejected') throw refused(s.txId ?? '', i, s.error.code, s.error.message);
    return s.txId;
  });
  const receipts = await node.waitForReceipts(ids, ctx.commitWaitMs);
  const out = receipts.map((r, i) => {
    if (!r)
      throw new LedgerError(
        { code: 'TX_NOT_COMMITTED', write: i },
        `transaction ${ids[i]} did not commit within ${ctx.commitWaitMs} ms`,
      );
    if (r.code !== 'OK') throw refused(r.txId, i, r.code, r.message);
    return r;
  });
  await ctx.records.sync();
  return writes.map((w, i) => w.done(out[i]!));
}

function refused(txId: string, write: number, code: string, message?: string): LedgerError {
  return new LedgerError(
    { code: 'TX_REJECTED', write, issues: [] },
    `the ledger refuses transaction ${txId}: ${code}${message ? ` (${message})` : ''}`,
  );
}

/** Checks an SPV transaction against the resource and salt: same commitment. */
export function checkSpvTx(tx: SignedTx, resource: Obj, saltHeader: string | undefined): Uint8Array {
  if (saltHeader === undefined)
    throw fhirError('MALFORMED_REQUEST', 'an SPV create needs X-Medledger-Salt (base64url, 32 bytes)');
  let salt: Uint8Array;
  try {
    salt = fromB64u(saltHeader);
  } catch {
    throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Salt is not base64url');
  }
  if (salt.length !== 32) throw fhirError('MALFORMED_REQUEST', 'X-Medledger-Salt must be 32 bytes');
  const c = tx.body.payload['commitment'];
  let ok = false;
  try {
    ok = typeof c === 'string' && verifyCommitment(fromHex(c), canonicalBytes(resource), salt);
  } catch {
    ok = false;
  }
  if (!ok)
    throw fhirError(
      'MALFORMED_REQUEST',
      'the record.spv commitment does not open to this resource with this salt',
    );
  return salt;
}

/**
 * Checks an STT create's transaction against the resource: a first transmission (`prev`
 * null) of this resource type and subject, whose release key this node keeps (`holder`).
 * The envelope is encrypted to the receivers, so no node can check that it holds this
 * resource; what the node validates is the resource the sender states it sent. A receiver's
 * SDK decrypts what the sender signed.
 */
export function checkSttTx(tx: SignedTx, resource: Obj, org: string): void {
  const p = tx.body.payload;
  if (p['prev'] !== null)
    throw fhirError('MALFORMED_REQUEST', 'an STT create is a first transmission: payload.prev must be null');
  if (p['holder'] !== org)
    throw fhirError(
      'MALFORMED_REQUEST',
      `payload.holder must be this node's organization (${org}), which keeps the release key`,
    );
  const ref = (resource['subject'] as Obj | undefined)?.['reference'];
  const subject = typeof ref === 'string' ? /^Patient\/(.+)$/.exec(ref)?.[1] : undefined;
  if (subject !== p['subject'])
    throw fhirError('MALFORMED_REQUEST', "the record.stt payload.subject is not the resource's subject");
}

/** The `X-Medledger-Release-Key` header of an STT create (checked by the vault: 32 bytes). */
export function releaseKeyOf(header: string | undefined): string {
  if (header === undefined)
    throw fhirError(
      'MALFORMED_REQUEST',
      'an STT create needs X-Medledger-Release-Key (base64url, 32 bytes): the key the record is sealed under before it is encrypted to the receivers',
    );
  return header;
}
