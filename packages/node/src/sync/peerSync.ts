/**
 * Block sync from peer nodes: a node that was down longer than etcd keeps the log, or that
 * joins late (a new node starts from genesis alone), fetches the blocks it misses from the
 * consortium's other nodes over their API (`GET /v1/sync/blocks`, signed with its node key).
 *
 * Nothing a peer serves is trusted: every block goes through the node's full verification
 * (links, Merkle root, proposer, every signature) before it is applied, and where the peer
 * also serves a quorum of checkpoint signatures for the height, the block's hash must be the
 * one the quorum signed. A peer whose block is refused, or that fails, is dropped for the
 * rest of this catch-up and the height is fetched from the next peer.
 *
 * Each catch-up reports its rate: a log line every 5 s while it runs and one at its end
 * (blocks and transactions applied, blocks/s, tx/s), also kept as {@link PeerSync.lastRate}.
 */
import type { KeyObject } from 'node:crypto';
import { MedledgerClient } from '@medledger/client';
import {
  blockHashOf,
  consortiumNodes,
  isQuorumCheckpoint,
  parseBlock,
  parseCheckpointBody,
  publicKeyObject,
  type Block,
  type StateReader,
} from '@medledger/core';
import type { BlockSync } from '../ordering/etcd.js';

export interface Peer {
  org: string;
  url: string;
}

export interface PeerSyncOptions {
  peers: Peer[];
  /** This node's organization and key: peers serve blocks only to consortium nodes. */
  org: string;
  nodeKey: KeyObject;
  /** The node's state, for the consortium's node keys. */
  state: StateReader;
  /** fetch for the peers' API (TLS with the consortium's roots). */
  fetch?: typeof fetch;
  /** Checkpoint signatures fetched along the way (the node's checkpoint service stores them). */
  onCheckpoint?: (body: unknown, org: string, sig: string) => void;
  log?: (message: string) => void;
}

const PAGE = 64;

/** The rate of a catch-up: blocks and transactions fetched, checked and applied. */
export interface SyncRate {
  from: number;
  to: number;
  blocks: number;
  txs: number;
  seconds: number;
  blocksPerSec: number;
  txPerSec: number;
}

const rateOf = (from: number, to: number, blocks: number, txs: number, ms: number): SyncRate => ({
  from,
  to,
  blocks,
  txs,
  seconds: Math.round(ms) / 1000,
  blocksPerSec: ms > 0 ? Math.round((blocks / ms) * 1000) : 0,
  txPerSec: ms > 0 ? Math.round((txs / ms) * 1000) : 0,
});

const describe = (r: SyncRate): string =>
  `${r.blocks} blocks (${r.from}..${r.to}), ${r.txs} transactions in ${r.seconds} s: ${r.blocksPerSec} blocks/s, ${r.txPerSec} tx/s`;

export class PeerSync implements BlockSync {
  readonly #o: PeerSyncOptions;
  /** The rate of the last catch-up that applied a block (undefined before any). */
  lastRate: SyncRate | undefined;

  constructor(o: PeerSyncOptions) {
    this.#o = o;
  }

  async catchUp(from: number, to: number, apply: (b: Block) => Promise<void>): Promise<void> {
    const peers = this.#o.peers.filter((p) => p.org !== this.#o.org);
    const dropped = new Set<string>();
    let h = from;
    const t0 = performance.now();
    let lastLog = t0;
    let txs = 0;
    const rate = (): SyncRate => rateOf(from, h - 1, h - from, txs, performance.now() - t0);
    while (h <= to) {
      const peer = peers.find((p) => !dropped.has(p.org));
      if (!peer) throw new Error(`no peer served blocks ${h}..${to} that this node accepts`);
      const client = new MedledgerClient(
        peer.url,
        { signerId: `node:${this.#o.org}`, privateKey: this.#o.nodeKey },
        this.#o.fetch ? { fetch: this.#o.fetch } : {},
      );
      try {
        const last = Math.min(to, h + PAGE - 1);
        const quorum = await this.#quorumHashes(client, h, last);
        const served = await client.syncBlocks(h, last);
        if (served.length === 0) throw new Error('served no blocks');
        for (const s of served) {
          const block = parseBlock(s.block);
          if (block.header.height !== h) throw new Error(`served height ${block.header.height} for ${h}`);
          const want = quorum.get(h);
          if (want !== undefined && want !== blockHashOf(block.header))
            throw new Error(`block ${h} is not the one a quorum of nodes signed`);
          await apply(block);
          h++;
          txs += block.txs.length;
        }
        if (performance.now() - lastLog >= 5000) {
          lastLog = performance.now();
          this.#o.log?.(`sync: ${describe(rate())} so far, to ${to}`);
        }
      } catch (e) {
        this.#o.log?.(`sync: peer ${peer.org} dropped at height ${h}: ${(e as Error).message}`);
        dropped.add(peer.org);
      }
    }
    if (h > from) {
      this.lastRate = rate();
      this.#o.log?.(`sync: caught up ${describe(this.lastRate)}`);
    }
  }

  /** Block hashes that a quorum of the consortium's nodes signed, by height (where known). */
  async #quorumHashes(client: MedledgerClient, from: number, to: number): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    let list;
    try {
      list = await client.getCheckpoints(from, to);
    } catch {
      return out; // checkpoints are a second line of defence; blocks are verified anyway
    }
    const nodes = new Map(consortiumNodes(this.#o.state).map((n) => [n.id, publicKeyObject(n.nodeKey)]));
    for (const c of list) {
      const groups = new Map<
        string,
        { body: ReturnType<typeof parseCheckpointBody>; sigs: { org: string; sig: string }[] }
      >();
      for (const s of c.signatures) {
        this.#o.onCheckpoint?.(s.body, s.org, s.sig);
        let body;
        try {
          body = parseCheckpointBody(s.body);
        } catch {
          continue;
        }
        const k = JSON.stringify(body);
        const g = groups.get(k) ?? { body, sigs: [] };
        g.sigs.push({ org: s.org, sig: s.sig });
        groups.set(k, g);
      }
      for (const g of groups.values())
        if (isQuorumCheckpoint({ body: g.body, signatures: g.sigs }, nodes))
          out.set(g.body.height, g.body.blockHash);
    }
    return out;
  }
}
