import type { Worker } from 'node:worker_threads';
import { StorageError, fromNodeError } from '@store/backend-core';
import { startEvalWorker } from './eval-worker.js';
import { SEAL_LAYOUT as L, sealWorkerMain, type SealSetup } from './seal-worker.js';
import { writeFully } from './segment.js';
import { CRC_MODULE, CRC_TABLES, DATA_OFFSET, instantiateCrc } from './wasm-crc.js';

/** How long a drain waits for the thread to make any progress before it gives up on it. */
const STALL_LIMIT_MS = 30_000;

/**
 * Pipelined appends: while the appender fills one write buffer, a thread of its own fills
 * in the checksums of the buffers filled before; this thread then writes them, in order.
 * Checksums were the largest cost of a batched append after the copy and the write
 * (~85 ns of a 100-byte event); this takes them off the caller's thread, and keeps every
 * write — and so every write error — on it.
 *
 * `drain()` returns only when every handed-over byte is written, so everything that needs
 * the bytes in the file (fsync, reads of the active segment, rotation, close) drains first
 * and sees what it saw before. Once a write fails the pipeline refuses all further work
 * (its byte accounting ran ahead of the file): the log must be reopened, and recovery cuts
 * whatever tail the failure left.
 */
export class SealPipeline {
  readonly #worker: Worker;
  readonly #control: Int32Array;
  readonly #buffers: Buffer[];
  /** Per slot: where its bytes go. */
  readonly #targets: { fd: number; position: number; name: string }[];
  /** Hand-overs written to their file so far (≤ sealed ≤ submitted). */
  #written = 0;
  #failure: StorageError | undefined;
  #stopped = false;

  private constructor(bufferSize: number) {
    const shared = new SharedArrayBuffer(L.BUFFERS_AT + L.SLOTS * bufferSize);
    this.#control = new Int32Array(shared, 0, L.CONTROL_BYTES / 4);
    this.#buffers = Array.from({ length: L.SLOTS }, (_, i) => Buffer.from(shared, L.BUFFERS_AT + i * bufferSize, bufferSize));
    this.#targets = Array.from({ length: L.SLOTS }, () => ({ fd: -1, position: 0, name: '' }));
    const setup: SealSetup = { module: CRC_MODULE, tables: CRC_TABLES, dataOffset: DATA_OFFSET, shared, bufferSize, layout: L };
    this.#worker = startEvalWorker(sealWorkerMain, [instantiateCrc], { workerData: setup });
    // A thread that fails to start (or dies) must not take the process down: the appender
    // keeps writing on its own while the pipeline is not ready, and a drain stops waiting.
    const lost = (error?: Error): void => {
      if (this.#stopped) return;
      this.#threadLost(error);
      Atomics.store(this.#control, L.FAILED, 1);
      Atomics.notify(this.#control, L.COMPLETED);
    };
    this.#worker.on('error', lost);
    this.#worker.on('exit', () => lost());
    // The thread never keeps the process alive: drain() waits for it synchronously.
    this.#worker.unref();
  }

  /** Starts the thread (it takes a few tens of ms to run); `undefined` if threads are unavailable. */
  static start(bufferSize: number): SealPipeline | undefined {
    try {
      return new SealPipeline(bufferSize);
    } catch {
      return undefined;
    }
  }

  /** True once the thread runs; until then the appender seals and writes on its own. */
  get ready(): boolean {
    return !this.#stopped && this.#failure === undefined && Atomics.load(this.#control, L.READY) === 1;
  }

  /** True when everything handed over is written. */
  get idle(): boolean {
    return this.#written === Atomics.load(this.#control, L.SUBMITTED);
  }

  /** The buffer to fill next (writing out the hand-over that used it last, if need be). */
  acquire(): Buffer {
    const submitted = Atomics.load(this.#control, L.SUBMITTED);
    this.#writeUpTo(submitted - (L.SLOTS - 1), true);
    return this.#buffers[submitted % L.SLOTS]!;
  }

  /** Hands over the buffer `acquire()` returned: `length` bytes for `fd` at `position`. */
  submit(fd: number, name: string, position: number, length: number): void {
    this.#check();
    const submitted = Atomics.load(this.#control, L.SUBMITTED);
    const slot = submitted % L.SLOTS;
    this.#targets[slot] = { fd, position, name };
    Atomics.store(this.#control, L.LENGTHS + slot, length);
    Atomics.store(this.#control, L.SUBMITTED, submitted + 1);
    Atomics.notify(this.#control, L.SUBMITTED);
    // Whatever is sealed by now goes out without waiting.
    this.#writeUpTo(Atomics.load(this.#control, L.COMPLETED), false);
  }

  /** Returns once every handed-over byte is written; throws if a write failed. */
  drain(): void {
    if (this.#stopped) return;
    this.#writeUpTo(Atomics.load(this.#control, L.SUBMITTED), true);
  }

  /** Drains and ends the thread. */
  stop(): void {
    if (this.#stopped) return;
    try {
      this.drain();
    } finally {
      this.#stopped = true;
      const submitted = Atomics.load(this.#control, L.SUBMITTED);
      Atomics.store(this.#control, L.LENGTHS + (submitted % L.SLOTS), L.STOP);
      Atomics.store(this.#control, L.SUBMITTED, submitted + 1);
      Atomics.notify(this.#control, L.SUBMITTED);
    }
  }

  /** Writes hand-overs up to (not including) number `end`, waiting for their checksums if `wait`. */
  #writeUpTo(end: number, wait: boolean): void {
    let stalledSince = 0;
    while (this.#written < end) {
      // Only owed work fails: a pipeline that was never used (or is fully written) has nothing to report.
      this.#check();
      const sealed = Atomics.load(this.#control, L.COMPLETED);
      if (sealed <= this.#written) {
        if (!wait) return;
        // A thread that died without a word (its 'exit' event cannot arrive while this
        // thread waits) shows as no progress: sealing a buffer takes well under a millisecond.
        stalledSince ||= Date.now();
        if (Atomics.load(this.#control, L.FAILED) === 1 || Date.now() - stalledSince > STALL_LIMIT_MS) {
          this.#threadLost();
          this.#check();
        }
        Atomics.wait(this.#control, L.COMPLETED, sealed, 1000);
        continue;
      }
      const slot = this.#written % L.SLOTS;
      const { fd, position, name } = this.#targets[slot]!;
      const length = Atomics.load(this.#control, L.LENGTHS + slot);
      try {
        writeFully(fd, this.#buffers[slot]!, length, position);
      } catch (error) {
        this.#failure = fromNodeError(error, name, 'append');
        throw this.#failure;
      }
      this.#written++;
    }
  }

  /** The thread is gone (or as good as): work it owed fails with EIO naming the segment. */
  #threadLost(error?: Error): void {
    const detail = error === undefined ? '' : `: ${error.message}`;
    this.#failure ??= new StorageError('EIO', `the checksum thread stopped${detail}`, { path: this.#targets[this.#written % L.SLOTS]!.name || undefined });
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#stopped) throw new StorageError('ECLOSED', 'the checksum thread was stopped');
  }
}
