/**
 * `medledger org requests` and `medledger org issue --request ID`: the organization's side of
 * certification through a request to its node (issue 13). Members — in a browser, with a key
 * that never leaves it — send a PKCS#10 request to the organization's node; its administrators,
 * on their own machine with the admin directory (the root key is never on the node), list the
 * pending requests, and issue one: the certificate is made here from the request (`orgIssue`:
 * self-signature, role and pseudonym rules), enrolled on the ledger (`registry.enroll` signed
 * by the root key, with the member's X25519 key the request carried), then handed back to the
 * node, where the member picks it up. A request the administrators do not approve is simply not
 * issued: it stays pending.
 */
import { fromB64u } from '@medledger/crypto';
import { memberIdOf } from '@medledger/core';
import {
  MedledgerClient,
  getCertificateRequest,
  handBackCertificate,
  listCertificateRequests,
  type CertificateRequest,
  type Receipt,
} from '@medledger/client';
import { openAdmin } from '../dirs/admin.js';
import { clientOptionsFor } from '../transport.js';
import { enrollTx, orgIssue } from './org.js';

/** Options of {@link orgRequests}. */
export interface OrgRequestsOptions {
  dir: string;
  passphrase: string;
  node: string;
  status?: 'pending' | 'issued';
}

/** The organization's certificate requests at its node (a request signed with the root key). */
export async function orgRequests(o: OrgRequestsOptions): Promise<CertificateRequest[]> {
  const admin = openAdmin(o.dir, o.passphrase);
  try {
    return await listCertificateRequests({
      baseUrl: o.node,
      org: admin.org,
      rootKey: admin.rootPrivateKey,
      ...clientOptionsFor(o.node),
      ...(o.status === undefined ? {} : { status: o.status }),
    });
  } finally {
    admin.rootPrivateKey.fill(0);
  }
}

/** Options of {@link orgIssueRequest}. */
export interface OrgIssueRequestOptions {
  dir: string;
  passphrase: string;
  node: string;
  /** The request's id (`org requests` lists them). */
  id: string;
  role?: string;
  commonName?: string;
  attributes?: Record<string, string>;
  days?: number;
  waitMs?: number;
}

/** What {@link orgIssueRequest} did. */
export interface OrgIssueRequestResult {
  memberId: string;
  issued: { commonName: string; org: string; role: string; attributes: Record<string, string> };
  receipt: Receipt;
}

/**
 * Issues a certificate for a request kept at the organization's node, enrolls it on the
 * ledger and hands it back to the node.
 * @throws UsageError if the organization refuses the request (orgIssue's rules): it stays pending
 * @throws Error naming the code if the ledger refuses the enrollment (the request stays pending)
 */
export async function orgIssueRequest(o: OrgIssueRequestOptions): Promise<OrgIssueRequestResult> {
  const admin = openAdmin(o.dir, o.passphrase);
  const net = clientOptionsFor(o.node);
  try {
    const request = await getCertificateRequest({ baseUrl: o.node, org: admin.org, id: o.id, ...net });
    const r = await orgIssue({
      dir: o.dir,
      admin,
      request: fromB64u(request.csr),
      ...(o.role === undefined ? {} : { role: o.role }),
      ...(o.commonName === undefined ? {} : { commonName: o.commonName }),
      ...(o.attributes === undefined ? {} : { attributes: o.attributes }),
      ...(o.days === undefined ? {} : { days: o.days }),
    });
    const client = new MedledgerClient(o.node, undefined, net);
    const { chainId } = await client.status();
    const tx = enrollTx({
      ...admin,
      chainId,
      certificate: r.certificate,
      ...(request.encryptionKey === undefined ? {} : { encryptionKey: request.encryptionKey }),
    });
    const receipt = await client.submitAndWait(tx, o.waitMs ?? 30_000);
    if (receipt.code !== 'OK')
      throw new Error(
        `enrollment refused by the ledger: ${receipt.code}${receipt.message ? ` ${receipt.message}` : ''}`,
      );
    await handBackCertificate({
      baseUrl: o.node,
      org: admin.org,
      rootKey: admin.rootPrivateKey,
      id: o.id,
      certificate: r.certificate,
      ...net,
    });
    return { memberId: memberIdOf(r.certificate), issued: r.issued, receipt };
  } finally {
    admin.rootPrivateKey.fill(0);
  }
}
