import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isStorageError } from '@store/backend-core';
import fc from 'fast-check';
import { decode as decodePng } from 'fast-png';
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { EventType } from '../src/proto/index.js';
import { SummaryWriter, computePrCurve, decodeWav, encodeWav, readEmbeddings, readEvents, readRun, type CustomScalarsLayout, type TfEvent } from '../src/index.js';
import { EventDecoder } from '../src/decode.js';
import { pythonJson } from '../src/mesh.js';
import { pythonFloatRepr } from '../src/embedding.js';
import { parseTextFormat } from '../src/projector-config.js';
import { FIXTURES, collect, tempDir } from './helpers.js';

// Expected values here are derived by hand from the plugins' summary code (PyTorch's
// torch/utils/tensorboard/summary.py and TensorBoard's plugins/*/summary.py and .proto files);
// test/tensorboard-oracle.test.ts checks the same methods against PyTorch and TensorBoard
// themselves when the Python venv is present.

async function writeAndRead(fill: (w: SummaryWriter) => void): Promise<TfEvent[]> {
  await using tmp = await tempDir();
  const w = new SummaryWriter({ logDir: tmp.dir });
  fill(w);
  await w.close();
  return (await collect(readRun(tmp.dir))).filter((e) => e.kind !== 'fileVersion');
}

/** Asserts `call` throws EINVAL naming `field` and that the run holds nothing but its header. */
async function rejects(call: (w: SummaryWriter) => void, field: string | RegExp): Promise<void> {
  await using tmp = await tempDir();
  const w = new SummaryWriter({ logDir: tmp.dir });
  let error: unknown;
  try {
    call(w);
  } catch (e) {
    error = e;
  }
  expect(isStorageError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe('EINVAL');
  if (typeof field === 'string') expect((error as { field?: string }).field).toBe(field);
  else expect((error as { field?: string }).field).toMatch(field);
  await w.close();
  const events = await collect(readRun(tmp.dir));
  expect(events.map((e) => e.kind)).toEqual(['fileVersion']);
  expect(readdirSync(tmp.dir).filter((f) => !f.includes('tfevents'))).toEqual([]);
}

const PR_FIXTURE = path.join(FIXTURES, 'pytorch/pr_curve_experiment/events.out.tfevents.1771596445.zyzkings.30376.0');
const CUSTOM_FIXTURE = path.join(FIXTURES, 'pytorch-2019-custom-scalars/events.out.tfevents.111.complex.localdomain');

describe('addPrCurve / addPrCurveRaw', () => {
  it('computes the curve as PyTorch compute_curve does (worked example)', () => {
    // n = 5 thresholds: bucket = floor(p · 4): 0.9→3, 0.1→0, 0.6→2, 0.7→2.
    // tp buckets [0,0,1,1,0] (labels true at 0.9 and 0.6), fp buckets [1,0,1,0,0].
    // Reverse cumulative: tp [2,2,2,1,0], fp [2,1,1,0,0]; tn = fp0 − fp, fn = tp0 − tp.
    const c = Array.from(computePrCurve([true, false, true, false], [0.9, 0.1, 0.6, 0.7], { numThresholds: 5 }));
    expect(c.slice(0, 5)).toEqual([2, 2, 2, 1, 0]);
    expect(c.slice(5, 10)).toEqual([2, 1, 1, 0, 0]);
    expect(c.slice(10, 15)).toEqual([0, 1, 1, 2, 2]);
    expect(c.slice(15, 20)).toEqual([0, 0, 0, 1, 2]);
    expect(c.slice(20, 25)).toEqual([0.5, 2 / 3, 2 / 3, 1, 0]);
    expect(c.slice(25, 30)).toEqual([1, 1, 1, 0.5, 0]);
    // Weights scale the counts; a float32 prediction array is bucketed in float32.
    const w = computePrCurve([1, 0], new Float32Array([1, 0.5]), { numThresholds: 3, weights: [2, 0.5] });
    expect(Array.from(w.slice(0, 3))).toEqual([2, 2, 2]);
    expect(Array.from(w.slice(3, 6))).toEqual([0.5, 0.5, 0]);
  });

  it('writes what PyTorch wrote in the fixture: plugin pr_curves, PrCurvePluginData{num_thresholds: 127}, DT_FLOAT [6, 127]', async (ctx) => {
    if (!existsSync(PR_FIXTURE)) ctx.skip(`fixture missing: ${PR_FIXTURE} (../shared absent)`);
    const theirs = (await collect(readEvents(PR_FIXTURE))).find((e) => e.kind === 'prCurve')!;
    const ours = (await writeAndRead((w) => w.addPrCurve('Evaluations/PR_Curve', [true, false, true], [0.2, 0.4, 0.9]))).find((e) => e.kind === 'prCurve')!;
    expect(ours.metadata!.pluginName).toBe(theirs.metadata!.pluginName);
    expect(Buffer.from(ours.metadata!.pluginContent).toString('hex')).toBe(Buffer.from(theirs.metadata!.pluginContent).toString('hex'));
    expect(ours.metadata!.dataClass).toBe(theirs.metadata!.dataClass);
    if (ours.kind !== 'prCurve' || theirs.kind !== 'prCurve') throw new Error('not a pr curve');
    expect(ours.truePositives).toHaveLength(127);
    expect(ours.numThresholds).toBe(theirs.numThresholds);
    // The fixture's rows satisfy the identities compute_curve builds them with.
    for (const e of [ours, theirs]) {
      if (e.kind !== 'prCurve') continue;
      e.truePositives.forEach((tp, j) => {
        expect(tp + e.falseNegatives[j]!).toBe(e.truePositives[0]);
        expect(e.falsePositives[j]! + e.trueNegatives[j]!).toBe(e.falsePositives[0]);
        expect(e.precision[j]).toBe(Math.fround(tp / Math.max(1e-7, tp + e.falsePositives[j]!)));
      });
    }
  });

  it('raw curves keep their rows; numThresholds defaults to the row length', async () => {
    const [e] = await writeAndRead((w) => w.addPrCurveRaw('raw', { truePositives: [3, 1], falsePositives: [2, 0], trueNegatives: [0, 2], falseNegatives: [0, 2], precision: [0.6, 1], recall: [1, 1 / 3] }, 4));
    expect(e).toMatchObject({ kind: 'prCurve', step: 4, numThresholds: 2, truePositives: [3, 1], recall: [1, Math.fround(1 / 3)] });
  });

  it('rejects bad input and writes nothing', async () => {
    await rejects((w) => w.addPrCurve('pr', [true], [1.5]), 'predictions[0]');
    await rejects((w) => w.addPrCurve('pr', [true], [Number.NaN]), 'predictions[0]');
    await rejects((w) => w.addPrCurve('pr', [2], [0.5]), 'labels[0]');
    await rejects((w) => w.addPrCurve('pr', [true, false], [0.5]), 'labels');
    await rejects((w) => w.addPrCurve('pr', [true], [0.5], 0, { numThresholds: 1 }), 'numThresholds');
    await rejects((w) => w.addPrCurve('pr', [true], [0.5], 0, { weights: [1, 2] }), 'weights');
    await rejects((w) => w.addPrCurve('p\ud800', [true], [0.5]), 'tag');
    await rejects((w) => w.addPrCurveRaw('raw', { truePositives: [1], falsePositives: [1, 2], trueNegatives: [1], falseNegatives: [1], precision: [1], recall: [1] }), 'falsePositives');
  });
});

describe('addCustomScalars', () => {
  it('reproduces the layout bytes PyTorch wrote in the fixture', async (ctx) => {
    if (!existsSync(CUSTOM_FIXTURE)) ctx.skip(`fixture missing: ${CUSTOM_FIXTURE} (../shared absent)`);
    const theirs = (await collect(readEvents(CUSTOM_FIXTURE))).find((e) => e.kind === 'customScalars')!;
    if (theirs.kind !== 'customScalars') throw new Error('no layout');
    // The fixture's layout, rebuilt in PyTorch's dict form.
    const layout: CustomScalarsLayout = {};
    for (const c of theirs.layout.categories) {
      layout[c.title] = {};
      for (const ch of c.charts) {
        layout[c.title]![ch.title] = ch.margin ? ['Margin', [ch.margin.series[0]!.value, ch.margin.series[0]!.lower, ch.margin.series[0]!.upper]] : ['Multiline', ch.multiline!.tags];
      }
    }
    await using tmp = await tempDir();
    const w = new SummaryWriter({ logDir: tmp.dir });
    w.addCustomScalars(layout);
    await w.close();
    const raw = (file: string) => {
      const buf = readFileSync(file);
      const out: Array<Record<string, unknown>> = [];
      for (let p = 0; p < buf.length; ) {
        const len = buf.readUInt32LE(p);
        out.push(EventType.toObject(EventType.decode(buf.subarray(p + 12, p + 12 + len)), { longs: Number, bytes: String }) as Record<string, unknown>);
        p += len + 16;
      }
      return out.flatMap((e) => ((e.summary as { value?: unknown[] } | undefined)?.value ?? []) as Array<Record<string, unknown>>).find((v) => v.tag === 'custom_scalars__config__');
    };
    const file = readdirSync(tmp.dir).find((f) => f.includes('tfevents'))!;
    expect(raw(path.join(tmp.dir, file))).toEqual(raw(CUSTOM_FIXTURE));
  });

  it('decodes to the layout; rejects unknown chart types and margin charts without three tags', async () => {
    const [e] = await writeAndRead((w) => w.addCustomScalars({ A: { x: ['Multiline', ['a/.*']], m: ['Margin', ['v', 'lo', 'hi']] } }));
    expect(e).toMatchObject({ kind: 'customScalars', tag: 'custom_scalars__config__', step: 0, layout: { categories: [{ title: 'A', charts: [{ title: 'x', multiline: { tags: ['a/.*'] } }, { title: 'm', margin: { series: [{ value: 'v', lower: 'lo', upper: 'hi' }] } }] }] } });
    await rejects((w) => w.addCustomScalars({ A: { x: ['Bars', ['a']] } } as unknown as CustomScalarsLayout), 'layout.A.x');
    await rejects((w) => w.addCustomScalars({ A: { m: ['Margin', ['v', 'lo']] } } as unknown as CustomScalarsLayout), 'layout.A.m');
    await rejects((w) => w.addCustomScalars({ A: { x: ['Multiline', ['\udc00']] } }), 'layout.A.x[0]');
  });
});

describe('addAudio', () => {
  it('writes the 16-bit PCM WAV Python\'s wave module writes for PyTorch', async () => {
    const wav = Buffer.from(encodeWav(new Float32Array([0, 0.5, -1, 1.5, -0.25]), 8000));
    expect(wav.subarray(0, 44).toString('hex')).toBe(
      // RIFF, 36 + 10, WAVE, "fmt ", 16, PCM 1, mono 1, 8000 Hz, 16000 B/s, align 2, 16 bits, "data", 10
      '52494646' + '2e000000' + '57415645' + '666d7420' + '10000000' + '0100' + '0100' + '401f0000' + '803e0000' + '0200' + '1000' + '64617461' + '0a000000',
    );
    // trunc(s · 32767) after clipping to [-1, 1]: 0, 16383 (16383.5 truncated), −32767, 32767, −8191.
    expect([0, 1, 2, 3, 4].map((i) => wav.readInt16LE(44 + 2 * i))).toEqual([0, 16383, -32767, 32767, -8191]);
    const [e] = await writeAndRead((w) => w.addAudio('speech', [0.1, -0.1], 3, { sampleRate: 16000 }));
    expect(e).toMatchObject({ kind: 'audio', tag: 'speech', step: 3, sampleRate: 16000, numChannels: 1, lengthFrames: 2, contentType: 'audio/wav' });
    if (e?.kind !== 'audio') throw new Error('no audio');
    expect(Array.from(decodeWav(e.audio).samples)).toEqual([Math.trunc(0.1 * 32767) / 32767, Math.trunc(-0.1 * 32767) / 32767]);
  });

  it('rejects NaN samples and bad sample rates; decodeWav rejects non-WAV bytes', async () => {
    await rejects((w) => w.addAudio('a', [0, Number.NaN]), 'samples[1]');
    await rejects((w) => w.addAudio('a', [0], 0, { sampleRate: 0 }), 'sampleRate');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeWav(bytes);
        } catch (error) {
          expect(isStorageError(error)).toBe(true);
        }
      }),
    );
  });
});

describe('addImage from pixels, addImages, addVideo', () => {
  it('CHW floats, HWC bytes and HW gray become the PNG PyTorch writes (scaled, clipped, gray widened to RGB)', async () => {
    // 1×2 image: float values scale by 255 in float32, clip to [0, 255], truncate.
    const events = await writeAndRead((w) => {
      w.addImage('chw', { data: new Float32Array([0.5, 1.2, 0, -0.1, 1 / 3, 1]), shape: [3, 1, 2] }, 1);
      w.addImage('hwc', { data: new Uint8Array([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3], dataformats: 'HWC' }, 1);
      w.addImage('hw', { data: new Uint8Array([7, 8]), shape: [1, 2], dataformats: 'HW' }, 1);
      w.addImage('rgba', { data: new Uint8Array([1, 2, 3, 4]), shape: [4, 1, 1] }, 1);
    });
    const pixels = (tag: string) => {
      const e = events.find((x) => 'tag' in x && x.tag === tag);
      if (e?.kind !== 'image') throw new Error(tag);
      const png = decodePng(e.images[0]!);
      return { size: [e.width, e.height, e.colorspace], channels: png.channels, data: Array.from(png.data) };
    };
    expect(pixels('chw')).toEqual({ size: [2, 1, 3], channels: 3, data: [127, 0, 85, 255, 0, 255] });
    expect(pixels('hwc')).toEqual({ size: [2, 1, 3], channels: 3, data: [1, 2, 3, 4, 5, 6] });
    expect(pixels('hw')).toEqual({ size: [2, 1, 3], channels: 3, data: [7, 7, 7, 8, 8, 8] });
    expect(pixels('rgba')).toEqual({ size: [1, 1, 4], channels: 4, data: [1, 2, 3, 4] });
  });

  it('addImages lays a batch out as make_grid: 8 per row, black padding', async () => {
    const n = 9;
    const data = new Uint8Array(n * 1 * 1 * 1).map((_, i) => i + 1);
    const [e] = await writeAndRead((w) => w.addImages('grid', { data, shape: [n, 1, 1, 1] }, 2));
    if (e?.kind !== 'image') throw new Error('no image');
    expect([e.width, e.height]).toEqual([8, 2]);
    const png = decodePng(e.images[0]!);
    const reds = Array.from({ length: 16 }, (_, i) => png.data[i * 3]);
    expect(reds).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('addVideo writes an animated GIF of the batch grid with 1/fps per frame', async () => {
    // 3 videos → padded to 4, grid of 1 row × 4 columns (PyTorch's _prepare_video); 2 frames.
    const [b, t, c, h, wd] = [3, 2, 3, 2, 2];
    const data = new Uint8Array(b * t * c * h * wd).map((_, i) => (i % 3) * 100);
    const [e] = await writeAndRead((w) => w.addVideo('clip', { data, shape: [b, t, c, h, wd] }, 5, { fps: 10 }));
    if (e?.kind !== 'image') throw new Error('no image');
    expect([e.width, e.height, e.colorspace]).toEqual([8, 2, 3]);
    const gif = new GifReader(Buffer.from(e.images[0]!));
    expect([gif.width, gif.height, gif.numFrames(), gif.loopCount()]).toEqual([8, 2, 2, 0]);
    expect(gif.frameInfo(0).delay).toBe(10);
    const rgba = new Uint8Array(8 * 2 * 4);
    gif.decodeAndBlitFrameRGBA(1, rgba);
    // Frame 1, video 0, pixel (0, 0): channel k at ((0·2+1)·3+k)·4.
    expect([rgba[0], rgba[1], rgba[2]]).toEqual([0, 1, 2].map((k) => (((1 * 3 + k) * 4) % 3) * 100));
    // The padded fourth video is black.
    expect([rgba[6 * 4], rgba[6 * 4 + 1], rgba[6 * 4 + 2]]).toEqual([0, 0, 0]);
  });

  it('a video with more than 256 colors is quantized, frame by frame', async () => {
    const data = new Float32Array(1 * 2 * 3 * 16 * 32).map((_, i) => (i * 7919) % 1000 / 1000);
    const [e] = await writeAndRead((w) => w.addVideo('noise', { data, shape: [1, 2, 3, 16, 32] }));
    if (e?.kind !== 'image') throw new Error('no image');
    const gif = new GifReader(Buffer.from(e.images[0]!));
    expect([gif.width, gif.height, gif.numFrames()]).toEqual([32, 16, 2]);
  });

  it('rejects bad shapes, channel counts and NaN, writing nothing', async () => {
    await rejects((w) => w.addImage('x', { data: new Uint8Array(5), shape: [3, 1, 2] }), 'image.shape');
    await rejects((w) => w.addImage('x', { data: new Uint8Array(4), shape: [2, 1, 2] }), 'image.shape');
    await rejects((w) => w.addImage('x', { data: [0, Number.NaN, 0], shape: [3, 1, 1] }), 'image.data[1]');
    await rejects((w) => w.addImage('x', { data: new Uint8Array(3), shape: [3, 1, 1], dataformats: 'CCW' }), 'dataformats');
    await rejects((w) => w.addImages('x', { data: new Uint8Array(3), shape: [3, 1, 1] }), 'image.shape');
    await rejects((w) => w.addVideo('x', { data: new Uint8Array(8), shape: [1, 1, 2, 2, 2] }), 'video.shape');
    await rejects((w) => w.addVideo('x', { data: new Uint8Array(3), shape: [1, 1, 3, 1, 1] }, 0, { fps: 0 }), 'fps');
    await rejects((w) => w.addImages('\ud800', { data: new Uint8Array(3), shape: [1, 3, 1, 1] }), 'tag');
  });
});

describe('addMesh', () => {
  it('writes vertices, faces and colors as PyTorch does and decodes them back', async () => {
    const events = await writeAndRead((w) =>
      w.addMesh('tri', { data: [0, 0, 0, 1, 0, 0, 0, 1, 0], shape: [1, 3, 3] }, { faces: { data: [0, 1, 2], shape: [1, 1, 3] }, colors: { data: [255, 0, 0, 0, 255, 0, 0, 0, 255], shape: [1, 3, 3] }, configDict: { material: { cls: 'MeshStandardMaterial', opacity: 0.5 }, camera: { fov: 75 } }, step: 2 }),
    );
    expect(events.map((e) => ('tag' in e ? e.tag : ''))).toEqual(['tri_VERTEX', 'tri_FACE', 'tri_COLOR']);
    for (const e of events) expect(e).toMatchObject({ kind: 'mesh', name: 'tri', components: 0b1110, step: 2, jsonConfig: '{"camera": {"fov": 75}, "material": {"cls": "MeshStandardMaterial", "opacity": 0.5}}' });
    expect(events[1]).toMatchObject({ contentType: 'FACE', shape: [1, 1, 3], values: [0, 1, 2] });
    const [only] = await writeAndRead((w) => w.addMesh('pts', { data: [1, 2, 3], shape: [1, 1, 3] }));
    expect(only).toMatchObject({ kind: 'mesh', contentType: 'VERTEX', components: 2, jsonConfig: '{}' });
  });

  it('formats JSON as Python json.dumps(sort_keys=True)', () => {
    expect(pythonJson({ b: [1, 0.5, 1e-7, true, null], a: 'é"\n' })).toBe('{"a": "\\u00e9\\"\\n", "b": [1, 0.5, 1e-07, true, null]}');
  });

  it('rejects out-of-range faces, colors, bad shapes', async () => {
    await rejects((w) => w.addMesh('m', { data: [0, 0, 0], shape: [1, 1, 3] }, { faces: { data: [0, 1, 0], shape: [1, 1, 3] } }), 'faces.data[1]');
    await rejects((w) => w.addMesh('m', { data: [0, 0, 0], shape: [1, 1, 3] }, { colors: { data: [0, 300, 0], shape: [1, 1, 3] } }), 'colors.data[1]');
    await rejects((w) => w.addMesh('m', { data: [0, 0, 0, 0], shape: [1, 1, 4] }), 'vertices.shape');
    await rejects((w) => w.addMesh('m', { data: [0, 0, 0], shape: [1, 1, 3] }, { configDict: { x: Number.NaN } }), 'configDict.x');
  });
});

describe('addEmbedding', () => {
  it('lays the projector files out as PyTorch does and reads them back', async () => {
    await using tmp = await tempDir();
    const w = new SummaryWriter({ logDir: tmp.dir });
    w.addEmbedding([[1, 0.1], [1e-5, 2.5]], { metadata: ['a', 'bé'], labelImg: { data: new Float32Array(2 * 3 * 4 * 5).fill(0.5), shape: [2, 3, 4, 5] }, tag: 'x/y%z', globalStep: 3 });
    w.addEmbedding({ data: new Int32Array([1, 2, 3, 4]), shape: [2, 2] }, { metadata: [['a', 1], ['b', 2]], metadataHeader: ['h1', 'h2'] });
    await w.close();
    const read = (rel: string) => readFileSync(path.join(tmp.dir, rel), 'utf8');
    // Byte for byte what torch 2.13 wrote for the same two calls (see tensorboard-oracle.test.ts).
    expect(read('projector_config.pbtxt')).toBe(
      'embeddings {\n  tensor_name: "x/y%z:00003"\n  metadata_path: "00003/x%2fy%25z/metadata.tsv"\n  sprite {\n    image_path: "00003/x%2fy%25z/sprite.png"\n    single_image_dim: 5\n    single_image_dim: 4\n  }\n  tensor_path: "00003/x%2fy%25z/tensors.tsv"\n}\n' +
        'embeddings {\n  tensor_name: "default:00000"\n  metadata_path: "00000/default/metadata.tsv"\n  tensor_path: "00000/default/tensors.tsv"\n}\n',
    );
    expect(read('00003/x%2fy%25z/tensors.tsv')).toBe('1.0\t0.1\n1e-05\t2.5\n');
    expect(read('00003/x%2fy%25z/metadata.tsv')).toBe('a\nbé\n');
    expect(read('00000/default/metadata.tsv')).toBe('h1\th2\na\t1\nb\t2\n');
    expect(read('00000/default/tensors.tsv')).toBe('1\t2\n3\t4\n');
    const sprite = decodePng(readFileSync(path.join(tmp.dir, '00003/x%2fy%25z/sprite.png')));
    // ceil(sqrt(2)) = 2 columns of 5-pixel-wide images: a 10 × 10 square, 127 = trunc(0.5 · 255).
    expect([sprite.width, sprite.height, sprite.data[0], sprite.data[sprite.data.length - 1]]).toEqual([10, 10, 127, 0]);
    const back = await readEmbeddings(tmp.dir);
    expect(back.map((e) => [e.tensorName, e.shape, e.values, e.metadata])).toEqual([
      ['x/y%z:00003', [2, 2], [1, 0.1, 1e-5, 2.5], [['a'], ['bé']]],
      ['default:00000', [2, 2], [1, 2, 3, 4], [['h1', 'h2'], ['a', '1'], ['b', '2']]],
    ]);
    expect(back[0]!.sprite).toEqual({ imagePath: '00003/x%2fy%25z/sprite.png', singleImageDim: [5, 4] });
  });

  it('merges with the config already in the logdir: other entries kept, the same tensor replaced', async () => {
    await using tmp = await tempDir();
    writeFileSync(path.join(tmp.dir, 'projector_config.pbtxt'), 'model_checkpoint_path: "ckpt"\nembeddings {\n  tensor_name: "old:00000"\n  tensor_path: "somewhere.tsv"\n}\nembeddings {\n  tensor_name: "default:00000"\n  tensor_path: "stale.tsv"\n}\n');
    const w = new SummaryWriter({ logDir: tmp.dir });
    w.addEmbedding([[1]]);
    await w.close();
    expect(readFileSync(path.join(tmp.dir, 'projector_config.pbtxt'), 'utf8')).toBe(
      'model_checkpoint_path: "ckpt"\nembeddings {\n  tensor_name: "old:00000"\n  tensor_path: "somewhere.tsv"\n}\nembeddings {\n  tensor_name: "default:00000"\n  tensor_path: "00000/default/tensors.tsv"\n}\n',
    );
  });

  it('a corrupt config is ECORRUPT and nothing is written; bad input is EINVAL and nothing is written', async () => {
    await using tmp = await tempDir();
    writeFileSync(path.join(tmp.dir, 'projector_config.pbtxt'), 'embeddings {\n  tensor_name: "x"\n');
    const w = new SummaryWriter({ logDir: tmp.dir });
    expect(() => w.addEmbedding([[1]])).toThrow(expect.objectContaining({ code: 'ECORRUPT' }));
    await w.close();
    expect(readdirSync(tmp.dir).filter((f) => !f.includes('tfevents'))).toEqual(['projector_config.pbtxt']);
    await rejects((w2) => w2.addEmbedding([[1, 2], [3]]), 'mat[1]');
    await rejects((w2) => w2.addEmbedding([[1]], { metadata: ['a\tb'] }), 'metadata[0]');
    await rejects((w2) => w2.addEmbedding([[1]], { metadata: ['a', 'b'] }), 'metadata');
    await rejects((w2) => w2.addEmbedding([[Number.NaN]]), 'mat[0][0]');
    await rejects((w2) => w2.addEmbedding([[1]], { labelImg: { data: new Float32Array(3), shape: [2, 3, 1, 1] } }), 'labelImg.shape');
    await rejects((w2) => w2.addEmbedding([[1]], { tag: '\ud800' }), 'tag');
  });

  it('formats floats as Python str(float)', () => {
    expect([1, 0.1, 1e-5, 1e16, 123456789.5, -0, 2.5e-300, Math.fround(0.1)].map(pythonFloatRepr)).toEqual(['1.0', '0.1', '1e-05', '1e+16', '123456789.5', '-0.0', '2.5e-300', '0.10000000149011612']);
  });

  it('the text-format parser returns fields or throws ECORRUPT on any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseTextFormat(text, 'x');
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ECORRUPT');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('purgeStep', () => {
  it('writes file_version and SessionLog START at the purge step after the header; sub-runs do not purge', async () => {
    await using tmp = await tempDir();
    const w = new SummaryWriter({ logDir: tmp.dir, purgeStep: 42 });
    w.addScalar('loss', 1, 42);
    w.addScalars('pair', { a: 1 }, 42);
    await w.close();
    const events = await collect(readRun(tmp.dir));
    expect(events.map((e) => [e.kind, e.step])).toEqual([['fileVersion', 0], ['fileVersion', 42], ['sessionLog', 42], ['sessionLog', 42], ['scalar', 42]]);
    expect(events.filter((e) => e.kind === 'sessionLog').map((e) => (e as { status: string }).status)).toEqual(['START', 'START']);
    expect((await collect(readRun(path.join(tmp.dir, 'pair_a')))).map((e) => e.kind)).toEqual(['fileVersion', 'scalar']);
  });

  it('rejects a negative or fractional purge step before creating anything', () => {
    for (const purgeStep of [-1, 1.5, Number.NaN]) expect(() => new SummaryWriter({ logDir: '/nonexistent-dir-never-created', purgeStep })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'purgeStep' }));
    expect(existsSync('/nonexistent-dir-never-created')).toBe(false);
  });
});

describe('decoding plugin values', () => {
  it('random plugin content and tensors decode to events or throw StorageError', () => {
    const decoder = new EventDecoder();
    fc.assert(
      fc.property(fc.constantFrom('pr_curves', 'custom_scalars', 'mesh'), fc.uint8Array({ maxLength: 40 }), fc.array(fc.float({ noNaN: true }), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 3 }), (plugin, content, values, shape) => {
        const tensor = plugin === 'custom_scalars' ? { dtype: 7, tensorShape: {}, stringVal: [content] } : { dtype: 1, tensorShape: { dim: shape.map((size) => ({ size })) }, floatVal: values };
        const payload = Buffer.from(EventType.encode(EventType.fromObject({ wallTime: 1, summary: { value: [{ tag: 't', metadata: { pluginData: { pluginName: plugin, content } }, tensor }] } })).finish());
        const out: TfEvent[] = [];
        try {
          decoder.decode(payload, 0, payload.length, 'f', 0, out);
        } catch (error) {
          expect(isStorageError(error)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
