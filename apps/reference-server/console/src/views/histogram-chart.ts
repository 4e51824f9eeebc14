/**
 * Histograms over steps, drawn like TensorBoard's "offset" view: one outline per step,
 * stacked from the oldest (back, top) to the newest (front, bottom). Bucket heights are
 * densities (count per unit width), so uneven buckets compare fairly. Plain canvas: the
 * data is small (tens of steps × tens to hundreds of buckets). Hover or ↑/↓ on the focused
 * chart picks a step, whose numbers are shown below in text.
 */
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

export interface Bucket {
  left: number;
  right: number;
  count: number;
}

export interface HistogramStep {
  step: number;
  wallTime: number;
  buckets: Bucket[];
}

const MAX_STEPS = 60;
const HEIGHT = 260;

/** Accepts the shapes a histogram value can come in and returns buckets with finite edges. */
export function toBuckets(raw: unknown): Bucket[] {
  const r = raw as Record<string, unknown> | unknown[] | null;
  if (Array.isArray(r)) {
    return r.map((b) => (Array.isArray(b) ? { left: Number(b[0]), right: Number(b[1]), count: Number(b[2]) } : (b as Bucket))).filter((b) => Number.isFinite(b.left) && Number.isFinite(b.right));
  }
  if (!r || typeof r !== 'object') return [];
  if (Array.isArray(r.buckets)) return toBuckets(r.buckets);
  if (r.histogram) return toBuckets(r.histogram);
  const limits = r.bucketLimits as number[] | undefined;
  const counts = r.bucketCounts as number[] | undefined;
  if (Array.isArray(limits) && Array.isArray(counts)) {
    // Legacy HistogramProto: bucket i covers (limits[i-1], limits[i]]; the outer edges are
    // ±DBL_MAX, so clamp to the recorded min/max to get drawable widths.
    const min = Number(r.min);
    const max = Number(r.max);
    const out: Bucket[] = [];
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count === 0) continue;
      const left = Math.max(i === 0 ? min : limits[i - 1]!, min);
      const right = Math.min(limits[i]!, max);
      out.push({ left, right: Math.max(right, left), count });
    }
    return out;
  }
  return [];
}

/** Spreads bucket counts over `bins` equal bins of [lo, hi] (proportional to overlap), as TensorBoard re-bins before drawing. */
export function rebin(buckets: Bucket[], lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const b of buckets) {
    if (b.right <= b.left) {
      out[Math.min(bins - 1, Math.max(0, Math.floor((b.left - lo) / width)))]! += b.count;
      continue;
    }
    const first = Math.max(0, Math.floor((b.left - lo) / width));
    const last = Math.min(bins - 1, Math.floor((b.right - lo) / width));
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(b.right, lo + (i + 1) * width) - Math.max(b.left, lo + i * width);
      if (overlap > 0) out[i]! += (b.count * overlap) / (b.right - b.left);
    }
  }
  return out;
}

const BINS = 60;

export function createHistogramChart(title: string, steps: HistogramStep[], color: string): HTMLElement {
  const shown = steps.length <= MAX_STEPS ? steps : Array.from({ length: MAX_STEPS }, (_, i) => steps[Math.round((i * (steps.length - 1)) / (MAX_STEPS - 1))]!);
  const canvas = h('canvas', { height: HEIGHT, 'aria-hidden': 'true' });
  const readout = h('p', { class: 'readout', 'aria-live': 'polite' });
  const element = h('div', { class: 'chart histogram', tabindex: 0, role: 'group', 'aria-label': `Histograms of ${title} over ${steps.length} steps. Up and down arrows pick a step.` }, canvas, readout);
  let selected = shown.length - 1;

  let lo = Infinity;
  let hi = -Infinity;
  for (const s of shown) {
    for (const b of s.buckets) {
      lo = Math.min(lo, b.left);
      hi = Math.max(hi, b.right);
    }
  }
  if (!Number.isFinite(lo)) lo = 0;
  if (!(hi > lo)) hi = lo + 1;
  const binned = shown.map((s) => rebin(s.buckets, lo, hi, BINS));
  const peak = Math.max(1e-12, ...binned.map((b) => Math.max(...b)));
  const TOP = 70;
  const AXIS = 18;
  const rowGap = shown.length > 1 ? (HEIGHT - AXIS - TOP - 4) / (shown.length - 1) : 0;

  const draw = (): void => {
    const width = Math.max(200, element.clientWidth || 600);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = HEIGHT * dpr;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, HEIGHT);
    const padL = 8;
    const padR = 8;
    const ridge = 64;
    const binX = (i: number): number => padL + ((i + 0.5) / BINS) * (width - padL - padR);
    binned.forEach((counts, i) => {
      const base = TOP + i * rowGap;
      const t = shown.length > 1 ? i / (shown.length - 1) : 1;
      ctx.beginPath();
      ctx.moveTo(binX(0), base);
      counts.forEach((c, j) => ctx.lineTo(binX(j), base - (c / peak) * ridge));
      ctx.lineTo(binX(BINS - 1), base);
      ctx.closePath();
      // Older steps fade back; the selected one is filled in the run's colour.
      ctx.globalAlpha = i === selected ? 0.85 : 0.15 + 0.35 * t;
      ctx.fillStyle = i === selected ? color : getComputedStyle(element).backgroundColor || 'transparent';
      ctx.fill();
      ctx.globalAlpha = i === selected ? 1 : 0.35 + 0.65 * t;
      ctx.strokeStyle = color;
      ctx.lineWidth = i === selected ? 2 : 1;
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    ctx.fillStyle = getComputedStyle(element).color;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(formatNumber(lo), padL, HEIGHT - 2);
    ctx.textAlign = 'center';
    ctx.fillText(formatNumber((lo + hi) / 2), width / 2, HEIGHT - 2);
    ctx.textAlign = 'right';
    ctx.fillText(formatNumber(hi), width - padR, HEIGHT - 2);
    const s = shown[selected];
    if (s) {
      const total = s.buckets.reduce((a, b) => a + b.count, 0);
      readout.textContent = `step ${s.step}: ${formatNumber(total)} values in ${s.buckets.length} buckets, range ${formatNumber(s.buckets[0]?.left)} … ${formatNumber(s.buckets.at(-1)?.right)}`;
    }
  };

  const pick = (i: number): void => {
    const next = Math.max(0, Math.min(shown.length - 1, i));
    if (next === selected) return;
    selected = next;
    draw();
  };
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    pick(rowGap > 0 ? Math.round((e.clientY - rect.top - TOP) / rowGap) : 0);
  });
  element.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp') pick(selected - 1);
    else if (e.key === 'ArrowDown') pick(selected + 1);
    else return;
    e.preventDefault();
  });
  new ResizeObserver(() => draw()).observe(element);
  return element;
}
