/**
 * A wallet: one signer's key, and the transactions it builds and signs. Signing happens on
 * the client; the node never sees a private key. The key is a PKCS#8 key held in this
 * process (signs synchronously) or any {@link Signer}, such as a non-extractable WebCrypto
 * key in a browser (signs asynchronously: use {@link Wallet.txAsync}).
 */
import { randomBytes, toB64u, type JsonValue, type RandomSource } from '@medledger/crypto';
import { LedgerError, createTxBody, txSigningBytes, type SignedTx, type TxBody } from '@medledger/core';
import { createKeySigner, isSyncSigner, type Signer } from './signer.js';

/** Parameters of {@link Wallet}: a PKCS#8 private key, or a signer that holds the key. */
export type WalletParameters = {
  /** Member id, or `org:<id>` for an organization's root key. */
  signerId: string;
  random?: RandomSource;
} & ({ /** PKCS#8 DER. */ privateKey: Uint8Array } | { signer: Signer });

/** Parameters of {@link Wallet.tx} and {@link Wallet.body}. */
export interface WalletTxParameters {
  chainId: string;
  type: string;
  payload: { [k: string]: JsonValue };
  createdAt: number;
}

export class Wallet {
  readonly signerId: string;
  /** SPKI DER of the key, base64url (as the ledger lists it). */
  readonly publicKey: string;
  readonly #signer: Signer;
  readonly #random: RandomSource;

  constructor(p: WalletParameters) {
    this.signerId = p.signerId;
    this.#signer = 'signer' in p ? p.signer : createKeySigner(p.privateKey);
    this.publicKey = toB64u(this.#signer.publicKey);
    this.#random = p.random ?? randomBytes;
  }

  /** Builds a body signed by this wallet alone (add `coSigners` for co-signed transactions). */
  body(p: {
    chainId: string;
    type: string;
    payload: { [k: string]: JsonValue };
    createdAt: number;
    coSigners?: string[];
  }): TxBody {
    return createTxBody({
      chainId: p.chainId,
      type: p.type,
      payload: p.payload,
      signers: [this.signerId, ...(p.coSigners ?? [])],
      nonce: this.#random(16),
      createdAt: p.createdAt,
    });
  }

  /**
   * This wallet's signature over a body.
   * @throws TypeError if the wallet's signer signs only asynchronously (use {@link signatureAsync})
   * @throws LedgerError NOT_A_SIGNER if the body does not list this wallet's signer
   */
  signature(body: TxBody): SignedTx['signatures'][number] {
    const signer = this.#signer;
    if (!isSyncSigner(signer)) {
      throw new TypeError('this wallet signs asynchronously (WebCrypto): use signatureAsync or txAsync');
    }
    return { signer: this.signerId, sig: toB64u(signer.signSync(this.#signingBytes(body))) };
  }

  /** {@link signature} with any signer (a WebCrypto key included). */
  async signatureAsync(body: TxBody): Promise<SignedTx['signatures'][number]> {
    const bytes = this.#signingBytes(body);
    return { signer: this.signerId, sig: toB64u(await this.#signer.sign(bytes)) };
  }

  /** Builds and signs a single-signer transaction (a signer held in this process). */
  tx(p: WalletTxParameters): SignedTx {
    const body = this.body(p);
    return { body, signatures: [this.signature(body)] };
  }

  /** {@link tx} with any signer (a WebCrypto key included). */
  async txAsync(p: WalletTxParameters): Promise<SignedTx> {
    const body = this.body(p);
    return { body, signatures: [await this.signatureAsync(body)] };
  }

  #signingBytes(body: TxBody): Uint8Array {
    if (!body.signers.includes(this.signerId)) {
      throw new LedgerError(
        { code: 'NOT_A_SIGNER', signer: this.signerId },
        `${this.signerId} is not listed in the transaction's signers`,
      );
    }
    return txSigningBytes(body);
  }
}

/** Puts co-signers' signatures together, in the body's signer order. */
export function assembleTx(body: TxBody, signatures: SignedTx['signatures']): SignedTx {
  const by = new Map(signatures.map((s) => [s.signer, s]));
  return {
    body,
    signatures: body.signers
      .map((id) => by.get(id))
      .filter((s): s is NonNullable<typeof s> => s !== undefined),
  };
}
