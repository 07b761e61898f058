/**
 * A clinician's patients (node/src/patients, node/src/api/routes/patients.ts): the patients
 * whose care team (`patient.careteam`) names this doctor, and the records of one of them.
 */
import { route } from '../route.js';
import { Obj, Params, Text, Type } from '../schema.js';

export const patients = {
  ofClinician: route({
    method: 'GET',
    path: '/v1/clinicians/:id/patients',
    auth: 'member',
    summary: "the patients whose care team names this doctor (the doctor's own list only)",
    params: Params({ id: Text }),
    response: {
      200: Type.Object({
        patients: Type.Array(Type.Object({ patient: Type.String(), since: Type.Integer() })),
      }),
    },
  }),
  recordsOfPatient: route({
    method: 'GET',
    path: '/v1/clinicians/:id/patients/:patient/records',
    auth: 'member',
    summary:
      "the records of a patient whose care team names this doctor (meta only, no content); the listing is logged as a read in the patient's log",
    params: Params({ id: Text, patient: Text }),
    response: { 200: Type.Object({ records: Type.Array(Obj) }) },
  }),
} as const;
