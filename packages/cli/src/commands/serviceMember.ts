/**
 * What the member-side service commands (`abe`, `credential`, `group`) share: the member's
 * wallet opened for signed requests and for opening what a node seals to it, and the node
 * reached as the command line reaches any node (transport.ts: TLS to genesis roots, or plain
 * HTTP on loopback only).
 */
import type { MemberAtNode } from '@medledger/client';
import { openWalletFile } from '../dirs/wallets.js';
import { clientOptionsFor } from '../transport.js';

/** Options every member-side service command takes. */
export interface MemberServiceOptions {
  /** The wallets directory. */
  dir: string;
  /** The member's wallet label. */
  label: string;
  passphrase: string;
  /** The URL of the node that runs the service. */
  node: string;
  /** scrypt cost of the files it writes (tests lower it). */
  scryptN?: number;
}

/** The member's signed-request identity and decryption key, from its wallet. */
export function memberAt(o: MemberServiceOptions): MemberAtNode & { fetch?: typeof fetch } {
  const w = openWalletFile(o.dir, o.label, o.passphrase);
  return {
    signerId: w.memberId,
    privateKey: w.keys.signing.privateKey,
    encryptionPrivateKey: w.keys.encryption.privateKey,
    ...clientOptionsFor(o.node),
  };
}

/** Client options (`fetch`) of a {@link memberAt} result. */
export const fetchOf = (m: { fetch?: typeof fetch }): { fetch?: typeof fetch } =>
  m.fetch === undefined ? {} : { fetch: m.fetch };
