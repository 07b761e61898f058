/** Drug track and trace (node/src/api/routes/supply.ts). */
import { route } from '../route.js';
import { Obj, Open, Params, Text, Type } from '../schema.js';

export const supply = {
  verifyPack: route({
    method: 'GET',
    path: '/v1/supply/packs/:gtin/:serial',
    auth: 'public',
    summary: 'verify a pack: authentic, custody path, recalled / expired / dispensed',
    params: Params({ gtin: Text, serial: Text }),
    response: { 200: Obj },
  }),
  recalls: route({
    method: 'GET',
    path: '/v1/supply/recalls/:org',
    auth: 'member',
    summary: "an organization's recall notices, to its members",
    params: Params({ org: Text }),
    response: { 200: Open({ org: Type.String(), recalls: Type.Array(Type.Unknown()) }) },
  }),
} as const;
