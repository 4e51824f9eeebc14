import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { TfEvent } from '@store/tfevents';

/** @store/tfevents (protobufjs) is loaded on first use: a server that never reads runs starts faster. */
export const tfevents = (): Promise<typeof import('@store/tfevents')> => import('@store/tfevents');

/** A value event of one tag as the API returns it. */
export interface Point<T = unknown> {
  step: number;
  wallTime: number;
  value: T;
}

/** The kinds whose series the API serves. */
export type SeriesKind = 'scalar' | 'histogram' | 'text' | 'image';

/** What one pass over a run yields: every tag's kind, and the series of the served kinds. */
export interface RunIndex {
  /** Tag → kind of its first value (`tensor:<plugin>` for plugin tensors). */
  kinds: Map<string, string>;
  /** `<kind>\0<tag>` → points, in file order, after TensorBoard's purge rules. */
  series: Map<string, Point[]>;
}

const seriesKey = (kind: SeriesKind, tag: string): string => `${kind}\0${tag}`;

function valueOf(e: TfEvent): { kind: SeriesKind; value: unknown } | undefined {
  switch (e.kind) {
    case 'scalar':
      return { kind: 'scalar', value: e.value };
    case 'histogram':
      return { kind: 'histogram', value: e.histogram };
    case 'text':
      return { kind: 'text', value: e.text };
    case 'image':
      return { kind: 'image', value: e };
    default:
      return undefined;
  }
}

/**
 * Reads a run the way TensorBoard's EventAccumulator keeps it (purge_orphaned_data, its
 * default): after a `file_version` ≥ 2, a `SessionLog.START` at step s drops every value
 * already read with step ≥ s (a restarted job rewrites them); without a file version, a
 * summary whose step is lower than the newest step seen drops the values of its tags with
 * step ≥ its step. Damaged records are skipped, as TensorBoard skips them.
 */
async function buildIndex(runDir: string): Promise<RunIndex> {
  const { readRunBatches } = await tfevents();
  const kinds = new Map<string, string>();
  const series = new Map<string, Point[]>();
  let fileVersion = 0;
  let newestStep = -Infinity;
  let lastRecord = '';
  const purge = (step: number, tags?: Set<string>): void => {
    for (const [key, points] of series) {
      if (tags !== undefined && !tags.has(key.slice(key.indexOf('\0') + 1))) continue;
      series.set(key, points.filter((p) => p.step < step));
    }
  };
  for await (const batch of readRunBatches(runDir, { onCorrupt: 'skip', onCorruptRecord: () => undefined })) {
    for (const e of batch) {
      if (e.kind === 'fileVersion') {
        const m = /^brain\.Event:(\d+(?:\.\d+)?)$/.exec(e.version);
        if (m !== null) fileVersion = Number(m[1]);
        continue;
      }
      if (fileVersion >= 2) {
        if (e.kind === 'sessionLog' && e.status === 'START') purge(e.step);
      } else if ('tag' in e && e.kind !== 'runMetadata') {
        // Values of one record share file and offset: the out-of-order check is per record.
        const record = `${e.file}:${e.offset}`;
        if (record !== lastRecord) {
          lastRecord = record;
          if (e.step < newestStep) purge(e.step, recordTags(batch, e.file, e.offset));
          else newestStep = e.step;
        }
      }
      if (!('tag' in e)) continue;
      if (!kinds.has(e.tag)) kinds.set(e.tag, e.kind === 'tensor' && e.pluginName !== '' ? `tensor:${e.pluginName}` : e.kind);
      const picked = valueOf(e);
      if (picked === undefined) continue;
      const key = seriesKey(picked.kind, e.tag);
      let points = series.get(key);
      if (points === undefined) series.set(key, (points = []));
      points.push({ step: e.step, wallTime: e.wallTime, value: picked.value });
    }
  }
  return { kinds, series };
}

function recordTags(batch: TfEvent[], file: string, offset: number): Set<string> {
  const tags = new Set<string>();
  for (const e of batch) if (e.file === file && e.offset === offset && 'tag' in e) tags.add(e.tag);
  return tags;
}

/**
 * Name, inode, size, mtime and ctime (ns) of each of the run's event files: the index is
 * rebuilt when this changes. Size and mtime alone miss a file replaced by another of the same
 * size with its mtime put back (a new inode; a rewrite in place moves the ctime).
 */
async function signature(runDir: string): Promise<string> {
  const entries = await readdir(runDir, { withFileTypes: true });
  const parts: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.includes('tfevents')) continue;
    const st = await stat(path.join(runDir, e.name), { bigint: true }).catch(() => undefined);
    if (st !== undefined) parts.push(`${e.name}:${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
  }
  return parts.sort().join('|');
}

/**
 * Indexes of recently read runs, rebuilt when a run's files change (new file, inode, size,
 * mtime or ctime), so reading a run's tags one request at a time does not re-read the run each time.
 */
export class RunIndexCache {
  readonly #entries = new Map<string, { signature: string; index: Promise<RunIndex> }>();
  readonly #max: number;

  constructor(max = 32) {
    this.#max = max;
  }

  async get(runDir: string): Promise<RunIndex> {
    const sig = await signature(runDir);
    const hit = this.#entries.get(runDir);
    if (hit !== undefined && hit.signature === sig) {
      this.#entries.delete(runDir);
      this.#entries.set(runDir, hit);
      return hit.index;
    }
    const entry = { signature: sig, index: buildIndex(runDir) };
    entry.index.catch(() => {
      if (this.#entries.get(runDir) === entry) this.#entries.delete(runDir);
    });
    this.#entries.delete(runDir);
    this.#entries.set(runDir, entry);
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return entry.index;
  }

  static seriesKey = seriesKey;
}
