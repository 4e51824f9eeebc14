import type { StorageBackend } from '@store/backend-core';
import type { ResourceRegistry } from './resource-registry.js';

/** Every limit the server enforces; each is named in the error a client gets when it is hit. */
export interface Limits {
  /** Largest request body in bytes (413 `maxBodyBytes`). Default 64 MiB. */
  maxBodyBytes: number;
  /** Longest request target (path + query) in bytes (414 `maxUrlBytes`). Default 4096. */
  maxUrlBytes: number;
  /** Most events in one batch append, or values in one run POST (400 `maxBatchEvents`). Default 10 000. */
  maxBatchEvents: number;
  /** Most resources (event logs, run writers, …) open at once before idle ones are closed (LRU). Default 64. */
  maxOpenResources: number;
  /** An open resource nobody used for this long is closed. Default 30 000 ms. */
  idleCloseMs: number;
  /**
   * Memory for the files routes' cache of small unchanged files (FilesystemBackend only;
   * see src/read-cache.ts), in bytes; 0 turns it off. Default 16 MiB. Not a request limit.
   */
  readCacheBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 64 * 1024 * 1024,
  maxUrlBytes: 4096,
  maxBatchEvents: 10_000,
  maxOpenResources: 64,
  idleCloseMs: 30_000,
  readCacheBytes: 16 * 1024 * 1024,
});

/**
 * What every route family receives (the plugin contract; see routes/index.ts). Stable:
 * route files written against it keep working as the server grows.
 */
export interface ServerContext {
  /** Absolute path of the data directory (created at start). Never put it in a response. */
  readonly dataDir: string;
  /** The backend the files routes serve (FilesystemBackend on `dataDir` unless one was given). */
  readonly backend: StorageBackend;
  /**
   * `backend.writeFile` as the files routes' PUT calls it: on the server's own
   * FilesystemBackend it runs on a worker thread (src/file-writer.ts), same semantics and
   * errors; on a backend given by the caller it is that backend's `writeFile`.
   */
  writeFile(key: string, data: Uint8Array): Promise<void>;
  /** Absolute path of the TensorBoard log directory (default `<dataDir>/runs`). */
  readonly logdir: string;
  readonly limits: Readonly<Limits>;
  /**
   * Lazily opened, LRU-bounded, idle-closed handles (event logs, writers, …), one per key.
   * Namespace keys by family, e.g. `log:<name>`; everything left open is closed at shutdown.
   */
  readonly resources: ResourceRegistry;
  /** Aborted when shutdown begins: end long-lived responses (follow streams) when it fires. */
  readonly shutdownSignal: AbortSignal;
  /** Runs `hook` at shutdown, after in-flight requests finished and before resources close. */
  onShutdown(hook: () => Promise<void> | void): void;
  /**
   * Keeps the files routes from writing or deleting under `<dataDir>/<name>/` (a directory a
   * route family owns, e.g. `logs`). Reads stay allowed.
   */
  reserveDirectory(name: string): void;
  /** True when the files routes must not write `key` (its first segment is reserved). */
  isReserved(key: string): boolean;
  /** Replaces host paths (data dir, logdir) in a message by `<data>` / `<logdir>`. */
  redact(message: string): string;
}

/** The options every route plugin is registered with. */
export interface RouteOptions {
  ctx: ServerContext;
}
