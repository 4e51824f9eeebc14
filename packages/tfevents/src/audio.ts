import { StorageError } from '@store/backend-core';
import { checkFiniteArray, checkInteger, checkTagString } from './input.js';
import type { PluginValue } from './plugin-value.js';

/** PyTorch's default sample rate for `add_audio`. */
export const DEFAULT_SAMPLE_RATE = 44_100;
/** Size of the RIFF/WAVE header Python's `wave` module writes for 16-bit PCM. */
export const WAV_HEADER_BYTES = 44;
const INT16_MAX = 32_767;

export interface AudioOptions {
  /** Samples per second (Hz). Default 44 100. */
  sampleRate?: number;
  wallTime?: number;
}

/**
 * Mono 16-bit PCM WAV of float samples, byte for byte what PyTorch's `add_audio` writes:
 * samples beyond [-1, 1] are clipped (PyTorch warns and clips), each becomes
 * trunc(s · 32767) (in float32 when `samples` is a Float32Array, as numpy computes it), little
 * endian, after Python `wave`'s 44-byte header:
 *
 *   0 "RIFF" · 4 u32 36+data · 8 "WAVE" · 12 "fmt " · 16 u32 16 · 20 u16 1 (PCM) · 22 u16 channels 1
 *   24 u32 rate · 28 u32 rate·2 · 32 u16 block align 2 · 34 u16 bits 16 · 36 "data" · 40 u32 data bytes
 */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  const values = checkFiniteArray(samples, 'samples');
  checkInteger(sampleRate, 'sampleRate', 1, 0xffffffff / 2);
  const n = values.length;
  if (n * 2 > 0xffffffff - 36) throw new StorageError('EINVAL', 'audio too long for a WAV file', { field: 'samples' });
  const float32 = values instanceof Float32Array;
  const out = Buffer.alloc(WAV_HEADER_BYTES + 2 * n);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + 2 * n, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const s = Math.min(1, Math.max(-1, values[i]!));
    const scaled = float32 ? Math.fround(s * INT16_MAX) : s * INT16_MAX;
    out.writeInt16LE(Math.trunc(scaled), WAV_HEADER_BYTES + 2 * i);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The Summary.Value PyTorch's `audio` writes: `Summary.Audio` with content type audio/wav, mono. */
export function audioValue(tag: string, samples: ArrayLike<number>, sampleRate: number): PluginValue {
  checkTagString(tag);
  const encoded = encodeWav(samples, sampleRate);
  return {
    tag,
    data: { audio: { sampleRate, numChannels: 1, lengthFrames: samples.length, encodedAudioString: encoded, contentType: 'audio/wav' } },
  };
}

/** Samples of a 16-bit PCM WAV as floats (s / 32767), for tests and readers; EINVAL if it is not one. */
export function decodeWav(bytes: Uint8Array): { sampleRate: number; channels: number; samples: Float64Array } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < WAV_HEADER_BYTES || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') {
    throw new StorageError('EINVAL', 'not a RIFF/WAVE file', { field: 'audio' });
  }
  let p = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (p + 8 <= b.length) {
    const id = b.toString('latin1', p, p + 4);
    const size = b.readUInt32LE(p + 4);
    const body = p + 8;
    if (body + size > b.length) throw new StorageError('EINVAL', `WAV chunk '${id}' runs past the end`, { field: 'audio', offset: p });
    if (id === 'fmt ' && size >= 16) {
      if (b.readUInt16LE(body) !== 1) throw new StorageError('EINVAL', 'WAV is not PCM', { field: 'audio' });
      channels = b.readUInt16LE(body + 2);
      sampleRate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new StorageError('EINVAL', 'WAV must be 16-bit PCM with a fmt chunk first', { field: 'audio' });
      const samples = new Float64Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = b.readInt16LE(body + 2 * i) / INT16_MAX;
      return { sampleRate, channels, samples };
    }
    p = body + size + (size & 1);
  }
  throw new StorageError('EINVAL', 'WAV without a data chunk', { field: 'audio' });
}
