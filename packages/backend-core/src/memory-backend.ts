import type { BackendCapabilities, FileStat, ListOptions, StorageBackend } from './backend.js';
import { StorageError } from './errors.js';
import { checkRange, compareCodeUnits, parseKey } from './path.js';

const CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  stat: true,
  readRange: true,
  recursiveList: true,
  rename: true,
  persistent: false,
  crashSafe: false,
});

interface MemoryFile {
  data: Uint8Array;
  mtimeMs: number;
}

/**
 * A complete in-process backend: same path rules, same errors, same listing order as
 * the filesystem backend, so code tested against it behaves the same on disk. Bytes are
 * copied in and out; a caller mutating its buffer never changes what is stored.
 */
export class MemoryBackend implements StorageBackend {
  readonly supports = CAPABILITIES;
  readonly #files = new Map<string, MemoryFile>();
  readonly #directories = new Set<string>(['']);
  #closed = false;

  async writeFile(key: string, data: Uint8Array): Promise<void> {
    const segments = this.#parse(key);
    if (!(data instanceof Uint8Array)) {
      throw new StorageError('EINVAL', 'data must be a Uint8Array', { path: key });
    }
    const full = segments.join('/');
    if (this.#directories.has(full)) throw new StorageError('EISDIR', 'is a directory', { path: key });
    this.#makeDirectories(segments.slice(0, -1), key, false);
    // new Uint8Array(x) copies; Buffer#slice would not (it returns a view).
    this.#files.set(full, { data: new Uint8Array(data), mtimeMs: Date.now() });
  }

  async readFile(key: string): Promise<Uint8Array> {
    return new Uint8Array(this.#file(this.#parse(key), key).data);
  }

  async listFiles(directory: string, options: ListOptions = {}): Promise<string[]> {
    const dir = this.#parse(directory, true).join('/');
    if (this.#files.has(dir)) throw new StorageError('ENOTDIR', 'not a directory', { path: directory });
    const prefix = dir === '' ? '' : `${dir}/`;
    const names: string[] = [];
    for (const name of this.#files.keys()) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (options.recursive === true || !rest.includes('/')) names.push(rest);
    }
    return names.sort(compareCodeUnits);
  }

  async createDirectory(key: string): Promise<void> {
    this.#makeDirectories(this.#parse(key, true), key, true);
  }

  async exists(key: string): Promise<boolean> {
    const full = this.#parse(key, true).join('/');
    return this.#files.has(full) || this.#directories.has(full);
  }

  async deleteFile(key: string): Promise<void> {
    const full = this.#parse(key).join('/');
    if (this.#directories.has(full)) throw new StorageError('EISDIR', 'is a directory', { path: key });
    this.#files.delete(full);
  }

  async stat(key: string): Promise<FileStat> {
    const full = this.#parse(key, true).join('/');
    if (this.#directories.has(full)) return { size: 0, mtimeMs: 0, isDirectory: true };
    const file = this.#files.get(full);
    if (file === undefined) throw new StorageError('ENOENT', 'no such file or directory', { path: key });
    return { size: file.data.byteLength, mtimeMs: file.mtimeMs, isDirectory: false };
  }

  async readRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const segments = this.#parse(key);
    checkRange(key, offset, length);
    return this.#file(segments, key).data.slice(offset, offset + length);
  }

  async rename(from: string, to: string): Promise<void> {
    const fromSegments = this.#parse(from);
    const source = this.#file(fromSegments, from);
    const toSegments = this.#parse(to);
    const target = toSegments.join('/');
    if (this.#directories.has(target)) throw new StorageError('EISDIR', 'is a directory', { path: to });
    this.#makeDirectories(toSegments.slice(0, -1), to, false);
    this.#files.delete(fromSegments.join('/'));
    this.#files.set(target, source);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #parse(key: string, allowRoot = false): string[] {
    if (this.#closed) throw new StorageError('ECLOSED', 'backend is closed', { path: key });
    return parseKey(key, { allowRoot });
  }

  #file(segments: string[], key: string): MemoryFile {
    const full = segments.join('/');
    const file = this.#files.get(full);
    if (file !== undefined) return file;
    if (this.#directories.has(full)) throw new StorageError('EISDIR', 'is a directory', { path: key });
    throw new StorageError('ENOENT', 'no such file', { path: key });
  }

  /** Validates the whole chain first so a failure leaves no directory half-made. */
  #makeDirectories(segments: string[], key: string, leafIsTarget: boolean): void {
    for (let i = 1; i <= segments.length; i++) {
      if (this.#files.has(segments.slice(0, i).join('/'))) {
        const code = leafIsTarget && i === segments.length ? 'EEXIST' : 'ENOTDIR';
        throw new StorageError(code, `'${segments.slice(0, i).join('/')}' is a file, not a directory`, { path: key });
      }
    }
    for (let i = 1; i <= segments.length; i++) this.#directories.add(segments.slice(0, i).join('/'));
  }
}
