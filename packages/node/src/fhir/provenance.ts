/**
 * A record's Provenance: the transaction that wrote it on the ledger (its id, block height
 * and hash), its signers (the responsible doctors) and their signatures (P-256 over the
 * transaction id, `sigFormat` application/x-medledger-p256; verify them against the
 * signers' certificates on the ledger, or check the transaction with the light client).
 */
import { fromB64u, type JsonValue } from '@medledger/crypto';
import type { RecordEntry } from '@medledger/core';
import type { LedgerView } from '../ledgerView.js';
import { MEMBER_SYSTEM } from './audit.js';
import { fhirError } from './outcome.js';

type Obj = { [k: string]: JsonValue };

/** The extension that carries the ledger transaction of a Provenance. */
export const LEDGER_TX_EXTENSION = 'https://medledger.dev/fhir/StructureDefinition/ledger-transaction';

/** The Provenance of a record. @throws NOT_FOUND when the transaction is not in this ledger */
export function provenanceOf(node: LedgerView, r: RecordEntry): Obj {
  const t = node.getTxWithProof(r.txId);
  if (!t) throw fhirError('NOT_FOUND', 'the record transaction is not in this ledger');
  const when = new Date(t.header.time).toISOString();
  const who = (id: string): Obj => ({ identifier: { system: MEMBER_SYSTEM, value: id } });
  return {
    resourceType: 'Provenance',
    id: r.recordId,
    target: [{ reference: `${r.resourceType}/${r.recordId}` }],
    recorded: when,
    activity: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }],
    },
    agent: t.tx.body.signers.map((id) => ({
      type: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' },
        ],
      },
      who: who(id),
    })),
    signature: t.tx.signatures.map((s) => ({
      type: [
        {
          system: 'urn:iso-astm:E1762-95:2013',
          code: '1.2.840.10065.1.12.1.1',
          display: "Author's Signature",
        },
      ],
      when,
      who: who(s.signer),
      sigFormat: 'application/x-medledger-p256',
      data: Buffer.from(fromB64u(s.sig)).toString('base64'),
    })),
    extension: [
      {
        url: LEDGER_TX_EXTENSION,
        extension: [
          { url: 'txId', valueString: r.txId },
          { url: 'height', valueInteger: t.receipt.height },
          { url: 'index', valueInteger: t.receipt.index },
          { url: 'mode', valueCode: r.mode },
        ],
      },
    ],
  };
}
