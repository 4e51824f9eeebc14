import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../src/proto/index.js';
import { encodeRecord, readEvents, type TfEvent } from '../src/index.js';
import { collect, tempDir } from './helpers.js';

/** Writes Events given as protobufjs plain objects, the way TF2's C++ writer lays them out. */
async function roundTrip(events: Array<Record<string, unknown>>): Promise<TfEvent[]> {
  await using tmp = await tempDir();
  const file = path.join(tmp.dir, 'events.out.tfevents.1.host');
  writeFileSync(file, Buffer.concat(events.map((e) => encodeRecord(encodeEvent(e)))));
  return collect(readEvents(file));
}

const f64 = (values: number[]) => Buffer.from(new Float64Array(values).buffer);
const shape = (...dims: number[]) => ({ dim: dims.map((size) => ({ size })) });
const meta = (pluginName: string) => ({ pluginData: { pluginName } });

describe('TF2 tensor forms', () => {
  it('decodes histogram, image, text, scalar and numeric tensors, remembering first metadata per tag', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const events = await roundTrip([
      { wallTime: 1, fileVersion: 'brain.Event:2' },
      { wallTime: 2, step: 1, summary: { value: [{ tag: 'h', metadata: meta('histograms'), tensor: { dtype: 2, tensorShape: shape(2, 3), tensorContent: f64([0, 1, 5, 1, 2, 7]) } }] } },
      { wallTime: 3, step: 2, summary: { value: [{ tag: 'h', tensor: { dtype: 2, tensorShape: shape(1, 3), doubleVal: [4, 8, 2] } }] } },
      { wallTime: 4, step: 3, summary: { value: [{ tag: 'img', metadata: meta('images'), tensor: { dtype: 7, tensorShape: shape(3), stringVal: [Buffer.from('640'), Buffer.from('480'), png] } }] } },
      { wallTime: 5, step: 4, summary: { value: [{ tag: 'txt', metadata: meta('text'), tensor: { dtype: 7, tensorShape: shape(2), stringVal: [Buffer.from('a'), Buffer.from('β')] } }] } },
      { wallTime: 6, step: 5, summary: { value: [{ tag: 'd', metadata: meta('scalars'), tensor: { dtype: 2, tensorShape: {}, doubleVal: [0.1] } }] } },
      { wallTime: 7, step: 6, summary: { value: [{ tag: 'd', tensor: { dtype: 1, tensorShape: {}, floatVal: [0.25] } }] } },
      { wallTime: 8, step: 7, summary: { value: [{ tag: 'i64', metadata: meta('custom'), tensor: { dtype: 9, tensorShape: shape(2), int64Val: [-5, '9007199254740993'] } }] } },
      { wallTime: 9, step: 8, summary: { value: [{ tag: 'half', tensor: { dtype: 19, tensorShape: shape(2), halfVal: [0x3c00, 0xc000] } }] } },
      { wallTime: 10, step: 9, summary: { value: [{ tag: 'fill', tensor: { dtype: 3, tensorShape: shape(2, 2), intVal: [7] } }] } },
      { wallTime: 11, step: -3, sessionLog: { status: 3, checkpointPath: '/ckpt', msg: 'saved' } },
      { wallTime: 12, step: 10 },
    ]);
    expect(events.map((e) => e.kind)).toEqual(['fileVersion', 'histogram', 'histogram', 'image', 'text', 'scalar', 'scalar', 'tensor', 'tensor', 'tensor', 'sessionLog', 'event']);
    expect(events[1]).toMatchObject({ tag: 'h', step: 1, histogram: { format: 'tensor', buckets: [{ left: 0, right: 1, count: 5 }, { left: 1, right: 2, count: 7 }] } });
    expect(events[2]).toMatchObject({ histogram: { format: 'tensor', buckets: [{ left: 4, right: 8, count: 2 }] } });
    expect(events[2]).not.toHaveProperty('metadata');
    expect(events[3]).toMatchObject({ kind: 'image', width: 640, height: 480, images: [new Uint8Array(png)] });
    expect(events[4]).toMatchObject({ kind: 'text', text: 'a', values: ['a', 'β'], shape: [2] });
    expect(events[5]).toMatchObject({ kind: 'scalar', value: 0.1, dtype: 'DT_DOUBLE' });
    expect(events[6]).toMatchObject({ kind: 'scalar', value: 0.25, dtype: 'DT_FLOAT' });
    expect(events[7]).toMatchObject({ kind: 'tensor', pluginName: 'custom', tensor: { dtype: 'DT_INT64', shape: [2], values: [-5n, 9007199254740993n] } });
    expect(events[8]).toMatchObject({ tensor: { dtype: 'DT_HALF', values: [1, -2] } });
    expect(events[9]).toMatchObject({ tensor: { dtype: 'DT_INT32', shape: [2, 2], values: [7, 7, 7, 7] } });
    expect(events[10]).toMatchObject({ kind: 'sessionLog', status: 'CHECKPOINT', checkpointPath: '/ckpt', msg: 'saved', step: -3 });
    expect(events[11]).toMatchObject({ kind: 'event', step: 10, wallTime: 12 });
  });
});
