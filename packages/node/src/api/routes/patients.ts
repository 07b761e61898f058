/**
 * A clinician's patients (node/src/patients/careTeamIndex.ts). Signed requests of the doctor
 * the path names, only:
 *   GET /v1/clinicians/:id/patients                   → {patients: [{patient, since}]}
 *   GET /v1/clinicians/:id/patients/:patient/records  a patient whose care team names the doctor
 *                                                     (on the ledger now) → {records} (meta, no
 *                                                     content), logged as a read in the patient's log
 */
import { API } from '@medledger/client';
import { getCareTeam } from '@medledger/core';
import type { FastifyRequest } from 'fastify';
import { serve } from '../contract.js';
import type { RequestAuthenticator } from '../auth.js';
import { HttpError } from '../errors.js';
import type { ServerPlugin } from '../server.js';
import type { CareTeamIndex } from '../../patients/careTeamIndex.js';
import type { RecordServices } from '../../records/services.js';

/** @example buildServer(node, { plugins: [patientsRoutes({ teams, records, auth })] }) */
export function patientsRoutes(o: {
  teams: CareTeamIndex;
  records: RecordServices;
  auth: RequestAuthenticator;
}): ServerPlugin {
  return (app, node, { logReads }) => {
    const self = (req: FastifyRequest) => {
      const member = o.auth.authenticate(req);
      if (member.id !== (req.params as { id: string }).id)
        throw new HttpError('FORBIDDEN', 'a doctor lists only their own patients');
      return member;
    };
    serve(app, API.patients.ofClinician, async (req) => {
      const member = self(req);
      await o.teams.synced();
      return { patients: o.teams.patientsOf(member.id) };
    });
    serve(app, API.patients.recordsOfPatient, async (req) => {
      const member = self(req);
      const { patient } = req.params;
      // The ledger's care team now, not the index: a removal takes effect at once.
      if (!getCareTeam(node.store, patient).includes(member.id))
        throw new HttpError('FORBIDDEN', 'this patient’s care team does not name you');
      await o.records.sync();
      const records = o.records.index.byPatient(patient);
      logReads(member, [{ patient, ref: 'records', channel: 'careteam' }]);
      return { records };
    });
  };
}
