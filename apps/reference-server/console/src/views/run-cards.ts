/**
 * The cards of the Runs view, one kind per tag kind: scalar charts (all selected runs of a
 * tag overlaid), histograms, text and images (one card per run and tag). Each card loads
 * when it scrolls into view and reloads on refresh while it has been loaded.
 */
import { ApiError, getJson, query, request } from '../api.js';
import { h, message, replace } from '../dom.js';
import { count, formatWallTime } from '../format.js';
import type { Settings } from '../settings.js';
import { createHistogramChart, toBuckets, type HistogramStep } from './histogram-chart.js';
import { createScalarChart, type RunSeries, type ScalarChart, type ScalarPoint } from './scalar-chart.js';

/** Points asked of the server per line; it downsamples longer series (LTTB). */
export const MAX_POINTS = 2000;

export interface Card {
  readonly element: HTMLElement;
  load(): Promise<void>;
  destroy(): void;
}

export interface RunRef {
  run: string;
  color: string;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function cardShell(title: string, subtitle?: string): { element: HTMLElement; body: HTMLElement; actions: HTMLElement; status: HTMLElement } {
  const body = h('div', { class: 'card-body' });
  const actions = h('div', { class: 'card-actions' });
  const status = h('p', { class: 'card-status' });
  const element = h('article', { class: 'card' }, h('header', { class: 'card-head' }, h('h3', { class: 'card-title', title }, title), subtitle ? h('span', { class: 'card-sub' }, subtitle) : null, actions), body, status);
  return { element, body, actions, status };
}

export function scalarCard(tag: string, runs: RunRef[], settings: Settings): Card {
  const shell = cardShell(tag);
  shell.element.dataset['tag'] = tag;
  let chart: ScalarChart | null = null;
  let full = false;
  const fullButton = h('button', { type: 'button', class: 'link', hidden: true, onclick: () => ((full = !full), void card.load()) }, 'Full resolution');
  shell.actions.append(fullButton);

  const card: Card = {
    element: shell.element,
    async load() {
      try {
        let downsampled = false;
        let shownPoints = 0;
        let totalPoints = 0;
        const series: RunSeries[] = await Promise.all(
          runs.map(async (r) => {
            const res = await request(`/v1/scalars${query({ run: r.run, tag, maxPoints: full ? undefined : MAX_POINTS })}`);
            const points = (await res.json()) as ScalarPoint[];
            const total = Number(res.headers.get('x-total-points') ?? points.length);
            if (total > points.length) downsampled = true;
            shownPoints += points.length;
            totalPoints += total;
            return { run: r.run, color: r.color, points };
          }),
        );
        fullButton.hidden = !downsampled && !full;
        fullButton.textContent = full ? `Downsample (${MAX_POINTS} per run)` : 'Full resolution';
        shell.status.textContent = downsampled ? `${count(shownPoints)} of ${count(totalPoints)} points shown (downsampled on the server, LTTB)` : `${count(totalPoints)} points`;
        if (chart) chart.update(series);
        else {
          chart = createScalarChart(tag, series, settings);
          replace(shell.body, chart.element);
        }
      } catch (e) {
        replace(shell.body, message(`Could not load ${tag}: ${errorText(e)}`, 'error'));
      }
    },
    destroy() {
      chart?.destroy();
    },
  };
  return card;
}

export function histogramCard(tag: string, run: RunRef): Card {
  const shell = cardShell(tag, run.run);
  return {
    element: shell.element,
    async load() {
      try {
        const raw = await getJson<Array<Record<string, unknown>>>(`/v1/histograms${query({ run: run.run, tag })}`);
        const steps: HistogramStep[] = raw.map((r) => ({ step: Number(r['step']), wallTime: Number(r['wallTime']), buckets: toBuckets(r) }));
        shell.status.textContent = `${steps.length} steps`;
        replace(shell.body, steps.length ? createHistogramChart(`${run.run} ${tag}`, steps, run.color) : message('No values yet.'));
      } catch (e) {
        replace(shell.body, message(`Could not load ${tag}: ${errorText(e)}`, 'error'));
      }
    },
    destroy() {},
  };
}

interface TextPoint {
  step: number;
  wallTime: number;
  text?: string;
  value?: string;
  values?: string[];
}

export function textCard(tag: string, run: RunRef): Card {
  const shell = cardShell(tag, run.run);
  return {
    element: shell.element,
    async load() {
      try {
        const points = await getJson<TextPoint[]>(`/v1/text${query({ run: run.run, tag })}`);
        const recent = points.slice(-100).reverse();
        shell.status.textContent = points.length > recent.length ? `newest ${recent.length} of ${points.length} steps` : `${points.length} steps`;
        const rows = recent.map((p) => h('tr', {}, h('th', { scope: 'row' }, String(p.step)), h('td', { class: 'muted' }, formatWallTime(p.wallTime)), h('td', {}, h('pre', { class: 'text-value' }, p.text ?? p.value ?? (p.values ?? []).join('\n')))));
        replace(shell.body, h('div', { class: 'table-wrap' }, h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'step'), h('th', { scope: 'col' }, 'wall time'), h('th', { scope: 'col' }, 'text'))), h('tbody', {}, ...rows))));
      } catch (e) {
        replace(shell.body, message(`Could not load ${tag}: ${errorText(e)}`, 'error'));
      }
    },
    destroy() {},
  };
}

interface ImagePoint {
  step: number;
  wallTime: number;
  width: number;
  height: number;
  count: number;
}

export function imageCard(tag: string, run: RunRef): Card {
  const shell = cardShell(tag, run.run);
  let url: string | null = null;
  let points: ImagePoint[] = [];
  const img = h('img', { class: 'step-image', alt: '' });
  const caption = h('p', { class: 'readout', 'aria-live': 'polite' });
  const slider = h('input', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': `Step of ${tag}` });

  const show = async (i: number): Promise<void> => {
    const p = points[i];
    if (!p) return;
    caption.textContent = `step ${p.step} · ${p.width}×${p.height} · ${formatWallTime(p.wallTime)}`;
    img.alt = `${tag} at step ${p.step}`;
    try {
      const res = await request(`/v1/images/data${query({ run: run.run, tag, index: i })}`);
      const blob = await res.blob();
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(blob);
      img.src = url;
    } catch (e) {
      caption.textContent = `Could not load the image: ${errorText(e)}`;
    }
  };
  slider.addEventListener('input', () => void show(Number(slider.value)));

  return {
    element: shell.element,
    async load() {
      try {
        points = await getJson<ImagePoint[]>(`/v1/images${query({ run: run.run, tag })}`);
        shell.status.textContent = `${points.length} steps`;
        if (points.length === 0) {
          replace(shell.body, message('No images yet.'));
          return;
        }
        const atEnd = Number(slider.value) === Number(slider.max);
        slider.max = String(points.length - 1);
        if (atEnd) slider.value = slider.max;
        replace(shell.body, h('div', { class: 'image-frame' }, img), h('label', { class: 'field' }, h('span', {}, 'Step'), slider), caption);
        await show(Number(slider.value));
      } catch (e) {
        replace(shell.body, message(`Could not load ${tag}: ${errorText(e)}`, 'error'));
      }
    },
    destroy() {
      if (url) URL.revokeObjectURL(url);
    },
  };
}
