/**
 * The consortium's ordering log in etcd: one client, the key layout, and the pruning rule.
 *
 * Keys, under `medledger/<chain id>/`:
 *   txs/<txId>               a submitted transaction (JSON), until a block carries it
 *   blocks/<height, 12 digits> a block (JSON), written once by the elected cutter
 *   checkpoints/<height>/<org> a node's signed checkpoint of that height
 *   heights/<org>            the height a node has stored, under a lease (gone when it is down)
 *   pruned                   every block below this height was deleted from etcd
 *   cutter/...               the block-cutter election (etcd3's Election)
 *
 * etcd is the log, not the ledger store: each node stores blocks in its own database, and the
 * cutter deletes blocks and checkpoints below the height every running node has stored, then
 * compacts etcd's history. A node that was down longer fetches what etcd no longer has from
 * its peers (sync/peerSync.ts).
 *
 * Client settings follow LIBRARIES.md: one deadline per unary call (etcd3 retries a failed
 * call, so every write here is idempotent), none on streams.
 */
import { once } from 'node:events';
import { Etcd3, type IKeyValue, type IOptions, type Watcher } from 'etcd3';
import { WatchManager } from 'etcd3/lib/watch.js';

/**
 * etcd3 1.1.2 throws from its watch stream's 'data' handler when a response names a watch it no
 * longer tracks ("Failed to find watcher for IWatchResponse": a watch cancelled while etcd was
 * still sending it events). Thrown there, it is an uncaught exception that killed node processes
 * starting while the others committed (chaos suite). Such a response is for no one: it is
 * dropped. Exported for its test.
 */
export function guardWatchResponses(proto: object = WatchManager.prototype): void {
  const p = proto as {
    handleResponse(this: { watchers: { id: unknown }[] }, res: { watch_id: unknown }): void;
    guarded?: true;
  };
  if (p.guarded) return;
  const original = p.handleResponse;
  p.handleResponse = function (res) {
    if (!this.watchers.some((w) => w.id === res.watch_id)) return;
    original.call(this, res);
  };
  p.guarded = true;
}
guardWatchResponses();

export interface EtcdLogOptions {
  /** Client URLs of the etcd members, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  chainId: string;
  /** Deadline of each unary call (ms). */
  callTimeoutMs?: number;
  /** TLS to etcd (PEM): the CA that signed the members' certificates, and a client certificate. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

const HEIGHT_DIGITS = 12;

export const padHeight = (h: number): string => String(h).padStart(HEIGHT_DIGITS, '0');

export class EtcdLog {
  readonly client: Etcd3;
  /** Full key prefix of this chain's keys. */
  readonly prefix: string;
  /** Settles when the watch being created (if any) is confirmed or failed. */
  #creating: Promise<void> = Promise.resolve();

  constructor(o: EtcdLogOptions) {
    const timeout = o.callTimeoutMs ?? 2000;
    const options: IOptions = {
      hosts: o.endpoints,
      dialTimeout: 3000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      ...(o.tls
        ? {
            credentials: {
              rootCertificate: o.tls.ca,
              ...(o.tls.cert ? { certChain: o.tls.cert } : {}),
              ...(o.tls.key ? { privateKey: o.tls.key } : {}),
            },
          }
        : {}),
    };
    this.client = new Etcd3(options);
    this.prefix = `medledger/${o.chainId}/`;
  }

  txKey(txId: string): string {
    return `${this.prefix}txs/${txId}`;
  }
  get txPrefix(): string {
    return `${this.prefix}txs/`;
  }
  blockKey(height: number): string {
    return `${this.prefix}blocks/${padHeight(height)}`;
  }
  get blockPrefix(): string {
    return `${this.prefix}blocks/`;
  }
  checkpointKey(height: number, org: string): string {
    return `${this.prefix}checkpoints/${padHeight(height)}/${org}`;
  }
  get checkpointPrefix(): string {
    return `${this.prefix}checkpoints/`;
  }
  heightKey(org: string): string {
    return `${this.prefix}heights/${org}`;
  }
  get heightPrefix(): string {
    return `${this.prefix}heights/`;
  }
  get prunedKey(): string {
    return `${this.prefix}pruned`;
  }
  get electionName(): string {
    return `${this.prefix}cutter`;
  }

  /** The height in a block key, or undefined if the key is not one. */
  heightOfBlockKey(key: string): number | undefined {
    if (!key.startsWith(this.blockPrefix)) return undefined;
    const s = key.slice(this.blockPrefix.length);
    return /^\d{12}$/.test(s) ? Number(s) : undefined;
  }

  /** The pruned mark as last read or written here, with its key's mod revision ('0': no key). */
  #mark: { below: number; mod: string } | undefined;

  async #readMark(): Promise<{ below: number; mod: string }> {
    const kv = (await this.client.get(this.prunedKey).exec()).kvs[0];
    this.#mark = kv ? { below: Number(kv.value.toString()), mod: kv.mod_revision } : { below: 1, mod: '0' };
    return this.#mark;
  }

  /**
   * Writes block `height` if, in one etcd transaction: the writer still holds its campaign key
   * (fencing a cutter that lost its lease), no block is stored at that height, and the height
   * was not pruned. The last condition matters: pruning deletes `blocks/<h>` below the mark, so
   * "absent" alone would let a cutter that has not yet applied the pruned blocks (a node that
   * started late and is still syncing them from peers) write a second, different block at a
   * height the consortium already committed. The mark is compared by its key's mod revision
   * (a missing key compares as revision 0), so a prune that lands between reading the mark and
   * the write makes the write fail and be decided again.
   * @returns 'created'; 'exists' (another cutter wrote that height); 'pruned' with the mark
   *   (the writer is behind: it must apply up to `below − 1` first); 'not-leader'
   */
  async createBlock(
    campaignKey: string,
    height: number,
    value: string,
  ): Promise<{ outcome: 'created' | 'exists' | 'not-leader' } | { outcome: 'pruned'; below: number }> {
    let mark = this.#mark ?? (await this.#readMark());
    for (let attempt = 0; attempt < 3; attempt++) {
      if (height < mark.below) return { outcome: 'pruned', below: mark.below };
      const r = await this.client
        .if(campaignKey, 'Create', '>', 0)
        .and(this.blockKey(height), 'Create', '==', 0)
        .and(this.prunedKey, 'Mod', '==', mark.mod)
        .then(this.client.put(this.blockKey(height)).value(value))
        .commit();
      if (r.succeeded) return { outcome: 'created' };
      if ((await this.client.get(this.blockKey(height)).exec()).kvs.length > 0) return { outcome: 'exists' };
      const fresh = await this.#readMark();
      if (fresh.mod === mark.mod) return { outcome: 'not-leader' };
      mark = fresh;
    }
    return { outcome: 'not-leader' };
  }

  /** The lowest height etcd still holds blocks from (blocks below it were pruned). */
  async prunedBelow(): Promise<number> {
    const v = await this.client.get(this.prunedKey).string();
    return v === null ? 1 : Number(v);
  }

  /**
   * Deletes blocks and checkpoints below `height` and compacts etcd's history up to that
   * point. Idempotent; never lowers the mark. Returns the revision compacted at, or undefined
   * if there was nothing to do.
   */
  async pruneBelow(height: number): Promise<string | undefined> {
    const cur = await this.client.get(this.prunedKey).exec();
    const kv = cur.kvs[0];
    if (kv && Number(kv.value.toString()) >= height) return undefined;
    const r = await this.client
      .if(this.prunedKey, 'Mod', '==', kv ? kv.mod_revision : '0')
      .then(
        this.client.put(this.prunedKey).value(padHeight(height)),
        this.client.delete().inRange({ start: this.blockKey(0), end: this.blockKey(height) }),
        this.client.delete().inRange({
          start: `${this.checkpointPrefix}${padHeight(0)}`,
          end: `${this.checkpointPrefix}${padHeight(height)}`,
        }),
      )
      .commit();
    if (!r.succeeded) return undefined; // someone else pruned meanwhile
    this.#mark = { below: height, mod: r.header.revision };
    await this.client.kv.compact({ revision: r.header.revision, physical: false });
    return r.header.revision;
  }

  /**
   * Watches a key prefix from a revision, with the listeners attached before the watch is
   * created: etcd sends the creation answer and the events since `fromRevision` together, and
   * etcd3's `create()` resolves only after it has emitted them.
   * @returns the connected watcher (its 'error' event ends it)
   */
  /**
   * Opens a watch on a prefix from a revision; resolves once etcd confirmed it. Watches are
   * created one at a time: etcd3 sends every watch of a client over one stream and pairs each
   * "created" answer with the oldest watcher waiting for one, which etcd does not promise to
   * answer in order — two watches created at once (blocks, checkpoints, the cutter's
   * transactions) could each receive the other's events.
   */
  async watchPrefix(
    prefix: string,
    fromRevision: bigint,
    on: { put?: (kv: IKeyValue) => void; delete?: (kv: IKeyValue) => void },
  ): Promise<Watcher> {
    const previous = this.#creating;
    let created!: () => void;
    this.#creating = new Promise((resolve) => (created = resolve));
    try {
      await previous;
      const w = this.client.watch().prefix(prefix).startRevision(String(fromRevision)).watcher();
      if (on.put) w.on('put', on.put);
      if (on.delete) w.on('delete', on.delete);
      const failed = once(w, 'error').then(([e]) => {
        throw e as Error;
      });
      failed.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`etcd did not confirm a watch on ${prefix} in 10 s`)),
          10_000,
        );
      });
      try {
        await Promise.race([once(w, 'connected'), failed, timeout]);
      } catch (e) {
        void cancelWatch(w);
        throw e;
      } finally {
        clearTimeout(timer);
      }
      return w;
    } finally {
      created();
    }
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Cancels a watch, giving up after `timeoutMs`. etcd3's `cancel()` waits for etcd to confirm,
 * and never resolves for a watch etcd already cancelled on its side (e.g. one whose start
 * revision was compacted away while the process was paused): awaiting it would stop the
 * caller for good.
 */
export async function cancelWatch(w: Watcher, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    w.cancel().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}
