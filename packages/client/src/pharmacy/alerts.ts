/**
 * Doctor-shopping alerts (threat model in crypto/docs/prescriptions.md): the regulator's node
 * seals what an alert says to its officers and itself; an officer opens it.
 */
import {
  canonicalBytes,
  envelopeFromJson,
  envelopeToJson,
  fromUtf8,
  openEnvelope,
  sealEnvelope,
  utf8,
  type JsonValue,
} from '@medledger/crypto';
import type { AlertEntry } from '@medledger/core/contracts/pharmacy';

type Json = { [k: string]: JsonValue };

/** What a doctor-shopping alert says (sealed to the regulator). */
export interface AlertContent {
  pseudonym: string;
  windowMs: number;
  prescriptions: {
    rxId: string;
    prescriber: string;
    prescriberOrg: string;
    writtenAt: number;
    quantity: number;
  }[];
}

const alertAad = (alertId: string): Uint8Array => utf8(`medledger/rx-alert/v1:${alertId}`);

/** Seals an alert's content to the regulator's receivers (the regulator's node service). */
export async function sealAlert(
  alertId: string,
  content: AlertContent,
  receivers: { id: string; publicKey: Uint8Array }[],
): Promise<Json> {
  const env = await sealEnvelope({
    plaintext: canonicalBytes(content as unknown as Json),
    receivers,
    aad: alertAad(alertId),
  });
  return envelopeToJson(env) as unknown as Json;
}

/**
 * Opens an alert as one of its receivers (a regulator officer).
 * @throws Error('not a receiver') / Error('decryption failed')
 */
export async function openAlert(
  alert: AlertEntry,
  me: { id: string; privateKey: Uint8Array },
): Promise<AlertContent> {
  const pt = await openEnvelope(envelopeFromJson(alert.sealed), me, alertAad(alert.alertId));
  return JSON.parse(fromUtf8(pt)) as AlertContent;
}
