/**
 * A member's key made in this browser (issue 13, "Keys and sign-in"), and its certification
 * through a request to their organization.
 *
 * - The signing key is a WebCrypto ECDSA P-256 key made with `extractable: false`: no script,
 *   this page's included, can read it; it can only sign. A `CryptoKey` is structured-cloneable,
 *   so it is kept in IndexedDB and survives a reload.
 * - The X25519 encryption key (it opens records sealed to the member) is sealed with a
 *   passphrase the member types (scrypt + AES-256-GCM, crypto `sealKey`) and kept beside it.
 *   Not a non-extractable WebCrypto X25519 key, because the record envelopes (crypto
 *   `envelope.ts`, RFC 9180-style X25519 + HKDF + AES-GCM) take the raw private key and run on
 *   @noble in a browser; opening them with a `CryptoKey` would mean rewriting that path
 *   around `deriveBits`. The passphrase never leaves the page.
 *
 * The page builds a PKCS#10 request signed with the CryptoKey, sends it to the node, and polls
 * until the organization's administrators issue; the certificate is checked here (it names
 * this key and is signed by the organization's root key in the genesis) before it is kept.
 */
import {
  certificateRequestId,
  checkIssuedCertificate,
  getCertificateRequest,
  MedledgerClient,
  submitCertificateRequest,
  WEBCRYPTO_P256,
} from '@medledger/client';
import {
  createCertificateRequestWithKeys,
  fromB64u,
  generateEncryptionKeyPair,
  parseCertificate,
  randomBytes,
  sealKey,
  toB64u,
  toHex,
  type SealedKey,
} from '@medledger/crypto';

/** What this browser keeps of a member's identity (IndexedDB; the private keys stay sealed or opaque). */
export interface BrowserIdentity {
  label: string;
  org: string;
  role: string;
  commonName: string;
  /** The signing key pair; `privateKey` is non-extractable. */
  keys: CryptoKeyPair;
  /** SPKI DER of the signing public key, base64url. */
  publicKey: string;
  /** The X25519 private key sealed with the member's passphrase. */
  encryption: SealedKey;
  /** DER of the PKCS#10 request, base64url, and its id at the node. */
  csr: string;
  requestId: string;
  certificate?: string;
  memberId?: string;
}

const DB = 'medledger';
const STORE = 'identities';
const KEY = 'browser-key';

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () =>
      reject(new Error('This browser does not let the page keep a key (IndexedDB is off).'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const d = await db();
  try {
    return await new Promise<T>((resolve, reject) => {
      const r = f(d.transaction(STORE, mode).objectStore(STORE));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB failed'));
    });
  } finally {
    d.close();
  }
}

/** The identity this browser keeps, if any. */
export async function loadIdentity(): Promise<BrowserIdentity | undefined> {
  return (await withStore('readonly', (s) => s.get(KEY))) as BrowserIdentity | undefined;
}

/** Keeps (or replaces) this browser's identity. */
export async function saveIdentity(i: BrowserIdentity): Promise<void> {
  await withStore('readwrite', (s) => s.put(i, KEY));
}

/** Forgets this browser's identity (its keys are gone for good). */
export async function forgetIdentity(): Promise<void> {
  await withStore('readwrite', (s) => s.delete(KEY));
}

/** Parameters of {@link createIdentity}. */
export interface CreateIdentityParameters {
  label: string;
  org: string;
  role: string;
  /** A name for clinicians; a patient's certificate names a pseudonym made here. */
  commonName?: string;
  passphrase: string;
  /** scrypt cost of the sealed encryption key (default 2^15). */
  scryptN?: number;
}

/**
 * Makes the member's keys in this browser and the certificate request signed by the new key,
 * and keeps them (not yet sent).
 * @throws Error with a message for a person (a short passphrase, a bad name)
 */
export async function createIdentity(p: CreateIdentityParameters): Promise<BrowserIdentity> {
  if (p.passphrase.length < 8) throw new Error('Choose a passphrase of at least 8 characters.');
  const commonName = p.role === 'patient' ? `patient-${toHex(randomBytes(8))}` : (p.commonName ?? '').trim();
  if (!/^[A-Za-z0-9 ._@:-]{1,64}$/.test(commonName))
    throw new Error('Your name may hold letters, digits, spaces and . _ @ : - (at most 64).');
  const keys = (await crypto.subtle.generateKey(WEBCRYPTO_P256, false, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const enc = generateEncryptionKeyPair();
  const encryption = sealKey({
    label: p.label,
    keyType: 'x25519',
    publicKey: enc.publicKey,
    privateKey: enc.privateKey,
    passphrase: p.passphrase,
    ...(p.scryptN === undefined ? {} : { N: p.scryptN }),
  });
  enc.privateKey.fill(0);
  const csr = await createCertificateRequestWithKeys({ keys, commonName, org: p.org, role: p.role });
  const identity: BrowserIdentity = {
    label: p.label,
    org: p.org,
    role: p.role,
    commonName,
    keys,
    publicKey: toB64u(spki),
    encryption,
    csr: toB64u(csr),
    requestId: certificateRequestId(csr),
  };
  await saveIdentity(identity);
  return identity;
}

/** Sends the identity's request to the organization through the node (again, if it must). */
export async function sendRequest(baseUrl: string, i: BrowserIdentity): Promise<void> {
  await submitCertificateRequest({
    baseUrl,
    org: i.org,
    csr: fromB64u(i.csr),
    encryptionKey: fromB64u(i.encryption.publicKey),
  });
}

/**
 * Asks the node whether the organization issued; if so, checks the certificate against this
 * key and the organization's root key in the genesis, and keeps it.
 * @returns the identity, with its certificate once issued
 * @throws MedledgerError CERT_NOT_FOR_THIS_KEY / CERT_WRONG_ISSUER / CERT_WRONG_ORG for a
 *   certificate this page refuses (nothing is kept)
 */
export async function checkRequest(baseUrl: string, i: BrowserIdentity): Promise<BrowserIdentity> {
  const r = await getCertificateRequest({ baseUrl, org: i.org, id: i.requestId });
  if (r.status !== 'issued' || r.certificate === undefined) return i;
  const genesis = await new MedledgerClient(baseUrl).genesis();
  const rootCert = genesis.orgs.find((o) => o.id === i.org)?.rootCertificate;
  if (rootCert === undefined) throw new Error(`The consortium has no organization ${i.org}.`);
  const certificate = fromB64u(r.certificate);
  const { memberId } = checkIssuedCertificate({
    certificate,
    publicKey: fromB64u(i.publicKey),
    org: i.org,
    rootPublicKey: parseCertificate(fromB64u(rootCert)).publicKey,
  });
  const issued = { ...i, certificate: r.certificate, memberId };
  await saveIdentity(issued);
  return issued;
}
