/**
 * TensorBoard's scalar smoothing, the same formula as its line charts ("classic smoothing"):
 * a debiased exponential moving average. For weight w and the n-th finite value v,
 * `last = last·w + (1−w)·v` and the shown value is `last / (1 − wⁿ)` (the division removes
 * the pull towards the zero start). Non-finite values pass through and are not counted;
 * a constant series is returned as is (TensorBoard #786).
 */
export function smooth(values: ArrayLike<number | null>, weight: number): Array<number | null> {
  const out: Array<number | null> = Array.from(values);
  if (weight <= 0 || out.length === 0) return out;
  const first = out[0];
  if (out.every((v) => v === first)) return out;
  let last = 0;
  let count = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    last = last * weight + (1 - weight) * v;
    count++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, count);
    out[i] = last / debias;
  }
  return out;
}
