import { StorageError } from '@store/backend-core';
import type { HistogramSpec } from './types.js';

export type { HistogramSpec };

/**
 * 'tensorflow': TensorFlow's default buckets (±1e-12 · 1.1^k up to 1e20, closed by ±DBL_MAX
 * end buckets as in TensorFlow's histogram.cc, so every finite value is counted); a number:
 * that many equal-width bins over [min, max]; an array: explicit increasing edges, with an
 * end bucket added below the first (from -DBL_MAX) or above the last (up to DBL_MAX) when
 * values fall outside them. In every case the bucket counts add up to `num`.
 */
export type Bins = 'tensorflow' | number | readonly number[];

let tensorflowEdges: number[] | undefined;

function defaultEdges(): number[] {
  if (tensorflowEdges === undefined) {
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    pos.push(Number.MAX_VALUE);
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
    // For ranges wider than DBL_MAX, hi − lo overflows: lo·(1−t) + hi·t does not.
    const width = hi - lo;
    const at = Number.isFinite(width) ? (i: number) => lo + (width * i) / bins : (i: number) => lo * (1 - i / bins) + hi * (i / bins);
    const raw = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : at(i)));
    // Rounding can make neighbouring edges equal when the range is a few ulps wide.
    edges = raw.filter((e, i) => i === 0 || e > raw[i - 1]!);
    if (edges.length < 2) edges = [lo, hi];
  } else {
    if (!Array.isArray(bins) || bins.length < 2 || bins.some((e, i) => typeof e !== 'number' || !Number.isFinite(e) || (i > 0 && e <= bins[i - 1]!))) {
      throw new StorageError('EINVAL', 'bin edges must be at least two increasing finite numbers', { field: 'bins' });
    }
    edges = [...(min < bins[0]! ? [-Number.MAX_VALUE] : []), ...bins, ...(max > bins[bins.length - 1]! ? [Number.MAX_VALUE] : [])];
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

/**
 * A histogram TensorBoard can draw as given: numbers everywhere, `num` ≥ 0, `min` ≤ `max`
 * when anything was counted, bucket limits strictly increasing (±Infinity allowed, NaN not),
 * counts finite and ≥ 0, and the counts adding up to `num` (to 1e-9 relative, for
 * fractional counts). `EINVAL` names the first field that breaks a rule.
 */
export function validateHistogram(h: HistogramSpec): void {
  if (typeof h !== 'object' || h === null) throw new StorageError('EINVAL', 'histogram must be an object', { field: 'histogram' });
  for (const key of ['min', 'max', 'num', 'sum', 'sumSquares'] as const) {
    if (typeof h[key] !== 'number' || Number.isNaN(h[key])) throw new StorageError('EINVAL', `histogram ${key} must be a number`, { field: key });
  }
  if (!Number.isFinite(h.num) || h.num < 0) throw new StorageError('EINVAL', 'histogram num must be a finite number ≥ 0', { field: 'num' });
  if (!Array.isArray(h.bucketLimits) || !Array.isArray(h.bucketCounts) || h.bucketLimits.length !== h.bucketCounts.length) {
    throw new StorageError('EINVAL', 'bucketLimits and bucketCounts must be arrays of equal length', { field: 'bucketLimits' });
  }
  h.bucketLimits.forEach((limit, i) => {
    if (typeof limit !== 'number' || Number.isNaN(limit) || (i > 0 && !(limit > h.bucketLimits[i - 1]!))) {
      throw new StorageError('EINVAL', `bucketLimits must increase strictly (bucketLimits[${i}] = ${String(limit)})`, { field: 'bucketLimits' });
    }
  });
  let total = 0;
  h.bucketCounts.forEach((count, i) => {
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
      throw new StorageError('EINVAL', `bucketCounts[${i}] must be a finite number ≥ 0, got ${String(count)}`, { field: 'bucketCounts' });
    }
    total += count;
  });
  if (Math.abs(total - h.num) > 1e-9 * Math.max(1, h.num)) {
    throw new StorageError('EINVAL', `bucketCounts add up to ${total}, not num = ${h.num}`, { field: 'bucketCounts' });
  }
  if (h.num > 0 && h.min > h.max) throw new StorageError('EINVAL', `histogram min ${h.min} is above max ${h.max}`, { field: 'min' });
}
