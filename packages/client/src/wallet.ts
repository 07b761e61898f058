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
import { createTxBody, signTxBody, type SignedTx, type TxBody } from '@medledger/core';

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

  /** This wallet's signature over a body. */
  signature(body: TxBody): SignedTx['signatures'][number] {
    return signTxBody(body, this.signerId, this.#key);
  }

  /** Builds and signs a single-signer transaction. */
  tx(p: { chainId: string; type: string; payload: { [k: string]: JsonValue }; createdAt: number }): SignedTx {
    const body = this.body(p);
    return { body, signatures: [this.signature(body)] };
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
