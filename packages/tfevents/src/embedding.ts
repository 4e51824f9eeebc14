import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, fromNodeError } from '@store/backend-core';
import { checkFiniteArray, checkInteger, checkShape, checkString } from './input.js';
import { hwcToPng, toHwc, type PixelImage } from './image-encode.js';
import { parseTextFormat, printTextFormat, quoteText, unquoteText, type TextField } from './projector-config.js';

/** File name of the projector's configuration in a run directory. */
export const PROJECTOR_CONFIG_FILE = 'projector_config.pbtxt';

export interface EmbeddingOptions {
  /** One label per row (a string or number), or with `metadataHeader` one array of cells per row. */
  metadata?: ReadonlyArray<string | number | ReadonlyArray<string | number>>;
  /** Column names for multi-column metadata. */
  metadataHeader?: readonly string[];
  /** One image per row, [N, C, H, W] (C 1 or 3): floats in [0, 1] or 8-bit values; becomes sprite.png. */
  labelImg?: PixelImage;
  /** Default 'default'. */
  tag?: string;
  /** Default 0. */
  globalStep?: number;
}

/** A matrix: N rows of D features, as rows or as flat data with shape [N, D]. */
export type EmbeddingMatrix = ReadonlyArray<ArrayLike<number>> | { data: ArrayLike<number>; shape: readonly number[] };

/** Python's `str(step).zfill(5)`. */
function zfill5(step: number): string {
  const digits = String(Math.abs(step)).padStart(step < 0 ? 4 : 5, '0');
  return step < 0 ? `-${digits}` : digits;
}

/** PyTorch's `SummaryWriter._encode` of a tag into one path segment. */
export function encodeEmbeddingTag(tag: string): string {
  return tag.replaceAll('%', '%25').replaceAll('/', '%2f').replaceAll('\\', '%5c');
}

/** Python's `str(float)`: shortest round-trip digits, '.0' on integral values, exponent from 1e16 and below 1e-4. */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const plain = String(v);
  if (exp >= -4 && exp < 16 && !plain.includes('e')) return Number.isInteger(v) ? `${plain}.0` : plain;
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const n = Number(e);
  return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

const INTEGER_ARRAYS = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array];

interface Prepared {
  subdir: string;
  tensorName: string;
  files: Array<[string, Uint8Array]>;
  info: TextField;
}

/** Checks everything and renders every file in memory: nothing is written unless all of it is valid. */
function prepare(mat: EmbeddingMatrix, options: EmbeddingOptions): Prepared {
  const tag = checkString(options.tag ?? 'default', 'tag', { nonEmpty: true });
  const step = checkInteger(options.globalStep ?? 0, 'globalStep', Number.MIN_SAFE_INTEGER);
  let rows: number;
  let cols: number;
  let flat: ArrayLike<number>;
  let integral = false;
  if (Array.isArray(mat)) {
    rows = mat.length;
    cols = rows > 0 ? (mat[0] as ArrayLike<number>).length : 0;
    const out = new Float64Array(rows * cols);
    (mat as ReadonlyArray<ArrayLike<number>>).forEach((row, i) => {
      const r = checkFiniteArray(row, `mat[${i}]`);
      if (r.length !== cols) throw new StorageError('EINVAL', `mat[${i}] has ${r.length} values, mat[0] has ${cols}`, { field: `mat[${i}]` });
      for (let j = 0; j < cols; j++) out[i * cols + j] = r[j]!;
    });
    flat = out;
  } else {
    const m = mat as { data: ArrayLike<number>; shape: readonly number[] };
    if (typeof m !== 'object' || m === null) throw new StorageError('EINVAL', 'mat must be rows or { data, shape: [N, D] }', { field: 'mat' });
    flat = checkFiniteArray(m.data, 'mat.data');
    [rows, cols] = checkShape(m.shape, flat.length, 'mat.shape', 2) as [number, number];
    integral = INTEGER_ARRAYS.some((T) => flat instanceof T);
  }
  if (rows < 1 || cols < 1) throw new StorageError('EINVAL', 'mat must have at least one row and one column', { field: 'mat' });
  const subdir = `${zfill5(step)}/${encodeEmbeddingTag(tag)}`;
  const tensorName = `${tag}:${zfill5(step)}`;
  const files: Array<[string, Uint8Array]> = [];
  const info: TextField[] = [{ name: 'tensor_name', raw: quoteText(tensorName) }];

  if (options.metadata !== undefined) {
    const metadata = options.metadata;
    if (!Array.isArray(metadata) || metadata.length !== rows) throw new StorageError('EINVAL', `metadata must have one entry per row (${rows})`, { field: 'metadata' });
    const cell = (value: unknown, field: string): string => {
      const text = typeof value === 'number' ? String(value) : checkString(value, field);
      if (/[\t\n\r]/.test(text)) throw new StorageError('EINVAL', `${field} contains a tab or line break (the file is TSV)`, { field });
      return text;
    };
    let lines: string[];
    if (options.metadataHeader === undefined) {
      lines = metadata.map((m, i) => cell(m, `metadata[${i}]`));
    } else {
      const header = options.metadataHeader;
      if (!Array.isArray(header)) throw new StorageError('EINVAL', 'metadataHeader must be an array of column names', { field: 'metadataHeader' });
      lines = [header.map((h, j) => cell(h, `metadataHeader[${j}]`)).join('\t')];
      metadata.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== header.length) throw new StorageError('EINVAL', `metadata[${i}] must have ${header.length} cells, like metadataHeader`, { field: `metadata[${i}]` });
        lines.push(row.map((c, j) => cell(c, `metadata[${i}][${j}]`)).join('\t'));
      });
    }
    files.push(['metadata.tsv', Buffer.from(`${lines.join('\n')}\n`, 'utf8')]);
    info.push({ name: 'metadata_path', raw: quoteText(`${subdir}/metadata.tsv`) });
  }

  if (options.labelImg !== undefined) {
    const img = options.labelImg;
    const shape = img?.shape;
    if (!Array.isArray(shape) || shape.length !== 4 || shape[0] !== rows) throw new StorageError('EINVAL', `labelImg must be [N, C, H, W] with N = ${rows}`, { field: 'labelImg.shape' });
    const [, c, h, w] = shape as [number, number, number, number];
    if (c !== 1 && c !== 3) throw new StorageError('EINVAL', 'labelImg must have 1 or 3 channels', { field: 'labelImg.shape' });
    // PyTorch's make_sprite: a make_grid of ceil(sqrt(N)) columns, on a square canvas as wide
    // as the grid; floats become uint8(clip(v · 255)) in float64 (no float32 step here).
    const columns = Math.ceil(Math.sqrt(rows));
    const grid = toHwc({ ...img, dataformats: 'NCHW' }, 'NCHW', columns, (data) =>
      data instanceof Uint8Array || data instanceof Uint8ClampedArray ? (v) => v : (v) => (v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(v * 255)),
    );
    const side = grid.width;
    const height = Math.max(side, grid.height);
    const square = new Uint8Array(side * height * 3);
    square.set(grid.data);
    files.push(['sprite.png', hwcToPng({ width: side, height, channels: 3, data: square })]);
    info.push({ name: 'sprite', fields: [{ name: 'image_path', raw: quoteText(`${subdir}/sprite.png`) }, { name: 'single_image_dim', raw: String(w) }, { name: 'single_image_dim', raw: String(h) }] });
  }

  let tsv = '';
  for (let i = 0; i < rows; i++) {
    const cells: string[] = new Array<string>(cols);
    for (let j = 0; j < cols; j++) {
      const v = flat[i * cols + j]!;
      cells[j] = integral ? String(v) : pythonFloatRepr(v);
    }
    tsv += `${cells.join('\t')}\n`;
  }
  files.push(['tensors.tsv', Buffer.from(tsv, 'utf8')]);
  info.push({ name: 'tensor_path', raw: quoteText(`${subdir}/tensors.tsv`) });
  return { subdir, tensorName, files, info: { name: 'embeddings', fields: info } };
}

let tempCounter = 0;

/** Writes `data` to `target` through a temp file (fsynced, then renamed): readers see all or nothing. */
function writeAtomically(target: string, data: Uint8Array): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    const fd = openSync(temp, 'wx');
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw fromNodeError(error, target, 'write embedding file');
  }
}

function tensorNameOf(field: TextField, file: string): string | undefined {
  if (!('fields' in field)) return undefined;
  const name = field.fields.find((f) => f.name === 'tensor_name');
  return name !== undefined && 'raw' in name ? unquoteText(name.raw, file) : undefined;
}

/**
 * The projector files PyTorch's `add_embedding` writes, in `logDir`:
 * `<step zero-filled to 5>/<tag, % / \ percent-encoded>/tensors.tsv` (one row per line,
 * Python float reprs, tab-separated), `metadata.tsv` and `sprite.png` when given, and
 * `projector_config.pbtxt` with one `embeddings { ... }` entry per embedding. Unlike PyTorch
 * (which rewrites the file from its own memory), entries already in the file are kept: an
 * entry with the same tensor name is replaced, a new one appended. Every file is written
 * through a temp file and rename; the config last.
 */
export function writeEmbedding(logDir: string, mat: EmbeddingMatrix, options: EmbeddingOptions = {}): void {
  const prepared = prepare(mat, options);
  const configPath = path.join(logDir, PROJECTOR_CONFIG_FILE);
  let existing: TextField[] = [];
  let text: string | undefined;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromNodeError(error, configPath, 'read projector config');
  }
  if (text !== undefined) existing = parseTextFormat(text, configPath);
  const at = existing.findIndex((f) => f.name === 'embeddings' && tensorNameOf(f, configPath) === prepared.tensorName);
  if (at >= 0) existing[at] = prepared.info;
  else existing.push(prepared.info);
  const dir = path.join(logDir, ...prepared.subdir.split('/'));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw fromNodeError(error, dir, 'create embedding directory');
  }
  for (const [name, data] of prepared.files) writeAtomically(path.join(dir, name), data);
  writeAtomically(configPath, Buffer.from(printTextFormat(existing), 'utf8'));
}

/** One embedding of a run, read back from its projector files. */
export interface EmbeddingInfo {
  tensorName: string;
  tensorPath: string;
  metadataPath?: string;
  sprite?: { imagePath: string; singleImageDim: number[] };
  /** [N, D] */
  shape: [number, number];
  /** Row-major. */
  values: number[];
  /** metadata.tsv lines split on tabs (with the header line first when there is one). */
  metadata?: string[][];
  spritePng?: Uint8Array;
}

/** Reads `projector_config.pbtxt` of `logDir` and the files it names. ENOENT if there is none, ECORRUPT on bad content. */
export async function readEmbeddings(logDir: string): Promise<EmbeddingInfo[]> {
  const configPath = path.join(logDir, PROJECTOR_CONFIG_FILE);
  const text = await readFile(configPath, 'utf8').catch((error: unknown) => {
    throw fromNodeError(error, configPath, 'read projector config');
  });
  const out: EmbeddingInfo[] = [];
  for (const entry of parseTextFormat(text, configPath)) {
    if (entry.name !== 'embeddings' || !('fields' in entry)) continue;
    const str = (name: string, fields: TextField[] = entry.fields): string | undefined => {
      const f = fields.find((x) => x.name === name);
      return f !== undefined && 'raw' in f ? unquoteText(f.raw, configPath) : undefined;
    };
    const tensorPath = str('tensor_path') ?? '';
    const info: EmbeddingInfo = { tensorName: str('tensor_name') ?? '', tensorPath, shape: [0, 0], values: [] };
    const file = (rel: string): string => path.resolve(logDir, rel);
    if (tensorPath !== '') {
      const tsv = await readFile(file(tensorPath), 'utf8').catch((error: unknown) => {
        throw fromNodeError(error, file(tensorPath), 'read embedding tensors');
      });
      const lines = tsv.split('\n').filter((l) => l !== '');
      const parsed = lines.map((l, i) => l.split('\t').map((token) => parseCell(token, file(tensorPath), i)));
      const d = parsed[0]?.length ?? 0;
      if (parsed.some((r) => r.length !== d)) throw new StorageError('ECORRUPT', 'embedding tensors.tsv rows differ in length', { path: file(tensorPath) });
      info.shape = [parsed.length, d];
      info.values = parsed.flat();
    }
    const metadataPath = str('metadata_path');
    if (metadataPath !== undefined) {
      info.metadataPath = metadataPath;
      const tsv = await readFile(file(metadataPath), 'utf8').catch((error: unknown) => {
        throw fromNodeError(error, file(metadataPath), 'read embedding metadata');
      });
      info.metadata = tsv.split('\n').slice(0, -1).map((l) => l.split('\t'));
    }
    const sprite = entry.fields.find((f) => f.name === 'sprite');
    if (sprite !== undefined && 'fields' in sprite) {
      const imagePath = str('image_path', sprite.fields) ?? '';
      const singleImageDim = sprite.fields.filter((f) => f.name === 'single_image_dim' && 'raw' in f).map((f) => Number((f as { raw: string }).raw));
      info.sprite = { imagePath, singleImageDim };
      info.spritePng = new Uint8Array(await readFile(file(imagePath)).catch((error: unknown) => {
        throw fromNodeError(error, file(imagePath), 'read embedding sprite');
      }));
    }
    out.push(info);
  }
  return out;
}

const SPECIAL: Record<string, number> = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity };

/** One tensors.tsv cell: a decimal number or Python's nan/inf; ECORRUPT otherwise. */
function parseCell(token: string, file: string, line: number): number {
  if (token in SPECIAL) return SPECIAL[token]!;
  const v = token.trim() === '' ? Number.NaN : Number(token);
  if (Number.isNaN(v)) throw new StorageError('ECORRUPT', `embedding tensors.tsv line ${line + 1}: '${token}' is not a number`, { path: file });
  return v;
}
