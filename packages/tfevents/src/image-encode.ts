import { StorageError } from '@store/backend-core';
import { encode as encodePng } from 'fast-png';
import { checkNumericArray, checkShape, type NumericArray } from './input.js';

/**
 * Raw pixels, as PyTorch's `add_image`/`add_images` take a tensor: `data` flattened row-major
 * over `shape`, whose axes `dataformats` names (letters N, C, H, W in any order; 'HW' for one
 * gray plane). Uint8Array/Uint8ClampedArray values are 0–255; any other array holds floats
 * in [0, 1], scaled by 255 as PyTorch does (float32 arithmetic, clipped to [0, 255], then
 * truncated). C is 1 (gray, widened to RGB as PyTorch does), 3 (RGB) or 4 (RGBA).
 */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | readonly number[];
  shape: readonly number[];
  /** Default 'CHW' for `addImage`, 'NCHW' for `addImages` (PyTorch's defaults). */
  dataformats?: string;
}

/** An image in HWC order, 8 bits per channel. */
export interface HwcImage {
  height: number;
  width: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** PyTorch's `make_grid` default: at most 8 images per row. */
export const GRID_COLUMNS = 8;

export function isPixelImage(value: unknown): value is PixelImage {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && 'data' in value && 'shape' in value;
}

/** The uint8 value PyTorch stores for one element: 8-bit data as is, else trunc(clip(f32(f32(v)·255))). */
export function pixelByteFn(data: NumericArray): (v: number) => number {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return (v) => v;
  return (v) => {
    const scaled = Math.fround(Math.fround(v) * 255);
    return scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.trunc(scaled);
  };
}

interface Axes {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Element strides of each axis in `data` (0 for an absent axis). */
  sn: number;
  sc: number;
  sh: number;
  sw: number;
}

function axesOf(image: PixelImage, defaultFormat: string, allowed: readonly string[]): { axes: Axes; data: NumericArray } {
  const data = checkNumericArray(image.data, 'image.data');
  const format = (image.dataformats ?? defaultFormat).toUpperCase();
  if (!allowed.includes(format.length === 4 ? 'NCHW' : format.length === 3 ? 'CHW' : 'HW') || new Set(format).size !== format.length || [...format].some((l) => !'NCHW'.includes(l))) {
    throw new StorageError('EINVAL', `dataformats '${format}' must be a permutation of ${allowed.join(' or ')}`, { field: 'dataformats' });
  }
  const shape = checkShape(image.shape, data.length, 'image.shape', format.length);
  const strides: number[] = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const dim = (letter: string): [number, number] => {
    const i = format.indexOf(letter);
    return i < 0 ? [1, 0] : [shape[i]!, strides[i]!];
  };
  const [n, sn] = dim('N');
  const [c, sc] = dim('C');
  const [h, sh] = dim('H');
  const [w, sw] = dim('W');
  if (c !== 1 && c !== 3 && c !== 4) throw new StorageError('EINVAL', `images must have 1, 3 or 4 channels, got ${c}`, { field: 'image.shape' });
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new StorageError('EINVAL', `image.data[${i}] is not a number`, { field: `image.data[${i}]` });
  }
  return { axes: { n, c, h, w, sn, sc, sh, sw }, data };
}

/**
 * Converts pixels to one HWC uint8 image as PyTorch's `convert_to_HWC` does: 'HW' and
 * one-channel images become RGB, and a batch (N in the format) becomes a `make_grid` of
 * min(N, 8) columns and ceil(N / columns) rows on black.
 */
export function toHwc(image: PixelImage, defaultFormat: 'CHW' | 'NCHW', columns = GRID_COLUMNS, byteFn = pixelByteFn): HwcImage {
  const { axes, data } = axesOf(image, defaultFormat, defaultFormat === 'CHW' ? ['CHW', 'HW'] : ['NCHW']);
  const { n, c, h, w } = axes;
  const cols = Math.min(n, columns);
  const rows = Math.ceil(n / cols);
  const channels: 3 | 4 = c === 4 ? 4 : 3;
  const width = w * cols;
  const height = h * rows;
  if (width * height * channels > 2 ** 31 - 1) throw new StorageError('EINVAL', `image of ${width}x${height} is too large`, { field: 'image.shape' });
  const out = new Uint8Array(width * height * channels);
  const toByte = byteFn(data);
  for (let i = 0; i < n; i++) {
    const x0 = (i % cols) * w;
    const y0 = Math.floor(i / cols) * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = i * axes.sn + y * axes.sh + x * axes.sw;
        const dst = ((y0 + y) * width + x0 + x) * channels;
        for (let k = 0; k < channels; k++) out[dst + k] = toByte(data[src + (c === 1 ? 0 : k * axes.sc)]!);
      }
    }
  }
  return { height, width, channels, data: out };
}

/** PNG of an HWC image (8-bit RGB or RGBA, as PIL saves such an array). */
export function hwcToPng(image: HwcImage): Uint8Array {
  return encodePng({ width: image.width, height: image.height, data: image.data, channels: image.channels, depth: 8 });
}

/** `Summary.Image` fields PyTorch's `make_image` writes for these pixels. */
export function pixelsToSummaryImage(image: PixelImage, defaultFormat: 'CHW' | 'NCHW'): { height: number; width: number; colorspace: number; encoded: Uint8Array } {
  const hwc = toHwc(image, defaultFormat);
  return { height: hwc.height, width: hwc.width, colorspace: hwc.channels, encoded: hwcToPng(hwc) };
}
