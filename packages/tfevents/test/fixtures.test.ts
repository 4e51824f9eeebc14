import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents, readRun, type TfEvent } from '../src/index.js';
import { LayoutType } from '../src/proto/plugins.js';
import { FIXTURES, HAVE_FIXTURES, collect, itWithFixtures, tempDir } from './helpers.js';

/**
 * Acceptance: every fixture event file, read by our reader, yields exactly what
 * TensorBoard's own loader decoded (the neighbouring .oracle.jsonl): tags, steps, wall
 * times, values, metadata, and the number of records.
 */

interface OracleLine {
  type: 'event' | 'file_end';
  index?: number;
  wall_time?: number;
  step?: number;
  what?: string;
  file_version?: string;
  source_writer?: string;
  values?: OracleValue[];
  graph_def?: { bytes_len: number; sha256: string };
  meta_graph_def?: { bytes_len: number; sha256: string };
  session_log?: { status: string; msg: string; checkpoint_path: string };
  tagged_run_metadata?: { tag: string; run_metadata_len: number; sha256: string };
  records?: number;
  status?: string;
}

interface OracleValue {
  tag: string;
  kind: string | null;
  simple_value?: number;
  metadata?: { data_class: string; plugin_name: string; plugin_content_hex: string; plugin_content?: unknown };
  histo?: { min: number; max: number; num: number; sum: number; sum_squares: number; bucket_limit: number[]; bucket: number[] };
  image?: { height: number; width: number; colorspace: number; encoded_len: number; sha256: string };
  tensor?: { dtype: string; shape: number[]; values: unknown };
}

function eventFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...eventFiles(full));
    else if (name.includes('tfevents') && !name.endsWith('.jsonl')) out.push(full);
  }
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const DATA_CLASSES = ['DATA_CLASS_UNKNOWN', 'DATA_CLASS_SCALAR', 'DATA_CLASS_TENSOR', 'DATA_CLASS_BLOB_SEQUENCE'];

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Our camelCase hparams object in the oracle's snake_case (hparam names left as they are). */
function toSnake(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toSnake(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [keepKeys ? k : snake(k), toSnake(v, k === 'hparams')]));
  }
  return value;
}

function flatten(values: unknown): unknown[] {
  return Array.isArray(values) ? values.flatMap(flatten) : [values];
}

function checkValue(ours: TfEvent, oracle: OracleValue, where: string): void {
  expect((ours as { tag?: string }).tag, where).toBe(oracle.tag);
  const metadata = (ours as { metadata?: { pluginName: string; pluginContent: Uint8Array; dataClass: number } }).metadata;
  if (oracle.metadata) {
    expect(metadata, `${where}: metadata`).toBeDefined();
    expect(metadata!.pluginName, where).toBe(oracle.metadata.plugin_name);
    expect(hex(metadata!.pluginContent), where).toBe(oracle.metadata.plugin_content_hex);
    expect(DATA_CLASSES[metadata!.dataClass], where).toBe(oracle.metadata.data_class);
  } else {
    expect(metadata, `${where}: no metadata`).toBeUndefined();
  }
  switch (oracle.kind) {
    case 'simple_value':
      expect(ours.kind, where).toBe('scalar');
      if (ours.kind === 'scalar') {
        expect(ours.value, where).toBe(oracle.simple_value);
        expect(ours.dtype).toBe('DT_FLOAT');
      }
      break;
    case 'histo': {
      expect(ours.kind, where).toBe('histogram');
      if (ours.kind !== 'histogram' || ours.histogram.format !== 'proto') throw new Error(`${where}: expected a HistogramProto`);
      const h = ours.histogram;
      const o = oracle.histo!;
      expect([h.min, h.max, h.num, h.sum, h.sumSquares], where).toEqual([o.min, o.max, o.num, o.sum, o.sum_squares]);
      expect(h.bucketLimits, where).toEqual(o.bucket_limit);
      expect(h.bucketCounts, where).toEqual(o.bucket);
      break;
    }
    case 'image': {
      expect(ours.kind, where).toBe('image');
      if (ours.kind !== 'image') return;
      const o = oracle.image!;
      expect([ours.width, ours.height, ours.colorspace], where).toEqual([o.width, o.height, o.colorspace]);
      expect(ours.images).toHaveLength(1);
      expect(ours.images[0]!.length, where).toBe(o.encoded_len);
      expect(sha256(ours.images[0]!), where).toBe(o.sha256);
      break;
    }
    case 'tensor': {
      const t = oracle.tensor!;
      if (oracle.metadata?.plugin_name === 'scalars') {
        expect(ours.kind, where).toBe('scalar');
        if (ours.kind === 'scalar') {
          expect(ours.value, where).toBe(t.values);
          expect(ours.dtype, where).toBe(t.dtype);
        }
        return;
      }
      if (checkPluginTensor(ours, oracle, where)) return;
      expect(ours.kind, where).toBe('tensor');
      if (ours.kind !== 'tensor') return;
      expect(ours.tensor!.dtype, where).toBe(t.dtype);
      expect(ours.tensor!.shape, where).toEqual(t.shape);
      if (t.dtype === 'DT_STRING') {
        const expected = t.values as { len: number; sha256: string; head_hex: string };
        const bytes = ours.tensor!.values[0] as Uint8Array;
        expect(bytes.length, where).toBe(expected.len);
        expect(sha256(bytes), where).toBe(expected.sha256);
      } else {
        expect(ours.tensor!.values, where).toEqual(flatten(t.values));
      }
      break;
    }
    case null: {
      // A value holding metadata only: the hparams plugin's session records.
      expect(ours.kind, where).toBe('hparams');
      if (ours.kind === 'hparams') {
        const { version, ...data } = ours.data;
        expect(version).toBe(0);
        expect(toSnake(data), where).toEqual(oracle.metadata!.plugin_content);
      }
      break;
    }
    default:
      throw new Error(`${where}: oracle kind ${oracle.kind} not covered by this test`);
  }
}

/** pr_curves and custom_scalars tensors decode to their typed events; the values must still be the oracle's. */
function checkPluginTensor(ours: TfEvent, oracle: OracleValue, where: string): boolean {
  const t = oracle.tensor!;
  if (oracle.metadata?.plugin_name === 'pr_curves') {
    expect(ours.kind, where).toBe('prCurve');
    if (ours.kind !== 'prCurve') return true;
    expect(ours.numThresholds, where).toBe((oracle.metadata.plugin_content as { num_thresholds: number }).num_thresholds);
    const rows = [ours.truePositives, ours.falsePositives, ours.trueNegatives, ours.falseNegatives, ours.precision, ours.recall];
    expect([6, rows[0]!.length], where).toEqual(t.shape);
    expect(rows.flat(), where).toEqual(flatten(t.values));
    return true;
  }
  if (oracle.metadata?.plugin_name === 'custom_scalars') {
    expect(ours.kind, where).toBe('customScalars');
    if (ours.kind !== 'customScalars') return true;
    // Re-encoding the decoded layout gives back the very bytes in the file.
    const message = {
      version: ours.layout.version,
      category: ours.layout.categories.map((c) => ({
        title: c.title,
        closed: c.closed,
        chart: c.charts.map((ch) => ({ title: ch.title, ...(ch.multiline ? { multiline: { tag: ch.multiline.tags } } : {}), ...(ch.margin ? { margin: { series: ch.margin.series } } : {}) })),
      })),
    };
    const bytes = LayoutType.encode(LayoutType.fromObject(message)).finish();
    const expected = t.values as { len: number; sha256: string };
    expect([bytes.length, sha256(bytes)], where).toEqual([expected.len, expected.sha256]);
    return true;
  }
  return false;
}

function checkFile(file: string, events: TfEvent[]): void {
  const oracle = readFileSync(`${file}.oracle.jsonl`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OracleLine);
  // Group our events by record (byte offset), in file order.
  const records: TfEvent[][] = [];
  let lastOffset = -1;
  for (const e of events) {
    if (e.offset !== lastOffset) records.push([]);
    records[records.length - 1]!.push(e);
    lastOffset = e.offset;
  }
  const oracleEvents = oracle.filter((l) => l.type === 'event');
  const end = oracle.find((l) => l.type === 'file_end')!;
  expect(end.status).toBe('ok');
  expect(records.length, 'records').toBe(end.records);
  expect(records.length).toBe(oracleEvents.length);
  oracleEvents.forEach((o, i) => {
    const group = records[i]!;
    const where = `${path.basename(file)} record ${o.index}`;
    for (const e of group) {
      expect(e.wallTime, where).toBe(o.wall_time);
      expect(e.step, where).toBe(o.step);
      expect(e.file).toBe(file);
    }
    const [first] = group;
    switch (o.what) {
      case 'file_version':
        expect(first?.kind, where).toBe('fileVersion');
        if (first?.kind === 'fileVersion') {
          expect(first.version).toBe(o.file_version);
          expect(first.sourceWriter).toBe(o.source_writer);
        }
        break;
      case 'graph_def':
      case 'meta_graph_def': {
        const ref = o.what === 'graph_def' ? o.graph_def! : o.meta_graph_def!;
        expect(first?.kind, where).toBe(o.what === 'graph_def' ? 'graph' : 'metaGraph');
        const bytes = (first as { bytes: Uint8Array }).bytes;
        expect(bytes.length).toBe(ref.bytes_len);
        expect(sha256(bytes)).toBe(ref.sha256);
        break;
      }
      case 'session_log':
        expect(first?.kind, where).toBe('sessionLog');
        if (first?.kind === 'sessionLog') {
          expect({ status: first.status, msg: first.msg, checkpoint_path: first.checkpointPath }).toEqual(o.session_log);
        }
        break;
      case 'tagged_run_metadata':
        expect(first?.kind, where).toBe('runMetadata');
        if (first?.kind === 'runMetadata') {
          expect(first.tag).toBe(o.tagged_run_metadata!.tag);
          expect(first.bytes.length).toBe(o.tagged_run_metadata!.run_metadata_len);
          expect(sha256(first.bytes)).toBe(o.tagged_run_metadata!.sha256);
        }
        break;
      case 'summary':
        expect(group.length, where).toBe(o.values!.length);
        o.values!.forEach((v, j) => checkValue(group[j]!, v, `${where} value ${j}`));
        break;
      default:
        throw new Error(`${where}: oracle event ${o.what} not covered by this test`);
    }
  });
}

const files = HAVE_FIXTURES ? eventFiles(FIXTURES) : [];

describe('fixtures decode exactly as TensorBoard decoded them', () => {
  itWithFixtures('finds the 15 fixture files', () => {
    expect(files).toHaveLength(15);
  });

  for (const file of files) {
    it(path.relative(FIXTURES, file), async () => {
      const events = await collect(readEvents(file));
      checkFile(file, events);
    });
  }

  itWithFixtures('reads a two-file run in name order with readRun', async () => {
    // The fixture directory also holds the .oracle.jsonl files, whose names contain
    // "tfevents"; TensorBoard would try to read them too. Read the two event files alone.
    await using tmp = await tempDir();
    const src = path.join(FIXTURES, 'pytorch/my_first_experiment');
    for (const name of readdirSync(src).filter((n) => !n.endsWith('.jsonl'))) copyFileSync(path.join(src, name), path.join(tmp.dir, name));
    const events = await collect(readRun(tmp.dir));
    const names = [...new Set(events.map((e) => path.basename(e.file)))];
    expect(names).toEqual(['events.out.tfevents.1771594466.zyzkings.21024.0', 'events.out.tfevents.1771596596.zyzkings.7880.0']);
    const loss = events.filter((e) => e.kind === 'scalar' && e.tag === 'Metrics/Loss');
    expect(loss).toHaveLength(200);
  });
});
