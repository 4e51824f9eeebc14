import { closeSync, fdatasync, fdatasyncSync } from 'node:fs';
import { StorageError, fromNodeError } from '@store/backend-core';
import { RECORD_HEADER_SIZE } from './format.js';
import { sealRecord, writeRecordHeader } from './record.js';
import type { SealPipeline } from './seal-pipeline.js';
import { writeFully } from './segment.js';
import { WasmCrc } from './wasm-crc.js';

/**
 * Encodes records into one reusable buffer and writes it to the active segment with a
 * single positional write when it fills (the sonic-boom idea: few syscalls, no
 * per-event allocation). Records larger than the buffer go straight to the file.
 *
 * A failed write or fdatasync is final: the bytes that failed are gone and the file may
 * hold part of them, so every later call throws the same error and the log must be
 * reopened (recovery cuts the torn tail). Retrying an fsync after a failure could report
 * success for pages the kernel already dropped.
 */
export class Appender {
  fd: number;
  name: string;
  /** Bytes of the segment handed to the OS, or to the seal pipeline (in the OS after `flush`). */
  fileSize: number;
  /** Own writes: the buffer lives in WebAssembly memory, checksums are filled in at flush in one call. */
  readonly #crc: WasmCrc;
  readonly #size: number;
  #buf: Buffer;
  #len = 0;
  /**
   * The log's seal pipeline if it runs; `fullBuffer: true` also counts a full buffer
   * written here, which may start it. Absent when appends must stay on this thread.
   */
  readonly #pipelines: ((fullBuffer: boolean) => SealPipeline | undefined) | undefined;
  /** Set once `#buf` is a pipeline buffer: full buffers are handed over, not written here. */
  #pipeline: SealPipeline | undefined;
  #failure: StorageError | undefined;

  constructor(fd: number, name: string, fileSize: number, bufferSize: number, pipelines?: (fullBuffer: boolean) => SealPipeline | undefined) {
    this.fd = fd;
    this.name = name;
    this.fileSize = fileSize;
    this.#size = bufferSize;
    this.#crc = new WasmCrc(bufferSize);
    this.#buf = this.#crc.data.subarray(0, bufferSize);
    this.#pipelines = pipelines;
    // A pipeline that already runs (the segment before this one used it) is used at once.
    const running = pipelines?.(false);
    if (running?.ready === true) this.#usePipeline(running);
  }

  /** Adds one record; its bytes reach the file on the next `flush` (or now, if huge). */
  append(id: number, data: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    const size = data.length;
    const total = RECORD_HEADER_SIZE + size;
    if (total > this.#size - this.#len) {
      if (total > this.#size) {
        this.flush();
        this.#writeLarge(id, data);
        return;
      }
      this.#guard(() => this.#handOff());
    }
    const buf = this.#buf;
    const off = this.#len;
    writeRecordHeader(buf, off, id, size);
    buf.set(data, off + RECORD_HEADER_SIZE);
    this.#len = off + total;
  }

  #writeLarge(id: number, data: Uint8Array): void {
    // Header and data are checksummed together: copy once into a temporary record.
    const record = Buffer.allocUnsafe(RECORD_HEADER_SIZE + data.length);
    writeRecordHeader(record, 0, id, data.length);
    record.set(data, RECORD_HEADER_SIZE);
    sealRecord(record, 0);
    this.#writeAll(record, record.length);
  }

  /** Hands buffered records to the OS: when it returns they are in the file. */
  flush(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const pipeline = this.#pipeline;
    if (pipeline === undefined) {
      this.#writeHere();
      return;
    }
    this.#guard(() => {
      // A partial buffer with nothing in flight (an end-of-turn flush, a group commit) is
      // cheaper to seal and write here than to hand over and wait for.
      if (pipeline.idle) this.#writeHere();
      else this.#handOff();
      pipeline.drain();
    });
  }

  /** Makes the first `end` bytes of the segment readable from the file. */
  ensureWritten(end: number): void {
    if (end > this.fileSize) this.flush();
    else if (this.#pipeline !== undefined) this.#guard(() => this.#pipeline!.drain());
  }

  /** A full buffer goes on its way: to the seal pipeline if there is one, else written here. */
  #handOff(): void {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) {
      this.#writeHere();
      const started = this.#pipelines?.(true);
      if (started?.ready === true) this.#usePipeline(started);
      return;
    }
    if (this.#len === 0) return;
    pipeline.submit(this.fd, this.name, this.fileSize, this.#len);
    this.fileSize += this.#len;
    this.#len = 0;
    this.#buf = pipeline.acquire();
  }

  /** Seals and writes the buffered records on this thread (from a pipeline buffer: via a copy). */
  #writeHere(): void {
    const len = this.#len;
    if (len === 0) return;
    this.#len = 0;
    const own = this.#crc.data;
    if (this.#buf.buffer !== own.buffer) own.set(this.#buf.subarray(0, len));
    this.#crc.sealRecords(len);
    this.#writeAll(own, len);
  }

  /** Writes everything handed over, then goes back to writing on this thread (before the pipeline stops). */
  leavePipeline(): void {
    this.flush();
    this.#pipeline = undefined;
    this.#buf = this.#crc.data.subarray(0, this.#size);
  }

  #usePipeline(pipeline: SealPipeline): void {
    this.#pipeline = pipeline;
    this.#buf = pipeline.acquire();
  }

  #writeAll(bytes: Uint8Array, length: number): void {
    try {
      writeFully(this.fd, bytes, length, this.fileSize);
    } catch (error) {
      // Final (see the class comment): nothing is written after this, so fileSize stays put.
      throw (this.#failure = fromNodeError(error, this.name, 'append'));
    }
    this.fileSize += length;
  }

  /** Runs `action`; a pipeline failure becomes this appender's failure too. */
  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#failure ??= error instanceof StorageError ? error : fromNodeError(error, this.name, 'append');
      throw this.#failure;
    }
  }

  syncNow(): void {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw (this.#failure = fromNodeError(error, this.name, 'fsync'));
    }
  }

  /** fdatasync on the thread pool; the event loop keeps appending meanwhile. */
  syncLater(done: (error: Error | null) => void): void {
    if (this.#failure !== undefined) {
      done(this.#failure);
      return;
    }
    const name = this.name;
    fdatasync(this.fd, (error) => {
      if (error !== null) this.#failure ??= fromNodeError(error, name, 'fsync');
      done(error === null ? null : this.#failure!);
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}
