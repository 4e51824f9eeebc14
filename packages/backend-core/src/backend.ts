/**
 * The one interface every @store backend implements. Keys are `/`-separated paths
 * relative to the backend root (see path.ts for the rules); data is raw bytes.
 */
export interface StorageBackend {
  /** What this backend offers beyond the six core calls; see {@link BackendCapabilities}. */
  readonly supports?: Partial<BackendCapabilities>;

  /** Creates missing parents and replaces the file atomically; durable when it resolves. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** `ENOENT` for a missing file, `EISDIR` for a directory. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Names (not paths) of the files directly in `directory`, sorted by UTF-16 code unit.
   * With `{ recursive: true }` (capability `recursiveList`), paths relative to
   * `directory` of every file below it. A missing directory lists `[]`.
   */
  listFiles(directory: string, options?: ListOptions): Promise<string[]>;
  /** Creates the directory and its parents; idempotent. */
  createDirectory(path: string): Promise<void>;
  /** True for a file or a directory. */
  exists(path: string): Promise<boolean>;
  /** Idempotent on a missing file; `EISDIR` on a directory. */
  deleteFile(path: string): Promise<void>;

  /** Capability `stat`. */
  stat?(path: string): Promise<FileStat>;
  /** Capability `readRange`: up to `length` bytes from `offset`; shorter at end of file. */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Capability `rename`: atomically moves a file, replacing the destination. */
  rename?(from: string, to: string): Promise<void>;
  /**
   * Capability `tempRecovery`: removes the temp files that writers killed mid-write left
   * behind, if they are older than `maxAgeMs` (default: the backend's own threshold); younger
   * ones may belong to a write still running and are kept. Resolves to how many it removed.
   */
  recover?(options?: { maxAgeMs?: number }): Promise<number>;
  /** Releases handles or connections. Calls after `close()` fail with `ECLOSED`. */
  close?(): Promise<void>;
}

export interface ListOptions {
  recursive?: boolean;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

/**
 * The `supports` manifest. Consumers (and the conformance suite) test a flag before
 * using the matching optional method, so a backend can be small and still be honest.
 */
export interface BackendCapabilities {
  stat: boolean;
  readRange: boolean;
  recursiveList: boolean;
  rename: boolean;
  /**
   * Data outlives the process: a backend opened later (or by another process) over the
   * same location sees what this one wrote.
   */
  persistent: boolean;
  /**
   * A process killed mid-write (SIGKILL) leaves every file at its old or its new bytes, and
   * no temp file is listed. Only meaningful with `persistent`. When a backend does not
   * declare it, `capabilitiesOf` takes the value of `persistent`, which is what
   * `persistent` alone promised before the two were separate claims. Optional in this
   * type so that manifests written before it existed still compile.
   */
  crashSafe?: boolean;
  /**
   * Writes are staged in temp files in the storage itself, and the temp files a writer
   * killed mid-write leaves there (orphans) are never listed and are removed by `recover()`
   * once older than its age threshold. Optional (default false): a backend without temp
   * files of its own, or whose recovery runs elsewhere (a server), does not declare it.
   */
  tempRecovery?: boolean;
}

export const NO_CAPABILITIES: Readonly<Required<BackendCapabilities>> = Object.freeze({
  stat: false,
  readRange: false,
  recursiveList: false,
  rename: false,
  persistent: false,
  crashSafe: false,
  tempRecovery: false,
});

/**
 * The full manifest of a backend, with undeclared capabilities as `false`, except
 * `crashSafe`, which defaults to the declared `persistent` (its meaning before the split).
 */
export function capabilitiesOf(backend: StorageBackend): Required<BackendCapabilities> {
  const declared = backend.supports ?? {};
  return { ...NO_CAPABILITIES, ...declared, crashSafe: declared.crashSafe ?? declared.persistent ?? false };
}

/**
 * Who a file is and how it was when read, from the `fstat` of the descriptor its bytes came
 * from: device and inode number, size in bytes, modification and status-change times in
 * nanoseconds since the epoch (all bigint, as Node's `BigIntStats`, whose fields these are).
 */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * The stream `FilesystemBackend.openReadStream` hands out: at run time a Node `Readable` of
 * the file's bytes (so it can be piped, or sent as an HTTP body), typed here by the part
 * every caller uses so the package's types need no Node type definitions. Iterate it
 * (`for await`), or `destroy()` it to stop early.
 */
export interface FileReadStream extends AsyncIterable<Uint8Array> {
  destroy(error?: Error): unknown;
}
