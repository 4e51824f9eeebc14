import { existsSync, mkdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, crc32c, fromNodeError, isStorageError } from '@store/backend-core';
import type { FormatAdapter, Value } from '@store/format-adapters';
import { LRUCache } from 'lru-cache';
import { CommitLog, hex8, type CommitRecord } from './commit-log.js';
import { CommitLock } from './commit-lock.js';
import { loadConfig, pageAdapter, type StoreConfig } from './config.js';
import { fsyncDir, writeFileAtomic, writeFileDirect } from './fs-util.js';
import { compilePattern, isInSubtree, namespaceFolder, parseNamespace, type NamespacePattern } from './namespace.js';
import { pageName, pageNumber, versionFileName, type PageId } from './page-id.js';
import { deepFreeze, parsePage, serializePage } from './page-file.js';
import { ProcessRegistry, forgetPeer, readPeers } from './registry.js';
import { Transaction, pageKey } from './transaction.js';
import { TsnAllocator } from './tsn-allocator.js';
import { VersionIndex, type Version } from './version-index.js';
import { runCleanup, type CleanupStats } from './cleanup.js';
import { writeVersionsFile } from './versions-file.js';
import { compactLog, type CompactStats } from './log-compaction.js';
import { VersionWriter } from './version-writer.js';
import { patternSignature, validateReads } from './validation.js';

export interface OpenOptions extends Partial<StoreConfig> {
  /** Open without writing anything: no config is created, `begin` gives read-only transactions. */
  readOnly?: boolean;
  /** How long `commit` waits for the cross-process commit lock. Default 30 s. */
  lockTimeoutMs?: number;
  /** How long `deleteNamespace`/`renameNamespace` wait for active operations by default. Default 5 s. */
  namespaceWaitMs?: number;
  /** Parsed pages kept in memory. Default 1024. */
  cacheSize?: number;
  /** Where cleanup failures and other non-fatal problems go. Default: `process.emitWarning`. */
  logger?: (message: string) => void;
  /** `cleanup()` also compacts the commit log once its valid part reaches this many bytes; 0 = only `compactLog()`. Default 64 MiB. */
  compactLogBytes?: number;
}

/** Default of `compactLogBytes`. */
export const COMPACT_LOG_BYTES = 64 * 1024 * 1024;

export interface CommitResult {
  tsn: number;
  /** Commit sequence number (the serialization order); for a read-only transaction its snapshot. */
  seq: number;
  readOnly: boolean;
}

export interface MatchedObject {
  namespace: string;
  pageId: PageId;
  /** Position of the object in its page. */
  index: number;
  object: Value;
}

export interface NamespaceOpOptions {
  /** How long to wait for other transactions' operations on the namespace; then `ELOCKED`. */
  waitMs?: number;
}

/** How soon after a commit the `.versions` files it touched are rewritten. */
export const VERSIONS_DELAY_MS = 50;

/** Characters of recently committed page texts kept in memory for reads (see `#recentText`). */
const RECENT_TEXT_BYTES = 16 * 1024 * 1024;

/** Internal files live here; namespace segments cannot start with a dot, so no clash. */
export const META_DIR = '.mvcc';

/**
 * A store of human-readable page files under namespace folders with serializable MVCC
 * transactions. Any number of processes may open one directory at once.
 */
export class PageStore implements AsyncDisposable {
  readonly root: string;
  readonly config: StoreConfig;
  readonly readOnly: boolean;
  readonly #adapter: FormatAdapter;
  readonly #log: CommitLog;
  readonly #index: VersionIndex;
  readonly #registry: ProcessRegistry | undefined;
  readonly #tsn: TsnAllocator | undefined;
  readonly #commitLock: CommitLock | undefined;
  readonly #active = new Set<Transaction>();
  readonly #cache: LRUCache<string, readonly Value[]>;
  /** Texts of recently committed versions as their commit records carry them: a read needs no file. */
  readonly #recentText: LRUCache<string, string>;
  /** Writes version files after their commit (durability 'commit'). */
  readonly #writer: VersionWriter;
  readonly #options: OpenOptions;
  readonly #durableDirs = new Set<string>();
  #commitQueue: Promise<unknown> = Promise.resolve();
  #cleanupTimer: NodeJS.Timeout | undefined;
  #cleanupRunning: Promise<CleanupStats> | undefined;
  #closed = false;
  #lastCleanup: CleanupStats | undefined;
  readonly #versionsDirty = new Set<string>();
  #versionsTimer: NodeJS.Timeout | undefined;
  /** The log handle's generation the index was built for. */
  #logGeneration = 0;
  #compacting: Promise<CompactStats> | undefined;

  private constructor(root: string, config: StoreConfig, log: CommitLog, index: VersionIndex, registry: ProcessRegistry | undefined, options: OpenOptions) {
    this.root = root;
    this.#index = index;
    this.config = config;
    this.readOnly = registry === undefined;
    this.#adapter = pageAdapter(config);
    this.#log = log;
    this.#registry = registry;
    this.#options = options;
    this.#cache = new LRUCache({ max: options.cacheSize ?? 1024 });
    // Bounded by bytes too: pages may be up to 64 MiB.
    this.#recentText = new LRUCache({ max: options.cacheSize ?? 1024, maxSize: RECENT_TEXT_BYTES, sizeCalculation: (text) => Math.max(1, text.length) });
    this.#writer = new VersionWriter((m) => this.#logWarning(m));
    this.#tsn = registry === undefined ? undefined : new TsnAllocator(path.join(root, META_DIR), registry);
    this.#commitLock = registry === undefined ? undefined : new CommitLock(path.join(root, META_DIR, 'commit.lock'), registry.lockFile);
  }

  /**
   * Opens (creating unless `readOnly`) the store in `dir`. Config discovery: `storage.json`,
   * then `storage.yaml`, then `storage.xml`; if none exists one is written from `options`.
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<PageStore> {
    const root = path.resolve(dir);
    const readOnly = options.readOnly === true;
    const meta = path.join(root, META_DIR);
    if (readOnly) {
      if (!existsSync(path.join(meta, 'commits.log'))) throw new StorageError('ENOENT', 'not an mvcc-pages store (no .mvcc/commits.log)', { path: root });
    } else {
      try {
        mkdirSync(path.join(meta, 'procs'), { recursive: true });
      } catch (error) {
        throw fromNodeError(error, root, 'create store');
      }
    }
    const { readOnly: _r, lockTimeoutMs: _l, namespaceWaitMs: _n, cacheSize: _c, logger: _g, compactLogBytes: _b, ...initial } = options;
    const { config } = await loadConfig(root, initial, readOnly);
    const log = CommitLog.open(path.join(meta, 'commits.log'), readOnly);
    if (!readOnly) await fsyncDir(meta);
    let registry: ProcessRegistry | undefined;
    try {
      const index = new VersionIndex();
      const records = log.readNew();
      index.reset(log.checkpoint);
      for (const r of records) index.apply(r);
      registry = readOnly ? undefined : await ProcessRegistry.register(path.join(meta, 'procs'), index.end);
      const store = new PageStore(root, config, log, index, registry, options);
      store.#logGeneration = log.generation;
      if (registry !== undefined) {
        registry.beforeFlush = (entry) => {
          if (!store.#closed) store.#refresh(); // future snapshots start at or after what the log holds now
          return { ...entry, horizon: store.#index.end, snapshots: store.#snapshots() };
        };
      }
      if (config.cleanupIntervalMs > 0 && !readOnly) store.startVersionCleanup(config.cleanupIntervalMs);
      return store;
    } catch (error) {
      await registry?.close();
      log.close();
      throw error;
    }
  }

  /** Seq of the newest commit this store has seen (reads the log for newer ones first). */
  get lastCommit(): number {
    this.#refresh();
    return this.#index.end;
  }

  /** Starts a transaction at the newest committed state. */
  async begin(): Promise<Transaction> {
    this.#checkOpen();
    const tsn = this.#tsn === undefined ? 0 : await this.#tsn.next();
    this.#checkOpen();
    // No await from here on: the snapshot is taken and listed as open in one step, so a
    // registration written meanwhile cannot miss it.
    this.#refresh(false);
    const txn = new Transaction(tsn, this.#index.end);
    this.#active.add(txn);
    // Publish the snapshot soon (until then the older horizon covers it), so cleanup elsewhere can progress.
    this.#registry?.flushSoon();
    return txn;
  }

  /** The objects of a page at the transaction's snapshot (or as this transaction wrote it). `ENOENT` if there is no such page. */
  async readPage(txn: Transaction, ns: string, pageId: PageId | number): Promise<Value[]> {
    this.#own(txn);
    parseNamespace(ns);
    const page = pageNumber(pageId);
    return txn.run(async () => {
      await this.#touch(txn, ns);
      const objects = await this.#readInTxn(txn, ns, page);
      if (objects === undefined) {
        const what = this.#nsExistsIn(txn, ns) ? `page ${pageName(page)}` : 'namespace';
        throw new StorageError('ENOENT', `${what} does not exist in the transaction's snapshot`, { path: `${ns}/${pageName(page)}` });
      }
      return structuredClone(objects) as Value[];
    });
  }

  /**
   * Replaces a page's objects. The page must have been read (or written) by this
   * transaction first, else `EINVAL`. Its version file is written before this resolves.
   */
  async updatePage(txn: Transaction, ns: string, pageId: PageId | number, objects: Value[]): Promise<void> {
    this.#own(txn, true);
    parseNamespace(ns);
    const page = pageNumber(pageId);
    if (!Array.isArray(objects)) throw new StorageError('EINVAL', 'objects must be an array', { path: `${ns}/${pageName(page)}` });
    // Taken now: the write runs after awaits, and the caller may change its objects meanwhile.
    const own = ownCopy(objects, `${ns}/${pageName(page)}`, () => serializePage(this.#adapter, ns, page, txn.tsn, objects));
    return txn.run(async () => {
      const key = pageKey(ns, page);
      if (!txn.reads.has(key) && !txn.writes.has(key)) {
        throw new StorageError('EINVAL', 'read the page in this transaction before updating it', { path: `${ns}/${pageName(page)}` });
      }
      if (!txn.writes.has(key) && txn.reads.get(key) === 0) {
        throw new StorageError('ENOENT', 'page does not exist', { path: `${ns}/${pageName(page)}` });
      }
      await this.#touch(txn, ns);
      await this.#writeVersion(txn, ns, page, own);
    });
  }

  /**
   * Appends an object to the namespace's last page, or opens the next page when it would
   * exceed `pageSize` (always, with `forceOneObjectPerPage`). Creates the namespace if
   * needed. Returns the page id.
   */
  async insertObject(txn: Transaction, ns: string, value: Value): Promise<PageId> {
    this.#own(txn, true);
    parseNamespace(ns);
    // Taken now: the write runs after awaits, and the caller may change its object meanwhile.
    const object = ownCopy(value, ns, () => serializePage(this.#adapter, ns, 1, txn.tsn, [value]));
    return txn.run(async () => {
      await this.#touch(txn, ns);
      if (!this.#nsExistsIn(txn, ns)) await this.#createIn(txn, ns);
      this.#recordPageSet(txn, ns);
      const pages = this.#pagesIn(txn, ns);
      const last = pages.at(-1);
      if (last !== undefined && !this.config.forceOneObjectPerPage) {
        const current = (await this.#readInTxn(txn, ns, last)) ?? [];
        const text = serializePage(this.#adapter, ns, last, txn.tsn, [...current, object]);
        if (Buffer.byteLength(text) <= this.config.pageSize) {
          await this.#writeVersion(txn, ns, last, [...current, object], text);
          return pageName(last);
        }
      }
      const next = (last ?? 0) + 1;
      const key = pageKey(ns, next);
      txn.recordRead(key, this.#index.visible(ns, next, txn.snapshot)?.seq ?? 0, 0);
      await this.#writeVersion(txn, ns, next, [object]);
      return pageName(next);
    });
  }

  /**
   * Every object of every page in the namespaces matching `pattern` (RegExp, or a string
   * with `*`/`?` wildcards), at the snapshot. Records the pages and the matched set, so a
   * commit fails if another transaction changed, added or removed any of them.
   */
  async getMatchingObjects(txn: Transaction, pattern: NamespacePattern, filter?: (object: Value, namespace: string) => boolean): Promise<MatchedObject[]> {
    this.#own(txn);
    const re = compilePattern(pattern);
    return txn.run(async () => {
      txn.patternReads.push({ pattern: String(pattern), re, signature: patternSignature(this.#index, re, txn.snapshot) });
      const out: MatchedObject[] = [];
      for (const ns of this.#namespacesIn(txn).filter((n) => re.test(n))) {
        await this.#touch(txn, ns);
        for (const page of this.#pagesIn(txn, ns)) {
          const objects = (await this.#readInTxn(txn, ns, page)) ?? [];
          objects.forEach((object, index) => {
            if (filter === undefined || filter(object, ns)) out.push({ namespace: ns, pageId: pageName(page), index, object: structuredClone(object) });
          });
        }
      }
      return out;
    });
  }

  /** Namespaces visible to the transaction, sorted. */
  listNamespaces(txn: Transaction): string[] {
    this.#own(txn);
    return this.#namespacesIn(txn);
  }

  /** Page ids of a namespace visible to the transaction. */
  listPages(txn: Transaction, ns: string): PageId[] {
    this.#own(txn);
    parseNamespace(ns);
    return this.#pagesIn(txn, ns).map(pageName);
  }

  async createNamespace(txn: Transaction, ns: string): Promise<void> {
    this.#own(txn, true);
    parseNamespace(ns);
    return txn.run(async () => {
      await this.#touch(txn, ns);
      if (this.#nsExistsIn(txn, ns)) throw new StorageError('EEXIST', 'namespace exists', { path: ns });
      await this.#createIn(txn, ns);
    });
  }

  /** Deletes a namespace and the namespaces nested in it, once no other transaction is operating on them. */
  async deleteNamespace(txn: Transaction, ns: string, options: NamespaceOpOptions = {}): Promise<void> {
    this.#own(txn, true);
    parseNamespace(ns);
    return txn.run(async () => {
      if (!this.#nsExistsIn(txn, ns)) throw new StorageError('ENOENT', 'namespace does not exist', { path: ns });
      const subtree = this.#namespacesIn(txn).filter((n) => isInSubtree(n, ns));
      await this.#waitQuiet(txn, subtree, options.waitMs);
      for (const n of subtree) await this.#deleteIn(txn, n);
    });
  }

  /** Renames a namespace (and those nested in it): its pages are copied as new versions under the new name in this transaction. */
  async renameNamespace(txn: Transaction, from: string, to: string, options: NamespaceOpOptions = {}): Promise<void> {
    this.#own(txn, true);
    parseNamespace(from);
    parseNamespace(to);
    if (isInSubtree(to, from)) throw new StorageError('EINVAL', `cannot rename '${from}' into itself ('${to}')`, { path: from });
    return txn.run(async () => {
      if (!this.#nsExistsIn(txn, from)) throw new StorageError('ENOENT', 'namespace does not exist', { path: from });
      const subtree = this.#namespacesIn(txn).filter((n) => isInSubtree(n, from));
      for (const n of subtree) {
        const target = to + n.slice(from.length);
        if (this.#nsExistsIn(txn, target)) throw new StorageError('EEXIST', 'target namespace exists', { path: target });
      }
      await this.#waitQuiet(txn, subtree, options.waitMs);
      for (const n of subtree) {
        const target = to + n.slice(from.length);
        await this.#touch(txn, n);
        await this.#touch(txn, target);
        await this.#createIn(txn, target);
        for (const page of this.#pagesIn(txn, n)) {
          const objects = (await this.#readInTxn(txn, n, page)) ?? [];
          txn.recordRead(pageKey(target, page), this.#index.visible(target, page, txn.snapshot)?.seq ?? 0, 0);
          await this.#writeVersion(txn, target, page, objects as Value[]);
        }
        await this.#deleteIn(txn, n);
      }
    });
  }

  /**
   * Validates everything the transaction read against the newest commits and, if nothing
   * changed, appends its commit record: all of its writes become visible at once, in
   * every namespace. `ECONFLICT` (naming what changed) otherwise, and the transaction is
   * rolled back. Resolves once the record is on disk.
   */
  async commit(txn: Transaction): Promise<CommitResult> {
    this.#own(txn);
    await txn.settled();
    txn.assertActive();
    if (txn.writes.size === 0 && txn.creates.size === 0 && txn.deletes.size === 0) {
      // A read-only transaction read one committed snapshot: it serializes at that point.
      this.#finish(txn, 'committed');
      return { tsn: txn.tsn, seq: txn.snapshot, readOnly: true };
    }
    let logged: CommitRecord;
    try {
      logged = await this.#serialized(() => this.#commitLocked(txn));
    } catch (error) {
      await this.rollback(txn).catch(() => undefined);
      throw error;
    }
    this.#finish(txn, 'committed');
    try {
      // Inline (on this thread) when no other transaction of this store is open: nothing of
      // ours can run meanwhile anyway. Otherwise in the pool, shared with concurrent commits.
      await this.#log.sync(this.#active.size === 0);
    } catch (error) {
      throw new StorageError('EIO', `commit ${logged.seq} was written but fsync failed; it may not survive a crash`, { path: this.#log.file, cause: error });
    }
    return { tsn: txn.tsn, seq: logged.seq, readOnly: false };
  }

  /** Discards the transaction and removes its version files. */
  async rollback(txn: Transaction): Promise<void> {
    this.#own(txn);
    await txn.settled();
    if (!txn.active) return;
    this.#finish(txn, 'rolled-back');
    // With durability 'commit' an uncommitted write has no file (it is written after its commit).
    if (this.config.durability === 'always') await Promise.all([...txn.writes.values()].map((w) => fs.unlink(w.file).catch(() => undefined)));
  }

  /** Removes versions no snapshot can see and debris of dead transactions, once. */
  cleanup(): Promise<CleanupStats> {
    this.#checkOpen();
    if (this.readOnly) return Promise.reject(new StorageError('EACCES', 'store is open read-only', { path: this.root }));
    this.#cleanupRunning ??= (async () => {
      await this.#writer.flush(); // pending version files first: cleanup and compaction look at files
      const stats = await runCleanup(this.#cleanupContext());
      const limit = this.#options.compactLogBytes ?? COMPACT_LOG_BYTES;
      if (limit > 0 && this.#log.size >= limit) {
        const c = await this.#compactOnce();
        stats.logCompacted = c.compacted;
      }
      return stats;
    })().finally(() => {
      this.#cleanupRunning = undefined;
    });
    return this.#cleanupRunning.then((stats) => {
      this.#lastCleanup = stats;
      return stats;
    });
  }

  /**
   * Compacts the commit log: the state every open snapshot (in any process) can still see
   * becomes a checkpoint at the head of a new log file, which replaces `.mvcc/commits.log`
   * atomically; the page versions it names are fsynced first. Commits wait only while the
   * new file is written and renamed. `EACCES` on a read-only store.
   */
  async compactLog(): Promise<CompactStats> {
    this.#checkOpen();
    if (this.readOnly) throw new StorageError('EACCES', 'store is open read-only', { path: this.root });
    await this.#cleanupRunning?.catch(() => undefined);
    await this.#writer.flush();
    return this.#compactOnce();
  }

  #compactOnce(): Promise<CompactStats> {
    this.#compacting ??= compactLog({
      root: this.root,
      meta: path.join(this.root, META_DIR),
      log: this.#log,
      refresh: () => {
        this.#refresh();
        return this.#index;
      },
      registryToken: this.#registry!.token,
      snapshots: () => this.#snapshots(),
      versionText: (ns, page, v) => this.versionText(ns, page, v),
      versionFile: (ns, page, tsn) => this.versionFile(ns, page, tsn),
      lock: () => this.#commitLock!.acquire(this.#options.lockTimeoutMs ?? 30_000),
    }).finally(() => {
      this.#compacting = undefined;
    });
    return this.#compacting;
  }

  /** Runs `cleanup` every `intervalMs` until `stopVersionCleanup` or `close`; failures are logged, never thrown. */
  startVersionCleanup(intervalMs: number): void {
    this.#checkOpen();
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new StorageError('EINVAL', 'cleanup interval must be a positive integer of ms');
    this.stopVersionCleanup();
    this.#cleanupTimer = setInterval(() => {
      this.cleanup().catch((error: unknown) => this.#logWarning(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`));
    }, intervalMs);
    this.#cleanupTimer.unref();
  }

  stopVersionCleanup(): void {
    clearInterval(this.#cleanupTimer);
    this.#cleanupTimer = undefined;
  }

  /** Statistics of the last cleanup run by this store, if any. */
  get lastCleanup(): CleanupStats | undefined {
    return this.#lastCleanup;
  }

  /** Rolls back open transactions and releases files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.stopVersionCleanup();
    await this.#cleanupRunning?.catch(() => undefined);
    await this.#compacting?.catch(() => undefined);
    for (const txn of [...this.#active]) await this.rollback(txn).catch(() => undefined);
    this.#closed = true;
    await this.#commitQueue.catch(() => undefined);
    clearTimeout(this.#versionsTimer);
    await this.#writer.flush();
    this.#writeVersionsFiles();
    this.#commitLock?.close();
    await this.#registry?.close();
    this.#log.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals used by cleanup, verify and the CLI ----

  /** @internal How many log compactions this store followed (its own and other processes'). */
  get logGeneration(): number {
    this.#refresh();
    return this.#log.generation;
  }

  /** @internal What the commit path cost so far: fdatasyncs of the log (inline / in the pool) and registration writes. */
  get commitCosts(): { inlineSyncs: number; pooledSyncs: number; registrationWrites: number } {
    const { inline, pooled } = this.#log.syncCounts;
    return { inlineSyncs: inline, pooledSyncs: pooled, registrationWrites: this.#registry?.writes ?? 0 };
  }

  /** @internal */
  get index(): VersionIndex {
    this.#refresh();
    return this.#index;
  }

  /** @internal The objects of a committed version (verifying its checksum; rewritten from the log if the file is lost). */
  loadVersion(ns: string, page: number, v: Version): Promise<readonly Value[]> {
    return this.#loadVersion(ns, page, v);
  }

  /** @internal */
  versionFile(ns: string, page: number, tsn: number): string {
    return path.join(this.root, namespaceFolder(ns), versionFileName(page, this.config.format, tsn));
  }

  // ---- private ----

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'store is closed', { path: this.root });
  }

  #own(txn: Transaction, writes = false): void {
    this.#checkOpen();
    if (!(txn instanceof Transaction) || !this.#active.has(txn)) {
      if (txn instanceof Transaction && !txn.active) txn.assertActive();
      throw new StorageError('EINVAL', 'not an active transaction of this store');
    }
    if (writes && this.readOnly) throw new StorageError('EACCES', 'store is open read-only', { path: this.root });
  }

  /** Reads what other processes committed. `exact`: see `CommitLog.readNew` (only `begin` may pass false). */
  #refresh(exact = true): void {
    const records = this.#log.readNew(exact);
    if (this.#log.generation !== this.#logGeneration) {
      // The log was compacted (here or elsewhere): rebuild from its checkpoint. Every open
      // snapshot is at or above it, so what they can see is unchanged.
      this.#logGeneration = this.#log.generation;
      this.#index.reset(this.#log.checkpoint);
    }
    for (const r of records) {
      this.#index.apply(r);
      for (const w of r.writes) this.#recentText.set(`${w.ns}\u0000${w.page}\u0000${r.tsn}`, w.text);
    }
  }

  #snapshots(): number[] {
    return [...new Set([...this.#active].map((t) => t.snapshot))].sort((a, b) => a - b);
  }

  /** Counts the transaction as operating on `ns`; a promise only when the registration must be written first. */
  #touch(txn: Transaction, ns: string): Promise<void> | undefined {
    if (txn.touched.has(ns) || this.#registry === undefined) return undefined;
    txn.touched.add(ns);
    return this.#registry.opStarted(ns);
  }

  #finish(txn: Transaction, state: 'committed' | 'rolled-back'): void {
    txn.end(state);
    this.#active.delete(txn);
    for (const ns of txn.touched) this.#registry?.opEnded(ns);
    this.#registry?.flushSoon();
  }

  #nsExistsIn(txn: Transaction, ns: string): boolean {
    if (txn.creates.has(ns)) return true;
    if (txn.deletes.has(ns)) return false;
    if (!txn.nsReads.has(ns)) txn.nsReads.set(ns, this.#index.nsState(ns, txn.snapshot));
    return this.#index.nsExists(ns, txn.snapshot);
  }

  #namespacesIn(txn: Transaction): string[] {
    const set = new Set(this.#index.namespaces(txn.snapshot));
    for (const ns of txn.deletes) set.delete(ns);
    for (const ns of txn.creates) set.add(ns);
    return [...set].sort();
  }

  #pagesIn(txn: Transaction, ns: string): number[] {
    const set = new Set(txn.deletes.has(ns) ? [] : this.#index.pages(ns, txn.snapshot));
    for (const w of txn.writes.values()) if (w.ns === ns) set.add(w.page);
    return [...set].sort((a, b) => a - b);
  }

  #recordPageSet(txn: Transaction, ns: string): void {
    if (!txn.pageSetReads.has(ns)) txn.pageSetReads.set(ns, this.#index.pages(ns, txn.snapshot).join(','));
  }

  /** What the transaction sees of a page (recording the read), or undefined if it does not exist. */
  async #readInTxn(txn: Transaction, ns: string, page: number): Promise<readonly Value[] | undefined> {
    const key = pageKey(ns, page);
    const own = txn.writes.get(key);
    if (own !== undefined) return own.objects;
    if (!this.#nsExistsIn(txn, ns)) {
      txn.recordRead(key, 0, 0);
      return undefined;
    }
    const v = this.#index.visible(ns, page, txn.snapshot);
    txn.recordRead(key, v?.seq ?? 0, v?.tsn ?? 0);
    return v === undefined ? undefined : this.#loadVersion(ns, page, v);
  }

  async #loadVersion(ns: string, page: number, v: Version): Promise<readonly Value[]> {
    const cacheKey = `${ns}\u0000${page}\u0000${v.tsn}`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const recent = this.#recentText.get(cacheKey);
    const text = recent !== undefined && hex8(crc32c(Buffer.from(recent, 'utf8'))) === v.crc ? recent : await this.versionText(ns, page, v);
    const objects = deepFreeze(parsePage(this.#adapter, text, path.relative(this.root, this.versionFile(ns, page, v.tsn))));
    this.#cache.set(cacheKey, objects);
    return objects;
  }

  /**
   * @internal The text of a committed version, checked against the CRC32C its commit
   * recorded. A file that is missing or damaged (lost with the OS cache under durability
   * 'commit', or hurt later) is rebuilt from the commit record's copy, and rewritten
   * unless the store is read-only. `ECORRUPT` if neither copy matches.
   */
  async versionText(ns: string, page: number, v: Version): Promise<string> {
    const file = this.versionFile(ns, page, v.tsn);
    const bytes: Buffer | undefined = await fs.readFile(file).catch(() => undefined);
    if (bytes !== undefined && hex8(crc32c(bytes)) === v.crc) return bytes.toString('utf8');
    if (v.logOffset === -1) {
      throw new StorageError('ECORRUPT', 'version file is missing or damaged and its commit record was compacted', { path: path.relative(this.root, file) });
    }
    const record = this.#log.readAt(v.logOffset);
    const w = record.tsn === v.tsn ? record.writes.find((x) => x.ns === ns && x.page === page) : undefined;
    const text = w === undefined ? undefined : Buffer.from(w.text, 'utf8');
    if (text === undefined || hex8(crc32c(text)) !== v.crc) {
      throw new StorageError('ECORRUPT', 'version file is damaged and its commit record does not match', { path: path.relative(this.root, file) });
    }
    if (!this.readOnly) {
      await fs.mkdir(path.dirname(file), { recursive: true }).catch(() => undefined);
      await writeFileAtomic(file, text, { sync: true }).catch((error: unknown) => this.#logWarning(`could not restore ${file}: ${String(error)}`));
    }
    return text.toString('utf8');
  }

  async #writeVersion(txn: Transaction, ns: string, page: number, objects: readonly Value[], text?: string): Promise<void> {
    // The callers hand over objects the store owns (copies taken at the API call, or pages it
    // read): frozen, so what commits and what this transaction reads back stay the same.
    const own = deepFreeze(objects);
    const body = text ?? serializePage(this.#adapter, ns, page, txn.tsn, objects);
    const bytes = Buffer.from(body, 'utf8');
    if (bytes.length > this.config.pageSize) {
      throw new StorageError('EINVAL', `page would be ${bytes.length} bytes, over the page size of ${this.config.pageSize}`, { path: `${ns}/${pageName(page)}` });
    }
    const file = this.versionFile(ns, page, txn.tsn);
    if (this.config.durability === 'commit') {
      // The file is written after the commit, from the text its record carries (VersionWriter).
      await this.#ensureFolder(ns);
    } else {
      // Cleanup (of any process) may remove the folder of a namespace with no committed pages
      // between our mkdir and our create; make it again. Cleanup spares young folders, so a
      // second loss means something else is removing folders: give up after a few.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#ensureFolder(ns);
          // Inline syncs when no other transaction of this store is open (see CommitLog.sync).
          await writeFileDirect(file, bytes, this.#active.size <= 1 ? 'inline' : true);
          break;
        } catch (error) {
          if (!isStorageError(error, 'ENOENT') || attempt === 5) throw error;
          this.#durableDirs.delete(namespaceFolder(ns));
        }
      }
    }
    txn.writes.set(pageKey(ns, page), { ns, page, objects: own, text: body, crc: hex8(crc32c(bytes)), file });
  }

  /** Makes the namespace's folder (durable with 'always'); a promise only when it is not known to exist. */
  #ensureFolder(ns: string): Promise<void> | undefined {
    const rel = namespaceFolder(ns);
    return this.#durableDirs.has(rel) ? undefined : this.#makeFolder(rel);
  }

  async #makeFolder(rel: string): Promise<void> {
    const dir = path.join(this.root, rel);
    try {
      await fs.mkdir(dir, { recursive: true });
      if (this.config.durability === 'always') {
        // Make every new folder's entry durable, up to the store root.
        for (let d = dir; d !== this.root; d = path.dirname(d)) await fsyncDir(path.dirname(d));
      }
    } catch (error) {
      throw fromNodeError(error, rel, 'create namespace folder');
    }
    this.#durableDirs.add(rel);
  }

  async #createIn(txn: Transaction, ns: string): Promise<void> {
    txn.creates.add(ns);
    await this.#ensureFolder(ns);
  }

  async #deleteIn(txn: Transaction, ns: string): Promise<void> {
    await this.#touch(txn, ns);
    this.#recordPageSet(txn, ns);
    for (const page of this.#pagesIn(txn, ns)) {
      const key = pageKey(ns, page);
      const own = txn.writes.get(key);
      if (own !== undefined) {
        txn.writes.delete(key);
        await fs.unlink(own.file).catch(() => undefined);
      } else {
        const v = this.#index.visible(ns, page, txn.snapshot);
        txn.recordRead(key, v?.seq ?? 0, v?.tsn ?? 0);
      }
    }
    const existed = this.#index.nsExists(ns, txn.snapshot);
    txn.creates.delete(ns);
    if (existed) txn.deletes.add(ns);
  }

  /** Waits until no other transaction (in any process) has an operation active on `namespaces`. */
  async #waitQuiet(txn: Transaction, namespaces: string[], waitMs = this.#options.namespaceWaitMs ?? 5000): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const busy = new Map<string, number>();
      for (const other of this.#active) {
        if (other === txn) continue;
        for (const ns of other.touched) if (namespaces.includes(ns)) busy.set(ns, (busy.get(ns) ?? 0) + 1);
      }
      for (const peer of readPeers(path.join(this.root, META_DIR, 'procs'))) {
        if (peer.token === this.#registry?.token) continue;
        if (!peer.alive) {
          forgetPeer(peer); // stale counts of a crashed process
          continue;
        }
        for (const ns of namespaces) if ((peer.ops[ns] ?? 0) > 0) busy.set(ns, (busy.get(ns) ?? 0) + (peer.ops[ns] ?? 0));
      }
      if (busy.size === 0) return;
      if (Date.now() >= deadline) {
        const [ns, n] = [...busy][0]!;
        throw new StorageError('ELOCKED', `namespace has ${n} active operation(s) of other transactions; gave up after ${waitMs} ms`, { path: ns });
      }
      await sleep(10);
    }
  }

  /** Runs `fn` after earlier commits of this store, so only one of them polls the file lock. */
  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#commitQueue.then(fn);
    this.#commitQueue = result.catch(() => undefined);
    return result;
  }

  async #commitLocked(txn: Transaction): Promise<CommitRecord> {
    this.#checkOpen();
    const release = await this.#commitLock!.acquire(this.#options.lockTimeoutMs ?? 30_000);
    try {
      this.#refresh();
      this.#log.cutTornTail();
      validateReads(this.#index, txn, this.#index.end);
      const writes = [...txn.writes.values()];
      const record: CommitRecord = {
        seq: this.#index.end + 1,
        tsn: txn.tsn,
        time: new Date().toISOString(),
        creates: [...txn.creates].sort(),
        deletes: [...txn.deletes].sort(),
        writes: writes.map((w) => ({ ns: w.ns, page: w.page, crc: w.crc, text: w.text })),
      };
      const logged = this.#log.append(record);
      this.#index.apply(logged);
      for (const w of writes) {
        const key = `${w.ns}\u0000${w.page}\u0000${txn.tsn}`;
        this.#cache.set(key, w.objects);
        this.#recentText.set(key, w.text);
        if (this.config.durability === 'commit') {
          this.#writer.add({ file: w.file, text: w.text, stillCurrent: () => this.#index.visible(w.ns, w.page, this.#index.end)?.tsn === txn.tsn });
        }
      }
      for (const ns of [...record.creates, ...record.deletes, ...writes.map((w) => w.ns)]) this.#versionsDirty.add(ns);
      this.#scheduleVersionsFiles();
      return logged;
    } finally {
      await release();
    }
  }

  /**
   * `.versions` files are a derived view: rewritten shortly after commits (off the commit
   * path, where a file replace costs as much as the commit's fsync), and on close.
   */
  #scheduleVersionsFiles(): void {
    if (this.#versionsTimer !== undefined) return;
    this.#versionsTimer = setTimeout(() => {
      this.#versionsTimer = undefined;
      void this.#writer.flush();
      this.#writeVersionsFiles();
    }, VERSIONS_DELAY_MS);
    this.#versionsTimer.unref();
  }

  #writeVersionsFiles(): void {
    if (this.#versionsDirty.size === 0) return;
    this.#refresh();
    for (const ns of this.#versionsDirty) {
      try {
        writeVersionsFile(this.root, this.#index, this.#adapter, ns);
      } catch (error) {
        this.#logWarning(`could not write .versions of ${ns}: ${String(error)}`);
      }
    }
    this.#versionsDirty.clear();
  }

  #logWarning(message: string): void {
    (this.#options.logger ?? ((m: string) => process.emitWarning(m, 'MvccPagesWarning')))(message);
  }

  #cleanupContext() {
    return {
      store: this,
      root: this.root,
      meta: path.join(this.root, META_DIR),
      adapter: this.#adapter,
      registryToken: this.#registry!.token,
      snapshots: () => this.#snapshots(),
      activeTsns: () => new Set([...this.#active].map((t) => t.tsn)),
      log: (m: string) => this.#logWarning(m),
    };
  }
}

/**
 * A frozen deep copy of objects a caller passed in, so later changes to its own objects
 * cannot reach a write that runs after awaits. What cannot be copied (functions, symbols)
 * cannot be page text either: `serialize` then throws the format adapter's `EINVAL` naming
 * the field, else a plain `EINVAL`.
 */
function ownCopy<T>(value: T, where: string, serialize: () => unknown): T {
  try {
    return deepFreeze(structuredClone(value));
  } catch (error) {
    serialize();
    throw new StorageError('EINVAL', `objects must be plain data (${(error as Error).message})`, { path: where, cause: error });
  }
}
