import { StorageError } from '@store/backend-core';
import { checkFiniteArray, checkInteger, checkNumericArray, checkTagString, type NumericArray } from './input.js';
import { floatTensor, pluginOnlyMetadata, type PluginValue } from './plugin-value.js';
import { PrCurvePluginDataType, decodeMessage, encodeMessage } from './proto/plugins.js';

/** SummaryMetadata.plugin_data.plugin_name of precision-recall curves. */
export const PLUGIN_PR_CURVES = 'pr_curves';
/** PyTorch's and TensorBoard's default number of thresholds. */
export const DEFAULT_PR_THRESHOLDS = 127;
/** TensorBoard's pr_curves/summary.py: the floor of the denominators of precision and recall. */
const MINIMUM_COUNT = 1e-7;

export interface PrCurveOptions {
  /** Thresholds (≥ 2), evenly spaced over [0, 1]. Default 127. PyTorch silently caps this at 127; we do not. */
  numThresholds?: number;
  /** One weight per example, or one for all. Default 1. */
  weights?: ArrayLike<number> | number;
  wallTime?: number;
}

/** The six rows of a pr_curves tensor, one entry per threshold (what `addPrCurveRaw` takes). */
export interface PrCurveData {
  truePositives: ArrayLike<number>;
  falsePositives: ArrayLike<number>;
  trueNegatives: ArrayLike<number>;
  falseNegatives: ArrayLike<number>;
  precision: ArrayLike<number>;
  recall: ArrayLike<number>;
}

export const PR_CURVE_ROWS = ['truePositives', 'falsePositives', 'trueNegatives', 'falseNegatives', 'precision', 'recall'] as const;

/**
 * The `[6, numThresholds]` curve of `labels` (boolean, or 0/1) against `predictions` (in
 * [0, 1]), as PyTorch's `compute_curve` computes it (itself TensorBoard's pr_curves summary):
 * prediction p goes to bucket floor(p · (n−1)) (in float32 when `predictions` is a
 * Float32Array, as numpy does for a float32 array); weighted true/false positive counts per
 * bucket; reverse cumulative sums give tp/fp at each threshold; tn = fp[0] − fp,
 * fn = tp[0] − tp; precision = tp / max(1e-7, tp + fp), recall = tp / max(1e-7, tp + fn).
 * Rows in float64, row-major; the file stores them as float32.
 *
 * PyTorch drops predictions outside [0, 1] without a word; here they are an EINVAL.
 */
export function computePrCurve(labels: ArrayLike<boolean | number>, predictions: ArrayLike<number>, options: PrCurveOptions = {}): Float64Array {
  const n = checkInteger(options.numThresholds ?? DEFAULT_PR_THRESHOLDS, 'numThresholds', 2, 1 << 24);
  const preds = checkFiniteArray(predictions, 'predictions');
  if (!Array.isArray(labels) && !ArrayBuffer.isView(labels)) throw new StorageError('EINVAL', 'labels must be an array of booleans or 0/1 numbers', { field: 'labels' });
  const count = preds.length;
  if (labels.length !== count) throw new StorageError('EINVAL', `labels has ${labels.length} entries but predictions has ${count}`, { field: 'labels' });
  const weights = options.weights ?? 1;
  let weightAt: (i: number) => number;
  if (typeof weights === 'number') {
    if (!Number.isFinite(weights)) throw new StorageError('EINVAL', 'weights must be finite', { field: 'weights' });
    weightAt = () => weights;
  } else {
    const w = checkFiniteArray(weights, 'weights');
    if (w.length !== count) throw new StorageError('EINVAL', `weights has ${w.length} entries but predictions has ${count}`, { field: 'weights' });
    weightAt = (i) => w[i]!;
  }
  const float32 = preds instanceof Float32Array;
  const tpBuckets = new Float64Array(n);
  const fpBuckets = new Float64Array(n);
  const buckets = new Int32Array(count);
  const labelValues = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    if (label === true || label === 1) labelValues[i] = 1;
    else if (label !== false && label !== 0) throw new StorageError('EINVAL', `labels[${i}] must be a boolean or 0/1, got ${String(label)}`, { field: `labels[${i}]` });
    const p = preds[i]!;
    if (p < 0 || p > 1) throw new StorageError('EINVAL', `predictions[${i}] must be in [0, 1], got ${p}`, { field: `predictions[${i}]` });
    const scaled = float32 ? Math.fround(p * (n - 1)) : p * (n - 1);
    buckets[i] = Math.floor(scaled);
  }
  // Summed in input order, as numpy's weighted histogram (bincount) does, so float64 sums match.
  for (let i = 0; i < count; i++) {
    const w = weightAt(i);
    const label = labelValues[i]!;
    tpBuckets[buckets[i]!]! += label * w;
    fpBuckets[buckets[i]!]! += (1 - label) * w;
  }
  const out = new Float64Array(6 * n);
  let tp = 0;
  let fp = 0;
  for (let j = n - 1; j >= 0; j--) {
    tp += tpBuckets[j]!;
    fp += fpBuckets[j]!;
    out[j] = tp;
    out[n + j] = fp;
  }
  const tp0 = out[0]!;
  const fp0 = out[n]!;
  for (let j = 0; j < n; j++) {
    const t = out[j]!;
    const f = out[n + j]!;
    const fnCount = tp0 - t;
    out[2 * n + j] = fp0 - f;
    out[3 * n + j] = fnCount;
    out[4 * n + j] = t / Math.max(MINIMUM_COUNT, t + f);
    out[5 * n + j] = t / Math.max(MINIMUM_COUNT, t + fnCount);
  }
  return out;
}

/** Flattens and checks the six rows of `addPrCurveRaw`: equal lengths (≥ 1), finite numbers. */
export function prCurveRows(data: PrCurveData): { values: Float64Array; thresholds: number } {
  if (typeof data !== 'object' || data === null) throw new StorageError('EINVAL', 'pr curve data must be an object with six rows', { field: 'data' });
  const rows: NumericArray[] = PR_CURVE_ROWS.map((name) => checkFiniteArray(checkNumericArray(data[name], name), name));
  const k = rows[0]!.length;
  if (k < 1) throw new StorageError('EINVAL', 'pr curve rows must not be empty', { field: PR_CURVE_ROWS[0] });
  const values = new Float64Array(6 * k);
  rows.forEach((row, r) => {
    if (row.length !== k) throw new StorageError('EINVAL', `${PR_CURVE_ROWS[r]} has ${row.length} entries, truePositives has ${k}`, { field: PR_CURVE_ROWS[r]! });
    for (let j = 0; j < k; j++) values[r * k + j] = row[j]!;
  });
  return { values, thresholds: k };
}

/**
 * The Summary.Value PyTorch's `pr_curve`/`pr_curve_raw` write: a DT_FLOAT `[6, k]` tensor in
 * `float_val`, metadata plugin `pr_curves` with `PrCurvePluginData{version: 0, num_thresholds}`
 * (tensorboard/plugins/pr_curve/plugin_data.proto), data_class unset.
 */
export function prCurveValue(tag: string, values: ArrayLike<number>, numThresholds: number): PluginValue {
  checkTagString(tag);
  const k = values.length / 6;
  const content = encodeMessage(PrCurvePluginDataType, { version: 0, numThresholds });
  return { tag, metadata: pluginOnlyMetadata(PLUGIN_PR_CURVES, content), data: { tensor: floatTensor([6, k], values) } };
}

/** Reads `PrCurvePluginData` content; returns undefined for content that is not one. */
export function decodePrCurveContent(content: Uint8Array): { version: number; numThresholds: number } | undefined {
  try {
    const m = decodeMessage(PrCurvePluginDataType, content);
    return { version: m.version as number, numThresholds: m.numThresholds as number };
  } catch {
    return undefined;
  }
}
