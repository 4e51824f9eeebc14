/**
 * One scalar chart (uPlot): one line per run, overlaid on a shared x axis (step, time since
 * the run's first point, or wall time), an optional log y scale, TensorBoard's smoothing
 * (smoothed line bold, raw line faint), values under the cursor in the legend, drag to
 * zoom (double-click resets), and the keyboard: focus the chart, then ←/→/Home/End move
 * the cursor point by point and the values are read out in a live region.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom.js';
import { formatDuration, formatNumber, formatWallTime } from '../format.js';
import { smooth } from '../smoothing.js';

export interface ScalarPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface RunSeries {
  run: string;
  color: string;
  points: ScalarPoint[];
}

export type XAxis = 'step' | 'relative' | 'wall';

export interface ChartSettings {
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
}

export interface ScalarChart {
  readonly element: HTMLElement;
  update(series: RunSeries[]): void;
  destroy(): void;
}

const HEIGHT = 240;

function xOf(p: ScalarPoint, first: ScalarPoint | undefined, axis: XAxis): number {
  if (axis === 'step') return p.step;
  if (axis === 'wall') return p.wallTime;
  return p.wallTime - (first?.wallTime ?? 0);
}

/** Aligned uPlot data: x, then per run the raw line and (when smoothing) the smoothed line. */
function toData(series: RunSeries[], settings: ChartSettings): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = [];
  for (const s of series) {
    const pts = s.points.map((p) => ({ x: xOf(p, s.points[0], settings.xAxis), y: settings.logY && !(p.value > 0) ? null : p.value }));
    // uPlot needs ascending x; a run that restarted can go back in step, so sort (stable).
    pts.sort((a, b) => a.x - b.x);
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    tables.push(settings.smoothing > 0 ? [xs, ys, smooth(ys, settings.smoothing)] : [xs, ys]);
  }
  if (tables.length === 0) return [[]];
  if (tables.length === 1) return tables[0]!;
  return uPlot.join(tables);
}

function seriesOptions(series: RunSeries[], settings: ChartSettings): uPlot.Series[] {
  const fmt = (_u: uPlot, v: number | null): string => formatNumber(v);
  const out: uPlot.Series[] = [
    {
      label: settings.xAxis === 'step' ? 'step' : settings.xAxis === 'relative' ? 'relative' : 'wall time',
      value: (_u: uPlot, v: number | null) => (v === null ? '–' : settings.xAxis === 'wall' ? formatWallTime(v) : settings.xAxis === 'relative' ? formatDuration(v) : String(v)),
    },
  ];
  for (const s of series) {
    if (settings.smoothing > 0) {
      out.push({ label: `${s.run} (raw)`, stroke: `${s.color}55`, width: 1, spanGaps: true, value: fmt, points: { show: false } });
      out.push({ label: s.run, stroke: s.color, width: 2, spanGaps: true, value: fmt });
    } else {
      out.push({ label: s.run, stroke: s.color, width: 1.5, spanGaps: true, value: fmt });
    }
  }
  return out;
}

export function createScalarChart(title: string, initial: RunSeries[], settings: ChartSettings): ScalarChart {
  const plotHolder = h('div', { class: 'plot' });
  const live = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const element = h(
    'div',
    {
      class: 'chart',
      tabindex: 0,
      role: 'group',
      'aria-label': `Chart ${title}. Arrow keys move between points; drag to zoom, double-click to reset.`,
    },
    plotHolder,
    live,
  );
  let series = initial;
  let plot: uPlot | null = null;

  const build = (): void => {
    plot?.destroy();
    const width = Math.max(200, element.clientWidth || 600);
    const xTime = settings.xAxis === 'wall';
    // Canvas cannot resolve CSS variables: read the theme's colours once per build.
    const css = getComputedStyle(element);
    const axisColor = css.getPropertyValue('--fg-muted').trim() || '#5b6475';
    const opts: uPlot.Options = {
      width,
      height: HEIGHT,
      series: seriesOptions(series, settings),
      scales: { x: { time: xTime }, y: settings.logY ? { distr: 3, log: 10 } : {} },
      axes: [
        { stroke: axisColor, grid: { stroke: 'rgba(127,127,127,0.15)' }, ticks: { stroke: 'rgba(127,127,127,0.3)' }, values: settings.xAxis === 'relative' ? (_u, vals) => vals.map((v) => formatDuration(v)) : undefined },
        { stroke: axisColor, grid: { stroke: 'rgba(127,127,127,0.15)' }, ticks: { stroke: 'rgba(127,127,127,0.3)' }, size: 60, values: (_u, vals) => vals.map((v) => formatNumber(v)) },
      ] as uPlot.Axis[],
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
    };
    plot = new uPlot(opts, toData(series, settings), plotHolder);
  };

  const moveCursor = (delta: number | 'first' | 'last'): void => {
    if (!plot) return;
    const xs = plot.data[0];
    if (xs.length === 0) return;
    const cur = plot.cursor.idx ?? -1;
    const idx = delta === 'first' ? 0 : delta === 'last' ? xs.length - 1 : Math.min(xs.length - 1, Math.max(0, cur < 0 ? 0 : cur + delta));
    const left = plot.valToPos(xs[idx]!, 'x');
    plot.setCursor({ left, top: HEIGHT / 3 });
    const values = plot.series.slice(1).map((s, i) => `${String(s.label)} ${formatNumber(plot!.data[i + 1]![idx] ?? null)}`);
    live.textContent = `${String(plot.series[0]!.label)} ${xs[idx]}: ${values.join(', ')}`;
  };

  element.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 10 : 1;
    const moves: Record<string, number | 'first' | 'last'> = { ArrowLeft: -step, ArrowRight: step, Home: 'first', End: 'last' };
    const move = moves[e.key];
    if (move === undefined) return;
    e.preventDefault();
    moveCursor(move);
  });

  let lastWidth = 0;
  const resize = new ResizeObserver(() => {
    const w = element.clientWidth;
    if (!plot || w === lastWidth || w === 0) return;
    lastWidth = w;
    plot.setSize({ width: Math.max(200, w), height: HEIGHT });
  });
  resize.observe(element);
  queueMicrotask(build);

  return {
    element,
    update(next: RunSeries[]): void {
      const sameShape = plot && next.length === series.length && next.every((s, i) => s.run === series[i]!.run);
      series = next;
      if (sameShape) plot!.setData(toData(series, settings));
      else build();
    },
    destroy(): void {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
