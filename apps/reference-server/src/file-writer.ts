import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError, type FilesystemBackendOptions, type StorageErrorCode } from '@store/backend-core';

/**
 * The worker's program (CommonJS, evaluated: it runs the same from src/ under vitest and
 * from dist/). It owns a FilesystemBackend on the same root and answers each
 * `{ id, key, data }` with `{ id }` once `writeFile` resolved (on stable storage), or
 * `{ id, error }` with the StorageError's fields. Both ways, messages are arrays: what
 * arrived or completed in one turn of an event loop travels in one message (one
 * postMessage costs about as much as the JS of a small write; writes answered by one
 * directory fsync complete together).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.backendCore).then(({ FilesystemBackend, StorageError }) => {
  const backend = new FilesystemBackend(workerData.root, workerData.options);
  let done = [];
  const flush = () => {
    const batch = done;
    done = [];
    parentPort.postMessage(batch);
  };
  const answer = (reply) => {
    if (done.length === 0) setImmediate(flush);
    done.push(reply);
  };
  parentPort.on('message', (writes) => {
    for (const { id, key, data } of writes) {
      backend.writeFile(key, data).then(
        () => answer({ id }),
        (error) => answer({
          id,
          error: error instanceof StorageError
            ? { storage: true, code: error.code, message: error.message, path: error.path, offset: error.offset, field: error.field }
            : { storage: false, message: String(error && error.message !== undefined ? error.message : error) },
        }),
      );
    }
  });
});
`;

interface WireError {
  storage: boolean;
  code?: StorageErrorCode;
  message: string;
  path?: string;
  offset?: number;
  field?: string;
}

/** The StorageError the worker's backend threw, rebuilt field for field (its message already carries code and location). */
function rebuild(wire: WireError): Error {
  if (!wire.storage) return new Error(wire.message);
  const error = Object.create(StorageError.prototype) as StorageError;
  const fields: Record<string, unknown> = { name: 'StorageError', message: wire.message, code: wire.code, path: wire.path, offset: wire.offset, field: wire.field };
  for (const [k, v] of Object.entries(fields)) Object.defineProperty(error, k, { value: v, writable: true, configurable: true, enumerable: k !== 'message' && k !== 'name' });
  Error.captureStackTrace(error, rebuild);
  return error;
}

/**
 * `FilesystemBackend.writeFile` on a worker thread, for the files routes' PUT.
 *
 * Why: FilesystemBackend creates, writes and renames a small file with inline (synchronous)
 * system calls, cheaper than thread-pool round trips, and on ext4 the `open(O_CREAT)` and
 * `rename` wait for the journal while other writes' fsyncs commit it. The CPU profile of
 * the server under the PUT benchmark had those two calls at about half of the main
 * thread's time; on the main thread they also held up every other request's HTTP work.
 * On the worker they overlap with it. Durability is unchanged: the promise resolves when
 * the worker's `writeFile` resolved (file fdatasync, rename, directory fsync), and a
 * SIGKILL ends worker and server together, as before.
 *
 * Ordering stays the caller's: the files routes serialize writes per key (KeyedChain)
 * before they get here, and the worker's backend keeps call order per key too.
 */
export class FileWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #next = 0;
  /** Writes waiting for this turn's message, and the buffers that move with it. */
  #queue: Array<{ id: number; key: string; data: Uint8Array }> = [];
  #transfer: ArrayBuffer[] = [];
  /** Set when the worker failed or exited: writes go to `fallback` from then on. */
  #failed: Error | undefined;
  readonly #fallback: (key: string, data: Uint8Array) => Promise<void>;

  /**
   * @param root the data directory (real path) the server's FilesystemBackend serves
   * @param fallback writes in this thread, used if the worker dies (the server stays up)
   * @param onError told once when the worker fails
   */
  constructor(root: string, options: FilesystemBackendOptions, fallback: (key: string, data: Uint8Array) => Promise<void>, onError: (error: unknown) => void) {
    this.#fallback = fallback;
    const backendCore = pathToFileURL(createRequire(import.meta.url).resolve('@store/backend-core')).href;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { backendCore, root, options } });
    // The HTTP server keeps the process alive while it listens; the worker must not after it stops.
    this.#worker.unref();
    this.#worker.on('message', (replies: Array<{ id: number; error?: WireError }>) => {
      for (const { id, error } of replies) {
        const waiter = this.#pending.get(id);
        if (waiter === undefined) continue;
        this.#pending.delete(id);
        if (error === undefined) waiter.resolve();
        else waiter.reject(rebuild(error));
      }
    });
    const fail = (error: Error): void => {
      if (this.#failed !== undefined) return;
      this.#failed = error;
      onError(new Error(`file writer thread stopped: ${error.message}`));
      // A write in flight may or may not have reached the disk: its client gets an error, never a 2xx.
      for (const waiter of this.#pending.values()) waiter.reject(new StorageError('EIO', 'the file writer thread stopped during the write'));
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
  }

  /** Writes `data` to `key` atomically and durably (FilesystemBackend.writeFile semantics and errors). */
  writeFile(key: string, data: Uint8Array): Promise<void> {
    if (this.#failed !== undefined) return this.#fallback(key, data);
    const id = this.#next++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#queue.length === 0) setImmediate(this.#flush);
      this.#queue.push({ id, key, data });
      // A body that owns its whole buffer moves to the worker without a copy; a view into
      // a shared buffer (Node's pool for small allocations) is copied by postMessage.
      if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) this.#transfer.push(data.buffer);
    });
  }

  /** The writes queued in this turn of the event loop, in one message. */
  readonly #flush = (): void => {
    const writes = this.#queue;
    const transfer = this.#transfer;
    this.#queue = [];
    this.#transfer = [];
    if (this.#failed !== undefined) {
      // Stopped between queueing and now: nothing was sent, so the fallback writes them.
      for (const { id, key, data } of writes) {
        const waiter = this.#pending.get(id);
        this.#pending.delete(id);
        if (waiter !== undefined) this.#fallback(key, data).then(waiter.resolve, waiter.reject);
      }
      return;
    }
    try {
      this.#worker.postMessage(writes, transfer);
    } catch {
      // A buffer that cannot be transferred: send copies.
      this.#worker.postMessage(writes.map((w) => ({ ...w, data: new Uint8Array(w.data) })));
    }
  };

  /** Stops the worker (call when no write is in flight any more). */
  async close(): Promise<void> {
    this.#failed ??= new Error('closed');
    await this.#worker.terminate();
  }
}
