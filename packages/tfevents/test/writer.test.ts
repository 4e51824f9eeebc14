import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { isStorageError } from '@store/backend-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventType } from '../src/proto/index.js';
import { SummaryWriter, listEventFiles, readEvents, readRun, type TfEvent } from '../src/index.js';
import { collect, tempDir } from './helpers.js';

/** A valid 2x1 RGB PNG, built here so the test needs no binary fixture. */
function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Raw Event protos of a file, for checking the on-disk forms. */
function rawEvents(file: string): Array<Record<string, unknown>> {
  const buf = readFileSync(file);
  const out: Array<Record<string, unknown>> = [];
  for (let p = 0; p < buf.length; ) {
    const len = buf.readUInt32LE(p);
    out.push(EventType.toObject(EventType.decode(buf.subarray(p + 12, p + 12 + len)), { longs: Number, enums: String }) as Record<string, unknown>);
    p += len + 16;
  }
  return out;
}

describe('SummaryWriter', () => {
  it('writes every kind and reads it back identically', async () => {
    await using tmp = await tempDir();
    const png = tinyPng();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    writer.addScalar('loss', 0.1, 1, 1700000000.25);
    writer.addScalar('loss', -3.5, 2, 1700000001.5);
    writer.addScalar('loss', Number.NaN, 3, 1700000002);
    writer.addHistogram('weights', [1, 2, 2, 3, 10], 4, { bins: 3, wallTime: 1700000003 });
    writer.addHistogramRaw('raw', { min: 0, max: 2, num: 3, sum: 3, sumSquares: 5, bucketLimits: [1, 2], bucketCounts: [1, 2] }, 5, 1700000004);
    writer.addText('notes', 'héllo *markdown*', 6, 1700000005);
    writer.addImage('img', png, 7, { wallTime: 1700000006 });
    writer.addProfiling('epoch', { durationMs: 12.5, counters: { samples: 640 } }, 8, 1700000007);
    writer.addHparams({ lr: 0.01, optimizer: 'adam', nesterov: true }, { 'hparam/accuracy': 0.75 }, { wallTime: 1700000008, runName: '.' });
    await writer.close();

    const events = await collect(readRun(tmp.dir));
    const byKind = (k: TfEvent['kind']) => events.filter((e) => e.kind === k);
    expect(events[0]).toMatchObject({ kind: 'fileVersion', version: 'brain.Event:2' });
    const loss = byKind('scalar').filter((e) => e.kind === 'scalar' && e.tag === 'loss');
    expect(loss.map((e) => (e.kind === 'scalar' ? e.value : 0))).toEqual([Math.fround(0.1), -3.5, Number.NaN]);
    expect(loss.map((e) => [e.step, e.wallTime])).toEqual([
      [1, 1700000000.25],
      [2, 1700000001.5],
      [3, 1700000002],
    ]);
    const [hist, raw] = byKind('histogram');
    expect(hist).toMatchObject({ tag: 'weights', step: 4, histogram: { format: 'proto', min: 1, max: 10, num: 5, sum: 18, sumSquares: 118, bucketLimits: [4, 7, 10], bucketCounts: [4, 0, 1] } });
    expect(raw).toMatchObject({ tag: 'raw', histogram: { bucketLimits: [1, 2], bucketCounts: [1, 2] } });
    expect(byKind('text')[0]).toMatchObject({ tag: 'notes', text: 'héllo *markdown*', shape: [], step: 6 });
    const image = byKind('image')[0]!;
    expect(image).toMatchObject({ tag: 'img', width: 2, height: 1, colorspace: 3, step: 7 });
    expect(image.kind === 'image' && Buffer.from(image.images[0]!).equals(Buffer.from(png))).toBe(true);
    const profiling = events.filter((e) => e.kind === 'scalar' && e.tag.startsWith('profiling/'));
    expect(profiling.map((e) => [e.kind === 'scalar' && e.tag, e.kind === 'scalar' && e.value, e.offset === profiling[0]!.offset])).toEqual([
      ['profiling/epoch/duration_ms', 12.5, true],
      ['profiling/epoch/samples', 640, true],
    ]);
    const hparams = byKind('hparams');
    expect(hparams.map((e) => e.kind === 'hparams' && e.tag)).toEqual(['_hparams_/experiment', '_hparams_/session_start_info', '_hparams_/session_end_info']);
    expect(hparams[1]).toMatchObject({ data: { sessionStartInfo: { hparams: { lr: 0.01, optimizer: 'adam', nesterov: true } } } });
    expect(hparams[0]).toMatchObject({
      data: {
        experiment: {
          hparamInfos: [
            { name: 'lr', type: 'DATA_TYPE_FLOAT64' },
            { name: 'optimizer', type: 'DATA_TYPE_STRING' },
            { name: 'nesterov', type: 'DATA_TYPE_BOOL' },
          ],
          metricInfos: [{ name: { tag: 'hparam/accuracy' } }],
        },
      },
    });
    expect(hparams[2]).toMatchObject({ data: { sessionEndInfo: { status: 'STATUS_SUCCESS' } } });
    expect(loss.length + byKind('scalar').filter((e) => e.kind === 'scalar' && e.tag === 'hparam/accuracy').length).toBe(4);
  });

  it('uses only forms TensorBoard loads: file_version first, simple_value float32, plugin metadata on first values', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir, filenameSuffix: '.v2' });
    writer.addScalar('a', 1.5, 0, 1);
    writer.addScalar('a', 2.5, 1, 2);
    writer.addText('t', 'x', 0, 3);
    writer.addHistogram('h', [1, 2], 0, { wallTime: 4 });
    await writer.close();
    const [name] = await listEventFiles(tmp.dir);
    expect(name).toMatch(/^events\.out\.tfevents\.\d{10}\.[^/]+\.\d+\.\d+\.v2$/);
    const raw = rawEvents(path.join(tmp.dir, name!));
    expect(raw[0]).toMatchObject({ fileVersion: 'brain.Event:2' });
    expect(raw[1]).toEqual({ wallTime: 1, summary: { value: [{ tag: 'a', simpleValue: 1.5, metadata: { pluginData: { pluginName: 'scalars' }, dataClass: 'DATA_CLASS_SCALAR' } }] } });
    expect(raw[2]).toEqual({ wallTime: 2, step: 1, summary: { value: [{ tag: 'a', simpleValue: 2.5 }] } });
    expect(raw[3]).toMatchObject({ summary: { value: [{ tag: 't', metadata: { pluginData: { pluginName: 'text' } }, tensor: { dtype: 'DT_STRING', tensorShape: {} } }] } });
    expect(raw[4]).toMatchObject({ summary: { value: [{ tag: 'h', metadata: { pluginData: { pluginName: 'histograms' } } }] } });
    // Legacy forms carry no data_class: TensorBoard's Rust loader would take one as authoritative.
    expect((raw[4]!.summary as { value: Array<{ metadata: Record<string, unknown> }> }).value[0]!.metadata).not.toHaveProperty('dataClass');
  });

  it('rotates at maxFileSize to names that sort later, each file complete on its own', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir, maxFileSize: 2048 });
    const written: Array<[string, number, number]> = [];
    for (let i = 0; i < 1500; i++) {
      const tag = `tag/${i % 3}`;
      writer.addScalar(tag, i / 3, i, 1000 + i);
      written.push([tag, Math.fround(i / 3), i]);
      if (i % 100 === 0) writer.addHistogram('hist', [i, i + 1, i + 2], i, { bins: 4, wallTime: 1000 + i });
    }
    const files = new Set<string>();
    // Creation order is the order currentFile took its values.
    const created: string[] = [];
    await writer.flush();
    created.push(path.basename(writer.currentFile));
    await writer.close();
    const names = await listEventFiles(tmp.dir);
    expect(names.length).toBeGreaterThan(12); // crosses n = 9 -> 10 within the same second
    for (const name of names) expect(statSync(path.join(tmp.dir, name)).size).toBeLessThanOrEqual(2048);
    expect(names[names.length - 1]).toBe(created[0]);
    // Every file starts with file_version and carries metadata on the first value of each tag.
    for (const name of names) {
      const raw = rawEvents(path.join(tmp.dir, name));
      expect(raw[0]).toMatchObject({ fileVersion: 'brain.Event:2' });
      const seen = new Set<string>();
      for (const e of raw.slice(1)) {
        for (const v of (e.summary as { value: Array<{ tag: string; metadata?: unknown }> }).value) {
          expect(v.metadata !== undefined, `${name} ${v.tag}`).toBe(!seen.has(v.tag));
          seen.add(v.tag);
        }
      }
    }
    const events = await collect(readRun(tmp.dir));
    for (const e of events) files.add(e.file);
    expect([...files].map((f) => path.basename(f))).toEqual(names);
    const scalars = events.filter((e) => e.kind === 'scalar').map((e) => (e.kind === 'scalar' ? [e.tag, e.value, e.step] : []));
    expect(scalars).toEqual(written);
    expect(events.filter((e) => e.kind === 'histogram')).toHaveLength(15);
  });

  it('round-trips random scalar streams exactly as float32', async () => {
    await using tmp = await tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tag: fc.string({ minLength: 1, maxLength: 30 }), value: fc.double(), step: fc.integer({ min: -1e12, max: 1e12 }), wallTime: fc.double({ min: 0, max: 4e9, noNaN: true }) }), { maxLength: 60 }),
        fc.integer({ min: 200, max: 5000 }),
        async (items, maxFileSize) => {
          const dir = path.join(tmp.dir, String(run++));
          const writer = new SummaryWriter({ logDir: dir, maxFileSize });
          for (const it of items) writer.addScalar(it.tag, it.value, it.step, it.wallTime);
          await writer.close();
          const back = (await collect(readRun(dir))).filter((e) => e.kind === 'scalar');
          expect(back.map((e) => (e.kind === 'scalar' ? [e.tag, e.value, e.step, e.wallTime] : []))).toEqual(items.map((it) => [it.tag, Math.fround(it.value), it.step, it.wallTime]));
        },
      ),
      { seed: 11, numRuns: 40 },
    );
  });

  it('addScalars writes one sub-run per key, like PyTorch', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    writer.addScalars('loss/group', { train: 1, val: 2 }, 3, 10);
    writer.addScalars('loss/group', { train: 4, val: 5 }, 4, 11);
    await writer.close();
    expect(readdirSync(tmp.dir).filter((n) => !n.includes('tfevents')).sort()).toEqual(['loss_group_train', 'loss_group_val']);
    const train = (await collect(readRun(path.join(tmp.dir, 'loss_group_train')))).filter((e) => e.kind === 'scalar');
    expect(train.map((e) => (e.kind === 'scalar' ? [e.tag, e.value, e.step] : []))).toEqual([
      ['loss/group', 1, 3],
      ['loss/group', 4, 4],
    ]);
  });

  it('rejects bad input with EINVAL and use after close with ECLOSED', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isStorageError(e) ? e.code : 'not a StorageError';
      }
      return 'no error';
    };
    expect(code(() => writer.addScalar('', 1))).toBe('EINVAL');
    expect(code(() => writer.addScalar('x', '1' as unknown as number))).toBe('EINVAL');
    expect(code(() => writer.addScalar('x', 1, 1.5))).toBe('EINVAL');
    expect(code(() => writer.addScalar('x', 1, 2 ** 60))).toBe('EINVAL');
    expect(code(() => writer.addScalar('x', 1, 0, Number.NaN))).toBe('EINVAL');
    expect(code(() => writer.addHistogram('h', []))).toBe('EINVAL');
    expect(code(() => writer.addHistogram('h', [1, Number.POSITIVE_INFINITY]))).toBe('EINVAL');
    expect(code(() => writer.addImage('i', new Uint8Array([1, 2, 3])))).toBe('EINVAL');
    expect(code(() => writer.addScalars('m', { '../escape': 1 }))).toBe('EINVAL');
    expect(code(() => writer.addHparams({ bad: {} as unknown as number }))).toBe('EINVAL');
    expect(code(() => writer.addProfiling('p', {}))).toBe('EINVAL');
    expect(code(() => new SummaryWriter({ logDir: tmp.dir, maxFileSize: 0 }).close())).toBe('EINVAL');
    await writer.close();
    await writer.close();
    expect(code(() => writer.addScalar('x', 1))).toBe('ECLOSED');
    // Nothing from the rejected calls reached the file.
    const events = await collect(readRun(tmp.dir));
    expect(events.map((e) => e.kind)).toEqual(['fileVersion']);
  });

  it('reports a write failure on the next call instead of losing data silently', async () => {
    await using tmp = await tempDir();
    const blocker = path.join(tmp.dir, 'file');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(blocker, 'not a directory');
    const writer = new SummaryWriter({ logDir: path.join(blocker, 'run') });
    writer.addScalar('x', 1);
    await expect(writer.flush()).rejects.toMatchObject({ code: expect.stringMatching(/ENOTDIR|EEXIST|EIO/) });
    await expect(writer.close()).rejects.toMatchObject({ name: 'StorageError' });
  });

  it('reads text back byte for byte, a leading byte order mark too (as TensorBoard does)', async () => {
    // The tensor holds UTF-8 bytes; TensorBoard decodes them with Python's 'utf-8' codec, which
    // keeps a leading U+FEFF. TextDecoder drops it unless told not to.
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    writer.addText('notes', '\uFEFF# title', 1, 1700000000);
    await writer.close();
    const text = (await collect(readRun(tmp.dir))).find((e) => e.kind === 'text');
    expect(text).toMatchObject({ kind: 'text', text: '\uFEFF# title', values: ['\uFEFF# title'] });
  });

  it('supports await using', async () => {
    await using tmp = await tempDir();
    {
      await using writer = new SummaryWriter({ logDir: tmp.dir });
      writer.addScalar('x', 2, 1, 5);
    }
    const [file] = await listEventFiles(tmp.dir);
    const events = await collect(readEvents(path.join(tmp.dir, file!)));
    expect(events.map((e) => e.kind)).toEqual(['fileVersion', 'scalar']);
  });
});

describe('SummaryWriter rotation edge', () => {
  it('puts a record larger than maxFileSize alone in its own file', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir, maxFileSize: 300 });
    writer.addScalar('a', 1, 1, 1);
    writer.addText('big', 'x'.repeat(1000), 2, 2);
    writer.addScalar('a', 3, 3, 3);
    await writer.close();
    const names = await listEventFiles(tmp.dir);
    expect(names).toHaveLength(3);
    const kinds = names.map((n) => rawEvents(path.join(tmp.dir, n)).map((e) => Object.keys(e).find((k) => k === 'fileVersion' || k === 'summary')));
    expect(kinds).toEqual([
      ['fileVersion', 'summary'],
      ['fileVersion', 'summary'],
      ['fileVersion', 'summary'],
    ]);
  });
});
