import { StorageError } from '@store/backend-core';
import * as gifencModule from 'gifenc';
import { checkFinite, checkNumericArray, checkShape } from './input.js';

// Node loads gifenc's CommonJS build (everything under `default`); bundlers its ESM build (named exports).
const gifencExports = gifencModule as unknown as Record<string, unknown>;
const gifenc = (typeof gifencExports.GIFEncoder === 'function' ? gifencExports : gifencExports.default) as typeof gifencModule.default;

/** PyTorch's default frames per second for `add_video`. */
export const DEFAULT_FPS = 4;

/**
 * A batch of videos as PyTorch's `add_video` takes it: shape [N, T, C, H, W] (batch, time,
 * channels, height, width), row-major. Uint8Array values are 0–255, any other array floats in
 * [0, 1]. C is 1 or 3.
 */
export interface VideoTensor {
  data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | readonly number[];
  shape: readonly number[];
}

export interface VideoOptions {
  /** Frames per second. Default 4. */
  fps?: number;
  wallTime?: number;
}

export interface VideoFrames {
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** RGBA, frame after frame. */
  rgba: Uint8Array;
}

/**
 * Lays a batch of videos out as PyTorch's `_prepare_video` does: the batch padded with black
 * videos to a power of two b′, placed on a grid of 2^⌊(bitlength(N)−1)/2⌋ rows and b′/rows
 * columns; each element becomes trunc(clip(f32(f32(x)·255))) with x = f32(u / 255) for 8-bit
 * input (PyTorch first divides 8-bit video by 255, then multiplies back in float32).
 */
export function prepareVideo(video: VideoTensor): VideoFrames {
  const data = checkNumericArray(video?.data, 'video.data');
  const [b, t, c, h, w] = checkShape(video.shape, data.length, 'video.shape', 5) as [number, number, number, number, number];
  if (c !== 1 && c !== 3) throw new StorageError('EINVAL', `video must have 1 or 3 channels, got ${c}`, { field: 'video.shape' });
  for (let i = 0; i < data.length; i++) {
    if (typeof data[i] !== 'number' || Number.isNaN(data[i])) throw new StorageError('EINVAL', `video.data[${i}] is not a number`, { field: `video.data[${i}]` });
  }
  const eightBit = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  const toByte = (v: number): number => {
    const x = eightBit ? Math.fround(v / 255) : Math.fround(v);
    const scaled = Math.fround(x * 255);
    return scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.trunc(scaled);
  };
  if (b > 2 ** 30) throw new StorageError('EINVAL', 'video batch too large', { field: 'video.shape' });
  const bitLength = 32 - Math.clz32(b);
  const padded = (b & (b - 1)) === 0 ? b : 2 ** bitLength;
  const rows = 2 ** Math.floor((bitLength - 1) / 2);
  const cols = padded / rows;
  const height = rows * h;
  const width = cols * w;
  if (t * height * width * 4 > 2 ** 31 - 1) throw new StorageError('EINVAL', 'video too large', { field: 'video.shape' });
  const rgba = new Uint8Array(t * height * width * 4);
  for (let f = 0; f < t; f++) {
    const frameBase = f * height * width * 4;
    for (let i = 0; i < padded; i++) {
      const y0 = Math.floor(i / cols) * h;
      const x0 = (i % cols) * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const dst = frameBase + ((y0 + y) * width + x0 + x) * 4;
          rgba[dst + 3] = 255;
          if (i >= b) continue;
          const src = (((i * t + f) * c) * h + y) * w + x;
          for (let k = 0; k < 3; k++) rgba[dst + k] = toByte(data[src + (c === 1 ? 0 : k * h * w)]!);
        }
      }
    }
  }
  return { frames: t, height, width, channels: c, rgba };
}

/**
 * An animated GIF (looping forever, 1/fps seconds per frame, as moviepy's `write_gif` makes
 * for PyTorch). Frames with at most 256 colors in all are stored exactly with one global
 * palette; otherwise each frame is quantized to 256 colors (gifenc's PnnQuant), as any GIF
 * writer must.
 */
export function encodeGif(video: VideoFrames, fps: number): Uint8Array {
  checkFinite(fps, 'fps');
  if (fps <= 0) throw new StorageError('EINVAL', 'fps must be positive', { field: 'fps' });
  const { frames, height, width, rgba } = video;
  // GIF stores the screen size in 16 bits.
  if (width > 0xffff || height > 0xffff) throw new StorageError('EINVAL', `a GIF frame is at most 65535 pixels a side, this grid is ${width}x${height}`, { field: 'video.shape' });
  const delay = Math.round(1000 / fps);
  const pixels = height * width;
  const colors = new Map<number, number>();
  for (let p = 0; p < rgba.length && colors.size <= 256; p += 4) {
    const key = (rgba[p]! << 16) | (rgba[p + 1]! << 8) | rgba[p + 2]!;
    if (!colors.has(key)) colors.set(key, colors.size);
  }
  const gif = gifenc.GIFEncoder();
  if (colors.size <= 256) {
    const palette = [...colors.keys()].map((k) => [(k >> 16) & 255, (k >> 8) & 255, k & 255]);
    while (palette.length < 2) palette.push([0, 0, 0]);
    for (let f = 0; f < frames; f++) {
      const index = new Uint8Array(pixels);
      for (let i = 0; i < pixels; i++) {
        const p = (f * pixels + i) * 4;
        index[i] = colors.get((rgba[p]! << 16) | (rgba[p + 1]! << 8) | rgba[p + 2]!)!;
      }
      gif.writeFrame(index, width, height, f === 0 ? { palette, delay, repeat: 0 } : { delay });
    }
  } else {
    for (let f = 0; f < frames; f++) {
      const frame = rgba.subarray(f * pixels * 4, (f + 1) * pixels * 4);
      const palette = gifenc.quantize(frame, 256);
      gif.writeFrame(gifenc.applyPalette(frame, palette), width, height, { palette, delay, repeat: 0 });
    }
  }
  gif.finish();
  return gif.bytes();
}
