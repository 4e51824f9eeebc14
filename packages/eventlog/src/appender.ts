import { closeSync, fdatasync, fdatasyncSync, writeSync } from 'node:fs';
import { fromNodeError } from '@store/backend-core';
import { RECORD_HEADER_SIZE } from './format.js';
import { sealRecord, writeRecordHeader } from './record.js';
import type { SealPipeline } from './seal-pipeline.js';
import { WasmCrc } from './wasm-crc.js';

/**
 * Encodes records into one reusable buffer and writes it to the active segment with a
 * single positional write when it fills (the sonic-boom idea: few syscalls, no
 * per-event allocation). Records larger than the buffer go straight to the file.
 */
export class Appender {
  fd: number;
  name: string;
  /** Bytes of the segment handed to the OS, or to the seal pipeline (in the OS after `flush`). */
  fileSize: number;
  /** Own writes: the buffer lives in WebAssembly memory, checksums are filled in at flush in one call. */
  readonly #crc: WasmCrc;
  #buf: Buffer;
  #len = 0;
  /**
   * The log's seal pipeline if it runs; `ownWrite: true` also counts a buffer written here,
   * which may start it. Absent when appends must stay on this thread.
   */
  readonly #pipelines: ((ownWrite: boolean) => SealPipeline | undefined) | undefined;
  /** Set once `#buf` is a pipeline buffer: full buffers are handed over, not written here. */
  #pipeline: SealPipeline | undefined;

  constructor(fd: number, name: string, fileSize: number, bufferSize: number, pipelines?: (ownWrite: boolean) => SealPipeline | undefined) {
    this.fd = fd;
    this.name = name;
    this.fileSize = fileSize;
    this.#crc = new WasmCrc(bufferSize);
    this.#buf = this.#crc.data.subarray(0, bufferSize);
    this.#pipelines = pipelines;
    // A pipeline that already runs (the segment before this one used it) is used at once.
    const running = pipelines?.(false);
    if (running?.ready === true) this.#usePipeline(running);
  }

  /** Adds one record; its bytes reach the file on the next `flush` (or now, if huge). */
  append(id: number, data: Uint8Array): void {
    const size = data.length;
    const total = RECORD_HEADER_SIZE + size;
    if (total > this.#buf.length - this.#len) {
      this.#handOff();
      if (total > this.#buf.length) {
        this.#writeLarge(id, data);
        return;
      }
    }
    const buf = this.#buf;
    const off = this.#len;
    writeRecordHeader(buf, off, id, size);
    buf.set(data, off + RECORD_HEADER_SIZE);
    this.#len = off + total;
  }

  #writeLarge(id: number, data: Uint8Array): void {
    this.#pipeline?.drain();
    // Header and data are checksummed together: copy once into a temporary record.
    const record = Buffer.allocUnsafe(RECORD_HEADER_SIZE + data.length);
    writeRecordHeader(record, 0, id, data.length);
    record.set(data, RECORD_HEADER_SIZE);
    sealRecord(record, 0);
    this.#writeAll(record, record.length);
  }

  /** Hands buffered records to the OS: when it returns they are in the file. */
  flush(): void {
    this.#handOff();
    this.#pipeline?.drain();
  }

  /** Makes the first `end` bytes of the segment readable from the file. */
  ensureWritten(end: number): void {
    if (end > this.fileSize) this.flush();
    else this.#pipeline?.drain();
  }

  /** Sends the buffer on its way: to the seal pipeline if there is one, else checksummed and written here. */
  #handOff(): void {
    if (this.#len === 0) return;
    const len = this.#len;
    this.#len = 0;
    const pipeline = this.#pipeline;
    if (pipeline !== undefined) {
      pipeline.submit(this.fd, this.name, this.fileSize, len);
      this.fileSize += len;
      this.#buf = pipeline.acquire();
      return;
    }
    this.#crc.sealRecords(len);
    this.#writeAll(this.#buf, len);
    const started = this.#pipelines?.(true);
    if (started?.ready === true) this.#usePipeline(started);
  }

  /** Writes everything handed over, then goes back to writing on this thread (before the pipeline stops). */
  leavePipeline(): void {
    this.flush();
    this.#pipeline = undefined;
    this.#buf = this.#crc.data.subarray(0, this.#buf.length);
  }

  #usePipeline(pipeline: SealPipeline): void {
    this.#pipeline = pipeline;
    this.#buf = pipeline.acquire();
  }

  #writeAll(bytes: Uint8Array, length: number): void {
    let done = 0;
    try {
      while (done < length) {
        done += writeSync(this.fd, bytes, done, length - done, this.fileSize + done);
      }
    } catch (error) {
      throw fromNodeError(error, this.name, 'append');
    } finally {
      this.fileSize += done;
    }
  }

  syncNow(): void {
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw fromNodeError(error, this.name, 'fsync');
    }
  }

  /** fdatasync on the thread pool; the event loop keeps appending meanwhile. */
  syncLater(done: (error: Error | null) => void): void {
    const name = this.name;
    fdatasync(this.fd, (error) => done(error === null ? null : fromNodeError(error, name, 'fsync')));
  }

  close(): void {
    closeSync(this.fd);
  }
}
