import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { SummaryWriter, computePrCurve, histogramFromValues, readRun, type TfEvent } from '../src/index.js';
import { toHwc } from '../src/image-encode.js';
import { prepareVideo } from '../src/video.js';
import { collect, tempDir } from './helpers.js';
import { AVAILABLE, MISSING_MESSAGE, REQUIRED, oracle } from './tensorboard.js';

// TensorBoard itself (tooling/tensorboard/oracle.py in the venv of setup.sh) reads what our
// writer wrote; a second test replays the same calls through PyTorch's SummaryWriter and
// compares the two logdirs value by value.

interface Decoded {
  format: string;
  width: number;
  height: number;
  mode: string;
  frames: number[][];
}
interface OracleOut {
  legacy: Record<string, { tags: Record<string, unknown>; scalars: Record<string, Array<[number, number]>>; histograms: Record<string, Array<[number, Record<string, unknown>]>> }>;
  scalars: Record<string, Record<string, Record<string, Array<[number, number]>>>>;
  tensors: Record<string, Record<string, Record<string, Array<{ step: number; dtype: string; shape: number[]; values: Array<number | string> }>>>>;
  blobs: Record<string, Record<string, Record<string, Array<{ step: number; width?: number; height?: number; images?: Decoded[]; audio?: Array<{ rate: number; channels: number; samples: number[] }> }>>>>;
  metadata: Record<string, Record<string, Record<string, string>>>;
  plugins: {
    custom_scalars?: string;
    pr_curves?: Record<string, Record<string, Array<Record<string, number[] | number>>>>;
    mesh?: Record<string, Record<string, Record<string, unknown>>>;
    hparams?: Record<string, Record<string, Record<string, unknown>>>;
  };
  projector: Record<string, Array<Record<string, unknown> & { tensor: number[]; metadata?: string; sprite_image?: Decoded }>>;
}

if (!AVAILABLE && !REQUIRED) console.warn(MISSING_MESSAGE);
const describeOracle = AVAILABLE || REQUIRED ? describe : describe.skip;

const f32 = (xs: ArrayLike<number>): number[] => Array.from(xs, (x) => Math.fround(x));
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pixelsOf(image: Decoded, frame = 0): number[] {
  return image.frames[frame]!;
}

describeOracle('TensorBoard reads what SummaryWriter writes', () => {
  it('is installed (STORE_REQUIRE_TENSORBOARD=1 makes its absence a failure)', () => {
    expect(AVAILABLE, MISSING_MESSAGE).toBe(true);
  });

  it('every method: the data provider, the legacy accumulator and the plugins see the values written', async () => {
    await using tmp = await tempDir('tb-oracle-');
    const rand = lcg(7);
    const w = new SummaryWriter({ logDir: tmp.dir });
    const losses = [0.5, 0.25, 0.125, 0.1, 1 / 3];
    losses.forEach((v, i) => w.addScalar('loss', v, i, 1000 + i));
    w.addScalars('group', { a: 1.5, b: -2 }, 3, 1010);
    const histValues = Array.from({ length: 200 }, () => rand() * 10 - 5);
    w.addHistogram('weights', histValues, 2, { bins: 7, wallTime: 1011 });
    w.addText('note', 'hello *world* é', 4, 1012);
    const rgb = new Float32Array(3 * 5 * 4).map(() => rand());
    w.addImage('pixels', { data: rgb, shape: [3, 5, 4] }, 1, { wallTime: 1013 });
    const gray = new Uint8Array(6 * 7).map(() => Math.floor(rand() * 256));
    w.addImage('gray', { data: gray, shape: [6, 7, 1], dataformats: 'HWC' }, 1, { wallTime: 1013 });
    const rgbaBytes = new Uint8Array(2 * 3 * 4).map(() => Math.floor(rand() * 256));
    w.addImage('encoded', encodePng({ width: 3, height: 2, data: rgbaBytes, channels: 4, depth: 8 }), 1, { wallTime: 1013 });
    const batch = new Float32Array(10 * 3 * 4 * 3).map(() => rand());
    w.addImages('batch', { data: batch, shape: [10, 3, 4, 3] }, 2, { wallTime: 1014 });
    // Each addHparams call goes to its own sub-run (as PyTorch does), named 'hp' here.
    w.addHparams({ lr: 0.01, optimizer: 'adam', bn: true }, { 'hp/accuracy': 0.75 }, { wallTime: 1015, runName: 'hp' });
    w.addProfiling('train_step', { durationMs: 12.5, counters: { bytes: 4096 } }, 5, 1016);
    const labels = Array.from({ length: 300 }, () => rand() < 0.4);
    const predictions = new Float32Array(300).map((_, i) => Math.min(1, Math.max(0, (labels[i] ? 0.3 : 0) + rand() * 0.7)));
    w.addPrCurve('pr', labels, predictions, 6, { numThresholds: 21, wallTime: 1017 });
    const raw = { truePositives: [10, 6, 2], falsePositives: [8, 3, 0], trueNegatives: [0, 5, 8], falseNegatives: [0, 4, 8], precision: [10 / 18, 6 / 9, 1], recall: [1, 0.6, 0.2] };
    w.addPrCurveRaw('pr_raw', raw, 7, { wallTime: 1018 });
    const layout = { Losses: { all: ['Multiline', ['loss', 'group/.*']] as const, band: ['Margin', ['loss', 'group_a', 'group_b']] as const } };
    w.addCustomScalars(layout, 1019);
    const samples = new Float32Array(400).map((_, i) => Math.sin(i / 10) * 0.9);
    w.addAudio('tone', samples, 8, { sampleRate: 8000, wallTime: 1020 });
    const video = new Uint8Array(3 * 4 * 3 * 6 * 5).map((_, i) => (i * 37) % 4 === 0 ? 255 : 0);
    w.addVideo('clip', { data: video, shape: [3, 4, 3, 6, 5] }, 9, { fps: 5, wallTime: 1021 });
    const vertices = new Float32Array(2 * 4 * 3).map(() => rand() * 2 - 1);
    const faces = [0, 1, 2, 0, 2, 3, 1, 2, 3, 0, 1, 3];
    w.addMesh('tetra', { data: vertices, shape: [2, 4, 3] }, { faces: { data: faces, shape: [2, 2, 3] }, colors: { data: Array.from({ length: 24 }, (_, i) => (i * 40) % 256), shape: [2, 4, 3] }, configDict: { camera: { cls: 'PerspectiveCamera', fov: 75 } }, step: 10, wallTime: 1022 });
    const mat = new Float32Array(6 * 3).map(() => rand() - 0.5);
    const sprite = new Float32Array(6 * 3 * 4 * 4).map(() => rand());
    w.addEmbedding({ data: mat, shape: [6, 3] }, { metadata: ['a', 'b', 'c', 'd', 'e', 'é'], labelImg: { data: sprite, shape: [6, 3, 4, 4] }, tag: 'feat/x', globalStep: 11 });
    await w.close();

    const tb = await oracle<OracleOut>('read', tmp.dir);
    // Scalars, as float32, through the data provider and the legacy accumulator.
    expect(tb.scalars.scalars!['.']!.loss).toEqual(losses.map((v, i) => [i, Math.fround(v)]));
    expect(tb.legacy['.']!.scalars.loss).toEqual(losses.map((v, i) => [i, Math.fround(v)]));
    expect(tb.scalars.scalars!.group_a!.group).toEqual([[3, 1.5]]);
    expect(tb.scalars.scalars!.group_b!.group).toEqual([[3, -2]]);
    expect(tb.scalars.scalars!['.']!['profiling/train_step/duration_ms']).toEqual([[5, 12.5]]);
    expect(tb.scalars.scalars!['.']!['profiling/train_step/bytes']).toEqual([[5, 4096]]);
    expect(tb.scalars.scalars!.hp!['hp/accuracy']).toEqual([[0, 0.75]]);
    // Histogram: the legacy proto as written.
    const h = histogramFromValues(histValues, 7);
    const [[hStep, hProto]] = tb.legacy['.']!.histograms.weights! as [[number, Record<string, unknown>]];
    expect(hStep).toBe(2);
    expect(hProto).toEqual({ min: h.min, max: h.max, num: h.num, sum: h.sum, sum_squares: h.sumSquares, bucket_limit: h.bucketLimits, bucket: h.bucketCounts });
    // Text.
    expect(tb.tensors.text!['.']!.note![0]).toMatchObject({ step: 4, values: [b64('hello *world* é')] });
    // Images: TensorBoard serves the PNG; its pixels are PyTorch's conversion of ours.
    const pix = tb.blobs.images!['.']!.pixels![0]!;
    expect([pix.step, pix.width, pix.height]).toEqual([1, 4, 5]);
    expect(pixelsOf(pix.images![0]!)).toEqual(Array.from(toHwc({ data: rgb, shape: [3, 5, 4] }, 'CHW').data));
    const grayOut = tb.blobs.images!['.']!.gray![0]!;
    expect(grayOut.images![0]!.mode).toBe('RGB');
    expect(pixelsOf(grayOut.images![0]!)).toEqual(Array.from(gray).flatMap((v) => [v, v, v]));
    const encoded = tb.blobs.images!['.']!.encoded![0]!;
    expect([encoded.width, encoded.height, encoded.images![0]!.mode]).toEqual([3, 2, 'RGBA']);
    expect(pixelsOf(encoded.images![0]!)).toEqual(Array.from(rgbaBytes));
    const grid = tb.blobs.images!['.']!.batch![0]!;
    expect([grid.width, grid.height]).toEqual([3 * 8, 4 * 2]);
    expect(pixelsOf(grid.images![0]!)).toEqual(Array.from(toHwc({ data: batch, shape: [10, 3, 4, 3] }, 'NCHW').data));
    // Video: an animated GIF whose frames are exactly the prepared frames (≤ 256 colors here).
    const clip = tb.blobs.images!['.']!.clip![0]!;
    const frames = prepareVideo({ data: video, shape: [3, 4, 3, 6, 5] });
    expect(clip.images![0]!.format).toBe('GIF');
    expect(clip.images![0]!.frames).toHaveLength(4);
    for (let f = 0; f < 4; f++) {
      const expected: number[] = [];
      const size = frames.width * frames.height;
      for (let i = 0; i < size; i++) expected.push(...frames.rgba.subarray((f * size + i) * 4, (f * size + i) * 4 + 3));
      expect(pixelsOf(clip.images![0]!, f)).toEqual(expected);
    }
    // Audio: 16-bit PCM as PyTorch quantizes it.
    const tone = tb.blobs.audio!['.']!.tone![0]!.audio![0]!;
    expect([tone.rate, tone.channels]).toEqual([8000, 1]);
    expect(tone.samples).toEqual(Array.from(samples, (s) => Math.trunc(Math.fround(s * 32767))));
    // hparams: the plugin parses our three records.
    const hp = tb.plugins.hparams!.hp!;
    expect(hp['_hparams_/session_start_info']).toMatchObject({ session_start_info: { hparams: { lr: 0.01, optimizer: 'adam', bn: true } } });
    expect(hp['_hparams_/experiment']).toMatchObject({ experiment: { metric_infos: [{ name: { tag: 'hp/accuracy' } }] } });
    // PR curves: the tensor, and the plugin's own view of it.
    const expectedCurve = f32(computePrCurve(labels, predictions, { numThresholds: 21 }));
    const prTensor = tb.tensors.pr_curves!['.']!.pr![0]!;
    expect(prTensor).toMatchObject({ step: 6, dtype: 'float32', shape: [6, 21] });
    expect(prTensor.values).toEqual(expectedCurve);
    expect(tb.plugins.pr_curves!['.']!.pr![0]!.precision).toEqual(expectedCurve.slice(4 * 21, 5 * 21).slice(0, (tb.plugins.pr_curves!['.']!.pr![0]!.precision as number[]).length));
    expect(tb.tensors.pr_curves!['.']!.pr_raw![0]!.values).toEqual(f32([...raw.truePositives, ...raw.falsePositives, ...raw.trueNegatives, ...raw.falseNegatives, ...raw.precision, ...raw.recall]));
    // Custom scalars: the plugin's merged layout.
    expect(JSON.parse(tb.plugins.custom_scalars!)).toEqual({
      category: [
        {
          title: 'Losses',
          chart: [
            { title: 'all', multiline: { tag: ['loss', 'group/.*'] } },
            { title: 'band', margin: { series: [{ value: 'loss', lower: 'group_a', upper: 'group_b' }] } },
          ],
          closed: false,
        },
      ],
      version: 0,
    });
    // Mesh: the plugin's metadata and the tensors.
    expect(tb.plugins.mesh!['.']!.tetra_VERTEX).toEqual({ name: 'tetra', content_type: 'VERTEX', json_config: '{"camera": {"cls": "PerspectiveCamera", "fov": 75}}', shape: [2, 4, 3], components: 14 });
    expect(tb.tensors.mesh!['.']!.tetra_VERTEX![0]).toMatchObject({ step: 10, shape: [2, 4, 3], values: f32(vertices) });
    expect(tb.tensors.mesh!['.']!.tetra_FACE![0]!.values).toEqual(faces);
    // Embedding: the projector's config parser and its TSV reader.
    const [emb] = tb.projector['.']!;
    expect(emb).toMatchObject({ tensor_name: 'feat/x:00011', tensor_path: '00011/feat%2fx/tensors.tsv', metadata_path: '00011/feat%2fx/metadata.tsv', sprite: { image_path: '00011/feat%2fx/sprite.png', single_image_dim: [4, 4] } });
    expect(emb!.tensor).toEqual(f32(mat));
    expect(emb!.metadata).toBe('a\nb\nc\nd\ne\né\n');
    expect([emb!.sprite_image!.width, emb!.sprite_image!.height]).toEqual([12, 12]);
  });

  it('purgeStep: TensorBoard drops the steps of the crashed run from the resume step on', async () => {
    await using tmp = await tempDir('tb-oracle-');
    const first = new SummaryWriter({ logDir: tmp.dir });
    for (let step = 0; step < 10; step++) first.addScalar('loss', step, step, 2000 + step);
    await first.close();
    const resumed = new SummaryWriter({ logDir: tmp.dir, purgeStep: 6 });
    for (let step = 6; step < 8; step++) resumed.addScalar('loss', 100 + step, step, 3000 + step);
    await resumed.close();
    const tb = await oracle<OracleOut>('read', tmp.dir);
    const expected = [0, 1, 2, 3, 4, 5].map((s) => [s, s]).concat([[6, 106], [7, 107]]);
    expect(tb.legacy['.']!.scalars.loss).toEqual(expected);
    expect(tb.scalars.scalars!['.']!.loss).toEqual(expected);
  });
});

// ---- the same calls through PyTorch ----

interface Call {
  method: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

const tensorArg = (data: ArrayLike<number>, shape: number[], dtype = 'float32') => ({ tensor: Array.from(data), shape, dtype });

/** Events of a logdir by tag (file version events left out). */
async function byTag(dir: string): Promise<Map<string, TfEvent[]>> {
  const map = new Map<string, TfEvent[]>();
  for (const e of await collect(readRun(dir))) {
    if (!('tag' in e)) continue;
    map.set(e.tag, [...(map.get(e.tag) ?? []), e]);
  }
  return map;
}

/** The comparable part of an event: kind, step, metadata plugin and content, values; images as pixels. */
function essence(e: TfEvent): unknown {
  const { wallTime: _w, file: _f, offset: _o, metadata, ...rest } = e as TfEvent & { metadata?: { pluginName: string; pluginContent: Uint8Array } };
  let meta = metadata === undefined ? undefined : { plugin: metadata.pluginName, content: b64(metadata.pluginContent) };
  // Our legacy image values name their plugin; PyTorch's carry no metadata. TensorBoard's
  // loaders give both the same (images, empty content).
  if (e.kind === 'image' && meta?.plugin === 'images' && meta.content === '') meta = undefined;
  if (e.kind === 'image') {
    const decoded = e.images.map((bytes) => {
      const png = decodePng(bytes);
      return { width: png.width, height: png.height, channels: png.channels, data: Array.from(png.data) };
    });
    return { ...rest, images: decoded, meta };
  }
  if (e.kind === 'audio') return { ...rest, audio: b64(e.audio), meta };
  return { ...rest, meta };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (!entry.name.includes('tfevents')) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describeOracle('the same calls as PyTorch SummaryWriter', () => {
  it('pr curves, custom scalars, audio, images, image grids, mesh and embeddings match what torch.utils.tensorboard writes', async (ctx) => {
    await using ours = await tempDir('tb-oracle-');
    await using theirs = await tempDir('tb-oracle-');
    const rand = lcg(11);
    const labels = Array.from({ length: 200 }, () => rand() < 0.5);
    const predictions = new Float32Array(200).map(() => rand());
    const weights = Array.from({ length: 200 }, () => 0.5 + rand());
    const raw = [[5, 3, 1], [4, 2, 0], [0, 2, 4], [0, 2, 4], [5 / 9, 0.6, 1], [1, 0.6, 0.2]];
    const samples = new Float32Array(300).map(() => rand() * 2.4 - 1.2);
    const chw = new Float32Array(3 * 6 * 5).map(() => rand() * 1.2 - 0.1);
    const hwc = new Uint8Array(4 * 3 * 3).map(() => Math.floor(rand() * 256));
    const nchw = new Float32Array(11 * 1 * 3 * 2).map(() => rand());
    const vertices = new Float32Array(1 * 4 * 3).map(() => rand());
    const colors = Array.from({ length: 12 }, (_, i) => (i * 50) % 256);
    const faces = [0, 1, 2, 1, 2, 3];
    const mat = new Float32Array(5 * 3).map(() => rand() * 4 - 2);
    const labelImg = new Float32Array(5 * 3 * 2 * 3).map(() => rand());
    const layout = { Training: { loss: ['Multiline', ['loss/.*']] as const, bounds: ['Margin', ['m', 'lo', 'hi']] as const }, Eval: { acc: ['Multiline', ['acc']] as const } };
    const calls: Call[] = [
      { method: 'add_pr_curve', args: ['pr', { array: labels, shape: [200], dtype: 'bool' }, tensorArg(predictions, [200])], kwargs: { global_step: 1, num_thresholds: 33 } },
      { method: 'add_pr_curve', args: ['pr_w', { array: labels, shape: [200], dtype: 'bool' }, tensorArg(predictions, [200])], kwargs: { global_step: 2, weights: { array: weights, shape: [200] } } },
      { method: 'add_pr_curve_raw', args: ['pr_raw', ...raw.map((r) => ({ array: r, shape: [3] }))], kwargs: { global_step: 3, num_thresholds: 3 } },
      { method: 'add_custom_scalars', args: [{ Training: { loss: ['Multiline', ['loss/.*']], bounds: ['Margin', ['m', 'lo', 'hi']] }, Eval: { acc: ['Multiline', ['acc']] } }] },
      { method: 'add_audio', args: ['audio', tensorArg(samples, [300])], kwargs: { global_step: 4, sample_rate: 16000 } },
      { method: 'add_image', args: ['chw', tensorArg(chw, [3, 6, 5])], kwargs: { global_step: 5 } },
      { method: 'add_image', args: ['hwc', tensorArg(hwc, [4, 3, 3], 'uint8')], kwargs: { global_step: 5, dataformats: 'HWC' } },
      { method: 'add_images', args: ['grid', tensorArg(nchw, [11, 1, 3, 2])], kwargs: { global_step: 6 } },
      { method: 'add_mesh', args: ['mesh', tensorArg(vertices, [1, 4, 3])], kwargs: { colors: tensorArg(colors, [1, 4, 3], 'uint8'), faces: tensorArg(faces, [1, 2, 3], 'int32'), config_dict: { material: { cls: 'MeshStandardMaterial', opacity: 0.5 } }, global_step: 7 } },
      { method: 'add_embedding', args: [tensorArg(mat, [5, 3])], kwargs: { metadata: ['x', 'y', 'z', 'w', 'ü'], label_img: tensorArg(labelImg, [5, 3, 2, 3]), global_step: 8, tag: 'emb/a' } },
      { method: 'add_embedding', args: [tensorArg(mat, [5, 3])], kwargs: { metadata: [['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd'], ['5', 'e']], metadata_header: ['id', 'name'] } },
    ];
    const spec = path.join(theirs.dir, '..', `${path.basename(theirs.dir)}.spec.json`);
    writeFileSync(spec, JSON.stringify({ calls }));
    let writer: string | null;
    try {
      ({ writer } = await oracle<{ writer: string | null }>('pytorch', spec, theirs.dir));
    } finally {
      rmSync(spec, { force: true });
    }
    if (writer === null) {
      console.warn('PyTorch comparison skipped: torch is not in the venv (WITH_TORCH=1 tooling/tensorboard/setup.sh)');
      ctx.skip();
    }
    expect(writer).toMatch(/^torch /);

    const w = new SummaryWriter({ logDir: ours.dir });
    w.addPrCurve('pr', labels, predictions, 1, { numThresholds: 33 });
    w.addPrCurve('pr_w', labels, predictions, 2, { weights });
    w.addPrCurveRaw('pr_raw', { truePositives: raw[0]!, falsePositives: raw[1]!, trueNegatives: raw[2]!, falseNegatives: raw[3]!, precision: raw[4]!, recall: raw[5]! }, 3, { numThresholds: 3 });
    w.addCustomScalars(layout);
    w.addAudio('audio', samples, 4, { sampleRate: 16000 });
    w.addImage('chw', { data: chw, shape: [3, 6, 5] }, 5);
    w.addImage('hwc', { data: hwc, shape: [4, 3, 3], dataformats: 'HWC' }, 5);
    w.addImages('grid', { data: nchw, shape: [11, 1, 3, 2] }, 6);
    w.addMesh('mesh', { data: vertices, shape: [1, 4, 3] }, { colors: { data: colors, shape: [1, 4, 3] }, faces: { data: faces, shape: [1, 2, 3] }, configDict: { material: { cls: 'MeshStandardMaterial', opacity: 0.5 } }, step: 7 });
    w.addEmbedding({ data: mat, shape: [5, 3] }, { metadata: ['x', 'y', 'z', 'w', 'ü'], labelImg: { data: labelImg, shape: [5, 3, 2, 3] }, globalStep: 8, tag: 'emb/a' });
    w.addEmbedding({ data: mat, shape: [5, 3] }, { metadata: [['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd'], ['5', 'e']], metadataHeader: ['id', 'name'] });
    await w.close();

    const mine = await byTag(ours.dir);
    const torch = await byTag(theirs.dir);
    expect([...mine.keys()].sort()).toEqual([...torch.keys()].sort());
    for (const [tag, events] of torch) {
      // PyTorch repeats the metadata on every value; we put it on the first of each tag per file, as TensorBoard needs.
      expect(mine.get(tag)!.map(essence), tag).toEqual(events.map(essence));
    }
    // Projector files byte for byte (the sprite as pixels: PNG compression is the encoder's choice).
    const files = filesUnder(theirs.dir);
    expect(filesUnder(ours.dir)).toEqual(files);
    for (const file of files) {
      const a = readFileSync(path.join(ours.dir, file));
      const b = readFileSync(path.join(theirs.dir, file));
      if (file.endsWith('.png')) expect(Array.from(decodePng(a).data), file).toEqual(Array.from(decodePng(b).data));
      else expect(a.toString('utf8'), file).toBe(b.toString('utf8'));
    }
  });
});
