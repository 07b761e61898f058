/**
 * Schemas shared by the routes (JSON Schema through TypeBox: the TypeScript types of the
 * client and the server's handlers are derived from the same objects the node validates with).
 */
import { Type, type TSchema } from '@sinclair/typebox';

export { Type };

/**
 * A JSON object whose fields the table leaves to the domain's own types (core's `FlStudy`,
 * FHIR resources, ...): checked to be an object, typed so that a client may view it as its
 * domain type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a domain object the caller names
export const Obj = Type.Unsafe<Record<string, any>>(Type.Record(Type.String(), Type.Unknown()));
/** 64 lowercase hex digits: a transaction id, a member id, a hash. */
export const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$', description: '64 lowercase hex digits' });
/** A non-negative integer written in decimal (a query or path value). */
export const UIntText = Type.String({ pattern: '^[0-9]{1,16}$', description: 'a non-negative integer' });
/** A path or query value that the handler parses. */
export const Text = Type.String({ maxLength: 1024 });

/** What every error answer is. */
export const ErrorBody = Type.Object(
  { code: Type.String(), message: Type.String() },
  { additionalProperties: true, description: 'every error: a code and a message that says what is wrong' },
);

/** An object schema that allows more fields than it names (answers grow; clients ignore extras). */
export function Open<P extends Record<string, TSchema>>(props: P, description?: string) {
  return Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });
}

/** Path parameters: every one a string. */
export function Params<P extends Record<string, TSchema>>(props: P) {
  return Type.Object(props, { additionalProperties: false });
}

/** A signed transaction (core `SignedTx`). */
export const SignedTx = Type.Object(
  {
    body: Type.Object({
      chainId: Type.String(),
      type: Type.String(),
      payload: Obj,
      signers: Type.Array(Type.String()),
      nonce: Type.String(),
      createdAt: Type.Number(),
    }),
    signatures: Type.Array(Type.Object({ signer: Type.String(), sig: Type.String() })),
  },
  { description: 'a signed transaction (core SignedTx); checked by core parseTx' },
);

/** A transaction's receipt. */
export const Receipt = Open({
  txId: Type.String(),
  height: Type.Integer(),
  index: Type.Integer(),
  code: Type.String(),
  message: Type.Optional(Type.String()),
  blockHash: Type.String(),
});

/** What submitting a transaction answers. */
export const SubmitResult = Type.Union([
  Open({
    txId: Type.String(),
    status: Type.Literal('pending'),
    duplicate: Type.Optional(Type.Literal(true)),
  }),
  Open({
    txId: Type.String(),
    status: Type.Literal('committed'),
    receipt: Receipt,
    duplicate: Type.Optional(Type.Literal(true)),
  }),
  Open({
    txId: Type.Optional(Type.String()),
    status: Type.Literal('rejected'),
    error: Type.Object({ code: Type.String(), message: Type.String() }),
  }),
]);

/** `{ tx }`: a body that carries one signed transaction. */
export const TxBody = Type.Object({ tx: SignedTx });

/** A domain write's answer: the transaction id, its receipt, and the FHIR form if it committed OK. */
export const TxOutcome = Open({ txId: Type.String(), receipt: Receipt, resource: Type.Optional(Obj) });

/** `?wait=<ms>`: wait up to that long for a receipt. */
export const WaitQuery = Type.Object({ wait: Type.Optional(UIntText) }, { additionalProperties: true });
