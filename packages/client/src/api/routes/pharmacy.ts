/** Electronic prescriptions (node/src/api/routes/pharmacy.ts). */
import { route } from '../route.js';
import { Obj, Open, Params, SignedTx, Text, TxBody, TxOutcome, Type } from '../schema.js';

export const pharmacy = {
  prescribe: route({
    method: 'POST',
    path: '/v1/pharmacy/prescriptions',
    auth: 'tx',
    summary: 'submit a prescription: a signed `rx.write` with its MedicationRequest and salt, validated',
    body: Type.Object({ tx: SignedTx, resource: Obj, salt: Type.String() }),
    validateBody: false,
    response: { 200: TxOutcome },
  }),
  prescription: route({
    method: 'GET',
    path: '/v1/pharmacy/prescriptions/:rxId',
    auth: 'member',
    summary: "a prescription's status: what remains to dispense (no content)",
    params: Params({ rxId: Text }),
    response: { 200: Obj },
  }),
  prescriptionContent: route({
    method: 'GET',
    path: '/v1/pharmacy/prescriptions/:rxId/content',
    auth: 'member',
    summary: "a prescription's content, to a pharmacist of its pharmacy",
    params: Params({ rxId: Text }),
    response: { 200: Open({ request: Obj, salt: Type.String(), commitment: Type.String() }) },
  }),
  dispense: route({
    method: 'POST',
    path: '/v1/pharmacy/dispenses',
    auth: 'tx',
    summary: 'submit a signed `rx.dispense`; answers its receipt and MedicationDispense',
    body: TxBody,
    validateBody: false,
    response: { 200: TxOutcome },
  }),
  dispensed: route({
    method: 'GET',
    path: '/v1/pharmacy/dispenses/:id',
    auth: 'member',
    summary: 'a dispense as a FHIR MedicationDispense',
    params: Params({ id: Text }),
    response: { 200: Obj },
  }),
  alerts: route({
    method: 'GET',
    path: '/v1/pharmacy/alerts',
    auth: 'member',
    summary: "the regulator's alerts (sealed), on the regulator's node to its members",
    response: { 200: Type.Object({ alerts: Type.Array(Obj) }) },
  }),
} as const;
