import {
  checkRange,
  ERROR_CODES,
  parseKey,
  StorageError,
  type BackendCapabilities,
  type FileStat,
  type ListOptions,
  type StorageBackend,
  type StorageErrorCode,
} from '@store/backend-core';

export interface HttpBackendOptions {
  /** Base URL of a reference server, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Every key lives under this key prefix on the server (`/`-separated; default: the root). */
  prefix?: string;
  /** Per-request time limit in milliseconds. Default 120 000. */
  timeoutMs?: number;
  /**
   * Whether the server's storage outlives a crash of the server (true for its default
   * FilesystemBackend). Declared as the `persistent` capability. Default true.
   */
  persistent?: boolean;
  /**
   * Whether the server's backend can rename (its default FilesystemBackend can; a server
   * on S3 cannot and answers 501). Declared as the `rename` capability. Default true.
   */
  rename?: boolean;
}

interface ErrorJson {
  error?: { code?: unknown; message?: unknown; path?: unknown };
}

interface StatJson {
  exists: boolean;
  size?: number;
  mtimeMs?: number;
  isDirectory?: boolean;
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/**
 * A StorageBackend over the files routes of the @store reference server
 * (`PUT|GET|HEAD|DELETE /v1/files/<key>`, `POST …?to=` to rename), using Node's fetch. Keys are checked with the
 * backend-core path rules before any request is made; each segment is percent-encoded, so
 * any name the rules allow (Unicode included) round-trips. Writes and deletes of one key
 * are sent one after another, so they take effect in call order even when the caller does
 * not await them; a read waits for the writes to its key issued before it.
 *
 * Errors are `StorageError`s: the server's code (ENOENT, EISDIR, EINVAL, …) and message,
 * with the key (relative to `prefix`) as `path`; a request that fails on the network is `EIO`.
 */
export class HttpBackend implements StorageBackend {
  readonly url: string;
  readonly prefix: string;
  readonly supports: Readonly<BackendCapabilities>;
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #tails = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: HttpBackendOptions) {
    if (typeof options?.url !== 'string' || options.url === '') throw new StorageError('EINVAL', 'url is required', { field: 'url' });
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new StorageError('EINVAL', `url is not a URL: '${options.url}'`, { field: 'url' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new StorageError('EINVAL', `url must be http or https, got '${parsed.protocol}'`, { field: 'url' });
    this.url = parsed.href.replace(/\/+$/, '');
    this.prefix = parseKey(options.prefix ?? '', { allowRoot: true }).join('/');
    this.#base = `${this.url}/v1/files/${this.prefix === '' ? '' : `${encodeKey(this.prefix)}/`}`;
    this.#headers = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.supports = Object.freeze({ stat: true, readRange: true, recursiveList: true, rename: options.rename ?? true, persistent: options.persistent ?? true });
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const key = this.#key(path);
    if (!(data instanceof Uint8Array)) throw new StorageError('EINVAL', 'data must be a Uint8Array', { path, field: 'data' });
    // fetch reads the body after awaits (and a write may wait for an earlier one of its key):
    // send a copy taken now, so the caller's later changes to its buffer are not stored.
    const body = new Uint8Array(data);
    await this.#serial(key, async () => {
      await this.#expect(await this.#request('PUT', `${this.#base}${encodeKey(key)}`, key, body), key, [200]);
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    const key = this.#key(path);
    await this.#tails.get(key);
    const response = await this.#request('GET', `${this.#base}${encodeKey(key)}`, key);
    await this.#expect(response, key, [200]);
    return new Uint8Array(await response.arrayBuffer());
  }

  async listFiles(directory: string, options: ListOptions = {}): Promise<string[]> {
    const key = this.#key(directory, true);
    const query = options.recursive === true ? '?recursive=1' : '';
    const response = await this.#request('GET', `${this.#dirUrl(key)}${query}`, key);
    await this.#expect(response, key, [200]);
    const names = (await response.json()) as unknown;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new StorageError('EIO', 'server answered a listing that is not an array of names', { path: directory });
    return names as string[];
  }

  async createDirectory(path: string): Promise<void> {
    const key = this.#key(path, true);
    await this.#serial(key, async () => {
      await this.#expect(await this.#request('PUT', this.#dirUrl(key), key), key, [200]);
    });
  }

  async exists(path: string): Promise<boolean> {
    return (await this.#stat(this.#key(path, true))).exists;
  }

  async deleteFile(path: string): Promise<void> {
    const key = this.#key(path);
    await this.#serial(key, async () => {
      await this.#expect(await this.#request('DELETE', `${this.#base}${encodeKey(key)}`, key), key, [204]);
    });
  }

  async stat(path: string): Promise<FileStat> {
    const key = this.#key(path, true);
    const st = await this.#stat(key);
    if (!st.exists) throw new StorageError('ENOENT', 'no such file or directory', { path: key });
    return { size: st.size ?? 0, mtimeMs: st.mtimeMs ?? 0, isDirectory: st.isDirectory ?? false };
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const key = this.#key(path);
    checkRange(key, offset, length);
    await this.#tails.get(key);
    if (length === 0) {
      // No Range header can ask for zero bytes: check the file exists and is a file.
      const st = await this.stat(key);
      if (st.isDirectory) throw new StorageError('EISDIR', 'is a directory', { path: key });
      return new Uint8Array(0);
    }
    const response = await this.#request('GET', `${this.#base}${encodeKey(key)}`, key, undefined, { range: `bytes=${offset}-${offset + length - 1}` });
    if (response.status === 416) {
      await response.body?.cancel();
      return new Uint8Array(0);
    }
    await this.#expect(response, key, [200, 206]);
    const bytes = new Uint8Array(await response.arrayBuffer());
    // A server that ignores Range answers the whole file.
    return response.status === 200 ? bytes.slice(offset, offset + length) : bytes;
  }

  /**
   * `POST /v1/files/<from>?to=<to>`: the server renames atomically with its backend's
   * `rename`, replacing `to`. Ordered after earlier writes, deletes and renames of either
   * key through this instance. A server whose backend cannot rename answers 501, which
   * surfaces as `EIO` with the server's message.
   */
  async rename(from: string, to: string): Promise<void> {
    const fromKey = this.#key(from);
    const toKey = this.#key(to);
    const serverTo = this.prefix === '' ? toKey : `${this.prefix}/${toKey}`;
    await this.#serial([fromKey, toKey], async () => {
      const response = await this.#request('POST', `${this.#base}${encodeKey(fromKey)}?to=${encodeURIComponent(serverTo)}`, fromKey);
      // The server names the key at fault; report it as the caller named it.
      await this.#expect(response, fromKey, [200], (serverPath) => (serverPath === serverTo ? toKey : fromKey));
      await response.body?.cancel();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#tails.values()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #key(path: string, allowRoot = false): string {
    if (this.#closed) throw new StorageError('ECLOSED', 'backend is closed', { path: String(path) });
    return parseKey(path, { allowRoot }).join('/');
  }

  #dirUrl(key: string): string {
    return key === '' ? this.#base : `${this.#base}${encodeKey(key)}/`;
  }

  async #stat(key: string): Promise<StatJson> {
    await this.#tails.get(key);
    const response = await this.#request('GET', `${key === '' ? this.#base : `${this.#base}${encodeKey(key)}`}?stat=1`, key);
    await this.#expect(response, key, [200]);
    return (await response.json()) as StatJson;
  }

  /** Runs `fn` after every earlier write, delete or rename of `key` (or of each of `keys`) through this instance has settled. */
  #serial(key: string | string[], fn: () => Promise<void>): Promise<void> {
    const keys = typeof key === 'string' ? [key] : [...new Set(key)];
    const previous = keys.map((k) => this.#tails.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const run = previous.length === 0 ? fn() : (previous.length === 1 ? previous[0]! : Promise.all(previous)).then(fn);
    const tail = run.catch(() => undefined);
    for (const k of keys) this.#tails.set(k, tail);
    void tail.then(() => {
      for (const k of keys) if (this.#tails.get(k) === tail) this.#tails.delete(k);
    });
    return run;
  }

  async #request(method: string, url: string, key: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: { ...this.#headers, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/octet-stream' }) },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new StorageError('EIO', `${method} request failed: ${cause?.code ?? (error as Error).message}`, { path: key, cause: error });
    }
  }

  /** Throws the server's error (as a StorageError) unless the status is one of `ok`. */
  async #expect(response: Response, key: string, ok: number[], pathAtFault?: (serverPath: string | undefined) => string): Promise<void> {
    if (ok.includes(response.status)) {
      if (response.status === 204) await response.body?.cancel();
      return;
    }
    let json: ErrorJson | undefined;
    try {
      json = (await response.json()) as ErrorJson;
    } catch {
      json = undefined;
    }
    const serverCode = typeof json?.error?.code === 'string' ? json.error.code : '';
    const code: StorageErrorCode = KNOWN_CODES.has(serverCode) ? (serverCode as StorageErrorCode) : codeForStatus(response.status);
    const message = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${response.status}`;
    const serverPath = typeof json?.error?.path === 'string' ? json.error.path : undefined;
    throw new StorageError(code, `server: ${stripCode(message, serverCode)}`, { path: pathAtFault === undefined ? key : pathAtFault(serverPath) });
  }
}

function codeForStatus(status: number): StorageErrorCode {
  if (status === 404) return 'ENOENT';
  if (status === 401 || status === 403) return 'EACCES';
  if (status === 409 || status === 412) return 'ECONFLICT';
  if (status === 423) return 'ELOCKED';
  if (status >= 400 && status < 500) return 'EINVAL';
  return 'EIO';
}

/** The server's StorageError messages start with their code; ours adds it again. */
function stripCode(message: string, code: string): string {
  return code !== '' && message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
