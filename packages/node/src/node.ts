/**
 * A medledger node: admits transactions (stateless checks, signatures verified in worker
 * threads), keeps them in the mempool, hands them to an orderer, and commits the blocks the
 * orderer delivers in three separate steps — verify, transition, persist — then returns
 * receipts and publishes each durable block, with its events, on the feed its services follow.
 */
import { EventEmitter } from 'node:events';
import {
  canonicalize,
  importP256PrivateKey,
  p256PublicKeyOf,
  toB64u,
  type JsonValue,
} from '@medledger/crypto';
import {
  LedgerError,
  activeNode,
  blockHashOf,
  chainIdOf,
  checkGenesisSignatures,
  checkSigners,
  checkTxTiming,
  defaultContracts,
  genesisHeader,
  genesisStateDigest,
  genesisWrites,
  parseTxSized,
  txIdOf,
  codesRootOf,
  type CodeProof,
  type Block,
  type BlockHeader,
  type ContractRegistry,
  type Genesis,
  type SignedTx,
  type TxInclusionProof,
  type TxOutcome,
  parsePayload,
  memoOf,
  memoize,
  rejectionCode,
} from '@medledger/core';
import { LedgerStore, type Head, type TxLocation } from './store/ledgerStore.js';
import { LedgerWriter } from './store/writer.js';
import { SignaturePool, type SigItem } from './sigpool/pool.js';
import { Mempool, type MempoolLimits } from './mempool.js';
import type { Orderer } from './ordering/orderer.js';
import type { EtcdChainView } from './ordering/etcd.js';
import type { CommittedBlock, LedgerView } from './ledgerView.js';
import { SoloOrderer } from './ordering/solo.js';
import { verifyBlock, type VerifiedSignatures } from './pipeline/verifyBlock.js';
import { transition } from './pipeline/transition.js';
import { persist } from './pipeline/persist.js';
import { PendingState } from './pipeline/pendingState.js';
import { committedEvents } from './store/events.js';
import { backfillEvents } from './store/backfillEvents.js';
import { BlockFeed, type FeedHandler, type Follower, type FollowOptions } from './feed/blockFeed.js';
import { checkTxProofs, createProofCheckers, type ProofCheckers } from './anonymity/proofCheck.js';
import type { Receipt, SubmitResult } from '@medledger/client';

// The wire types of submission: the node produces exactly what the client consumes.
export type { Receipt, SubmitResult };

export interface NodeOptions {
  /** Path of the SQLite ledger file. */
  ledgerPath: string;
  genesis: Genesis;
  /** Organization this node belongs to (its key signs the blocks it proposes). */
  org: string;
  /** PKCS#8 DER of the node key. */
  nodeKey: Uint8Array;
  contracts?: ContractRegistry;
  /** Defaults to solo ordering with the genesis ordering parameters. */
  orderer?: Orderer;
  sigWorkers?: number;
  mempool?: MempoolLimits;
  now?: () => number;
  /** Checkers of the proofs transactions carry (default: anonymity/proofCheck.ts). */
  proofCheckers?: ProofCheckers;
}

// Signature objects this node verified at admission are marked in place (core memo.ts): with
// solo ordering the same objects reach the block, whose verification then skips them. A copy
// is not marked. An orderer that hands back parsed copies (etcd) is served by a set of
// (transaction id, signer, signature) this node verified, kept until the transaction commits.
const ADMITTED = Symbol('admittedSignature');
const admittedKey = (txId: string, s: { signer: string; sig: string }): string =>
  `${txId}|${s.signer}|${s.sig}`;

/**
 * Events: 'block' (height, hash, txCount, time: a block became durable — a wake-up only),
 * 'alarm' (Error). Services follow blocks and their contract events with {@link follow}.
 */
export class MedledgerNode extends EventEmitter implements LedgerView {
  readonly genesis: Genesis;
  readonly chainId: string;
  readonly org: string;
  readonly store: LedgerStore;
  readonly #writer: LedgerWriter;
  readonly mempool: Mempool;
  readonly contracts: ContractRegistry;
  readonly #pool: SignaturePool;
  readonly #proofs: ProofCheckers;
  readonly #orderer: Orderer;
  readonly #now: () => number;
  /** Who waits for a transaction's receipt: one function (the usual case) or a set of them. */
  readonly #waiters = new Map<string, Waiter | Set<Waiter>>();
  /** Admitted signatures by key, for orderers that deliver copies (undefined for solo). */
  readonly #admittedKeys: Set<string> | undefined;
  readonly #admitted: VerifiedSignatures;
  /** This node's public key (base64url SPKI), to know whether it is a current consortium node. */
  readonly nodePublicKey: string;
  /** The last durable block: what the node reports and serves. */
  #head: Head;
  /** The last applied block, durable or still being written: what the next block follows. */
  #tip: Head;
  #tipHeader: BlockHeader;
  readonly #pending: PendingState;
  #halted: Error | undefined;
  #last: { height: number; value: CommittedBlock } | undefined;
  #commitChain: Promise<void> = Promise.resolve();
  /** Resolves when the last applied block is durable and its receipts are out. */
  #durableChain: Promise<void> = Promise.resolve();
  readonly #feed: BlockFeed;

  private constructor(
    o: NodeOptions,
    store: LedgerStore,
    writer: LedgerWriter,
    head: Head,
    headHeader: BlockHeader,
  ) {
    super();
    this.#writer = writer;
    this.genesis = o.genesis;
    this.chainId = chainIdOf(o.genesis);
    this.org = o.org;
    this.store = store;
    this.#head = head;
    this.#tip = head;
    this.#tipHeader = headHeader;
    this.#pending = new PendingState(store);
    this.#feed = new BlockFeed({
      head: () => this.#head.height,
      read: (h) => {
        const r = store.getBlock(h);
        return (
          r && {
            height: h,
            hash: r.hash,
            block: r.block,
            codes: r.result.codes,
            events: store.blockEvents(h),
          }
        );
      },
    });
    this.contracts = o.contracts ?? defaultContracts();
    this.mempool = new Mempool(o.mempool);
    this.#pool = new SignaturePool(o.sigWorkers);
    this.#proofs = o.proofCheckers ?? createProofCheckers();
    this.#now = o.now ?? Date.now;
    this.nodePublicKey = toB64u(p256PublicKeyOf(importP256PrivateKey(o.nodeKey)));
    this.#orderer =
      o.orderer ??
      new SoloOrderer({
        chainId: this.chainId,
        proposer: o.org,
        nodeKey: importP256PrivateKey(o.nodeKey),
        params: o.genesis.ordering,
        now: this.#now,
      });
    const keys = this.#orderer.name === 'solo' ? undefined : new Set<string>();
    this.#admittedKeys = keys;
    this.#admitted = {
      has: (s, txId) => memoOf<boolean>(s, ADMITTED) === true || (keys?.has(admittedKey(txId, s)) ?? false),
    };
  }

  /** Opens (or creates) the ledger and starts ordering. */
  static async open(o: NodeOptions): Promise<MedledgerNode> {
    checkGenesisSignatures(o.genesis);
    const store = new LedgerStore(o.ledgerPath);
    const gJson = canonicalize(o.genesis);
    const stored = store.getMeta('genesis');
    if (stored === undefined) {
      const gh = genesisHeader(o.genesis);
      store.initGenesis(gJson, genesisWrites(o.genesis), {
        height: 0,
        hash: blockHashOf(gh),
        stateDigest: genesisStateDigest(o.genesis),
        time: gh.time,
      });
    } else if (chainIdOf(JSON.parse(stored) as Genesis) !== chainIdOf(o.genesis)) {
      store.close();
      throw new LedgerError(
        { code: 'GENESIS_MISMATCH' },
        'the ledger in this data directory belongs to another genesis',
      );
    }
    try {
      backfillEvents(store, o.genesis, o.contracts ?? defaultContracts());
      store.blockIndex.backfill();
    } catch (e) {
      store.close();
      throw e;
    }
    const head = store.head()!;
    const headHeader =
      head.height === 0 ? genesisHeader(o.genesis) : store.getBlock(head.height)!.block.header;
    let writer: LedgerWriter;
    try {
      writer = await LedgerWriter.open(o.ledgerPath);
    } catch (e) {
      store.close();
      throw e;
    }
    const node = new MedledgerNode(o, store, writer, head, headHeader);
    const view: EtcdChainView = {
      head: () => node.#tip,
      // Committed for good (core commitRule.ts): a badly signed copy in a block does not count.
      isCommitted: (txId) => node.#pending.hasCommittedTx(txId),
      canPropose: () => activeNode(node.#pending, node.org)?.nodeKey === node.nodePublicKey,
      blockHash: (h) => (h === node.#tip.height ? node.#tip.hash : node.store.getBlockHash(h)),
      halted: () => node.#halted !== undefined,
      alarm: (e) => node.alarm(e),
      screen: (txs) =>
        Promise.all(
          txs.map(async (tx) => (await checkTxProofs(node.#proofs, tx, node.#pending)) === undefined),
        ),
    };
    await node.#orderer.start(view, (b, source) => node.#commit(b, source));
    return node;
  }

  head(): Head {
    return this.#head;
  }

  get halted(): Error | undefined {
    return this.#halted;
  }

  /** The orderer (its `name` says which engine). */
  get orderer(): Orderer {
    return this.#orderer;
  }

  /** Raises an alarm and stops committing (a bad block in the log, a fork). */
  alarm(e: Error): void {
    this.#halt(e);
  }

  // ---- admission --------------------------------------------------------------------

  /** Submits one transaction. Rejections are thrown as LedgerError. */
  async submit(input: unknown): Promise<Exclude<SubmitResult, { status: 'rejected' }>> {
    const [r] = await this.submitBatch([input]);
    if (r!.status === 'rejected')
      throw new LedgerError({ code: rejectionCode(r!.error.code) }, r!.error.message);
    return r!;
  }

  /**
   * Submits transactions; every one gets its own result. Stateless checks run first, then
   * all signatures of the batch are verified in the worker pool at once.
   */
  async submitBatch(inputs: readonly unknown[]): Promise<SubmitResult[]> {
    const results: SubmitResult[] = new Array(inputs.length);
    const now = this.#now();
    const todo: { i: number; tx: SignedTx; id: string; size: number; items: SigItem[] }[] = [];
    const inBatch = new Set<string>();
    for (let i = 0; i < inputs.length; i++) {
      try {
        if (this.#halted)
          throw new LedgerError({ code: 'NODE_HALTED' }, `node halted: ${this.#halted.message}`);
        const { tx, size } = parseTxSized(inputs[i]);
        const id = txIdOf(tx.body);
        if (this.store.hasCommittedTx(id)) {
          results[i] = { txId: id, status: 'committed', receipt: this.receipt(id)!, duplicate: true };
          continue;
        }
        if (this.mempool.has(id) || inBatch.has(id)) {
          results[i] = { txId: id, status: 'pending', duplicate: true };
          continue;
        }
        if (tx.body.chainId !== this.chainId)
          throw new LedgerError({ code: 'WRONG_CHAIN' }, 'transaction is for another chain');
        const timing = checkTxTiming(tx, now, this.genesis.params);
        if (timing) throw new LedgerError({ code: rejectionCode(timing.code) }, timing.message);
        const check = checkSigners(this.store, tx, id, () => true);
        if (!check.ok) throw new LedgerError({ code: rejectionCode(check.code) }, check.message);
        const contract = this.contracts.get(tx.body.type);
        if (!contract)
          throw new LedgerError({ code: 'UNKNOWN_TYPE' }, `no contract for transaction type ${tx.body.type}`);
        parsePayload(contract, tx.body);
        const items = tx.signatures.map((s, k) => ({
          publicKey: check.signers[k]!.publicKey,
          messageHex: id,
          signatureB64u: s.sig,
        }));
        inBatch.add(id);
        todo.push({ i, tx, id, size, items });
      } catch (e) {
        results[i] = { status: 'rejected', error: errorOf(e) };
      }
    }
    const ok = await this.#pool.verify(todo.flatMap((t) => t.items));
    let k = 0;
    const good = todo.map((t) => t.items.every(() => ok[k++]));
    // Proofs (anonymity/proofCheck.ts) only of correctly signed transactions: they cost WASM time.
    const proofFaults = await Promise.all(
      todo.map((t, j) => (good[j] ? checkTxProofs(this.#proofs, t.tx, this.store) : undefined)),
    );
    const ordering: Promise<void>[] = [];
    for (const [j, t] of todo.entries()) {
      if (!good[j]) {
        results[t.i] = {
          txId: t.id,
          status: 'rejected',
          error: { code: 'BAD_SIGNATURE', message: 'a signature does not verify' },
        };
        continue;
      }
      // The same transaction may have been submitted to another node too (a client that
      // retries elsewhere) and committed while its signatures were checked here: answer with
      // its receipt instead of admitting it again, where its receipt would never come.
      if (this.store.hasCommittedTx(t.id)) {
        results[t.i] = { txId: t.id, status: 'committed', receipt: this.receipt(t.id)!, duplicate: true };
        continue;
      }
      if (proofFaults[j] !== undefined) {
        results[t.i] = {
          txId: t.id,
          status: 'rejected',
          error: { code: 'PROOF_INVALID', message: proofFaults[j] },
        };
        continue;
      }
      try {
        if (!this.mempool.add(t.id, t.tx, t.size)) {
          results[t.i] = { txId: t.id, status: 'pending', duplicate: true };
          continue;
        }
      } catch (e) {
        results[t.i] = { txId: t.id, status: 'rejected', error: errorOf(e) };
        continue;
      }
      for (const s of t.tx.signatures) {
        memoize(s, ADMITTED, true);
        this.#admittedKeys?.add(admittedKey(t.id, s));
      }
      // Every transaction of the batch goes to the orderer at once (etcd writes them together).
      ordering.push(
        this.#orderer.order(t.tx, t.id, t.size).then(
          () => void (results[t.i] = { txId: t.id, status: 'pending' }),
          (e: unknown) => {
            this.mempool.remove(t.id);
            for (const s of t.tx.signatures) this.#admittedKeys?.delete(admittedKey(t.id, s));
            results[t.i] = { txId: t.id, status: 'rejected', error: errorOf(e) };
          },
        ),
      );
    }
    await Promise.all(ordering);
    return results;
  }

  // ---- commit -----------------------------------------------------------------------

  #commit(block: Block, source: 'ordered' | 'sync' = 'ordered'): Promise<void> {
    const run = this.#commitChain.then(() => this.#commitOne(block, source));
    this.#commitChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Verifies and applies a block against the applied state (durable blocks plus the one the
   * writer may still be writing), then hands it to the writer. Resolves once the block before
   * it is durable: at most one block is applied ahead of the disk. Receipts and events of a
   * block go out only once it is durable, in height order.
   */
  async #commitOne(block: Block, source: 'ordered' | 'sync'): Promise<void> {
    if (this.#halted) throw this.#halted;
    let known: Awaited<ReturnType<typeof verifyBlock>>;
    try {
      known = await verifyBlock(
        block,
        this.#tipHeader,
        this.#tip.stateDigest,
        this.#pending,
        this.#pool,
        this.#admitted,
        // Live blocks must not be dated ahead of this node's clock; synced ones are history.
        source === 'ordered' && this.#orderer.name !== 'solo'
          ? { now: this.#now(), maxSkewMs: this.genesis.params.maxClockSkewMs }
          : undefined,
        this.#proofs,
      );
    } catch (e) {
      // A peer's bad block is refused without halting: the caller tries another peer.
      if (source === 'ordered') this.#halt(e);
      throw e;
    }
    try {
      const result = transition(
        this.#pending,
        block,
        this.contracts,
        this.genesis.params,
        this.#tip.stateDigest,
        known,
      );
      const { head, durable } = persist(this.store, this.#writer, block, result);
      this.#pending.stage(result.writes, result.outcomes);
      this.#tip = head;
      this.#tipHeader = block.header;
      const before = this.#durableChain;
      this.#durableChain = Promise.all([before, durable]).then(
        () => this.#finish(block, head, result.outcomes),
        (e: unknown) => this.#halt(e),
      );
      await before;
    } catch (e) {
      this.#halt(e);
      throw e;
    }
  }

  /**
   * A block is durable and the store has caught up with it: answer its waiters. (Also after
   * a later block halted the node: this one is on disk, so its receipts are true.)
   */
  #finish(block: Block, head: Head, outcomes: readonly TxOutcome[]): void {
    this.#pending.release();
    this.#head = head;
    this.#last = {
      height: head.height,
      value: { block, hash: head.hash, codes: outcomes.map((o) => o.code), stateDigest: head.stateDigest },
    };
    outcomes.forEach((o, i) => {
      this.mempool.remove(o.txId);
      if (this.#admittedKeys)
        for (const s of block.txs[i]!.signatures) this.#admittedKeys.delete(admittedKey(o.txId, s));
      const w = this.#waiters.get(o.txId);
      if (w) {
        this.#waiters.delete(o.txId);
        const r = receiptOf(o.txId, block.header.height, i, o.code, o.message, head.hash);
        if (typeof w === 'function') w(r);
        else for (const f of w) f(r);
      }
    });
    this.emit('block', {
      height: head.height,
      hash: head.hash,
      stateDigest: head.stateDigest,
      txCount: block.txs.length,
      time: block.header.time,
    });
    this.#feed.published({
      height: head.height,
      hash: head.hash,
      block,
      codes: this.#last.value.codes,
      events: committedEvents(head.height, outcomes),
    });
  }

  /**
   * Delivers every durable block after height `after`, with its validity codes and stored
   * events, to `handler` in height order, awaiting it before the next: the stored blocks
   * first, then each new one as it becomes durable (feed/blockFeed.ts). At least once: the
   * follower keeps its own cursor and passes it here when it starts again.
   */
  follow(after: number, handler: FeedHandler, options?: FollowOptions): Follower {
    return this.#feed.follow(after, handler, options);
  }

  #halt(e: unknown): void {
    if (this.#halted) return;
    this.#halted = e instanceof Error ? e : new Error(String(e));
    this.emit('alarm', this.#halted);
  }

  // ---- queries ----------------------------------------------------------------------

  #receiptAt(txId: string, loc: TxLocation): Receipt {
    return receiptOf(txId, loc.height, loc.index, loc.code, loc.message, loc.blockHash);
  }

  /** The receipt of a committed transaction, if any. */
  receipt(txId: string): Receipt | undefined {
    const loc = this.store.getTxLocation(txId);
    return loc && this.#receiptAt(txId, loc);
  }

  /**
   * Receipts of many transactions, each as soon as it commits, with one deadline for all (one
   * timer instead of one per transaction). An entry is undefined if that transaction did not
   * commit within `timeoutMs`.
   */
  waitForReceipts(txIds: readonly string[], timeoutMs: number): Promise<(Receipt | undefined)[]> {
    const out: (Receipt | undefined)[] = txIds.map((id) =>
      this.mempool.has(id) ? undefined : this.receipt(id),
    );
    const missing = out.reduce((n, r) => (r === undefined ? n + 1 : n), 0);
    if (missing === 0 || timeoutMs <= 0) return Promise.resolve(out);
    return new Promise((resolve) => {
      let left = missing;
      const added: (Waiter | undefined)[] = new Array(txIds.length);
      const finish = (): void => {
        clearTimeout(timer);
        for (let j = 0; j < txIds.length; j++) if (added[j]) this.#removeWaiter(txIds[j]!, added[j]!);
        resolve(out);
      };
      const timer = setTimeout(finish, timeoutMs);
      txIds.forEach((id, i) => {
        if (out[i] !== undefined) return;
        const f = (r: Receipt): void => {
          out[i] = r;
          if (--left === 0) finish();
        };
        this.#addWaiter(id, f);
        added[i] = f;
      });
    });
  }

  /** Resolves with the receipt when the transaction commits, or undefined after `timeoutMs`. */
  waitForReceipt(txId: string, timeoutMs: number): Promise<Receipt | undefined> {
    // A transaction still in the mempool has no receipt yet: skip the index lookup.
    const r = this.mempool.has(txId) ? undefined : this.receipt(txId);
    if (r || timeoutMs <= 0) return Promise.resolve(r);
    return new Promise((resolve) => {
      const done = (x: Receipt | undefined): void => {
        clearTimeout(timer);
        this.#removeWaiter(txId, done);
        resolve(x);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#addWaiter(txId, done);
    });
  }

  #addWaiter(txId: string, f: Waiter): void {
    const w = this.#waiters.get(txId);
    if (w === undefined) this.#waiters.set(txId, f);
    else if (typeof w === 'function') this.#waiters.set(txId, new Set([w, f]));
    else w.add(f);
  }

  /** Removes a waiter that is still registered (a receipt delivered already removed it). */
  #removeWaiter(txId: string, f: Waiter): void {
    const w = this.#waiters.get(txId);
    if (w === f) this.#waiters.delete(txId);
    else if (typeof w === 'object') {
      w.delete(f);
      if (w.size === 0) this.#waiters.delete(txId);
    }
  }

  /** A stored block; the one just committed comes from memory (listeners of 'block' read it). */
  getBlock(height: number): CommittedBlock | undefined {
    if (this.#last?.height === height) return this.#last.value;
    const r = this.store.getBlock(height);
    return r && { block: r.block, hash: r.hash, codes: r.result.codes, stateDigest: r.result.stateDigest };
  }

  /**
   * What a checkpoint of a committed block commits to — its hash, the state digest after it, the
   * root of its transactions' validity codes — read without the block's bytes (the store's
   * block index, store/commitSql.ts); the block just committed is in memory.
   */
  checkpointInputs(height: number): { hash: string; stateDigest: string; codesRoot: string } | undefined {
    if (this.#last?.height === height) {
      const b = this.#last.value;
      return {
        hash: b.hash,
        stateDigest: b.stateDigest,
        codesRoot: codesRootOf(
          b.block.txs.map((t) => txIdOf(t.body)),
          b.codes,
        ),
      };
    }
    return this.store.blockIndex.checkpointInputs(height);
  }

  /** A committed transaction with its receipt, Merkle inclusion proof and block header. */
  getTxWithProof(
    txId: string,
  ):
    | { tx: SignedTx; receipt: Receipt; proof: TxInclusionProof; header: BlockHeader; proposerSig: string }
    | undefined {
    const loc = this.store.getTxLocation(txId);
    if (!loc) return undefined;
    // The transaction alone is read, and the proof hashes one run of the block's ids and its
    // stored run heads: neither parses nor re-hashes the whole block (store/commitSql.ts).
    const t = this.store.blockIndex.txWithProof(loc.height, loc.index);
    if (!t) return undefined;
    return { ...t, receipt: this.#receiptAt(txId, loc) };
  }

  /** The proof that transaction `index` of block `height` has its validity code (checkpoints' codes root). */
  getCodeProof(height: number, index: number): CodeProof {
    return this.store.blockIndex.codeProof(height, index);
  }

  stateValue(key: string): JsonValue | undefined {
    return this.store.get(key);
  }

  status(): Record<string, JsonValue> {
    return {
      chainId: this.chainId,
      chainName: this.genesis.chainName,
      org: this.org,
      orderer: this.#orderer.name,
      height: this.#head.height,
      headHash: this.#head.hash,
      stateDigest: this.#head.stateDigest,
      lastBlockTime: this.#head.time,
      mempool: { txs: this.mempool.size, bytes: this.mempool.bytes, maxTxs: this.mempool.limits.maxTxs },
      sigWorkers: this.#pool.size,
      // Cumulative event-loop utilization of the main thread (0..1) and its busy time: a
      // benchmark reads it before and after a run to see whether the main thread saturates.
      mainThread: (() => {
        const u = performance.eventLoopUtilization();
        return { utilization: Math.round(u.utilization * 1000) / 1000, activeMs: Math.round(u.active) };
      })(),
      halted: this.#halted ? this.#halted.message : null,
    };
  }

  async close(): Promise<void> {
    await this.#orderer.stop();
    await this.#commitChain;
    await this.#durableChain;
    await this.#feed.close();
    await this.#writer.close();
    await this.#pool.close();
    this.store.close();
  }
}

type Waiter = (r: Receipt) => void;

function receiptOf(
  txId: string,
  height: number,
  index: number,
  code: string,
  message: string | undefined,
  blockHash: string,
): Receipt {
  return message === undefined
    ? { txId, height, index, code, blockHash }
    : { txId, height, index, code, message, blockHash };
}

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof LedgerError) return { code: e.code, message: e.message };
  if (e instanceof TypeError) return { code: 'MALFORMED_TX', message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
