/**
 * `medledger abe issue`: a member has its organization's ABE attribute authority (run by the
 * organization's node) issue the keys of the attributes its certificate on the ledger gives it
 * (`doctor@hospitalA`, `oncology@hospitalB`, ...). The node seals them to the member's enrolled
 * X25519 key; the wallet opens them and keeps them sealed in `<label>.abe-<org>.key.json`.
 */
import { toB64u, utf8 } from '@medledger/crypto';
import { initPairing } from '@medledger/crypto/pairing';
import { OrgServicesClient } from '@medledger/client';
import { writeWalletSecret } from '../dirs/walletSecrets.js';
import { fetchOf, memberAt, type MemberServiceOptions } from './serviceMember.js';

/** Issues the member's attribute keys into its wallets directory. */
export async function abeIssue(
  o: MemberServiceOptions,
): Promise<{ org: string; attributes: string[]; file: string }> {
  await initPairing(); // the keys are pairing-group elements
  const me = memberAt(o);
  const r = await new OrgServicesClient(o.node, fetchOf(me)).attributeKeys(me);
  const file = writeWalletSecret({
    dir: o.dir,
    label: o.label,
    name: `abe-${r.org}`,
    keyType: 'abe-user-keys',
    // A JSON list of AbeUserKey.toBytes(), base64url: the form the node sealed them in.
    secret: utf8(JSON.stringify(r.keys.map((k) => toB64u(k.toBytes())))),
    passphrase: o.passphrase,
    ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
  });
  return { org: r.org, attributes: r.attributes, file };
}
