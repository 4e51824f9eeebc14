import { StorageError } from '@store/backend-core';
import type { HistogramSpec } from './types.js';

export type { HistogramSpec };

/**
 * 'tensorflow': TensorFlow's default exponential edges (±1e-12 · 1.1^k up to 1e20, as
 * PyTorch's `bins='tensorflow'`); a number: that many equal-width bins over [min, max];
 * an array: explicit increasing edges (values outside them are not counted).
 */
export type Bins = 'tensorflow' | number | readonly number[];

let tensorflowEdges: number[] | undefined;

function defaultEdges(): number[] {
  if (tensorflowEdges === undefined) {
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    tensorflowEdges = [...pos.map((v) => -v).reverse(), 0, ...pos];
  }
  return tensorflowEdges;
}

export function histogramFromValues(values: ArrayLike<number>, bins: Bins = 'tensorflow'): HistogramSpec {
  const n = values.length;
  if (n === 0) throw new StorageError('EINVAL', 'histogram of no values', { field: 'values' });
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new StorageError('EINVAL', `histogram value ${i} is not a finite number`, { field: `values[${i}]` });
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  let edges: readonly number[];
  if (bins === 'tensorflow') edges = defaultEdges();
  else if (typeof bins === 'number') {
    if (!Number.isInteger(bins) || bins < 1) throw new StorageError('EINVAL', 'bins must be a positive integer', { field: 'bins' });
    const lo = min === max ? min - 0.5 : min;
    const hi = min === max ? max + 0.5 : max;
    edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
  } else {
    edges = bins;
    if (edges.length < 2 || edges.some((e, i) => !Number.isFinite(e) || (i > 0 && e <= edges[i - 1]!))) {
      throw new StorageError('EINVAL', 'bin edges must be at least two increasing finite numbers', { field: 'bins' });
    }
  }
  const k = edges.length - 1;
  const counts = new Float64Array(k);
  const last = edges[k]!;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < edges[0]! || v > last) continue;
    // Bin j holds [edges[j], edges[j+1]); the last bin also holds its right edge (numpy).
    let lo = 0;
    let hi = k;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (v >= edges[mid]!) lo = mid;
      else hi = mid;
    }
    counts[lo]!++;
  }
  let first = 0;
  while (first < k && counts[first] === 0) first++;
  let end = k;
  while (end > first && counts[end - 1] === 0) end--;
  const bucketLimits: number[] = [];
  const bucketCounts: number[] = [];
  for (let j = first; j < end; j++) {
    bucketLimits.push(edges[j + 1]!);
    bucketCounts.push(counts[j]!);
  }
  return { min, max, num: n, sum, sumSquares, bucketLimits, bucketCounts };
}

export function validateHistogram(h: HistogramSpec): void {
  for (const key of ['min', 'max', 'num', 'sum', 'sumSquares'] as const) {
    if (typeof h[key] !== 'number' || Number.isNaN(h[key])) throw new StorageError('EINVAL', `histogram ${key} must be a number`, { field: key });
  }
  if (!Array.isArray(h.bucketLimits) || !Array.isArray(h.bucketCounts) || h.bucketLimits.length !== h.bucketCounts.length) {
    throw new StorageError('EINVAL', 'bucketLimits and bucketCounts must be arrays of equal length', { field: 'bucketLimits' });
  }
}
