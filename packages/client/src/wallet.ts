/**
 * A wallet: one signer's key, and the transactions it builds and signs. Signing happens on
 * the client; the node never sees a private key. The key is a PKCS#8 key held in this
 * process (signs synchronously) or any {@link Signer}, such as a non-extractable WebCrypto
 * key in a browser (signs asynchronously: use {@link Wallet.txAsync}).
 */
import { randomBytes, toB64u, type JsonValue, type RandomSource } from '@medledger/crypto';
import {
  LedgerError,
  createTxBody,
  txSigningBytes,
  type SignedTx,
  type TxBody,
  type TxPayloads,
  type TxType,
} from '@medledger/core';
import { createKeySigner, isSyncSigner, type Signer } from './signer.js';

/**
 * What {@link Wallet.tx} builds: a transaction of `type` whose payload the compiler checks
 * against that type's contract (`TxPayloads` in core). A misspelled type does not compile.
 * @example
 * wallet.tx({ chainId, type: 'consent.revoke', payload: { grantId }, createdAt: Date.now() });
 */
export interface TxParameters<T extends TxType> {
  chainId: string;
  type: T;
  payload: TxPayloads[T];
  createdAt: number;
}

/**
 * {@link TxParameters} with a payload already in JSON form: the type is still a checked key,
 * the payload is checked only by the contract's `parse` on the node. For payloads assembled
 * generically (a builder shared by several types, a deliberately malformed test payload).
 */
export interface JsonTxParameters {
  chainId: string;
  type: TxType;
  payload: { [k: string]: JsonValue };
  createdAt: number;
}

/** Parameters of {@link Wallet}: a PKCS#8 private key, or a signer that holds the key. */
export type WalletParameters = {
  /** Member id, or `org:<id>` for an organization's root key. */
  signerId: string;
  random?: RandomSource;
} & ({ /** PKCS#8 DER. */ privateKey: Uint8Array } | { signer: Signer });

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

  /**
   * Builds a body signed by this wallet alone (add `coSigners` for co-signed transactions).
   * The payload is checked against the type ({@link TxPayloads}).
   */
  body<T extends TxType>(p: TxParameters<T> & { coSigners?: string[] }): TxBody {
    return createTxBody({
      chainId: p.chainId,
      type: p.type,
      payload: p.payload as unknown as { [k: string]: JsonValue },
      signers: [this.signerId, ...(p.coSigners ?? [])],
      nonce: this.#random(16),
      createdAt: p.createdAt,
    });
  }

  /** As {@link Wallet.body}, with a JSON payload the compiler does not check (see {@link JsonTxParameters}). */
  bodyFromJson(p: JsonTxParameters & { coSigners?: string[] }): TxBody {
    return this.body(p as unknown as TxParameters<TxType> & { coSigners?: string[] });
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
  tx<T extends TxType>(p: TxParameters<T>): SignedTx {
    const body = this.body(p);
    return { body, signatures: [this.signature(body)] };
  }

  /** As {@link Wallet.tx}, with a JSON payload the compiler does not check (see {@link JsonTxParameters}). */
  txFromJson(p: JsonTxParameters): SignedTx {
    return this.tx(p as unknown as TxParameters<TxType>);
  }

  /** {@link tx} with any signer (a WebCrypto key included). */
  async txAsync<T extends TxType>(p: TxParameters<T>): Promise<SignedTx> {
    const body = this.body(p);
    return { body, signatures: [await this.signatureAsync(body)] };
  }

  /** {@link txFromJson} with any signer (a WebCrypto key included). */
  txFromJsonAsync(p: JsonTxParameters): Promise<SignedTx> {
    return this.txAsync(p as unknown as TxParameters<TxType>);
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
