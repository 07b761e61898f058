/**
 * The patient's access log as AuditEvents, after IHE Basic Audit Log Patterns (BALP):
 * type `rest`, subtype the interaction (`read`), one entity for the patient and one for the
 * data, `purposeOfEvent` from v3 ActReason, outcome 0 (success) or 4 (denied) with the
 * denial's code. Two sources: the ledger's decisions on `access.request` transactions
 * (`access.decided`) and the reads nodes served and logged (`access.logged`: DSS reads, SPV
 * deliveries, facade reads). The AuditEvent id is the log's sequence number on this node.
 */
import type { JsonValue } from '@medledger/crypto';
import { getRecord, type Purpose, type StateReader } from '@medledger/core';
import type { PatientLogEntry } from '../records/recordIndex.js';
import { ACT_REASON_SYSTEM, PURPOSE_CODE } from './context.js';

type Obj = { [k: string]: JsonValue };

/** The identifier system of medledger member ids. */
export const MEMBER_SYSTEM = 'https://medledger.dev/fhir/NamingSystem/member';

/** Whether a log entry is a read (allowed or denied) that becomes an AuditEvent. */
export function isReadEntry(e: PatientLogEntry): boolean {
  return e.type === 'access.decided' || e.type === 'access.logged';
}

/** One read of the patient's log as an AuditEvent. */
export function auditEventOf(state: StateReader, patient: string, e: PatientLogEntry): Obj {
  const allowed = e.type === 'access.decided' ? e['allow'] === true : e['outcome'] === 'allowed';
  const recordId = String(e['recordId'] ?? '');
  const type = getRecord(state, recordId)?.resourceType ?? 'Basic';
  const purpose = PURPOSE_CODE[e['purpose'] as Purpose];
  const how =
    e.type === 'access.decided'
      ? 'ledger access.request'
      : `node ${String(e['node'] ?? '')} ${String(e['channel'] ?? '')}`;
  const ev: Obj = {
    resourceType: 'AuditEvent',
    id: String(e.seq),
    type: {
      system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
      code: 'rest',
      display: 'RESTful Operation',
    },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read', display: 'read' }],
    action: 'R',
    recorded: new Date(e.time).toISOString(),
    outcome: allowed ? '0' : '4',
    agent: [
      {
        type: {
          coding: [
            {
              system: 'http://dicom.nema.org/resources/ontology/DCM',
              code: '110153',
              display: 'Source Role ID',
            },
          ],
        },
        who: { identifier: { system: MEMBER_SYSTEM, value: String(e['requester'] ?? '') } },
        requestor: true,
      },
    ],
    source: {
      observer: { display: how },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4' }],
    },
    entity: [
      {
        what: { reference: `Patient/${patient}` },
        type: {
          system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
          code: '1',
          display: 'Person',
        },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
      },
      {
        what: { reference: `${type}/${recordId}` },
        type: {
          system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
          code: '2',
          display: 'System Object',
        },
        role: {
          system: 'http://terminology.hl7.org/CodeSystem/object-role',
          code: '4',
          display: 'Domain Resource',
        },
        detail: [{ type: 'ledger-tx', valueString: e.txId }],
      },
    ],
  };
  if (!allowed) ev['outcomeDesc'] = String(e['code'] ?? 'denied');
  if (purpose) ev['purposeOfEvent'] = [{ coding: [{ system: ACT_REASON_SYSTEM, code: purpose }] }];
  return ev;
}
