import { StorageError } from '@store/backend-core';
import { PROFILING_PREFIX } from './format.js';
import type { Bins } from './histogram.js';
import { readRun, type ReadOptions } from './reader.js';
import type { HistogramProtoData, HistogramTensorData, TfEvent } from './types.js';
import { SummaryWriter, type SummaryWriterOptions } from './writer.js';

/** What the seed's run store accepts. */
export type StoreEvent =
  | { type: 'scalar'; tag: string; step: number; value: number; wallTime?: number }
  | { type: 'histogram'; tag: string; step: number; values: ArrayLike<number>; bins?: Bins; wallTime?: number }
  | { type: 'profiling'; name: string; step: number; durationMs?: number; counters?: Record<string, number>; wallTime?: number };

interface StoredBase {
  step: number;
  wallTime: number;
  file: string;
  offset: number;
}

/** What `getEvents` returns: the stored events, with values as the files hold them (scalars float32). */
export type StoredEvent =
  | (StoredBase & { type: 'scalar'; tag: string; value: number })
  | (StoredBase & { type: 'histogram'; tag: string; histogram: HistogramProtoData | HistogramTensorData })
  | (StoredBase & { type: 'profiling'; name: string; durationMs?: number; counters: Record<string, number> });

export interface EventFilter {
  type?: StoredEvent['type'] | Array<StoredEvent['type']>;
  /** Exact tag (profiling: the measurement name) or a pattern. */
  tag?: string | RegExp;
  fromStep?: number;
  toStep?: number;
}

export interface TfEventsStoreOptions extends Omit<SummaryWriterOptions, 'logDir'> {
  logDirectory: string;
}

/**
 * The seed's run store: scalar metrics, histograms and profiling events persisted as one
 * TensorBoard run (a directory of event files), written through `SummaryWriter` and read
 * back from every file of the directory.
 */
export class TfEventsStore implements AsyncDisposable {
  private readonly writer: SummaryWriter;

  constructor(options: TfEventsStoreOptions) {
    const { logDirectory, ...rest } = options;
    this.writer = new SummaryWriter({ ...rest, logDir: logDirectory });
  }

  get logDirectory(): string {
    return this.writer.logDir;
  }

  get currentFile(): string {
    return this.writer.currentFile;
  }

  get maxFileSize(): number {
    return this.writer.maxFileSize;
  }

  /** Queues one event (see SummaryWriter for when it reaches the file). */
  store(event: StoreEvent): void {
    switch (event?.type) {
      case 'scalar':
        this.writer.addScalar(event.tag, event.value, event.step, event.wallTime);
        break;
      case 'histogram':
        this.writer.addHistogram(event.tag, event.values, event.step, { ...(event.bins !== undefined ? { bins: event.bins } : {}), ...(event.wallTime !== undefined ? { wallTime: event.wallTime } : {}) });
        break;
      case 'profiling':
        this.writer.addProfiling(
          event.name,
          { ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}), ...(event.counters !== undefined ? { counters: event.counters } : {}) },
          event.step,
          event.wallTime,
        );
        break;
      default:
        throw new StorageError('EINVAL', `unknown event type ${String((event as { type?: unknown } | undefined)?.type)}`, { field: 'type' });
    }
  }

  /**
   * Flushes, then reads every event file of the directory in name order. If a damaged record
   * stops the read (`onCorrupt: 'throw'`, the default), the `StorageError` thrown carries
   * `events`: everything that matched before the damage.
   */
  async getEvents(filter: EventFilter = {}, options: Pick<ReadOptions, 'signal' | 'onCorrupt' | 'onCorruptRecord'> = {}): Promise<StoredEvent[]> {
    await this.writer.flush();
    const types = filter.type === undefined ? undefined : new Set(Array.isArray(filter.type) ? filter.type : [filter.type]);
    const out: StoredEvent[] = [];
    const keep = (e: StoredEvent, key: string) =>
      (types === undefined || types.has(e.type)) &&
      (filter.tag === undefined || (typeof filter.tag === 'string' ? key === filter.tag : filter.tag.test(key))) &&
      (filter.fromStep === undefined || e.step >= filter.fromStep) &&
      (filter.toStep === undefined || e.step <= filter.toStep);
    try {
      await this.#collect(options, out, keep);
    } catch (error) {
      if (error instanceof StorageError) Object.assign(error, { events: out });
      throw error;
    }
    return out;
  }

  async #collect(options: Pick<ReadOptions, 'signal' | 'onCorrupt' | 'onCorruptRecord'>, out: StoredEvent[], keep: (e: StoredEvent, key: string) => boolean): Promise<void> {
    let profiling: (StoredBase & { type: 'profiling'; name: string; durationMs?: number; counters: Record<string, number> }) | undefined;
    const emitProfiling = () => {
      if (profiling !== undefined && keep(profiling, profiling.name)) out.push(profiling);
      profiling = undefined;
    };
    try {
      await this.#read(options, (e) => {
        if (profiling !== undefined && (e.offset !== profiling.offset || e.file !== profiling.file)) emitProfiling();
        const base = { step: e.step, wallTime: e.wallTime, file: e.file, offset: e.offset };
        if (e.kind === 'scalar' && e.tag.startsWith(PROFILING_PREFIX)) {
          // One profiling event = the profiling/<name>/<key> values of one record.
          const rest = e.tag.slice(PROFILING_PREFIX.length);
          const slash = rest.lastIndexOf('/');
          const name = rest.slice(0, slash);
          const key = rest.slice(slash + 1);
          if (profiling !== undefined && profiling.name !== name) emitProfiling();
          profiling ??= { type: 'profiling', name, counters: {}, ...base };
          if (key === 'duration_ms') profiling.durationMs = e.value;
          else profiling.counters[key] = e.value;
        } else if (e.kind === 'scalar') {
          const stored: StoredEvent = { type: 'scalar', tag: e.tag, value: e.value, ...base };
          if (keep(stored, e.tag)) out.push(stored);
        } else if (e.kind === 'histogram') {
          const stored: StoredEvent = { type: 'histogram', tag: e.tag, histogram: e.histogram, ...base };
          if (keep(stored, e.tag)) out.push(stored);
        }
      });
    } finally {
      emitProfiling();
    }
  }

  async #read(options: Pick<ReadOptions, 'signal' | 'onCorrupt' | 'onCorruptRecord'>, each: (e: TfEvent) => void): Promise<void> {
    for await (const e of readRun(this.logDirectory, options) as AsyncIterable<TfEvent>) each(e);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
