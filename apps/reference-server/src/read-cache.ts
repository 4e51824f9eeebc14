import { realpathSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { FilesystemBackend, type FileIdentity, type StorageBackend } from '@store/backend-core';
import { etagOf } from './etag.js';

/** Files up to this size are kept (the small files a GET is dominated by opening and checking). */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * A file is cached only when its last change (ctime) is at least this much older than the
 * moment its stat was taken ("racy-clean", as git's index does it). The kernel stamps
 * ctime from a coarse clock (one tick: 1–10 ms), so two writes within one tick can leave
 * the same ctime; a file not changed for this long cannot be changed again without its
 * ctime moving to a later tick.
 */
const SETTLED_NS = 2_000_000_000n;

/**
 * What an entry costs beside its bytes and key (UTF-16: 2 bytes a character), counted
 * against the budget: the entry object, its five bigints, the ETag string, the ArrayBuffer
 * of the copy and the LRU's slots. About 330 bytes measured (60,000 entries of empty files:
 * 18.8 MiB of heap); the old figure, 64, let a directory of tiny files take ~5x the budget.
 */
const ENTRY_OVERHEAD = 384;

/** What a read answers: the bytes (shared with the cache: never mutate them) and their ETag. */
export interface FileRead {
  data: Uint8Array;
  etag: string;
}

interface Entry extends FileRead {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

function statOf(host: string): BigIntStats | undefined {
  try {
    return statSync(host, { bigint: true, throwIfNoEntry: false });
  } catch {
    // ENOTDIR, ELOOP, EACCES, …: the backend's own read gives the right answer and error.
    return undefined;
  }
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Small-file read cache of the files routes over a FilesystemBackend: a GET of a cached,
 * unchanged file costs one `stat` instead of open + check of the descriptor's real path
 * (`readlink /proc/self/fd`) + fstat + read + close + SHA-256 for the ETag.
 *
 * Validation: a hit needs the key's host path to resolve to the very inode (device, inode
 * number) the bytes were read from, with the same size, mtime and ctime (nanoseconds).
 * Every write to a file's data or metadata (write, truncate, chmod, link, unlink, rename of
 * the file) moves its ctime, which no process can set back, and the backend replaces files
 * by rename (a new inode), so a hit is the current content. Only files whose ctime had
 * settled (see SETTLED_NS) are cached.
 *
 * Path safety: a miss is read by the backend (realpath / descriptor checks against the
 * root, as always), and only those bytes enter the cache. A hit serves bytes of an inode the
 * backend read inside the root and that has not changed since; a symlink swapped in later
 * that leads to any other file misses and goes to the backend, which refuses it.
 */
export class FileReadCache {
  readonly #backend: FilesystemBackend;
  /** The real root with a trailing separator. */
  readonly #prefix: string;
  readonly #entries: LRUCache<string, Entry>;
  #hits = 0;

  private constructor(backend: FilesystemBackend, root: string, maxBytes: number) {
    this.#backend = backend;
    this.#prefix = root.endsWith(path.sep) ? root : root + path.sep;
    this.#entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry, key) => entry.data.byteLength + 2 * key.length + ENTRY_OVERHEAD });
  }

  /** A cache for `backend` when it is a FilesystemBackend (the only one with host paths), else undefined. */
  static for(backend: StorageBackend, maxBytes: number): FileReadCache | undefined {
    if (!(backend instanceof FilesystemBackend) || maxBytes <= 0) return undefined;
    let root: string;
    try {
      root = realpathSync.native(backend.root);
    } catch {
      return undefined;
    }
    return new FileReadCache(backend, root, maxBytes);
  }

  /** The bytes and ETag of `key` (a key already checked by the path rules); errors are the backend's. */
  async read(key: string): Promise<FileRead> {
    return (await this.readUpTo(key, Infinity))!;
  }

  /** `read`, or `undefined` when the path names a file over `wholeMax` bytes (not read: the caller streams it). */
  async readUpTo(key: string, wholeMax: number): Promise<FileRead | undefined> {
    // The key passed the path rules (no empty, `.` or `..` segment, no backslash or NUL): joining
    // it needs no normalising, and path.join showed in the GET profile.
    const host = this.#prefix + key;
    const before = statOf(host);
    if (before !== undefined && before.isFile() && before.size > wholeMax) return undefined;
    const hit = this.#entries.get(key);
    if (hit !== undefined && before !== undefined && sameFile(hit, before)) {
      this.#hits++;
      return hit;
    }
    // The stat of the very descriptor the bytes came from: stats of the path before and after
    // the read cannot tell which file the read opened in between (a directory above it
    // swapped away and back would pass both).
    const { data, stat: read } = await this.#backend.readFileWithStat(key);
    const etag = etagOf(data);
    if (
      before !== undefined &&
      before.isFile() &&
      data.byteLength <= MAX_FILE_BYTES &&
      before.size === BigInt(data.byteLength) &&
      before.ctimeNs + SETTLED_NS < BigInt(Date.now()) * 1_000_000n &&
      // The inode read is the one the path named before the read, unchanged through the read
      // (a change during it moves its ctime past the settled one)…
      sameFile(before, read)
    ) {
      // …and the path still names it.
      const after = statOf(host);
      if (after !== undefined && sameFile(before, after)) {
        // A copy of its own: a small read is a slice of Buffer's shared 8 KiB pool, which the entry would pin.
        this.#entries.set(key, { data: new Uint8Array(data), etag, dev: before.dev, ino: before.ino, size: before.size, mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs });
        return { data, etag };
      }
    }
    this.#entries.delete(key);
    return { data, etag };
  }

  /** Reads answered from the cache so far (for tests and diagnostics). */
  get hits(): number {
    return this.#hits;
  }

  /** Drops `key` (after a write or delete through the server; the stat check would catch it too). */
  forget(key: string): void {
    this.#entries.delete(key);
  }
}
