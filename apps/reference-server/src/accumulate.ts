import type { TfEvent } from '@store/tfevents';

/** @store/tfevents (protobufjs) is loaded on first use: a server that never reads runs starts faster. */
export const tfevents = (): Promise<typeof import('@store/tfevents')> => import('@store/tfevents');

/** A value event of one tag as the API returns it. */
export interface Point<T> {
  step: number;
  wallTime: number;
  value: T;
}

/**
 * The events of one run as TensorBoard's EventAccumulator keeps them (purge_orphaned_data,
 * its default): after a `file_version` ≥ 2, a `SessionLog.START` at step s drops every
 * value already read with step ≥ s (a restarted job rewrites them); without a file version,
 * a summary whose step is lower than the newest step seen drops the values of its tags with
 * step ≥ its step. `pick` chooses the events kept (per tag). Damaged records are skipped,
 * as TensorBoard skips them.
 */
export async function accumulate<T>(runDir: string, pick: (e: TfEvent) => { tag: string; value: T } | undefined, signal?: AbortSignal): Promise<Map<string, Point<T>[]>> {
  const series = new Map<string, Point<T>[]>();
  let fileVersion = 0;
  let newestStep = -Infinity;
  // Values of one record share file and offset: the out-of-order check is per record.
  let lastRecord = '';
  const purge = (step: number, tags?: Iterable<string>): void => {
    for (const tag of tags ?? series.keys()) {
      const points = series.get(tag);
      if (points !== undefined) series.set(tag, points.filter((p) => p.step < step));
    }
  };
  for await (const batch of (await tfevents()).readRunBatches(runDir, { onCorrupt: 'skip', onCorruptRecord: () => undefined, ...(signal === undefined ? {} : { signal }) })) {
    for (const e of batch) {
      if (e.kind === 'fileVersion') {
        const m = /^brain\.Event:(\d+(?:\.\d+)?)$/.exec(e.version);
        if (m !== null) fileVersion = Number(m[1]);
        continue;
      }
      if (fileVersion >= 2) {
        if (e.kind === 'sessionLog' && e.status === 'START') purge(e.step);
      } else if ('tag' in e && e.kind !== 'runMetadata') {
        const record = `${e.file}:${e.offset}`;
        if (record !== lastRecord) {
          lastRecord = record;
          if (e.step < newestStep) purge(e.step, recordTags(batch, e.file, e.offset));
          else newestStep = e.step;
        }
      }
      const picked = pick(e);
      if (picked === undefined) continue;
      let points = series.get(picked.tag);
      if (points === undefined) series.set(picked.tag, (points = []));
      points.push({ step: e.step, wallTime: e.wallTime, value: picked.value });
    }
  }
  return series;
}

function recordTags(batch: TfEvent[], file: string, offset: number): string[] {
  const tags: string[] = [];
  for (const e of batch) if (e.file === file && e.offset === offset && 'tag' in e) tags.push(e.tag);
  return tags;
}

/** Tag → kind of every value in a run (the kind of a tag's first value). */
export async function tagKinds(runDir: string, signal?: AbortSignal): Promise<Record<string, string>> {
  const kinds = new Map<string, string>();
  for await (const batch of (await tfevents()).readRunBatches(runDir, { onCorrupt: 'skip', onCorruptRecord: () => undefined, ...(signal === undefined ? {} : { signal }) })) {
    for (const e of batch) {
      if ('tag' in e && !kinds.has(e.tag)) kinds.set(e.tag, e.kind === 'tensor' && e.pluginName !== '' ? `tensor:${e.pluginName}` : e.kind);
    }
  }
  return Object.fromEntries(kinds);
}
