/**
 * Checkpoints through etcd: each node puts its signed checkpoint under
 * `checkpoints/<height>/<org>` and watches the prefix. etcd is only the carrier: every
 * signature is checked by the receiving node (service.ts), so a rogue writer gains nothing.
 */
import type { IKeyValue, Watcher } from 'etcd3';
import { canonicalize } from '@medledger/crypto';
import type { CheckpointBody } from '@medledger/core';
import { cancelWatch, padHeight, type EtcdLog } from '../ordering/etcdLog.js';
import type { CheckpointTransport } from './service.js';

export function etcdCheckpointTransport(log: EtcdLog, info?: (m: string) => void): CheckpointTransport {
  return {
    async publish(body: CheckpointBody, org: string, sig: string): Promise<void> {
      await log.client
        .put(log.checkpointKey(body.height, org))
        .value(`{"body":${canonicalize(body)},"sig":"${sig}"}`);
    },
    subscribe(fromHeight, receive) {
      let closed = false;
      let watcher: Watcher | undefined;
      let wake: () => void = () => undefined;
      const deliver = (kv: IKeyValue): void => {
        const rest = kv.key.toString().slice(log.checkpointPrefix.length);
        const m = /^\d{12}\/([A-Za-z0-9-]{1,64})$/.exec(rest);
        if (!m) return;
        try {
          const v = JSON.parse(kv.value.toString()) as { body?: unknown; sig?: unknown };
          if (typeof v.sig === 'string') receive(v.body, m[1]!, v.sig);
        } catch {
          /* not JSON: ignored, like any unsigned value */
        }
      };
      const readFrom = async (): Promise<string> => {
        const res = await log.client
          .getAll()
          .inRange({
            start: `${log.checkpointPrefix}${padHeight(fromHeight())}`,
            end: `${log.checkpointPrefix}~`,
          })
          .exec();
        for (const kv of res.kvs) deliver(kv);
        return res.header.revision;
      };
      const run = async (): Promise<void> => {
        while (!closed) {
          try {
            const revision = await readFrom();
            if (closed) return;
            const w = await log.watchPrefix(log.checkpointPrefix, BigInt(revision) + 1n, { put: deliver });
            watcher = w;
            // Re-read unfinalized heights every few seconds: a watch that stops delivering costs
            // a delay, never a checkpoint.
            const timer = setInterval(() => void readFrom().catch(() => undefined), 3000);
            await new Promise<void>((resolve) => {
              wake = resolve;
              w.once('error', () => resolve());
            });
            clearInterval(timer);
            await cancelWatch(w);
          } catch (e) {
            if (!closed) info?.(`etcd: following checkpoints failed, retrying: ${(e as Error).message}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      };
      const task = run();
      return {
        async close() {
          closed = true;
          wake();
          if (watcher) await cancelWatch(watcher);
          await Promise.race([task, new Promise((r) => setTimeout(r, 1000))]);
        },
      };
    },
  };
}
