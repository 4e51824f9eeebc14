import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, compareCodeUnits, fromNodeError, isStorageError } from '@store/backend-core';
import { EventDecoder } from './decode.js';
import { FILE_NAME_MARKER } from './format.js';
import { RecordScanner, SCAN_END, type CorruptSink } from './scanner.js';
import type { TfEvent } from './types.js';

export interface ReadOptions {
  /**
   * Tail instead of stopping at the end. An incomplete last record means "not written yet":
   * the reader waits and resumes there. `readRun` keeps reading every file of the run that
   * still grows (a newer file appearing does not end an older one). Iteration ends only when
   * `signal` aborts (the loop then throws the abort reason) or the consumer breaks / calls
   * `return()` (which also ends a pending wait at once, quietly).
   */
  follow?: boolean;
  /** Poll interval in follow mode (default 250 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /**
   * A damaged record (bad CRC, undecodable Event) in the middle of a file: 'throw' (default)
   * rejects with StorageError ECORRUPT naming the file and offset — after every event before
   * it was handed out; 'skip' reports it through `onCorruptRecord` (or a process warning) and
   * continues with the next valid record.
   */
  onCorrupt?: 'throw' | 'skip';
  onCorruptRecord?: (error: StorageError) => void;
  /**
   * `readRun` only: a file of the run that is not an event file at all (its first bytes are
   * not a TFRecord, e.g. `notes.tfevents.md`) or cannot be opened. It is reported here (default:
   * a process warning) and the run goes on with its other files. With `onCorrupt: 'skip'` a
   * damaged start is treated like any damaged record instead (the reader resynchronizes).
   */
  onBadFile?: (error: StorageError) => void;
}

const BATCH = 1024;
const DEFAULT_POLL_MS = 250;

/** Events of one event file, in file order. */
export function readEvents(file: string, options: ReadOptions = {}): AsyncIterable<TfEvent> {
  return { [Symbol.asyncIterator]: () => new FlatIterator(new BatchIterator((signal) => fileBatches(file, new EventDecoder(), options, signal), options.signal)) };
}

/**
 * Events of a run: every file in `dir` whose name contains "tfevents", in code-unit name
 * order (TensorBoard's order), with tag metadata carried from file to file. In follow mode
 * the reader tails every file of the run, the newest and any older one that still grows.
 */
export function readRun(dir: string, options: ReadOptions = {}): AsyncIterable<TfEvent> {
  return { [Symbol.asyncIterator]: () => new FlatIterator(new BatchIterator((signal) => runBatches(dir, options, signal), options.signal)) };
}

/**
 * `readEvents` delivering the events of up to ~1000 records at a time: the same events,
 * without the per-event promise of an async iterator (about a third of the read cost for
 * scalar events). Each array is new and belongs to the caller.
 */
export function readEventBatches(file: string, options: ReadOptions = {}): AsyncIterable<TfEvent[]> {
  return { [Symbol.asyncIterator]: () => new BatchIterator((signal) => fileBatches(file, new EventDecoder(), options, signal), options.signal) };
}

/** `readRun` in batches (see `readEventBatches`). */
export function readRunBatches(dir: string, options: ReadOptions = {}): AsyncIterable<TfEvent[]> {
  return { [Symbol.asyncIterator]: () => new BatchIterator((signal) => runBatches(dir, options, signal), options.signal) };
}

/** Names of the event files directly in `dir`, in the order TensorBoard reads them. */
export async function listEventFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw fromNodeError(error, dir, 'list event files');
  }
  return entries
    .filter((e) => e.isFile() && e.name.includes(FILE_NAME_MARKER))
    .map((e) => e.name)
    .sort(compareCodeUnits);
}

/** Run directories under `logDir` (relative paths, '.' for `logDir` itself) that hold event files. */
export async function listRuns(logDir: string): Promise<string[]> {
  const runs: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(logDir, rel);
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (error) {
      throw fromNodeError(error, abs, 'list runs');
    }
    if (entries.some((e) => e.isFile() && e.name.includes(FILE_NAME_MARKER))) runs.push(rel === '' ? '.' : rel);
    const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(compareCodeUnits);
    for (const d of dirs) await walk(rel === '' ? d : `${rel}/${d}`);
  };
  await walk('');
  return runs;
}

/** 'throw' mode stops the scan at the first damage (the scanner rethrows it); 'skip' reports and goes on. */
function corruptSink(options: ReadOptions, decoder: EventDecoder): CorruptSink {
  if (options.onCorrupt !== 'skip') {
    return (error) => {
      throw error;
    };
  }
  return (error) => {
    // Values read from here on may belong to a tag whose metadata was in the skipped record.
    decoder.damageSeen = true;
    if (options.onCorruptRecord) options.onCorruptRecord(error);
    else process.emitWarning(error.message, { code: 'TFEVENTS_CORRUPT_RECORD' });
  };
}

function badFileSink(options: ReadOptions): (error: StorageError) => void {
  return options.onBadFile ?? ((error) => process.emitWarning(`skipping a file that is not an event file: ${error.message}`, { code: 'TFEVENTS_BAD_FILE' }));
}

async function openFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    throw fromNodeError(error, file, 'open event file');
  }
}

/**
 * Scans up to one batch. Events verified before a damaged record are returned with the
 * error, so the caller hands them out first and throws after.
 */
async function scanBatch(scanner: RecordScanner, decoder: EventDecoder, file: string, onCorrupt: CorruptSink): Promise<{ events: TfEvent[]; end: boolean; error: unknown }> {
  const events: TfEvent[] = [];
  try {
    const status = await scanner.next((buf, s, e, offset) => decoder.decode(buf, s, e, file, offset, events), onCorrupt, BATCH);
    return { events, end: status === SCAN_END, error: undefined };
  } catch (error) {
    return { events, end: true, error };
  }
}

async function* fileBatches(file: string, decoder: EventDecoder, options: ReadOptions, signal: AbortSignal): AsyncGenerator<TfEvent[]> {
  const onCorrupt = corruptSink(options, decoder);
  const handle = await openFile(file);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new StorageError('EISDIR', `${file} is a directory`, { path: file });
    const scanner = new RecordScanner(handle, file);
    for (;;) {
      signal.throwIfAborted();
      const { events, end, error } = await scanBatch(scanner, decoder, file, onCorrupt);
      if (events.length > 0) yield events;
      if (error !== undefined) throw error;
      if (end) {
        if (!options.follow) return;
        await sleep(options.pollMs ?? DEFAULT_POLL_MS, undefined, { signal });
      }
    }
  } finally {
    await handle.close();
  }
}

/** One file of a run: where reading stopped, and the open scanner while it is kept open. */
interface RunFile {
  name: string;
  path: string;
  handle: FileHandle | null;
  scanner: RecordScanner | null;
  /** First byte not yet consumed (a partial record starts here). */
  offset: number;
  /** Bytes of the file read so far: it has grown if it is larger. */
  seen: number;
  /** Not an event file (reported once), or gone. */
  dropped: boolean;
  /** Events were read from it: damage is no longer "not an event file". */
  started: boolean;
}

async function* runBatches(dir: string, options: ReadOptions, signal: AbortSignal): AsyncGenerator<TfEvent[]> {
  const info = await stat(dir).catch((error: unknown) => {
    throw fromNodeError(error, dir, 'read run');
  });
  if (!info.isDirectory()) throw new StorageError('ENOTDIR', `${dir} is not a directory`, { path: dir });
  const decoder = new EventDecoder();
  const onCorrupt = corruptSink(options, decoder);
  const onBadFile = badFileSink(options);
  const skipMode = options.onCorrupt === 'skip';
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const files = new Map<string, RunFile>();
  /** Set while a file is open, so an abandoned iteration still closes it. */
  let opened: RunFile | undefined;

  const close = async (f: RunFile): Promise<void> => {
    const h = f.handle;
    f.handle = null;
    f.scanner = null;
    if (opened === f) opened = undefined;
    await h?.close();
  };

  /** Reads `f` from where it stopped to its current end, batch by batch. */
  async function* readFile(f: RunFile, keepOpen: boolean): AsyncGenerator<TfEvent[]> {
    if (f.handle === null) {
      try {
        f.handle = await openFile(f.path);
      } catch (error) {
        if (isStorageError(error, 'ENOENT')) {
          f.dropped = true; // removed since it was listed
          return;
        }
        if (!isStorageError(error)) throw error;
        f.dropped = true;
        onBadFile(error);
        return;
      }
      opened = f;
      f.scanner = new RecordScanner(f.handle, f.path, f.offset);
    }
    const scanner = f.scanner!;
    try {
      for (;;) {
        signal.throwIfAborted();
        const { events, end, error } = await scanBatch(scanner, decoder, f.path, onCorrupt);
        f.offset = scanner.offset;
        f.seen = scanner.readUpTo;
        if (events.length > 0) {
          f.started = true;
          yield events;
        }
        if (error !== undefined) {
          // Damage at the very start of a file nothing was read from: not an event file.
          if (!skipMode && !f.started && isStorageError(error, 'ECORRUPT') && error.offset === 0) {
            f.dropped = true;
            onBadFile(error);
            return;
          }
          throw error;
        }
        if (end) break;
      }
    } finally {
      // A file waiting in the middle of a damaged region keeps its scanner (it must not
      // report the same damage again); others are reopened when they grow.
      if (!keepOpen && !scanner.inCorruptRegion) await close(f);
    }
  }

  try {
    if (!options.follow) {
      // One pass in name order, also over files that appear meanwhile (TensorBoard's order).
      let current: string | undefined;
      for (;;) {
        const names = await listEventFiles(dir);
        const next = names.find((n) => current === undefined || compareCodeUnits(n, current) > 0);
        if (next === undefined) return;
        current = next;
        const f = newRunFile(dir, next);
        yield* readFile(f, false);
      }
    }
    // Follow: every round reads whatever grew in every file of the run, in name order.
    for (;;) {
      const names = await listEventFiles(dir);
      const newest = names[names.length - 1];
      for (const name of names) {
        let f = files.get(name);
        if (f === undefined) files.set(name, (f = newRunFile(dir, name)));
        if (f.dropped) continue;
        if (f.handle === null && f.seen > 0) {
          const size = await stat(f.path).then(
            (s) => s.size,
            () => -1,
          );
          if (size <= f.seen) continue;
        }
        // The newest file stays open (it is the one being written); older ones are closed
        // between rounds, so descriptors stay bounded however many files a run has.
        yield* readFile(f, name === newest);
      }
      for (const [name, f] of files) if (!names.includes(name) && f.handle !== null) await close(f);
      await sleep(pollMs, undefined, { signal });
    }
  } finally {
    for (const f of files.values()) await close(f);
    if (opened !== undefined) await close(opened);
  }
}

function newRunFile(dir: string, name: string): RunFile {
  return { name, path: path.join(dir, name), handle: null, scanner: null, offset: 0, seen: 0, dropped: false, started: false };
}

const DONE = { done: true, value: undefined } as const;

/**
 * Batches from a generator, with the caller's `signal` and `return()` both ending whatever
 * the generator waits on (a poll interval) at once. After `return()` every pending or later
 * `next()` settles quietly as done, and nothing is left running that could reject unseen.
 */
class BatchIterator<T> implements AsyncIterator<T[]> {
  readonly #source: AsyncGenerator<T[]>;
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #returned = false;

  constructor(make: (signal: AbortSignal) => AsyncGenerator<T[]>, signal: AbortSignal | undefined) {
    this.#userSignal = signal;
    this.#onAbort = () => this.#controller.abort(signal!.reason);
    if (signal?.aborted) this.#controller.abort(signal.reason);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#source = make(this.#controller.signal);
  }

  async next(): Promise<IteratorResult<T[]>> {
    if (this.#returned) return DONE;
    try {
      const r = await this.#source.next();
      if (r.done === true) this.#detach();
      return r.done === true ? DONE : r;
    } catch (error) {
      this.#detach();
      if (this.#returned) return DONE;
      throw error;
    }
  }

  async return(): Promise<IteratorResult<T[]>> {
    if (!this.#returned) {
      this.#returned = true;
      this.#detach();
      this.#controller.abort(new StorageError('ECLOSED', 'reader returned'));
      // Ends the generator: its finally closes the files (after a pending next() settled).
      await this.#source.return(undefined).catch(() => undefined);
    }
    return DONE;
  }

  #detach(): void {
    this.#userSignal?.removeEventListener('abort', this.#onAbort);
  }
}

/** Flattens batches into an AsyncIterator without an async-generator hop per event. */
class FlatIterator<T> implements AsyncIterator<T> {
  private batch: T[] = [];
  private index = 0;

  constructor(private readonly source: BatchIterator<T>) {}

  next(): Promise<IteratorResult<T>> {
    if (this.index < this.batch.length) return Promise.resolve({ done: false, value: this.batch[this.index++]! });
    return this.refill();
  }

  private async refill(): Promise<IteratorResult<T>> {
    for (;;) {
      const r = await this.source.next();
      if (r.done === true) return DONE;
      if (r.value.length > 0) {
        this.batch = r.value;
        this.index = 1;
        return { done: false, value: r.value[0]! };
      }
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.batch = [];
    this.index = 0;
    await this.source.return();
    return DONE;
  }
}
