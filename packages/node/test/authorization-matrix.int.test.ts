/**
 * The authorization matrix: every route of a full node (`startNode`, every plugin) × every way
 * a request can fail to be an authorized one. The route list comes from the server itself
 * (`routesOf`), so a new route without a row here fails this test. Every cell of an
 * authenticated route must be refused with a clear `{ code, message }`; a public route says
 * why it is public. Set MEDLEDGER_MATRIX_OUT=<file> to write the matrix as a Markdown table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { generateP256KeyPair, randomBytes, toHex, utf8 } from '@medledger/crypto';
import { AUTH_HEADER, signRequest, type RequestAudience } from '@medledger/client';
import { routesOf } from '../src/index.js';
import { enrollEveryone, startFullNode } from './helpers/fullNode.js';

type Row =
  | { auth: 'member' | 'patient' | 'peer' | 'org' }
  | {
      auth: 'public';
      /** Why anyone may call it. */
      why: string;
    };

const member = { auth: 'member' } as const;
const patient = { auth: 'patient' } as const;
/** Signed by the root key of the organization the path names (its administrators). */
const orgAdmin = { auth: 'org' } as const;
const pub = (why: string): Row => ({ auth: 'public', why });
const SELF_AUTH = 'carries a signed transaction or statement that authenticates itself';
const ANON =
  'anonymous by design: the credential presentation or the group/ring signature is the authentication';

/** Every route of a full node. A route missing here fails the test. */
const MATRIX: Record<string, Row> = {
  'POST /v1/txs': pub(SELF_AUTH),
  'POST /v1/txs/batch': pub(SELF_AUTH),
  'GET /v1/txs/:id': member,
  'GET /v1/txs/:id/receipt': pub(
    'a receipt (height, index, code) reveals no record; ?wait is capped unless signed',
  ),
  'GET /v1/blocks/:height': member,
  'GET /v1/state/:key': member,
  'GET /v1/status': pub('node status: chain id, height, organization'),
  'GET /v1/genesis': pub('the consortium genesis is public'),
  'GET /v1/openapi.json': pub('the API description, derived from the route table'),
  'GET /v1/docs': pub('the API description as a page'),
  'GET /': pub('the portal page: sign-in happens in the page, with the member’s own keys'),
  'GET /assets/:file': pub('the portal’s scripts and styles'),
  'GET /v1/checkpoints/:height': pub('node signatures over block hashes: what light clients check'),
  'GET /v1/checkpoints': pub('node signatures over block hashes: what light clients check'),
  'GET /v1/sync/blocks': { auth: 'peer' },
  'GET /v1/confidentiality/abe/keys': member,
  'GET /v1/confidentiality/abe/authorities/:org': pub('ABE authority public keys'),
  'GET /v1/confidentiality/emergency/requests/:id': member,
  'GET /v1/confidentiality/he/claims/:id': member,
  'GET /v1/confidentiality/peks/:patient': member,
  'POST /v1/pharmacy/prescriptions': pub(SELF_AUTH),
  'GET /v1/pharmacy/prescriptions/:rxId': member,
  'GET /v1/pharmacy/prescriptions/:rxId/content': member,
  'POST /v1/pharmacy/dispenses': pub(SELF_AUTH),
  'GET /v1/pharmacy/dispenses/:id': member,
  'GET /v1/pharmacy/alerts': member,
  'GET /v1/supply/packs/:gtin/:serial': pub(
    'pack verification at the point of dispense (GS1 identifiers, no patient data)',
  ),
  'GET /v1/supply/recalls/:org': member,
  'POST /v1/payments/claims': pub(SELF_AUTH),
  'POST /v1/payments/adjudications': pub(SELF_AUTH),
  'POST /v1/payments/payments': pub(SELF_AUTH),
  'GET /v1/payments/claims/:id': member,
  'GET /v1/payments/claims/:id/response': member,
  'GET /v1/payments/claims/:id/statement': member,
  'GET /v1/payments/payments/:id': member,
  'GET /v1/fl/studies': member,
  'GET /v1/fl/studies/:id': member,
  'GET /v1/fl/studies/:id/rounds/:r': member,
  'GET /v1/fl/studies/:id/rounds/:r/transcript': member,
  'GET /v1/fl/studies/:id/result': member,
  'POST /v1/spv/records': member,
  'GET /v1/access/:txId/record': member,
  'POST /v1/access/records': member,
  'PUT /v1/stt/release-keys/:recordId': member,
  'GET /v1/access/:txId/release': member,
  'GET /v1/dss/records/:recordId': member,
  'POST /v1/records/:recordId/erase': member,
  'GET /v1/patients/:id/access-log': patient,
  'GET /v1/patients/:id/records': patient,
  'GET /v1/patients/:id/consents': patient,
  'PUT /v1/patients/:id/study-keys/:grantId': patient,
  'GET /v1/records': member,
  'GET /v1/clinicians/:id/patients': member,
  'GET /v1/clinicians/:id/patients/:patient/records': member,
  'POST /v1/cosign/proposals': member,
  'GET /v1/cosign/proposals': member,
  'GET /v1/cosign/proposals/:id': member,
  'POST /v1/cosign/proposals/:id/signatures': member,
  'POST /v1/patients/:patientId/events/tickets': patient,
  'GET /v1/patients/:patientId/events': patient,
  'POST /v1/patients/:patientId/webhooks': patient,
  'GET /v1/patients/:patientId/webhooks': patient,
  'DELETE /v1/patients/:patientId/webhooks/:webhookId': patient,
  'GET /v1/patients/:patientId/webhooks/:webhookId/dead-letters': patient,
  'POST /v1/anon/relay': pub(ANON),
  'POST /v1/anon/challenge': pub(ANON),
  'POST /v1/anon/read': pub(ANON),
  'GET /v1/anon/issuers/:org': pub('an issuer’s public key and accumulator updates'),
  'POST /v1/anon/issuers/:org/nonce': member,
  'POST /v1/anon/issuers/:org/credentials': member,
  'GET /v1/anon/groups/:groupId': pub('a group’s public key and published revocations'),
  'POST /v1/anon/groups/:groupId/member-key': member,
  'POST /v1/anon/groups/:groupId/open': member,
  'POST /v1/anon/groups/:groupId/revoke': member,
  'POST /v1/anon/issuers/:org/revoke': member,
  'GET /v1/services': pub('the public keys of the services this node runs, and whether they are registered'),
  'POST /v1/services/he-custody': member,
  'GET /v1/services/he-custody': member,
  'POST /v1/orgs/:org/certificate-requests': pub(
    'a member asks to be certified before having a certificate: the request’s self-signature is checked, the body size-limited, the pending count capped',
  ),
  'GET /v1/orgs/:org/certificate-requests/:id': pub(
    'the status of one request, named by the hash of the request: public key, pseudonym, certificate — what the ledger shows once enrolled',
  ),
  'GET /v1/orgs/:org/certificate-requests': orgAdmin,
  'PUT /v1/orgs/:org/certificate-requests/:id/certificate': orgAdmin,
  'POST /v1/anon/trials/:trialId/challenge': pub(ANON),
  'POST /v1/anon/trials/:trialId/enrol': pub(ANON),
  // FHIR facade: a SMART bearer token or a signed request (the cells below send the latter).
  'GET /fhir/R4/metadata': pub('the CapabilityStatement'),
  'GET /fhir/R4/.well-known/smart-configuration': pub('SMART discovery'),
  'POST /fhir/R4/auth/token': pub('the client assertion (private_key_jwt) authenticates the request'),
  'POST /fhir/R4/auth/clients': member,
  'GET /fhir/R4/Patient/:id/$everything': member,
  'GET /fhir/R4/:type/:id': member,
  'GET /fhir/R4/:type': member,
  'POST /fhir/R4/:type': member,
  'DELETE /fhir/R4/Consent/:id': member,
  'POST /fhir/R4': member,
};

const CASES = [
  'no header',
  'malformed header',
  'non-member key',
  'revoked member',
  'another patient’s id',
  'expired time',
  'replayed header',
  'signed for another path',
  'signed for another node',
] as const;
type Case = (typeof CASES)[number];

/** The code each case must be refused with. */
const EXPECTED: Record<Case, string> = {
  'no header': 'UNAUTHENTICATED',
  'malformed header': 'AUTH_MALFORMED',
  'non-member key': 'AUTH_UNKNOWN_SIGNER',
  'revoked member': 'AUTH_REVOKED',
  'another patient’s id': 'FORBIDDEN',
  'expired time': 'AUTH_EXPIRED',
  'replayed header': 'AUTH_REPLAY',
  'signed for another path': 'AUTH_BAD_SIGNATURE',
  'signed for another node': 'AUTH_BAD_SIGNATURE',
};

const PARAMS: Record<string, string> = {
  id: 'ab'.repeat(32),
  height: '1',
  key: 'anchor:x',
  txId: 'cd'.repeat(32),
  recordId: 'rec-1',
  rxId: 'rx-1',
  gtin: '09506000134352',
  serial: 'S1',
  org: 'hospitalA',
  r: '1',
  grantId: 'g-1',
  webhookId: 'ef'.repeat(16),
  groupId: 'group-1',
  trialId: 'trial-1',
  patient: 'ab'.repeat(32),
  type: 'Observation',
};
const QUERY: Record<string, string> = {
  'GET /v1/records': '?subject=ep1-abc',
  'GET /v1/sync/blocks': '?from=1&to=1',
  'GET /v1/checkpoints': '?from=1&to=1',
};

test(
  'security: authorization matrix — every route × {no header, malformed, non-member, revoked, another patient, expired, replayed, other path, other node} is refused with a clear {code, message}',
  { timeout: 120_000 },
  async () => {
    const f = await startFullNode([
      { label: 'p1', org: 'hospitalA', role: 'patient' },
      { label: 'p2', org: 'hospitalA', role: 'patient' },
      { label: 'gone', org: 'hospitalA', role: 'nurse' },
    ]);
    try {
      const { node, url, app } = f.running;
      await enrollEveryone(f);
      const revoke = f.orgWallet('hospitalA').tx({
        chainId: node.chainId,
        type: 'registry.revoke',
        payload: { memberId: f.member('gone').memberId, reason: 'left' },
        createdAt: Date.now(),
      });
      const r = await node.submit(revoke);
      assert.equal((await node.waitForReceipt(r.txId, 10_000))?.code, 'OK');

      const routes = routesOf(app).map((x) => `${x.method} ${x.url}`);
      assert.ok(routes.length > 50, `the full node serves its plugins’ routes (${routes.length})`);
      const missing = routes.filter((k) => !(k in MATRIX));
      assert.deepEqual(missing, [], 'every route has a row in the authorization matrix');
      const stale = Object.keys(MATRIX).filter((k) => !routes.includes(k));
      assert.deepEqual(stale, [], 'every row names a route the server has');

      const here: RequestAudience = { chainId: node.chainId, node: node.org };
      const p1 = f.member('p1');
      const p2 = f.member('p2');
      const gone = f.member('gone');
      const stranger = generateP256KeyPair();
      const strangerId = toHex(randomBytes(32));
      const nodeB = f.consortium.orgs.get('hospitalB')!.node;
      const rootA = f.consortium.orgs.get('hospitalA')!.root;
      const rootB = f.consortium.orgs.get('hospitalB')!.root;

      const table: string[][] = [];
      const cellsFailing: string[] = [];
      for (const key of routes) {
        const row = MATRIX[key]!;
        const [method, pattern] = key.split(' ') as [string, string];
        const pathFor = (patientId: string): string =>
          pattern.replace(/:([A-Za-z]+)/g, (_, p: string) =>
            row.auth === 'patient' && (p === 'id' || p === 'patientId') ? patientId : PARAMS[p]!,
          ) + (QUERY[key] ?? '');
        const own = pathFor(p1.memberId);
        const body = method === 'POST' || method === 'PUT' ? utf8('{}') : undefined;
        const send = async (path: string, header?: string): Promise<{ status: number; code: string }> => {
          const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
          if (header !== undefined) headers[AUTH_HEADER] = header;
          const res = await fetch(`${url}${path}`, {
            method,
            headers,
            ...(body ? { body } : {}),
            signal: AbortSignal.timeout(10_000),
          });
          if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
            await res.body?.cancel();
            return { status: res.status, code: '(stream)' };
          }
          const text = await res.text();
          let json: { code?: unknown; message?: unknown } = {};
          try {
            json = JSON.parse(text) as typeof json;
          } catch {
            /* not JSON: the cell fails below */
          }
          const outcome = json as {
            resourceType?: unknown;
            issue?: { details?: { coding?: { code?: unknown }[] }; diagnostics?: unknown }[];
          };
          if (outcome.resourceType === 'OperationOutcome') {
            // FHIR routes answer with an OperationOutcome: the code is the issue's medledger coding.
            const issue = outcome.issue?.[0];
            json = { code: issue?.details?.coding?.[0]?.code, message: issue?.diagnostics };
          }
          const clear =
            typeof json.code === 'string' && typeof json.message === 'string' && json.message.length > 0;
          return {
            status: res.status,
            code: clear ? (json.code as string) : `(no code: ${text.slice(0, 40)})`,
          };
        };

        if (row.auth === 'public') {
          const { status, code } = await send(own);
          table.push([key, `public: ${row.why}`, `${status} ${code}`]);
          if (status === 401 || status >= 500)
            cellsFailing.push(`${key}: public route answered ${status} ${code}`);
          continue;
        }

        const signer =
          row.auth === 'peer'
            ? { signerId: 'node:hospitalB', privateKey: nodeB.privateKey }
            : row.auth === 'org'
              ? { signerId: 'org:hospitalA', privateKey: rootA.privateKey }
              : { signerId: p1.memberId, privateKey: p1.keys.privateKey };
        const sign = (
          path: string,
          o: {
            as?: { signerId: string; privateKey: Uint8Array };
            ts?: number;
            audience?: RequestAudience;
          } = {},
        ): string =>
          signRequest({
            ...(o.as ?? signer),
            method,
            path,
            ts: o.ts ?? Date.now(),
            audience: o.audience ?? here,
            ...(body ? { body } : {}),
          });
        const cells: Record<Case, () => Promise<{ status: number; code: string } | undefined>> = {
          'no header': () => send(own),
          'malformed header': () => send(own, 'not-a-signed-request'),
          'non-member key': () =>
            send(
              own,
              sign(own, {
                as:
                  row.auth === 'peer'
                    ? { signerId: 'node:stranger', privateKey: stranger.privateKey }
                    : row.auth === 'org'
                      ? { signerId: 'org:stranger', privateKey: stranger.privateKey }
                      : { signerId: strangerId, privateKey: stranger.privateKey },
              }),
            ),
          'revoked member': async () =>
            row.auth === 'peer' || row.auth === 'org'
              ? undefined
              : send(own, sign(own, { as: { signerId: gone.memberId, privateKey: gone.keys.privateKey } })),
          'another patient’s id': async () =>
            row.auth === 'patient'
              ? send(pathFor(p2.memberId), sign(pathFor(p2.memberId)))
              : row.auth === 'org' // another organization's administrators
                ? send(own, sign(own, { as: { signerId: 'org:hospitalB', privateKey: rootB.privateKey } }))
                : undefined,
          'expired time': () => send(own, sign(own, { ts: Date.now() - 6 * 60_000 })),
          'replayed header': async () => {
            const h = sign(own);
            await send(own, h);
            return send(own, h);
          },
          'signed for another path': () => send(own, sign('/v1/status')),
          'signed for another node': () =>
            send(own, sign(own, { audience: { chainId: node.chainId, node: 'hospitalB' } })),
        };
        const line = [key, row.auth];
        for (const c of CASES) {
          const got = await cells[c]();
          if (!got) {
            line.push('n/a');
            continue;
          }
          line.push(`${got.status} ${got.code}`);
          if (got.status !== (c === 'another patient’s id' ? 403 : 401) || got.code !== EXPECTED[c])
            cellsFailing.push(`${key} × ${c}: ${got.status} ${got.code} (expected ${EXPECTED[c]})`);
        }
        table.push(line);
      }
      if (process.env.MEDLEDGER_MATRIX_OUT) {
        const head = ['route', 'auth', ...CASES];
        const md = [head, head.map(() => '---'), ...table]
          .map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`)
          .join('\n');
        writeFileSync(process.env.MEDLEDGER_MATRIX_OUT, `${md}\n`);
      }
      assert.deepEqual(cellsFailing, [], 'every cell refused with the expected code');
    } finally {
      await f.cleanup();
    }
  },
);
