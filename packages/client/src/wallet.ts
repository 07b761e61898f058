/**
 * A wallet: one signer's key, and the transactions it builds and signs. Signing happens on
 * the client; the node never sees a private key.
 */
import type { KeyObject } from 'node:crypto';
import {
  importP256PrivateKey,
  p256PublicKeyOf,
  randomBytes,
  toB64u,
  type JsonValue,
  type RandomSource,
} from '@medledger/crypto';
import {
  createTxBody,
  signTxBody,
  type SignedTx,
  type TxBody,
  type TxPayloads,
  type TxType,
} from '@medledger/core';

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

export interface WalletParameters {
  /** Member id, or `org:<id>` for an organization's root key. */
  signerId: string;
  /** PKCS#8 DER. */
  privateKey: Uint8Array;
  random?: RandomSource;
}

export class Wallet {
  readonly signerId: string;
  readonly publicKey: string;
  readonly #key: KeyObject;
  readonly #random: RandomSource;

  constructor(p: WalletParameters) {
    this.signerId = p.signerId;
    this.#key = importP256PrivateKey(p.privateKey);
    this.publicKey = toB64u(p256PublicKeyOf(this.#key));
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

  /** This wallet's signature over a body. */
  signature(body: TxBody): SignedTx['signatures'][number] {
    return signTxBody(body, this.signerId, this.#key);
  }

  /** Builds and signs a single-signer transaction. */
  tx<T extends TxType>(p: TxParameters<T>): SignedTx {
    const body = this.body(p);
    return { body, signatures: [this.signature(body)] };
  }

  /** As {@link Wallet.tx}, with a JSON payload the compiler does not check (see {@link JsonTxParameters}). */
  txFromJson(p: JsonTxParameters): SignedTx {
    return this.tx(p as unknown as TxParameters<TxType>);
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
