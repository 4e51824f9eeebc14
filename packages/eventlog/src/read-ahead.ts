import type { Worker } from 'node:worker_threads';
import { startEvalWorker } from './eval-worker.js';
import { MAX_RECORD_DATA, RECORD_HEADER_SIZE } from './format.js';
import { readAheadWorkerMain, type ReadAheadSetup } from './read-ahead-worker.js';
import { CRC_MODULE, CRC_TABLES, DATA_OFFSET, instantiateCrc } from './wasm-crc.js';

/**
 * Read-ahead for long sequential scans: one worker thread per process reads the next
 * chunks of a segment and verifies their checksums while the caller walks the current
 * one. Checksums were about 40 % of a scan's time on one core; with the second core doing
 * them (and the reads), a scan costs the main thread little more than handing out events.
 *
 * The worker is started on the first long scan and never keeps the process alive by
 * itself: it is referenced only while somebody waits for a chunk. If it cannot start or
 * dies, every stream ends and readers read for themselves (the path short scans always take).
 */

/**
 * A stream starts only when at least this much of a segment is left to scan after its first
 * chunk: for less, the worker round trip is not worth it, and the caller reads it all.
 */
export const READ_AHEAD_MIN_BYTES = 4 * 1024 * 1024;
const CHUNK_SIZE = 1024 * 1024;
/** Chunks a stream may have read ahead of its reader. */
const CREDIT = 2;

export interface ReadAheadChunk {
  bytes: Buffer;
  /** File offset of `bytes[0]`. */
  position: number;
}

interface StreamState {
  queue: ReadAheadChunk[];
  ended: boolean;
  wake: (() => void) | undefined;
}

interface ChunkMessage {
  id: number;
  buffer: ArrayBuffer;
  position: number;
  length: number;
  last: boolean;
}

let worker: Worker | undefined;
/** Counters for tests and stats: streams opened and chunks received. */
export const readAheadCounters = { streams: 0, chunks: 0 };
let unavailable = false;
let nextStreamId = 1;
/** Streams the worker may still send to. */
const streams = new Map<number, StreamState>();
/** Readers waiting for a chunk right now: the worker keeps the process alive only while > 0. */
let waiting = 0;

function startWorker(): Worker | undefined {
  if (worker !== undefined || unavailable) return worker;
  const setup: ReadAheadSetup = {
    module: CRC_MODULE,
    table: CRC_TABLES,
    dataOffset: DATA_OFFSET,
    chunkSize: CHUNK_SIZE,
    maxRecordData: MAX_RECORD_DATA,
    recordHeaderSize: RECORD_HEADER_SIZE,
  };
  try {
    worker = startEvalWorker(readAheadWorkerMain, [instantiateCrc], { workerData: setup });
  } catch {
    unavailable = true;
    return undefined;
  }
  worker.on('message', onChunk);
  const stop = (): void => {
    unavailable = true;
    worker = undefined;
    for (const state of streams.values()) end(state);
    streams.clear();
  };
  worker.on('error', stop);
  worker.on('exit', stop);
  // After the listeners: adding a 'message' listener references the worker again.
  worker.unref();
  return worker;
}

function onChunk(m: ChunkMessage): void {
  const state = streams.get(m.id);
  if (state === undefined) return;
  if (m.length > 0) {
    readAheadCounters.chunks++;
    state.queue.push({ bytes: Buffer.from(m.buffer, 0, m.length), position: m.position });
  }
  if (m.last) {
    streams.delete(m.id);
    state.ended = true;
  }
  wake(state);
}

function end(state: StreamState): void {
  state.ended = true;
  wake(state);
}

/** Resolves the reader's pending `take()`, if any. */
function wake(state: StreamState): void {
  const resolve = state.wake;
  state.wake = undefined;
  resolve?.();
}

const abandoned = new FinalizationRegistry<number>((id) => {
  if (streams.delete(id)) worker?.postMessage({ op: 'close', id });
});

/** One segment's bytes from a record boundary up to a limit, as verified chunks. */
export class ReadAheadStream {
  readonly #id: number;
  readonly #state: StreamState = { queue: [], ended: false, wake: undefined };
  /** Chunks handed out so far: none means the worker turned the stream down. */
  delivered = 0;

  private constructor(id: number) {
    this.#id = id;
  }

  /**
   * Starts reading `file` from `start` (a record boundary) up to `limit` (bytes known to hold
   * records), provided the file is still `identity` (`dev:ino` of the reader's descriptor);
   * `undefined` when no worker is available.
   */
  static open(file: string, identity: string, start: number, limit: number): ReadAheadStream | undefined {
    const w = startWorker();
    if (w === undefined) return undefined;
    const stream = new ReadAheadStream(nextStreamId++);
    readAheadCounters.streams++;
    streams.set(stream.#id, stream.#state);
    abandoned.register(stream, stream.#id, stream);
    w.postMessage({ op: 'open', id: stream.#id, file, identity, start, limit, credit: CREDIT });
    return stream;
  }

  /**
   * The chunk that starts at `position`; `null` when the stream has nothing more (or its
   * next chunk starts elsewhere): read on your own from there. A promise means: wait, then ask again.
   */
  take(position: number): ReadAheadChunk | null | Promise<void> {
    const state = this.#state;
    const chunk = state.queue[0];
    if (chunk !== undefined) {
      if (chunk.position !== position) return null;
      state.queue.shift();
      this.delivered++;
      if (!state.ended) worker?.postMessage({ op: 'more', id: this.#id });
      return chunk;
    }
    if (state.ended) return null;
    return new Promise<void>((resolve) => {
      if (waiting++ === 0) worker?.ref();
      state.wake = () => {
        if (--waiting === 0) worker?.unref();
        resolve();
      };
    });
  }

  close(): void {
    abandoned.unregister(this);
    this.#state.queue.length = 0;
    if (streams.delete(this.#id)) worker?.postMessage({ op: 'close', id: this.#id });
    end(this.#state);
  }
}
