import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsampleScalars, lttb } from '../src/lttb.js';
import { smooth } from '../console/src/smoothing.js';
import { startServer } from './helpers.js';

const pt = (step: number, value: number) => ({ step, value });
const byStep = (p: { step: number }) => p.step;
const byValue = (p: { value: number }) => p.value;

describe('lttb', () => {
  it('returns the series itself (a copy) when it is short enough', () => {
    const s = [pt(0, 1), pt(1, 2), pt(2, 3)];
    const out = lttb(s, 3, byStep, byValue);
    expect(out).toEqual(s);
    expect(out).not.toBe(s);
  });

  it('keeps the first and last point and exactly `threshold` points, in order, drawn from the input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 4, maxLength: 400 }), fc.integer({ min: 3, max: 50 }), (values, threshold) => {
        const s = values.map((v, i) => pt(i, v));
        const out = lttb(s, threshold, byStep, byValue);
        expect(out.length).toBe(Math.min(threshold, s.length));
        expect(out[0]).toBe(s[0]);
        expect(out.at(-1)).toBe(s.at(-1));
        for (let i = 1; i < out.length; i++) expect(out[i]!.step).toBeGreaterThan(out[i - 1]!.step);
        for (const p of out) expect(s).toContain(p);
      }),
    );
  });

  it('keeps a lone spike (the point a naive every-nth sampling loses)', () => {
    const s = Array.from({ length: 10_000 }, (_, i) => pt(i, i === 4321 ? 100 : 0));
    const out = lttb(s, 50, byStep, byValue);
    expect(out.some((p) => p.step === 4321)).toBe(true);
  });

  it('small thresholds keep the ends', () => {
    const s = [pt(0, 1), pt(1, 5), pt(2, 3), pt(3, 4)];
    expect(lttb(s, 2, byStep, byValue)).toEqual([s[0], s[3]]);
    expect(lttb(s, 1, byStep, byValue)).toEqual([s[0]]);
    expect(lttb(s, 0, byStep, byValue)).toEqual([]);
  });

  it('downsampleScalars always reports the full count', () => {
    const headers: Record<string, string> = {};
    const s = Array.from({ length: 100 }, (_, i) => pt(i, Math.sin(i)));
    expect(downsampleScalars(s, 10, (k, v) => (headers[k] = v))).toHaveLength(10);
    expect(headers['x-total-points']).toBe('100');
    expect(downsampleScalars(s, undefined, (k, v) => (headers[k] = v))).toBe(s);
  });
});

describe('GET /v1/scalars?maxPoints=', () => {
  it('answers at most maxPoints points with X-Total-Points, and rejects a bad maxPoints', async () => {
    const running = await startServer();
    try {
      const body = Array.from({ length: 5000 }, (_, step) => ({ tag: 'x', step, value: step % 7 }));
      for (let i = 0; i < body.length; i += 2500) {
        const res = await fetch(`${running.url}/v1/scalars?run=r`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body.slice(i, i + 2500)) });
        expect(res.status).toBe(200);
      }
      const res = await fetch(`${running.url}/v1/scalars?run=r&tag=x&maxPoints=100`);
      expect(res.headers.get('x-total-points')).toBe('5000');
      const points = (await res.json()) as Array<{ step: number; value: number }>;
      expect(points).toHaveLength(100);
      expect(points[0]!.step).toBe(0);
      expect(points.at(-1)!.step).toBe(4999);
      for (const p of points) expect(p.value).toBe(p.step % 7);
      const full = await fetch(`${running.url}/v1/scalars?run=r&tag=x`);
      expect(((await full.json()) as unknown[]).length).toBe(5000);
      for (const bad of ['2', '0', '-5', 'abc', '1.5']) {
        const r = await fetch(`${running.url}/v1/scalars?run=r&tag=x&maxPoints=${bad}`);
        expect(r.status).toBe(400);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('EINVAL');
      }
    } finally {
      await running.close();
    }
  });
});

describe("the console's smoothing (TensorBoard's classic smoothing)", () => {
  it("matches TensorBoard's own test case", () => {
    // tensorboard/webapp/widgets/line_chart_v2/data_transformer_test.ts: weight 0.6.
    expect(smooth([1, 0.5, 0], 0.6)).toEqual([1, 0.6875, ((0.5 * 0.4 + 0.4 * 1 * 0.6) * 0.6 + 0) / (1 - Math.pow(0.6, 3))]);
    expect(smooth([0, 0.5, 1], 0.6)).toEqual([0, 0.3125, (1 * 0.4 + 0.5 * 0.4 * 0.6) / (1 - Math.pow(0.6, 3))]);
  });

  it('leaves weight 0, constant series and non-finite values alone', () => {
    expect(smooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
    expect(smooth([2, 2, 2], 0.9)).toEqual([2, 2, 2]);
    const out = smooth([1, null, Number.NaN, 3], 0.5);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeNaN();
    // null and NaN are skipped and not counted: 3 is the second value averaged.
    expect(out[3]).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25), 12);
  });
});
