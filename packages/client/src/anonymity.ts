/**
 * Client side of the anonymity flows (issue 5): build group- and ring-signed payloads for a
 * node to relay, obtain an anonymous credential from one's organization, and use it to read
 * anonymously or to enrol with a zero-knowledge predicate. Every secret (holder secret, group
 * member key, ring secret key) stays here; nodes see presentations and anonymous signatures.
 *
 * @example
 * const anon = new AnonymityClient('https://node-b.example');
 * const { credential, witness } = await anon.requestCredential({ issuer: 'hospitalB', signerId, privateKey });
 * const r = await anon.read({ issuer: 'hospitalB', credential, witness, recordId: 'lab-1', purpose: 'treatment' });
 */
import type { SigningKey } from './signer.js';
import {
  envelopeFromJson,
  fromB64u,
  fromUtf8,
  openEnvelope,
  toB64u,
  randomBytes,
  utf8,
  type JsonValue,
  type RandomSource,
} from '@medledger/crypto';
import {
  acceptCredential,
  createHolderSecret,
  createIssuanceRequest,
  credentialFromJson,
  issuanceRequestToJson,
  presentCredential,
  presentationRequestFromJson,
  presentationToJson,
  revocationUpdateFromJson,
  updateWitness,
  type Credential,
} from '@medledger/crypto/credentials';
import {
  groupSign,
  groupSignatureToBytes,
  type GroupMemberKey,
  type GroupPublicKey,
} from '@medledger/crypto/groupsig';
import { ringSign, ringSignatureToBytes } from '@medledger/crypto/ring';
import {
  GROUP_SUBMIT,
  RING_SUBMIT,
  anonymousMessage,
  type AccumulatorUpdateJson,
  type GroupEntry,
  type IssuerEntry,
  type JsonObject,
} from '@medledger/core/contracts/anonymity';
import { API } from './api/index.js';
import { ApiClient } from './api/call.js';
import { MedledgerHttpError, type Receipt } from './http.js';

/** Parameters of {@link groupSignedPayload}. */
export interface GroupSignedPayloadParameters {
  chainId: string;
  groupId: string;
  /** The group key of the current epoch (from the ledger: `anon:group:<groupId>`). */
  groupPublicKey: GroupPublicKey;
  memberKey: GroupMemberKey;
  statement: JsonObject;
  createdAt: number;
  random?: RandomSource;
}

/** An `anon.group.submit` payload signed by a group member, ready for a node to relay. */
export function groupSignedPayload(p: GroupSignedPayloadParameters): JsonObject {
  const rnd = p.random ?? randomBytes;
  const unsigned: JsonObject = {
    groupId: p.groupId,
    epoch: p.groupPublicKey.epoch,
    createdAt: p.createdAt,
    nonce: toB64u(rnd(16)),
    statement: p.statement,
  };
  const sig = groupSign(
    p.groupPublicKey,
    p.memberKey,
    anonymousMessage(p.chainId, GROUP_SUBMIT, unsigned),
    rnd,
  );
  return { ...unsigned, signature: toB64u(groupSignatureToBytes(sig)) };
}

/** Parameters of {@link ringSignedPayload}. */
export interface RingSignedPayloadParameters {
  chainId: string;
  /** Registered ring public keys (`anon:ringkey:<memberId>`), the signer's among them. */
  ring: readonly Uint8Array[];
  secretKey: Uint8Array;
  /** Linkable scope (one signature per key and scope), e.g. `survey-7`. */
  scope?: string;
  /** Require every ring member to hold this role (e.g. `patient`). */
  role?: string;
  statement: JsonObject;
  createdAt: number;
  random?: RandomSource;
}

/** An `anon.ring.submit` payload, ready for a node to relay. */
export function ringSignedPayload(p: RingSignedPayloadParameters): JsonObject {
  const rnd = p.random ?? randomBytes;
  const unsigned: JsonObject = {
    ring: p.ring.map(toB64u),
    ...(p.scope === undefined ? {} : { scope: p.scope }),
    ...(p.role === undefined ? {} : { role: p.role }),
    createdAt: p.createdAt,
    nonce: toB64u(rnd(16)),
    statement: p.statement,
  };
  const sig = ringSign({
    message: anonymousMessage(p.chainId, RING_SUBMIT, unsigned),
    ring: p.ring,
    secretKey: p.secretKey,
    random: rnd,
    ...(p.scope === undefined ? {} : { scope: p.scope }),
  });
  return { ...unsigned, signature: toB64u(ringSignatureToBytes(sig)) };
}

/** A member's signing identity for named requests (issuance, group keys, openings). */
export interface NamedSigner {
  signerId: string;
  privateKey: SigningKey;
  /**
   * The member's X25519 private key (its enrolled encryption key): secrets a node hands the
   * member (a credential, a group member key) arrive sealed to it.
   */
  encryptionPrivateKey?: Uint8Array;
}

/** AAD of a credential sealed to its member (node api/routes/anonymity.ts). */
export const credentialAad = (org: string): Uint8Array => utf8(`anon-credential:${org}`);
/** AAD of a group member key sealed to its member (node anonymity/groups.ts). */
export const groupKeyAad = (groupId: string): Uint8Array => utf8(`group-member-key:${groupId}`);

/**
 * Opens a secret a node sealed to the member (HPKE envelope, RFC 9180).
 * @throws TypeError if the signer carries no encryption key; Error if the envelope is not for it
 */
export async function openSealedToMember(
  sealed: unknown,
  me: NamedSigner,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (me.encryptionPrivateKey === undefined)
    throw new TypeError('the member’s encryption private key is needed to open what the node sealed to it');
  return openEnvelope(
    envelopeFromJson(sealed),
    { id: me.signerId, privateKey: me.encryptionPrivateKey },
    aad,
  );
}

/** An anonymous credential with what keeps it usable: the accumulator witness and update count. */
export interface HeldCredential {
  credential: Credential;
  witness: Uint8Array;
  /** Accumulator updates already applied to `witness`. */
  seq: number;
}

/** Result of an anonymous read (allowed or denied: both are logged). */
export interface AnonymousReadResponse {
  allow: boolean;
  code: string;
  basis?: string;
  grantId?: string;
  requester: string;
  recordId: string;
  logTxId: string;
  logReceipt?: Receipt;
  resource?: JsonValue;
}

/** HTTP client of the anonymity routes of a node. */
export class AnonymityClient {
  readonly baseUrl: string;
  readonly #api: ApiClient;
  /** @param o.fetch the fetch to use (e.g. one that trusts only the genesis roots over TLS) */
  constructor(baseUrl: string, o: { fetch?: typeof fetch } = {}) {
    this.#api = new ApiClient(baseUrl, undefined, o);
    this.baseUrl = this.#api.baseUrl;
  }

  /** Asks a node to relay an anonymous payload (group- or ring-signed). */
  relay(
    type: string,
    payload: JsonObject,
    opts: { waitMs?: number } = {},
  ): Promise<{ txId: string; receipt?: Receipt }> {
    return this.#api.call(API.anonymity.relay, {
      query: waitQuery(opts.waitMs),
      body: { type, payload },
    }) as Promise<{
      txId: string;
      receipt?: Receipt;
    }>;
  }

  /** The issuer entry on the ledger and its accumulator updates from `from`. */
  issuer(org: string, from = 0): Promise<{ issuer: IssuerEntry; updates: AccumulatorUpdateJson[] }> {
    return this.#api.call(API.anonymity.issuer, {
      params: { org },
      query: { from: String(from) },
    }) as Promise<{
      issuer: IssuerEntry;
      updates: AccumulatorUpdateJson[];
    }>;
  }

  /**
   * Obtains a credential from `issuer` (the member's organization, through a node that runs
   * its issuing service): blind issuance over a fresh holder secret made here.
   */
  async requestCredential(p: NamedSigner & { issuer: string }): Promise<HeldCredential> {
    const params = { org: p.issuer };
    const { nonce } = await this.#api.call(API.anonymity.issuanceNonce, { params }, { signer: p });
    const holderSecret = await createHolderSecret();
    const request = await createIssuanceRequest(holderSecret, fromB64u(nonce));
    const r = await this.#api.call(
      API.anonymity.issueCredential,
      { params, body: { nonce, request: issuanceRequestToJson(request) } },
      { signer: p },
    );
    const opened = JSON.parse(fromUtf8(await openSealedToMember(r.sealed, p, credentialAad(p.issuer)))) as {
      credential: unknown;
      witness: string;
    };
    const { issuer } = await this.issuer(p.issuer, r.seq);
    const { holderSecret: _none, ...issued } = credentialFromJson(opened.credential);
    const credential = await acceptCredential(issued, holderSecret, fromB64u(issuer.publicKey));
    return { credential, witness: fromB64u(opened.witness), seq: r.seq };
  }

  /**
   * Brings a held credential's witness up to date with the issuer's published updates.
   * Throws RangeError if the credential was revoked.
   */
  async refresh(issuer: string, held: HeldCredential): Promise<HeldCredential> {
    const { updates } = await this.issuer(issuer, held.seq);
    if (updates.length === 0) return held;
    const witness = updateWitness(
      held.witness,
      held.credential.credentialId,
      updates.map(revocationUpdateFromJson),
    );
    return { ...held, witness, seq: held.seq + updates.length };
  }

  /**
   * Reads a record anonymously: challenge, then a presentation disclosing only role and
   * organization. Returns the (logged) decision, allowed or denied.
   */
  async read(p: {
    issuer: string;
    held: HeldCredential;
    recordId: string;
    purpose: string;
    waitMs?: number;
  }): Promise<AnonymousReadResponse> {
    const ch = await this.#api.call(API.anonymity.readChallenge, { body: { issuer: p.issuer } });
    const presentation = await presentCredential(
      p.held.credential,
      presentationRequestFromJson(ch.request),
      p.held.witness,
    );
    return this.#api
      .call(
        API.anonymity.read,
        {
          query: waitQuery(p.waitMs),
          body: {
            challengeId: ch.challengeId,
            presentation: presentationToJson(presentation),
            recordId: p.recordId,
            purpose: p.purpose,
          },
        },
        { accept: [403] },
      )
      .then((r) => {
        const x = r as AnonymousReadResponse & { message?: string };
        if (typeof x.allow !== 'boolean')
          throw new MedledgerHttpError(403, x.code ?? 'HTTP_ERROR', x.message ?? 'denied');
        return x;
      });
  }

  /**
   * Enrols in a trial anonymously, proving the trial's predicate (e.g. age >= 18) without
   * revealing the attribute. Throws RangeError locally if the predicate is false.
   */
  async enrol(p: { trialId: string; issuer: string; held: HeldCredential; waitMs?: number }): Promise<{
    txId: string;
    receipt?: Receipt;
  }> {
    const params = { trialId: p.trialId };
    const ch = await this.#api.call(API.anonymity.trialChallenge, { params, body: { issuer: p.issuer } });
    const presentation = await presentCredential(
      p.held.credential,
      presentationRequestFromJson(ch.request),
      p.held.witness,
    );
    return this.#api.call(API.anonymity.trialEnrol, {
      params,
      query: waitQuery(p.waitMs),
      body: { challengeId: ch.challengeId, presentation: presentationToJson(presentation) },
    }) as Promise<{ txId: string; receipt?: Receipt }>;
  }

  /** The group entry on the ledger and the revocations published from epoch `from`. */
  group(groupId: string, from = 0): Promise<{ group: GroupEntry; revocations: string[] }> {
    return this.#api.call(API.anonymity.group, {
      params: { groupId },
      query: { from: String(from) },
    }) as Promise<{
      group: GroupEntry;
      revocations: string[];
    }>;
  }

  /**
   * Obtains one's group member key from the group manager's node, sealed to one's encryption
   * key, and opens it (secret: keep it in the key store).
   */
  async groupMemberKey(p: NamedSigner & { groupId: string }): Promise<Uint8Array> {
    const r = await this.#api.call(
      API.anonymity.groupMemberKey,
      { params: { groupId: p.groupId } },
      { signer: p },
    );
    return openSealedToMember(r.sealed, p, groupKeyAad(p.groupId));
  }

  /** Revokes a member from a group (the managing organization's administrators). */
  revokeGroupMember(p: NamedSigner & { groupId: string; memberId: string }): Promise<{ epoch: number }> {
    return this.#api.call(
      API.anonymity.groupRevoke,
      { params: { groupId: p.groupId }, body: { memberId: p.memberId } },
      { signer: p },
    );
  }

  /** Revokes a member's credentials at its issuer (the issuing organization's administrators). */
  revokeCredentials(p: NamedSigner & { issuer: string; memberId: string }): Promise<{ revoked: number }> {
    return this.#api.call(
      API.anonymity.revokeCredential,
      { params: { org: p.issuer }, body: { memberId: p.memberId } },
      { signer: p },
    ) as Promise<{ revoked: number }>;
  }

  /** Asks the group manager's node to open a group-signed transaction (its auditors only). */
  async open(p: NamedSigner & { groupId: string; txId: string }): Promise<string | null> {
    const r = await this.#api.call(
      API.anonymity.groupOpen,
      { params: { groupId: p.groupId }, body: { txId: p.txId } },
      { signer: p },
    );
    return r.memberId;
  }
}

/** `?wait=<ms>` when there is a wait. */
function waitQuery(ms: number | undefined): { wait: string } | undefined {
  return ms ? { wait: String(ms) } : undefined;
}
