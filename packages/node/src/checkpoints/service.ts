/**
 * Checkpoints on a node (core/checkpoint.ts has the rules): after each durable block the node
 * signs a checkpoint — if its key is a current consortium node key — stores it and publishes
 * it; it stores every other node's valid checkpoint; a height whose checkpoint a quorum of
 * the consortium's nodes signed alike is final. If that quorum's checkpoint differs from the
 * node's own, the node's state has diverged from the consortium's: it raises an alarm and
 * halts (CHECKPOINT_MISMATCH).
 *
 * The set of nodes that counts is the consortium's nodes in the node's current state; a
 * node key rotated or an organization removed later no longer counts for older heights
 * either (conservative: a light client asking about an old height sees fewer valid
 * signatures, never more).
 */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { fromB64u, importP256PublicKey } from '@medledger/crypto';
import {
  activeNode,
  checkAgainstQuorum,
  checkpointQuorum,
  codesRootOf,
  consortiumNodes,
  parseCheckpointBody,
  sameCheckpoint,
  signCheckpoint,
  txIdOf,
  verifyCheckpointSignature,
  type CheckpointBody,
  type SignedCheckpoint,
} from '@medledger/core';
import type { BlockEvent, LedgerView } from '../ledgerView.js';
import { CheckpointStore } from './store.js';

/** How checkpoints travel between nodes (etcd in a consortium; none for a lone node). */
export interface CheckpointTransport {
  publish(body: CheckpointBody, org: string, sig: string): Promise<void>;
  /**
   * Calls `receive` with every checkpoint published from `fromHeight()` on, then live (and
   * again now and then from `fromHeight()`, so a lost notification delays, never loses one).
   */
  subscribe(
    fromHeight: () => number,
    receive: (body: unknown, org: string, sig: string) => void,
  ): { close(): Promise<void> };
}

export interface CheckpointServiceOptions {
  node: LedgerView & {
    alarm(e: Error): void;
    readonly nodePublicKey: string;
    /** A stored block's hash, state digest and codes root without its bytes (MedledgerNode). */
    checkpointInputs?(height: number): { hash: string; stateDigest: string; codesRoot: string } | undefined;
  };
  nodeKey: KeyObject;
  dbPath: string;
  transport?: CheckpointTransport;
  log?: (message: string) => void;
}

/** Events: 'final' (height) when the final height grows. */
export class CheckpointService extends EventEmitter {
  readonly store: CheckpointStore;
  readonly #o: CheckpointServiceOptions;
  readonly #onBlock = (e: BlockEvent): void => this.#signUpTo(e.height);
  #sub: { close(): Promise<void> } | undefined;
  #closed = false;
  #final: number;
  readonly #bodies = new Map<number, CheckpointBody>();

  constructor(o: CheckpointServiceOptions) {
    super();
    this.#o = o;
    this.store = new CheckpointStore(o.dbPath);
    this.#final = this.store.finalHeight;
  }

  /** The highest height whose block is final (a quorum signed the checkpoint this node has). */
  get finalHeight(): number {
    return this.#final;
  }

  /** Resolves once `height` is final, or after `timeoutMs` (true if final). */
  waitFinal(height: number, timeoutMs: number): Promise<boolean> {
    if (this.#final >= height) return Promise.resolve(true);
    return new Promise((resolve) => {
      const on = (h: number): void => {
        if (h < height) return;
        done(true);
      };
      const done = (v: boolean): void => {
        clearTimeout(timer);
        this.off('final', on);
        resolve(v);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('final', on);
    });
  }

  /** Signs what it has not signed yet, then follows blocks and other nodes' checkpoints. */
  start(): this {
    this.#o.node.on('block', this.#onBlock);
    this.#signUpTo(this.#o.node.head().height);
    this.#sub = this.#o.transport?.subscribe(
      () => this.#final + 1,
      (b, org, sig) => this.receive(b, org, sig),
    );
    return this;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#o.node.off('block', this.#onBlock);
    await this.#sub?.close();
    this.store.close();
  }

  /** This node's checkpoint body of a committed height, from its stored block. */
  bodyOf(height: number): CheckpointBody | undefined {
    const hit = this.#bodies.get(height);
    if (hit) return hit;
    const fast = this.#o.node.checkpointInputs?.(height);
    const b = fast ? undefined : this.#o.node.getBlock(height);
    const inputs =
      fast ??
      (b && {
        hash: b.hash,
        stateDigest: b.stateDigest,
        codesRoot: codesRootOf(
          b.block.txs.map((t) => txIdOf(t.body)),
          b.codes,
        ),
      });
    if (!inputs) return undefined;
    const body: CheckpointBody = {
      chainId: this.#o.node.chainId,
      height,
      blockHash: inputs.hash,
      stateDigest: inputs.stateDigest,
      codesRoot: inputs.codesRoot,
    };
    // Recent heights are asked for again as other nodes' signatures arrive.
    this.#bodies.set(height, body);
    if (this.#bodies.size > 512) this.#bodies.delete(this.#bodies.keys().next().value!);
    return body;
  }

  #signUpTo(height: number): void {
    if (this.#closed) return;
    const { node, nodeKey } = this.#o;
    const mine = activeNode(node.store, node.org)?.nodeKey === node.nodePublicKey;
    const from = mine ? this.store.lastOf(node.org) + 1 : height;
    for (let h = Math.max(1, from); h <= height; h++) {
      const body = this.bodyOf(h);
      if (!body) break;
      if (mine) {
        const s = signCheckpoint(body, node.org, nodeKey);
        this.store.add(body, node.org, s.sig);
        this.#o.transport
          ?.publish(body, node.org, s.sig)
          .catch((e: unknown) => this.#o.log?.(`checkpoint ${h}: not published: ${(e as Error).message}`));
      }
      this.#evaluate(h);
    }
  }

  /** A checkpoint from another node (or this one, echoed back): checked, stored, counted. */
  receive(input: unknown, org: string, sig: string): void {
    if (this.#closed) return;
    let body: CheckpointBody;
    try {
      body = parseCheckpointBody(input);
    } catch (e) {
      this.#o.log?.(`checkpoint from ${org} refused: ${(e as Error).message}`);
      return;
    }
    if (body.chainId !== this.#o.node.chainId) return;
    const key = this.#nodes().get(org);
    if (!key || !verifyCheckpointSignature(body, sig, key)) {
      this.#o.log?.(
        `checkpoint ${body.height} from ${org} refused: not a valid signature of a consortium node`,
      );
      return;
    }
    const r = this.store.add(body, org, sig);
    if (r === 'known') return;
    if (r !== 'added') {
      this.#o.log?.(`ALARM: ${org} signed two different checkpoints at height ${body.height} (equivocation)`);
      return;
    }
    this.#evaluate(body.height);
  }

  /** The checkpoint of a height with the signatures that agree with this node's own. */
  checkpointAt(height: number): (SignedCheckpoint & { final: boolean }) | undefined {
    const own = this.bodyOf(height);
    if (!own) return undefined;
    const nodes = this.#nodes();
    const signatures = this.store
      .at(height)
      .filter((s) => nodes.has(s.org) && sameCheckpoint(s.body, own))
      .map(({ org, sig }) => ({ org, sig }));
    return { body: own, signatures, final: signatures.length >= checkpointQuorum(nodes.size) };
  }

  #nodes(): Map<string, KeyObject> {
    const m = new Map<string, KeyObject>();
    for (const o of consortiumNodes(this.#o.node.store)) m.set(o.id, keyOf(o.nodeKey));
    return m;
  }

  /** Checks a height against the quorum, once this node has the block and a quorum agrees. */
  #evaluate(height: number): void {
    const own = this.bodyOf(height);
    if (!own) return; // not applied here yet: evaluated when the block commits
    const nodes = this.#nodes();
    const quorum = checkpointQuorum(nodes.size);
    const groups = new Map<string, { body: CheckpointBody; n: number }>();
    for (const s of this.store.at(height)) {
      if (!nodes.has(s.org)) continue;
      const k = JSON.stringify(s.body);
      const g = groups.get(k) ?? { body: s.body, n: 0 };
      g.n++;
      groups.set(k, g);
    }
    for (const g of groups.values()) {
      if (g.n < quorum) continue;
      try {
        checkAgainstQuorum(own, g.body);
      } catch (e) {
        this.#o.node.alarm(e as Error);
        return;
      }
      if (height > this.#final) {
        this.#final = height;
        this.store.finalHeight = height;
        this.emit('final', height);
      }
    }
  }
}

const keys = new Map<string, KeyObject>();
function keyOf(spki: string): KeyObject {
  let k = keys.get(spki);
  if (!k) keys.set(spki, (k = importP256PublicKey(fromB64u(spki))));
  return k;
}
