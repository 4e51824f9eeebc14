import { constants as bufferConstants } from 'node:buffer';
import { closeSync, createReadStream, fdatasync as fdatasyncCallback, fstatSync, lstatSync, mkdirSync, openSync, read as readCallback, readSync, realpathSync, renameSync, rmdirSync, statSync, writeSync, type BigIntStats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import path from 'node:path';
import type { BackendCapabilities, FileIdentity, FileReadStream, FileStat, ListOptions, StorageBackend } from './backend.js';
import { CallOrder } from './call-order.js';
import { DirectorySync } from './directory-sync.js';
import { StorageError, fromNodeError } from './errors.js';
import { checkRange, compareCodeUnits, isTempName, parseKey } from './path.js';
import { checkRegular, isInside, openDirectForReadSync, openRegularForRead, openRegularForReadSync, prepareTemp } from './host-file.js';
import { DEFAULT_TEMP_MAX_AGE_MS, nextTempName } from './temp-file.js';
import { WriteCopies } from './write-copies.js';

export interface FilesystemBackendOptions {
  /**
   * `'fsync'` (default): `writeFile`, `deleteFile`, `rename` and `createDirectory` are
   * on stable storage when they resolve (file fsync, rename, directory fsync).
   * `'none'`: still atomic (temp file + rename) but may be lost in a power failure.
   */
  durability?: 'fsync' | 'none';
  /** Temp files older than this are orphans of a crashed writer and get removed. */
  tempMaxAgeMs?: number;
  /** Mode bits for new files, before the umask. Default `0o666`. */
  fileMode?: number;
}

/** Writes up to this size are copied into the page cache synchronously (see writeNewFile). */
const SYNC_WRITE_MAX = 64 * 1024;

const fdatasync = promisify(fdatasyncCallback);
const readAsync = promisify(readCallback);

/**
 * Reads up to this size are done inline (open, fstat, read, close without a thread-pool
 * round trip): copying a small file from the page cache costs microseconds, each
 * thread-pool hop tens (measured with the server's GET benchmark). Bigger files are read
 * on the pool so the event loop is never held for a long copy.
 */
const SYNC_READ_MAX = 64 * 1024;

/**
 * The largest file one `readFile` can return: it is one Buffer, and a Buffer holds at most
 * `buffer.constants.MAX_LENGTH` bytes (4 GiB on 64-bit Node 20+). Beyond that the
 * allocation itself fails (a RangeError that would surface as an `EIO` "read failed"
 * although the disk is fine); such a file is refused up front and read with `readRange`.
 */
const READ_FILE_MAX = bufferConstants.MAX_LENGTH;

/**
 * The bytes of the regular file open at `fd`, whose fstat size was `size`: that many bytes,
 * fewer if it shrank meanwhile.
 */
function readSmallFile(fd: number, size: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const n = readSync(fd, buffer, filled, size - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return filled === size ? buffer : buffer.subarray(0, filled);
}

/**
 * A file whose fstat size is 0 is read to its end, as fs.readFile does (some files report
 * 0 and still have content): one inline probe, which settles the common truly-empty case,
 * then the thread pool for whatever follows.
 */
async function readUnsized(fd: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const n = position === 0 ? readSync(fd, chunk, 0, chunk.byteLength, 0) : (await readAsync(fd, chunk, 0, chunk.byteLength, position)).bytesRead;
    if (n === 0) return chunks.length === 0 ? new Uint8Array(0) : Buffer.concat(chunks);
    chunks.push(chunk.subarray(0, n));
    position += n;
  }
}

/** As readSmallFile, on the thread pool. */
async function readLargeFile(fd: number, size: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await readAsync(fd, buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === size ? buffer : buffer.subarray(0, filled);
}

/**
 * Creates `file` (which must not exist) holding `data`, fdatasynced if `durable`.
 * Small files only copy into the page cache: doing that inline costs a few microseconds,
 * while each thread-pool round trip costs tens. Only the fsync, which waits for the
 * disk, goes to the pool. Large files are written asynchronously so the event loop is
 * never held for the length of a big copy.
 */
async function writeNewFile(file: string, data: Uint8Array, mode: number, durable: boolean, prepare: (fd: number) => void): Promise<void> {
  if (data.byteLength > SYNC_WRITE_MAX) {
    const handle = await fs.open(file, 'wx', mode);
    try {
      prepare(handle.fd);
      await handle.writeFile(data);
      if (durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    return;
  }
  const fd = openSync(file, 'wx', mode);
  try {
    prepare(fd);
    for (let offset = 0; offset < data.byteLength; ) offset += writeSync(fd, data, offset, data.byteLength - offset);
    if (durable) await fdatasync(fd);
  } finally {
    closeSync(fd);
  }
}

const CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  stat: true,
  readRange: true,
  recursiveList: true,
  rename: true,
  persistent: true,
  crashSafe: true,
  tempRecovery: true,
});

/**
 * A StorageBackend over a directory of the local file system. Every key is resolved
 * with `realpath` and checked against the real root, so neither `..` (rejected by the
 * path rules) nor a symlink planted inside the root can reach a file outside it.
 */
export class FilesystemBackend implements StorageBackend {
  readonly root: string;
  readonly supports = CAPABILITIES;
  readonly durability: 'fsync' | 'none';
  readonly #tempMaxAgeMs: number;
  readonly #fileMode: number;
  readonly #dirSync = new DirectorySync();
  readonly #order = new CallOrder();
  /** Copies of the bytes of writes in flight; up to 16 MiB of large copy buffers kept for reuse. */
  readonly #copies = new WriteCopies(16 * 1024 * 1024);
  /** New directories whose parent fsync is still running, by real host path. */
  readonly #directoriesBeingSynced = new Map<string, Promise<void>>();
  #realRoot: Promise<string> | undefined;
  /** The resolved #realRoot, for synchronous checks (set before any key is resolved). */
  #realRootSync: string | undefined;
  #closed = false;

  constructor(root: string, options: FilesystemBackendOptions = {}) {
    this.root = path.resolve(root);
    this.durability = options.durability ?? 'fsync';
    this.#tempMaxAgeMs = options.tempMaxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS;
    this.#fileMode = options.fileMode ?? 0o666;
  }

  async writeFile(key: string, data: Uint8Array): Promise<void> {
    const segments = this.#parse(key);
    if (!(data instanceof Uint8Array)) {
      throw new StorageError('EINVAL', 'data must be a Uint8Array', { path: key });
    }
    // The bytes are written after awaits: copy them now, so what the caller does with its
    // buffer once the call has returned cannot change what is stored (conformance SB-BYTES-07).
    const copy = this.#copies.copy(data);
    data = copy.body;
    // Registered before the first await, so writes to one key land in call order.
    const turn = this.#order.enter([segments.join('/')]);
    let dir: string;
    try {
      dir = await this.#ensureDirectory(segments.slice(0, -1), key);
      const root = await this.#rootReal();
      const target = path.join(dir, segments[segments.length - 1]!);
      const temp = path.join(dir, nextTempName());
      try {
        await writeNewFile(temp, data, this.#fileMode, this.durability === 'fsync', (fd) => prepareTemp(fd, temp, target, root, key));
        if (turn.ready !== undefined) await turn.ready;
        renameSync(temp, target);
      } catch (error) {
        await fs.unlink(temp).catch(() => undefined);
        throw fromNodeError(error, key, 'write');
      }
    } finally {
      turn.release();
      copy.release();
    }
    if (this.durability === 'fsync') await this.#syncDirectory(dir, key);
  }

  async readFile(key: string): Promise<Uint8Array> {
    return (await this.#read(key, false)).data;
  }

  /**
   * `readFile`, plus the `fstat` (bigint: nanosecond times) of the very descriptor the bytes
   * came from, taken after the read. For caches validated by file identity: a `stat` of the
   * path before and after a read cannot prove which file the read opened in between (a
   * directory above it may be swapped away and back), this can — the bytes are of the
   * inode `stat.dev`/`stat.ino`, at that size and those times, unless it changed during the
   * read, which moves its ctime past a `stat` taken before. Same errors as `readFile`.
   */
  async readFileWithStat(key: string): Promise<{ data: Uint8Array; stat: FileIdentity }> {
    const { data, stat } = await this.#read(key, true);
    return { data, stat: stat! };
  }

  /**
   * The file as a stream, for files too large to hold in memory: its size (bytes, from the
   * `fstat` of the opened descriptor) and a Readable of exactly its bytes, all from that one
   * descriptor — a file replaced by `writeFile` (rename) meanwhile is read whole as it was
   * when opened, never a mix of two versions. The path checks and errors are `readFile`'s
   * (`ENOENT`, `EISDIR`, `EACCES` for a way out of the root). Destroy the stream to stop
   * early; the descriptor is closed either way.
   */
  async openReadStream(key: string): Promise<{ size: number; stream: FileReadStream }> {
    const { fd, size } = await this.#open(key);
    const stream = createReadStream('', { fd, start: 0, end: Math.max(0, size - 1), autoClose: true, highWaterMark: 1 << 20 });
    if (size === 0) {
      // createReadStream has no empty range (end is inclusive): hand out an empty stream.
      stream.destroy();
      return { size, stream: Readable.from([]) };
    }
    return { size, stream };
  }

  /** Opens `key` for reading after the path checks: the descriptor and its fstat size. */
  async #open(key: string): Promise<{ fd: number; size: number }> {
    const segments = this.#parse(key);
    const root = this.#realRootSync ?? (await this.#rootReal());
    // Without a symlink on the way the key's plain path is the file: no realpath needed.
    const opened = openDirectForReadSync(path.join(root, ...segments), root, key);
    if (opened !== undefined) return opened;
    const real = await this.#resolveExisting(segments, key);
    if (real === undefined) throw new StorageError('ENOENT', 'no such file', { path: key });
    return openRegularForReadSync(real, root, key);
  }

  async #read(key: string, withStat: boolean): Promise<{ data: Uint8Array; stat: BigIntStats | undefined }> {
    const { fd, size } = await this.#open(key);
    try {
      if (size > READ_FILE_MAX) {
        throw new StorageError('EINVAL', `file is ${size} bytes, more than one readFile can return (${READ_FILE_MAX}); read it in parts with readRange`, { path: key });
      }
      const data = size === 0 ? await readUnsized(fd) : size <= SYNC_READ_MAX ? readSmallFile(fd, size) : await readLargeFile(fd, size);
      return { data, stat: withStat ? fstatSync(fd, { bigint: true }) : undefined };
    } catch (error) {
      throw fromNodeError(error, key, 'read');
    } finally {
      closeSync(fd);
    }
  }

  async listFiles(directory: string, options: ListOptions = {}): Promise<string[]> {
    const segments = this.#parse(directory, true);
    const real = await this.#resolveExisting(segments, directory);
    if (real === undefined) return [];
    const names: string[] = [];
    await this.#collect(real, '', options.recursive === true, names, directory);
    return names.sort(compareCodeUnits);
  }

  async createDirectory(key: string): Promise<void> {
    await this.#ensureDirectory(this.#parse(key, true), key, true);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#resolveExisting(this.#parse(key, true), key)) !== undefined;
  }

  async deleteFile(key: string): Promise<void> {
    const segments = this.#parse(key);
    const turn = this.#order.enter([segments.join('/')]);
    let dir: string | undefined;
    try {
      // After the earlier calls on this key: one of them may create the directory.
      if (turn.ready !== undefined) await turn.ready;
      dir = await this.#resolveExisting(segments.slice(0, -1), key);
      if (dir === undefined) return;
      const target = path.join(dir, segments[segments.length - 1]!);
      try {
        await fs.unlink(target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code === 'EPERM' || code === 'EISDIR') {
          const st = await fs.lstat(target).catch(() => undefined);
          if (st?.isDirectory()) throw new StorageError('EISDIR', 'is a directory', { path: key });
        }
        throw fromNodeError(error, key, 'delete');
      }
    } finally {
      turn.release();
    }
    if (this.durability === 'fsync') await this.#syncDirectory(dir, key);
  }

  async stat(key: string): Promise<FileStat> {
    const real = await this.#resolveExisting(this.#parse(key, true), key);
    if (real === undefined) throw new StorageError('ENOENT', 'no such file or directory', { path: key });
    try {
      const st = await fs.stat(real);
      if (!st.isDirectory()) checkRegular(st, key);
      return { size: st.isDirectory() ? 0 : st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() };
    } catch (error) {
      throw fromNodeError(error, key, 'stat');
    }
  }

  async readRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return (await this.#readRange(key, offset, length, false)).data;
  }

  /**
   * `readRange`, plus the `fstat` (bigint) of the very descriptor the bytes came from, taken
   * after the read: the size and times of the file the bytes belong to, for an answer that
   * pairs a slice with its file's size (HTTP `Content-Range`). A `stat` of the path before
   * or after cannot vouch for that (a directory above may be swapped away and back between).
   * Same errors as `readRange`.
   */
  async readRangeWithStat(key: string, offset: number, length: number): Promise<{ data: Uint8Array; stat: FileIdentity }> {
    const { data, stat } = await this.#readRange(key, offset, length, true);
    return { data, stat: stat! };
  }

  async #readRange(key: string, offset: number, length: number, withStat: boolean): Promise<{ data: Uint8Array; stat: BigIntStats | undefined }> {
    const segments = this.#parse(key);
    checkRange(key, offset, length);
    const real = await this.#resolveExisting(segments, key);
    if (real === undefined) throw new StorageError('ENOENT', 'no such file', { path: key });
    const { handle, size: fileSize } = await openRegularForRead(real, await this.#rootReal(), key);
    try {
      const size = Math.max(0, Math.min(length, fileSize - offset));
      const buffer = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(buffer, filled, size - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { data: buffer.subarray(0, filled), stat: withStat ? await handle.stat({ bigint: true }) : undefined };
    } catch (error) {
      throw fromNodeError(error, key, 'read');
    } finally {
      await handle.close();
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const fromSegments = this.#parse(from);
    const toSegments = this.#parse(to);
    const turn = this.#order.enter([fromSegments.join('/'), toSegments.join('/')]);
    let fromDir: string | undefined;
    let toDir: string;
    try {
      if (turn.ready !== undefined) await turn.ready;
      fromDir = await this.#resolveExisting(fromSegments.slice(0, -1), from);
      if (fromDir === undefined) throw new StorageError('ENOENT', 'no such file', { path: from });
      const source = path.join(fromDir, fromSegments[fromSegments.length - 1]!);
      toDir = await this.#ensureDirectory(toSegments.slice(0, -1), to);
      const st = await fs.lstat(source).catch((error: unknown) => {
        throw fromNodeError(error, from, 'rename');
      });
      if (st.isDirectory()) throw new StorageError('EISDIR', 'only files can be renamed', { path: from });
      try {
        // The moved file keeps its own mode and owner, as with rename(2) and mv.
        await fs.rename(source, path.join(toDir, toSegments[toSegments.length - 1]!));
      } catch (error) {
        throw fromNodeError(error, to, 'rename');
      }
    } finally {
      turn.release();
    }
    if (this.durability === 'fsync') {
      await this.#syncDirectory(toDir, to);
      if (toDir !== fromDir) await this.#syncDirectory(fromDir, from);
    }
  }

  /**
   * Removes temp files left by writers that crashed, anywhere under the root. Only
   * files older than `maxAgeMs` go: a younger one may belong to a write in progress.
   * Returns how many were removed. `listFiles` does the same, lazily, per directory.
   */
  async recover(options: { maxAgeMs?: number } = {}): Promise<number> {
    this.#assertOpen('/');
    const maxAge = options.maxAgeMs ?? this.#tempMaxAgeMs;
    const root = await this.#rootReal();
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && isTempName(entry.name) && (await removeIfOlder(full, maxAge))) removed++;
      }
    };
    await walk(root);
    return removed;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #parse(key: string, allowRoot = false): string[] {
    this.#assertOpen(key);
    return parseKey(key, { allowRoot });
  }

  #assertOpen(key: string): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'backend is closed', { path: key });
  }

  #rootReal(): Promise<string> {
    this.#realRoot ??= (async () => {
      await fs.mkdir(this.root, { recursive: true });
      this.#realRootSync = await fs.realpath(this.root);
      return this.#realRootSync;
    })().catch((error: unknown) => {
      this.#realRoot = undefined;
      throw fromNodeError(error, '/', 'open root');
    });
    return this.#realRoot;
  }

  /** The real host path of an existing key, or undefined if it does not exist. */
  async #resolveExisting(segments: string[], key: string): Promise<string | undefined> {
    const root = await this.#rootReal();
    if (segments.length === 0) return root;
    let real: string;
    try {
      // Inline: realpath is a handful of lstat calls, cheaper than a thread-pool hop.
      real = realpathSync.native(path.join(root, ...segments));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw fromNodeError(error, key, 'resolve');
    }
    assertInside(root, real, key);
    return real;
  }

  /**
   * Creates the directory (and parents) if needed and returns its real host path. A new
   * directory is durable only once its parent is fsynced; a concurrent caller that finds
   * the directory already there waits for that fsync too, so its own write cannot resolve
   * "durable" inside a directory that a power failure could still take away.
   */
  async #ensureDirectory(segments: string[], key: string, leafIsTarget = false): Promise<string> {
    const existing = await this.#resolveExisting(segments, key);
    if (existing !== undefined) {
      if (segments.length > 0 && !statSync(existing).isDirectory()) throw notADirectory(segments, key, leafIsTarget);
      await this.#directoriesBeingSynced.get(existing);
      return existing;
    }
    const parent = await this.#ensureDirectory(segments.slice(0, -1), key);
    const dir = path.join(parent, segments[segments.length - 1]!);
    try {
      mkdirSync(dir);
      this.#checkMadeInside(dir, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError(error, key, 'mkdir');
      // Here realpath said "missing" but mkdir says "exists": a concurrent creator, or a
      // symlink that points nowhere (following it again would loop forever).
      const st = lstatSync(dir);
      if (st.isSymbolicLink()) throw new StorageError('EACCES', 'path runs through a dangling symlink', { path: key });
      if (!st.isDirectory()) throw notADirectory(segments, key, leafIsTarget);
      await this.#directoriesBeingSynced.get(dir);
      if (this.durability === 'fsync') await this.#syncDirectory(parent, key); // the creator may be another process
      return dir;
    }
    if (this.durability === 'fsync') {
      const synced = this.#syncDirectory(parent, key);
      this.#directoriesBeingSynced.set(dir, synced);
      try {
        await synced;
      } finally {
        if (this.#directoriesBeingSynced.get(dir) === synced) this.#directoriesBeingSynced.delete(dir);
      }
    }
    return dir;
  }

  /**
   * mkdir goes by path: a directory on the way swapped for a symlink after it was resolved
   * would put the new directory outside the root. Check where it landed; remove it if outside.
   */
  #checkMadeInside(dir: string, key: string): void {
    const real = realpathSync.native(dir);
    const root = this.#realRootSync!;
    if (isInside(root, real)) return;
    try {
      rmdirSync(real);
    } catch {
      // not ours to remove any more
    }
    throw new StorageError('EACCES', 'path resolves outside the backend root (a directory was replaced by a symlink)', { path: key });
  }

  async #syncDirectory(dir: string, key: string): Promise<void> {
    try {
      await this.#dirSync.sync(dir);
    } catch (error) {
      throw fromNodeError(error, key, 'fsync directory');
    }
  }

  async #collect(dir: string, prefix: string, recursive: boolean, out: string[], key: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      throw fromNodeError(error, key, 'list');
    }
    for (const entry of entries) {
      if (entry.isFile()) {
        if (isTempName(entry.name)) {
          await removeIfOlder(path.join(dir, entry.name), this.#tempMaxAgeMs);
          continue;
        }
        out.push(prefix + entry.name);
      } else if (recursive && entry.isDirectory()) {
        await this.#collect(path.join(dir, entry.name), `${prefix}${entry.name}/`, true, out, key);
      }
    }
  }
}

/** A file where a directory is needed: `EEXIST` when it is the directory asked for, else `ENOTDIR`. */
function notADirectory(segments: string[], key: string, leafIsTarget: boolean): StorageError {
  return new StorageError(leafIsTarget ? 'EEXIST' : 'ENOTDIR', `'${segments.join('/')}' is a file, not a directory`, { path: key });
}

function assertInside(root: string, real: string, key: string): void {
  if (!isInside(root, real)) {
    throw new StorageError('EACCES', 'path resolves outside the backend root (symlink)', { path: key });
  }
}

async function removeIfOlder(file: string, maxAgeMs: number): Promise<boolean> {
  try {
    const st = await fs.lstat(file);
    if (Date.now() - st.mtimeMs < maxAgeMs) return false;
    await fs.unlink(file);
    return true;
  } catch {
    return false;
  }
}
