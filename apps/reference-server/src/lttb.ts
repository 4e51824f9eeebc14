/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, "Downsampling Time Series for
 * Visual Representation", 2013, §4.2): keeps the first and last point and, from each of
 * `threshold − 2` equal buckets in between, the point forming the largest triangle with the
 * point kept before it and the average of the next bucket. The line keeps its shape (peaks
 * and dips survive) at a fraction of the points, so a chart of 1,000,000 points draws as
 * fast as one of a few thousand.
 *
 * `x` and `y` are read through the accessors; points must be in ascending x for the buckets
 * to mean time ranges (any order still returns `threshold` of the input points, in order).
 * Returns a copy of the input when it has no more than `threshold` points; a `threshold` of
 * 2 or less keeps the first and last (1: the first; 0: none).
 */
export function lttb<T>(points: readonly T[], threshold: number, x: (p: T) => number, y: (p: T) => number): T[] {
  const n = points.length;
  threshold = Math.floor(threshold);
  if (n <= threshold) return points.slice();
  if (threshold <= 2) return threshold <= 0 ? [] : threshold === 1 ? [points[0]!] : [points[0]!, points[n - 1]!];
  const out: T[] = [points[0]!];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // The next bucket's average point (the last bucket's "next" is the final point).
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += x(points[j]!);
      avgY += y(points[j]!);
    }
    const len = nextEnd - nextStart;
    if (len > 0) {
      avgX /= len;
      avgY /= len;
    } else {
      avgX = x(points[n - 1]!);
      avgY = y(points[n - 1]!);
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = x(points[a]!);
    const ay = y(points[a]!);
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (y(points[j]!) - ay) - (ax - x(points[j]!)) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(points[best]!);
    a = best;
  }
  out.push(points[n - 1]!);
  return out;
}

/** Query option of `GET /v1/scalars`: the most points to answer per series. */
export const maxPointsSchema = {
  type: 'integer',
  minimum: 3,
  maximum: 1_000_000,
  description: 'Downsample to at most this many points (LTTB over step, keeping first and last); the X-Total-Points header gives the full count',
} as const;

/**
 * What `GET /v1/scalars` answers: the series, downsampled when `maxPoints` is given and
 * smaller than it; `x-total-points` always carries the full count.
 */
export function downsampleScalars<T extends { step: number; value: number }>(points: T[], maxPoints: number | undefined, setHeader: (name: string, value: string) => void): T[] {
  setHeader('x-total-points', String(points.length));
  if (maxPoints === undefined || points.length <= maxPoints) return points;
  return lttb(points, maxPoints, (p) => p.step, (p) => p.value);
}
