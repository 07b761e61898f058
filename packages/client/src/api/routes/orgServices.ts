/** An organization's services (node/src/api/routes/orgServices.ts). */
import { route } from '../route.js';
import { Obj, Type } from '../schema.js';

const Custody = Type.Object({ patient: Type.String(), held: Type.Boolean() });

export const orgServices = {
  services: route({
    method: 'GET',
    path: '/v1/services',
    auth: 'public',
    summary: 'the services this node runs, their public keys and whether they are registered',
    response: { 200: Obj },
  }),
  heCustody: route({
    method: 'GET',
    path: '/v1/services/he-custody',
    auth: 'member',
    summary: "whether this node holds the patient's HE key",
    response: { 200: Custody },
  }),
  depositHeKey: route({
    method: 'POST',
    path: '/v1/services/he-custody',
    auth: 'member',
    summary: "a patient deposits his Paillier secret key, sealed to this node's X25519 key",
    body: Type.Object({ sealed: Obj }),
    signedBody: true,
    response: { 200: Custody },
  }),
} as const;
