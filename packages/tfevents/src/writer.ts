import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { StorageError, fromNodeError, fsyncDirectory } from '@store/backend-core';
import { registerForExit, unregisterForExit, type ExitFlushable } from './exit-flush.js';
import { nextEventFileName, type EventFileName } from './filename.js';
import {
  DATA_CLASS_TENSOR,
  DEFAULT_FLUSH_MS,
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_MAX_QUEUE,
  FILE_VERSION,
  HPARAMS_EXPERIMENT_TAG,
  HPARAMS_SESSION_END_TAG,
  HPARAMS_SESSION_START_TAG,
  PLUGIN_HISTOGRAMS,
  PLUGIN_HPARAMS,
  PLUGIN_IMAGES,
  PLUGIN_TEXT,
  PROFILING_PREFIX,
  HEADER_BYTES,
  RECORD_OVERHEAD,
} from './format.js';
import { histogramFromValues, validateHistogram, type Bins, type HistogramSpec } from './histogram.js';
import { inspectImage } from './image.js';
import { dataTypeValue, encodeEvent, encodeHParamsPluginData } from './proto/index.js';
import { frameInPlace } from './record.js';
import { SCALAR_METADATA_FIELDS, scalarRecordSize, writeScalarRecord } from './scalar-codec.js';
import { audioValue, DEFAULT_SAMPLE_RATE, type AudioOptions } from './audio.js';
import { customScalarsValue, type CustomScalarsLayout } from './custom-scalars.js';
import { writeEmbedding, type EmbeddingMatrix, type EmbeddingOptions } from './embedding.js';
import { isPixelImage, pixelsToSummaryImage, type PixelImage } from './image-encode.js';
import { meshValues, type MeshOptions, type MeshTensor } from './mesh.js';
import { computePrCurve, DEFAULT_PR_THRESHOLDS, prCurveRows, prCurveValue, type PrCurveData, type PrCurveOptions } from './pr-curve.js';
import { purgeEventPayloads } from './purge.js';
import { checkTagString } from './input.js';
import { DEFAULT_FPS, encodeGif, prepareVideo, type VideoOptions, type VideoTensor } from './video.js';

export interface SummaryWriterOptions {
  /** Run directory; created if missing. */
  logDir: string;
  /** Appended to every file name (e.g. '.v2'). */
  filenameSuffix?: string;
  /** Events buffered in memory before a background write starts (PyTorch's max_queue). Default 10. */
  maxQueue?: number;
  /** Longest time a buffered event waits for a background write. Default 120 000 ms (PyTorch's flush_secs). */
  flushMs?: number;
  /** Start a new file when the next record would grow the current one beyond this. Default 10 MiB. */
  maxFileSize?: number;
  /**
   * Resuming a run after a crash at step N: pass N and TensorBoard drops the events of this run
   * with step ≥ N written before (PyTorch's purge_step; see `purgeEventPayloads`).
   */
  purgeStep?: number;
}

export interface HistogramOptions {
  bins?: Bins;
  wallTime?: number;
}

export interface ImageOptions {
  /** Read from the PNG/JPEG header when omitted. */
  width?: number;
  height?: number;
  colorspace?: number;
  wallTime?: number;
}

export interface HparamsOptions {
  /** Write into this sub-run of logDir (PyTorch writes each hparams session to its own run); default: this run. */
  runName?: string;
  step?: number;
  wallTime?: number;
}

export interface ProfilingMeasurement {
  durationMs?: number;
  counters?: Record<string, number>;
}

export type HparamValue = number | string | boolean;

interface Piece {
  buf: Buffer;
  position: number;
}

interface OutFile {
  name: EventFileName;
  path: string;
  handle: FileHandle | null;
  /** fd opened by the exit path when the async open had not happened. */
  exitFd: number | null;
  /** Bytes encoded for this file (written or pending). */
  size: number;
  /** Size of the file_version record: a file holding only that is "empty". */
  headerBytes: number;
  pieces: Piece[];
}

const CHUNK_BYTES = 1 << 20;

interface ValueSpec {
  tag: string;
  metadata?: Record<string, unknown>;
  /** The value oneof member, e.g. { simpleValue: 1 } or { histo: {...} }. */
  data: Record<string, unknown>;
}

/**
 * Writes TensorBoard event files, with PyTorch SummaryWriter's API shape.
 *
 * `add*` calls encode the event at once into an in-memory buffer and return; the bytes go to
 * the file in the background once `maxQueue` events are waiting or `flushMs` has passed.
 * `flush()` hands everything to the operating system (survives a crash of this process);
 * `close()` also fsyncs the file and directory (survives power loss).
 *
 * Scalars are stored as float32 (`simple_value`), the only scalar type TensorBoard's
 * loaders accept: the stored value is `Math.fround(value)`, and that is what reads return.
 */
export class SummaryWriter implements ExitFlushable, AsyncDisposable {
  readonly logDir: string;
  readonly maxFileSize: number;
  private readonly options: SummaryWriterOptions;
  private readonly suffix: string;
  private readonly maxQueue: number;
  private readonly host = hostname();
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;
  private sealedUpTo = 0;
  private readonly files: OutFile[] = [];
  private current!: OutFile;
  private readonly tagsWithMetadata = new Set<string>();
  private readonly tagBytes = new Map<string, Buffer>();
  private queued = 0;
  private draining: Promise<void> | null = null;
  private failure: StorageError | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private dirReady = false;
  private readonly timer: NodeJS.Timeout;
  private readonly children = new Map<string, SummaryWriter>();

  constructor(options: SummaryWriterOptions) {
    if (typeof options?.logDir !== 'string' || options.logDir === '') throw new StorageError('EINVAL', 'logDir is required', { field: 'logDir' });
    checkText(options.logDir, 'logDir');
    this.options = { ...options };
    this.logDir = path.resolve(options.logDir);
    this.suffix = options.filenameSuffix ?? '';
    checkText(this.suffix, 'filenameSuffix');
    if (/[/\\\0]/.test(this.suffix)) throw new StorageError('EINVAL', 'filenameSuffix must not contain path separators', { field: 'filenameSuffix' });
    this.maxQueue = positiveInteger(options.maxQueue ?? DEFAULT_MAX_QUEUE, 'maxQueue');
    this.maxFileSize = positiveInteger(options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, 'maxFileSize');
    const flushMs = positiveInteger(options.flushMs ?? DEFAULT_FLUSH_MS, 'flushMs');
    const purgeStep = this.options.purgeStep;
    // Sub-runs (addScalars, hparams runName) must not purge: only this run resumes.
    delete this.options.purgeStep;
    this.cut();
    // Nothing is on disk before kick() below, so a bad purgeStep throws with nothing written.
    if (purgeStep !== undefined) for (const payload of purgeEventPayloads(purgeStep, now())) this.appendPayload(payload);
    this.timer = setInterval(() => {
      if (this.hasPending()) this.kick();
    }, flushMs);
    this.timer.unref();
    registerForExit(this);
    // Create the file now, as other writers do, so a run shows up at once.
    this.kick();
  }

  /** Path of the file being written. */
  get currentFile(): string {
    return this.current.path;
  }

  addScalar(tag: string, value: number, step = 0, wallTime?: number): void {
    this.checkOpen();
    if (typeof tag !== 'string' || tag === '') checkTag(tag);
    if (typeof value !== 'number') throw new StorageError('EINVAL', `scalar value for '${tag}' must be a number`, { field: 'value' });
    checkStep(step);
    const time = wallTime === undefined ? now() : checkWallTime(wallTime);
    let bytes = this.tagBytes.get(tag);
    if (bytes === undefined) {
      // Checked once per distinct tag: the cache only ever holds well-formed tags.
      checkText(tag, 'tag');
      bytes = Buffer.from(tag, 'utf8');
      if (this.tagBytes.size > 10_000) this.tagBytes.clear();
      this.tagBytes.set(tag, bytes);
    }
    let withMetadata = !this.tagsWithMetadata.has(tag);
    let size = scalarRecordSize(bytes.length, step, withMetadata, time);
    if (this.needsRotation(size)) {
      this.cut();
      withMetadata = true;
      size = scalarRecordSize(bytes.length, step, true, time);
    }
    const start = this.reserve(size);
    this.pos = writeScalarRecord(this.chunk, start, bytes, value, step, time, withMetadata);
    this.current.size += size;
    if (withMetadata) this.tagsWithMetadata.add(tag);
    if (++this.queued >= this.maxQueue) this.kick();
  }

  /**
   * Like PyTorch: each key goes to its own run `<logDir>/<mainTag with '/'→'_'>_<key>`,
   * under the tag `mainTag`, so TensorBoard draws them in one chart.
   */
  addScalars(mainTag: string, values: Record<string, number>, step = 0, wallTime?: number): void {
    this.checkOpen();
    checkTag(mainTag);
    if (typeof values !== 'object' || values === null) throw new StorageError('EINVAL', 'values must be an object of numbers', { field: 'values' });
    checkStep(step);
    const time = wallTime === undefined ? now() : checkWallTime(wallTime);
    // Everything is checked before the first sub-run is created or written to.
    const entries = Object.entries(values);
    const prefix = mainTag.replaceAll('/', '_');
    for (const [key, value] of entries) {
      const field = `values.${key}`;
      checkText(key, field);
      checkRunName(`${prefix}_${key}`, field);
      if (typeof value !== 'number') throw new StorageError('EINVAL', `scalar '${key}' of '${mainTag}' must be a number`, { field });
    }
    for (const [key, value] of entries) this.child(`${prefix}_${key}`, `values.${key}`).addScalar(mainTag, value, step, time);
  }

  /** A histogram of `values` (binned here; see `Bins`). */
  addHistogram(tag: string, values: ArrayLike<number>, step = 0, options: HistogramOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    this.addHistogramRaw(tag, histogramFromValues(values, options.bins), step, options.wallTime);
  }

  /** A histogram already binned by the caller (PyTorch's add_histogram_raw). */
  addHistogramRaw(tag: string, histogram: HistogramSpec, step = 0, wallTime?: number): void {
    this.checkOpen();
    checkTag(tag);
    validateHistogram(histogram);
    const histo = {
      min: histogram.min,
      max: histogram.max,
      num: histogram.num,
      sum: histogram.sum,
      sumSquares: histogram.sumSquares,
      bucketLimit: histogram.bucketLimits,
      bucket: histogram.bucketCounts,
    };
    this.addValues([{ tag, metadata: legacyMetadata(PLUGIN_HISTOGRAMS), data: { histo } }], step, wallTime);
  }

  /** Text (Markdown in TensorBoard), stored as a rank-0 DT_STRING tensor for the text plugin. */
  addText(tag: string, text: string, step = 0, wallTime?: number): void {
    this.checkOpen();
    checkTag(tag);
    if (typeof text !== 'string') throw new StorageError('EINVAL', `text for '${tag}' must be a string`, { field: 'text' });
    checkText(text, 'text');
    const tensor = { dtype: dataTypeValue('DT_STRING'), tensorShape: {}, stringVal: [Buffer.from(text, 'utf8')] };
    this.addValues([{ tag, metadata: pluginMetadata(PLUGIN_TEXT, DATA_CLASS_TENSOR), data: { tensor } }], step, wallTime);
  }

  /**
   * An encoded PNG or JPEG image (width/height/colorspace are read from its header unless
   * given), or raw pixels (`PixelImage`, default dataformats 'CHW'), PNG-encoded as PyTorch's
   * `add_image` does.
   */
  addImage(tag: string, encoded: Uint8Array | PixelImage, step = 0, options: ImageOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    if (isPixelImage(encoded)) {
      this.addPixels(tag, encoded, 'CHW', step, options.wallTime);
      return;
    }
    if (!(encoded instanceof Uint8Array)) throw new StorageError('EINVAL', `image for '${tag}' must be a Uint8Array`, { field: 'image' });
    const info = inspectImage(encoded);
    const image = {
      height: options.height ?? info.height,
      width: options.width ?? info.width,
      colorspace: options.colorspace ?? info.colorspace,
      encodedImageString: encoded,
    };
    this.addValues([{ tag, metadata: legacyMetadata(PLUGIN_IMAGES), data: { image } }], step, options.wallTime);
  }

  /**
   * Hyperparameters of a session and its final metrics, for the HParams dashboard: the
   * experiment, session start and session end records (hparams plugin) plus one scalar
   * per metric. TensorBoard keeps only the first hparams session of a run, so, like
   * PyTorch, each call writes to a sub-run of its own (named by the time of the call)
   * unless `options.runName` names one; `runName: '.'` writes into this run itself.
   * Everything is validated before anything (a sub-run included) is created.
   */
  addHparams(hparams: Record<string, HparamValue>, metrics: Record<string, number> = {}, options: HparamsOptions = {}): void {
    this.checkOpen();
    if (typeof hparams !== 'object' || hparams === null) throw new StorageError('EINVAL', 'hparams must be an object', { field: 'hparams' });
    if (typeof metrics !== 'object' || metrics === null) throw new StorageError('EINVAL', 'metrics must be an object', { field: 'metrics' });
    if (options.runName !== undefined && options.runName !== '.') {
      if (typeof options.runName !== 'string') throw new StorageError('EINVAL', 'runName must be a string', { field: 'runName' });
      checkText(options.runName, 'runName');
      checkRunName(options.runName, 'runName');
    }
    const step = options.step ?? 0;
    checkStep(step);
    const time = options.wallTime === undefined ? now() : checkWallTime(options.wallTime);
    const hparamInfos: Array<Record<string, unknown>> = [];
    const values: Record<string, Record<string, unknown>> = {};
    for (const [name, value] of Object.entries(hparams)) {
      const field = `hparams.${name}`;
      checkText(name, field);
      if (typeof value === 'number') {
        hparamInfos.push({ name, type: 'DATA_TYPE_FLOAT64' });
        values[name] = { numberValue: value };
      } else if (typeof value === 'string') {
        checkText(value, field);
        hparamInfos.push({ name, type: 'DATA_TYPE_STRING' });
        values[name] = { stringValue: value };
      } else if (typeof value === 'boolean') {
        hparamInfos.push({ name, type: 'DATA_TYPE_BOOL' });
        values[name] = { boolValue: value };
      } else {
        throw new StorageError('EINVAL', `hparam '${name}' must be a number, string or boolean`, { field });
      }
    }
    for (const [tag, value] of Object.entries(metrics)) {
      const field = `metrics.${tag}`;
      checkTag(tag, field);
      if (typeof value !== 'number') throw new StorageError('EINVAL', `metric '${tag}' must be a number`, { field });
    }
    const runName = options.runName ?? this.sessionRunName(time);
    const target = runName === '.' ? this : this.child(runName, 'runName');
    const metricInfos = Object.keys(metrics).map((tag) => ({ name: { tag } }));
    const records: Array<[string, Record<string, unknown>]> = [
      [HPARAMS_EXPERIMENT_TAG, { version: 0, experiment: { hparamInfos, metricInfos } }],
      [HPARAMS_SESSION_START_TAG, { version: 0, sessionStartInfo: { hparams: values, startTimeSecs: time } }],
      [HPARAMS_SESSION_END_TAG, { version: 0, sessionEndInfo: { status: 'STATUS_SUCCESS', endTimeSecs: time } }],
    ];
    for (const [tag, data] of records) {
      const metadata = { pluginData: { pluginName: PLUGIN_HPARAMS, content: encodeHParamsPluginData(data) } };
      // TensorBoard's own hparams summaries carry this empty float tensor.
      const tensor = { dtype: dataTypeValue('DT_FLOAT'), tensorShape: { dim: [{ size: 0 }] } };
      target.addValues([{ tag, metadata, data: { tensor } }], step, time, true);
    }
    for (const [tag, value] of Object.entries(metrics)) target.addScalar(tag, value, step, time);
  }

  /** A fresh sub-run name for an hparams session: the time, as PyTorch's `str(time.time())`, made unique. */
  private sessionRunName(time: number): string {
    const base = time.toFixed(6);
    let name = base;
    for (let n = 1; this.children.has(name) || existsSync(path.join(this.logDir, name)); n++) name = `${base}-${n}`;
    return name;
  }

  /**
   * A named measurement as scalars under `profiling/<name>/`: `duration_ms` and one tag per
   * counter, all in one event (so readers can regroup them).
   */
  addProfiling(name: string, measurement: ProfilingMeasurement, step = 0, wallTime?: number): void {
    this.checkOpen();
    checkTag(name, 'name');
    if (typeof measurement !== 'object' || measurement === null) throw new StorageError('EINVAL', 'measurement must be an object', { field: 'measurement' });
    const entries: Array<[string, number, string]> = [];
    if (measurement.durationMs !== undefined) entries.push(['duration_ms', measurement.durationMs, 'durationMs']);
    for (const [key, value] of Object.entries(measurement.counters ?? {})) {
      const field = `counters.${key}`;
      if (key === '' || key.includes('/')) throw new StorageError('EINVAL', `counter name '${key}' must be non-empty without '/'`, { field });
      checkText(key, field);
      entries.push([key, value, field]);
    }
    if (entries.length === 0) throw new StorageError('EINVAL', `profiling '${name}' has no duration or counters`, { field: 'measurement' });
    const values: ValueSpec[] = entries.map(([key, value, field]) => {
      if (typeof value !== 'number') throw new StorageError('EINVAL', `profiling value '${key}' must be a number`, { field });
      return { tag: `${PROFILING_PREFIX}${name}/${key}`, data: { simpleValue: value }, metadata: SCALAR_METADATA_FIELDS };
    });
    this.addValues(values, step, wallTime);
  }

  /**
   * A precision-recall curve of `labels` (boolean or 0/1) against `predictions` (in [0, 1]):
   * the pr_curves plugin's [6, numThresholds] tensor, computed as PyTorch's `add_pr_curve`
   * (see `computePrCurve`).
   */
  addPrCurve(tag: string, labels: ArrayLike<boolean | number>, predictions: ArrayLike<number>, step = 0, options: PrCurveOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    const numThresholds = options.numThresholds ?? DEFAULT_PR_THRESHOLDS;
    const curve = computePrCurve(labels, predictions, { ...options, numThresholds });
    this.addValues([prCurveValue(tag, curve, numThresholds)], step, options.wallTime);
  }

  /** A precision-recall curve already computed (PyTorch's `add_pr_curve_raw`): six rows of equal length. */
  addPrCurveRaw(tag: string, data: PrCurveData, step = 0, options: { numThresholds?: number; wallTime?: number } = {}): void {
    this.checkOpen();
    checkTag(tag);
    const { values, thresholds } = prCurveRows(data);
    this.addValues([prCurveValue(tag, values, options.numThresholds ?? thresholds)], step, options.wallTime);
  }

  /** The custom scalars dashboard's layout (PyTorch's `add_custom_scalars`), at step 0. */
  addCustomScalars(layout: CustomScalarsLayout, wallTime?: number): void {
    this.checkOpen();
    if (wallTime !== undefined) checkWallTime(wallTime);
    this.addValues([customScalarsValue(layout)], 0, wallTime);
  }

  /**
   * Projector files for a [N, D] matrix in this run's directory, as PyTorch's
   * `add_embedding` lays them out (see `writeEmbedding`). Written synchronously; everything is
   * checked before the first file is written.
   */
  addEmbedding(mat: EmbeddingMatrix, options: EmbeddingOptions = {}): void {
    this.checkOpen();
    writeEmbedding(this.logDir, mat, options);
  }

  /** Mono float samples in [-1, 1] as a 16-bit WAV (PyTorch's `add_audio`; out-of-range samples are clipped). */
  addAudio(tag: string, samples: ArrayLike<number>, step = 0, options: AudioOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    this.addValues([audioValue(tag, samples, options.sampleRate ?? DEFAULT_SAMPLE_RATE)], step, options.wallTime);
  }

  /** A batch of images (default dataformats 'NCHW') as one PNG grid, as PyTorch's `add_images` (make_grid, 8 per row). */
  addImages(tag: string, images: PixelImage, step = 0, options: { wallTime?: number } = {}): void {
    this.checkOpen();
    checkTag(tag);
    this.addPixels(tag, images, 'NCHW', step, options.wallTime);
  }

  /** A batch of videos [N, T, C, H, W] as one animated GIF on a grid (PyTorch's `add_video`, default 4 fps). */
  addVideo(tag: string, video: VideoTensor, step = 0, options: VideoOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    checkTagString(tag);
    const frames = prepareVideo(video);
    const encoded = encodeGif(frames, options.fps ?? DEFAULT_FPS);
    const image = { height: frames.height, width: frames.width, colorspace: frames.channels, encodedImageString: encoded };
    this.addValues([{ tag, metadata: legacyMetadata(PLUGIN_IMAGES), data: { image } }], step, options.wallTime);
  }

  /** A mesh or point cloud for the mesh plugin (PyTorch's `add_mesh`): vertices [B, N, 3], optional faces and colors. */
  addMesh(tag: string, vertices: MeshTensor, options: MeshOptions = {}): void {
    this.checkOpen();
    checkTag(tag);
    this.addValues(meshValues(tag, vertices, options), options.step ?? 0, options.wallTime);
  }

  private addPixels(tag: string, pixels: PixelImage, format: 'CHW' | 'NCHW', step: number, wallTime: number | undefined): void {
    checkTagString(tag);
    checkStep(step);
    const im = pixelsToSummaryImage(pixels, format);
    const image = { height: im.height, width: im.width, colorspace: im.colorspace, encodedImageString: im.encoded };
    this.addValues([{ tag, metadata: legacyMetadata(PLUGIN_IMAGES), data: { image } }], step, wallTime);
  }

  /** Hands everything queued (here and in sub-run writers) to the operating system. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    await this.drainAll();
    this.throwIfFailed();
    await Promise.all([...this.children.values()].map((c) => c.flush()));
  }

  /** `flush()` and fsync the current file: what this resolves for survives power loss. */
  async sync(): Promise<void> {
    await this.flush();
    const handle = this.current.handle;
    if (handle !== null) await handle.sync().catch((e: unknown) => this.fail(e, this.current.path, 'fsync'));
    this.throwIfFailed();
  }

  /** Flushes, fsyncs and closes every file (and sub-run writer). Idempotent. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.doClose();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async doClose(): Promise<void> {
    clearInterval(this.timer);
    const childResults = await Promise.allSettled([...this.children.values()].map((c) => c.close()));
    try {
      await this.drainAll();
      this.closed = true;
      this.throwIfFailed();
      const file = this.current;
      if (file.handle !== null) {
        try {
          await file.handle.sync();
          await file.handle.close();
        } catch (error) {
          throw fromNodeError(error, file.path, 'close event file');
        } finally {
          file.handle = null;
        }
      }
      await fsyncDirectory(this.logDir);
    } finally {
      this.closed = true;
      unregisterForExit(this);
    }
    for (const r of childResults) if (r.status === 'rejected') throw r.reason;
  }

  hasPending(): boolean {
    return this.pos > this.sealedUpTo || this.files.some((f) => f.pieces.length > 0) || this.files.length > 1;
  }

  flushInBackground(): void {
    this.kick();
  }

  flushSync(): void {
    this.seal();
    for (const file of this.files) {
      if (file.pieces.length === 0) continue;
      let fd = file.handle?.fd ?? file.exitFd;
      if (fd === null || fd === undefined || fd < 0) {
        mkdirSync(this.logDir, { recursive: true });
        fd = openSync(file.path, constants.O_WRONLY | constants.O_CREAT, 0o666);
        file.exitFd = fd;
      }
      // Rewriting a piece that an interrupted async write already wrote is harmless: same bytes, same place.
      for (const piece of file.pieces) {
        let done = 0;
        while (done < piece.buf.length) done += writeSync(fd, piece.buf, done, piece.buf.length - done, piece.position + done);
      }
      file.pieces = [];
      if (file.exitFd !== null) {
        fsyncSync(file.exitFd);
        closeSync(file.exitFd);
        file.exitFd = null;
      }
    }
  }

  // ---- internals ----

  private checkOpen(): void {
    if (this.closed || this.closing !== null) throw new StorageError('ECLOSED', `SummaryWriter for ${this.logDir} is closed`, { path: this.logDir });
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private fail(error: unknown, file: string, action: string): void {
    this.failure ??= fromNodeError(error, file, action);
  }

  private child(name: string, field: string): SummaryWriter {
    checkRunName(name, field);
    let writer = this.children.get(name);
    if (writer === undefined) {
      writer = new SummaryWriter({ ...this.options, logDir: path.join(this.logDir, name) });
      this.children.set(name, writer);
    }
    return writer;
  }

  private needsRotation(recordBytes: number): boolean {
    const file = this.current;
    return file.size > file.headerBytes && file.size + recordBytes > this.maxFileSize;
  }

  /** Starts a new file: its name sorts after the previous one; file_version comes first. */
  private cut(): void {
    this.seal();
    const previous = this.files.length > 0 ? this.current.name : undefined;
    const name = nextEventFileName(this.host, process.pid, this.suffix, previous ?? this.lastName);
    this.lastName = name;
    const file: OutFile = { name, path: path.join(this.logDir, name.name), handle: null, exitFd: null, size: 0, headerBytes: 0, pieces: [] };
    this.files.push(file);
    this.current = file;
    this.tagsWithMetadata.clear();
    this.appendPayload(encodeEvent({ wallTime: now(), fileVersion: FILE_VERSION }));
    file.headerBytes = file.size;
  }

  private lastName: EventFileName | undefined;

  /** Encodes a summary event with metadata on the first value of each tag in the current file. */
  private addValues(values: ValueSpec[], step: number, wallTime: number | undefined, alwaysMetadata = false): void {
    checkStep(step);
    const time = wallTime === undefined ? now() : checkWallTime(wallTime);
    const build = (): Uint8Array =>
      encodeEvent({
        wallTime: time,
        ...(step !== 0 ? { step } : {}),
        summary: {
          value: values.map((v) => ({
            tag: v.tag,
            ...v.data,
            ...(v.metadata !== undefined && (alwaysMetadata || !this.tagsWithMetadata.has(v.tag)) ? { metadata: v.metadata } : {}),
          })),
        },
      });
    let payload = build();
    if (this.needsRotation(payload.length + RECORD_OVERHEAD)) {
      this.cut();
      payload = build();
    }
    this.appendPayload(payload);
    for (const v of values) if (v.metadata !== undefined) this.tagsWithMetadata.add(v.tag);
    if (++this.queued >= this.maxQueue) this.kick();
  }

  private appendPayload(payload: Uint8Array): void {
    const total = payload.length + RECORD_OVERHEAD;
    const start = this.reserve(total);
    this.chunk.set(payload, start + HEADER_BYTES);
    this.pos = frameInPlace(this.chunk, start, payload.length);
    this.current.size += total;
  }

  /** Room for `bytes` at `this.pos` in the chunk; returns the start position. */
  private reserve(bytes: number): number {
    if (this.pos + bytes > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
      this.pos = 0;
      this.sealedUpTo = 0;
    }
    return this.pos;
  }

  /** Turns the bytes encoded since the last seal into a piece of the current file. */
  private seal(): void {
    if (this.pos === this.sealedUpTo) return;
    const length = this.pos - this.sealedUpTo;
    this.current.pieces.push({ buf: this.chunk.subarray(this.sealedUpTo, this.pos), position: this.current.size - length });
    this.sealedUpTo = this.pos;
  }

  private kick(): void {
    if (this.draining === null && this.failure === null) {
      this.draining = this.drain().finally(() => {
        this.draining = null;
      });
    }
  }

  private async drainAll(): Promise<void> {
    while (this.failure === null && (this.hasPending() || this.draining !== null)) {
      this.kick();
      await this.draining;
    }
  }

  /** Writes pending pieces file by file, in order; closes (fsynced) files that were rotated away from. */
  private async drain(): Promise<void> {
    for (;;) {
      this.seal();
      this.queued = 0;
      const file = this.files[0];
      if (file === undefined) return;
      const rotatedAway = file !== this.current;
      if (file.pieces.length === 0 && !rotatedAway) return;
      try {
        if (file.handle === null) file.handle = await this.openFile(file);
        const pieces = file.pieces.slice();
        for (const piece of pieces) {
          let done = 0;
          while (done < piece.buf.length) {
            const { bytesWritten } = await file.handle.write(piece.buf, done, piece.buf.length - done, piece.position + done);
            done += bytesWritten;
          }
        }
        file.pieces.splice(0, pieces.length);
        if (rotatedAway && file.pieces.length === 0) {
          await file.handle.sync();
          await file.handle.close();
          file.handle = null;
          this.files.shift();
        }
      } catch (error) {
        this.fail(error, file.path, 'write event file');
        return;
      }
    }
  }

  private async openFile(file: OutFile): Promise<FileHandle> {
    if (!this.dirReady) {
      await mkdir(this.logDir, { recursive: true });
      this.dirReady = true;
    }
    return open(file.path, 'wx');
  }
}


function pluginMetadata(pluginName: string, dataClass: number): Record<string, unknown> {
  return { pluginData: { pluginName }, dataClass };
}

/**
 * Metadata for legacy value forms (`histo`, `image`): plugin name only. TensorBoard's loaders
 * synthesize the full metadata for these forms, but the Rust loader takes any metadata that
 * sets a data class as authoritative, so none is set here.
 */
function legacyMetadata(pluginName: string): Record<string, unknown> {
  return { pluginData: { pluginName } };
}

const TIME_ORIGIN = performance.timeOrigin;

/** Seconds since the epoch with sub-millisecond resolution, like Python's time.time(). */
function now(): number {
  return (TIME_ORIGIN + performance.now()) / 1000;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new StorageError('EINVAL', `${field} must be a positive integer`, { field });
  return value;
}

function checkTag(tag: string, field = 'tag'): void {
  if (typeof tag !== 'string' || tag === '') throw new StorageError('EINVAL', `${field} must be a non-empty string`, { field });
  checkText(tag, field);
}

/** Lone UTF-16 surrogates: the only strings UTF-8 cannot hold (Buffer.from would turn them into U+FFFD). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Strings go into files as UTF-8; one that UTF-8 cannot represent exactly would read back
 * changed (and two distinct tags could collide), so it is refused.
 */
function checkText(value: string, field: string): void {
  if (LONE_SURROGATE.test(value)) throw new StorageError('EINVAL', `${field} is not valid Unicode (a lone surrogate): it cannot be stored as UTF-8 exactly`, { field });
}

function checkRunName(name: string, field: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new StorageError('EINVAL', `sub-run name '${name}' must be a single path segment`, { field });
  }
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step)) throw new StorageError('EINVAL', `step must be a safe integer, got ${String(step)}`, { field: 'step' });
}

function checkWallTime(wallTime: number): number {
  if (typeof wallTime !== 'number' || !Number.isFinite(wallTime)) throw new StorageError('EINVAL', 'wallTime must be a finite number of seconds', { field: 'wallTime' });
  return wallTime;
}
