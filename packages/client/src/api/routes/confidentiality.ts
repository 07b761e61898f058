/** Confidentiality flows: ABE keys, emergency access, HE claims, PEKS (node/src/api/routes/confidentiality.ts). */
import { route } from '../route.js';
import { Obj, Open, Params, Text, Type } from '../schema.js';

export const confidentiality = {
  abeKeys: route({
    method: 'GET',
    path: '/v1/confidentiality/abe/keys',
    auth: 'member',
    summary: "the member's attribute keys from this node's organization authority, sealed to the member",
    response: { 200: Open({ org: Type.String() }) },
  }),
  abeAuthority: route({
    method: 'GET',
    path: '/v1/confidentiality/abe/authorities/:org',
    auth: 'public',
    summary: "an ABE authority's registered public key",
    params: Params({ org: Text }),
    response: { 200: Obj },
  }),
  emergencyRequest: route({
    method: 'GET',
    path: '/v1/confidentiality/emergency/requests/:id',
    auth: 'member',
    summary: 'an emergency request (decision, cfrags); the read is logged',
    params: Params({ id: Text }),
    response: { 200: Obj },
  }),
  heClaim: route({
    method: 'GET',
    path: '/v1/confidentiality/he/claims/:id',
    auth: 'member',
    summary: 'an HE claim (aggregate, sealed total); the read is logged',
    params: Params({ id: Text }),
    response: { 200: Obj },
  }),
  peks: route({
    method: 'GET',
    path: '/v1/confidentiality/peks/:patient',
    auth: 'member',
    summary: "every keyword index of a patient's records; the read is logged",
    params: Params({ patient: Text }),
    response: { 200: Type.Object({ patient: Type.String(), records: Type.Array(Obj) }) },
  }),
} as const;
