/**
 * Runs (a TensorBoard logdir): pick runs on the left, then scalars / histograms / text /
 * images as tabs of cards. Smoothing, x axis, log y and auto-refresh apply to every chart.
 */
import { getJson } from '../api.js';
import { h, labelled, message, replace, select } from '../dom.js';
import { loadSettings, PALETTE, saveSettings, type Settings } from '../settings.js';
import { histogramCard, imageCard, scalarCard, textCard, type Card, type RunRef } from './run-cards.js';

interface RunInfo {
  run: string;
  tags: Record<string, string>;
}

type Tab = 'scalars' | 'histograms' | 'text' | 'images';
const TABS: Array<[Tab, string]> = [
  ['scalars', 'Scalars'],
  ['histograms', 'Histograms'],
  ['text', 'Text'],
  ['images', 'Images'],
];
const REFRESH_MS = 5000;

function tabOf(kind: string): Tab | null {
  const k = kind.toLowerCase();
  if (k.startsWith('scalar')) return 'scalars';
  if (k.startsWith('histogram')) return 'histograms';
  if (k.startsWith('text')) return 'text';
  if (k.startsWith('image')) return 'images';
  return null;
}

export function mountRuns(root: HTMLElement, params: URLSearchParams): () => void {
  const settings: Settings = loadSettings();
  let tab: Tab = (TABS.find(([t]) => t === params.get('tab'))?.[0] ?? 'scalars') as Tab;
  let runs: RunInfo[] = [];
  const selected = new Set<string>();
  let knownRuns = new Set<string>();
  let cards: Card[] = [];
  const loaded = new Set<Card>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let destroyed = false;
  let listed = false;

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const card = cards.find((c) => c.element === entry.target);
        if (card && !loaded.has(card)) {
          loaded.add(card);
          void card.load();
        }
      }
    },
    { rootMargin: '200px' },
  );

  const runList = h('ul', { class: 'run-list', 'aria-label': 'Runs' });
  const runFilter = h('input', { type: 'search', placeholder: 'Filter runs (regex)', 'aria-label': 'Filter runs', value: params.get('runs') ?? '' });
  const tagFilter = h('input', { type: 'search', placeholder: 'Filter tags (regex)', 'aria-label': 'Filter tags', value: params.get('tag') ?? '' });
  const smoothingRange = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: settings.smoothing, 'aria-label': 'Smoothing' });
  const smoothingNumber = h('input', { type: 'number', min: 0, max: 0.99, step: 0.01, value: settings.smoothing, class: 'num', 'aria-label': 'Smoothing value' });
  const logY = h('input', { type: 'checkbox', checked: settings.logY });
  const auto = h('input', { type: 'checkbox', checked: settings.autoRefresh });
  const tabBar = h('div', { class: 'tabs', role: 'toolbar', 'aria-label': 'Data kind' });
  const cardsHolder = h('div', { class: 'cards', id: 'run-cards' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });

  const regex = (text: string): RegExp | null => {
    try {
      return text ? new RegExp(text, 'i') : null;
    } catch {
      return null;
    }
  };

  const colorOf = (run: string): string => PALETTE[runs.findIndex((r) => r.run === run) % PALETTE.length]!;

  const renderRunList = (): void => {
    const re = regex(runFilter.value);
    const items = runs
      .filter((r) => !re || re.test(r.run))
      .map((r) => {
        const box = h('input', {
          type: 'checkbox',
          checked: selected.has(r.run),
          onchange: () => {
            if (box.checked) selected.add(r.run);
            else selected.delete(r.run);
            renderCards();
          },
        });
        const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = colorOf(r.run);
        return h('li', {}, h('label', { class: 'check' }, box, swatch, h('span', { class: 'run-name', title: r.run }, r.run === '.' ? '. (logdir)' : r.run)));
      });
    replace(runList, ...(items.length ? items : [h('li', { class: 'muted' }, !listed ? 'Loading…' : runs.length ? 'No run matches.' : 'No runs.')]));
  };

  const counts = (): Record<Tab, number> => {
    const c: Record<Tab, Set<string>> = { scalars: new Set(), histograms: new Set(), text: new Set(), images: new Set() };
    for (const r of runs) {
      if (!selected.has(r.run)) continue;
      for (const [tag, kind] of Object.entries(r.tags)) {
        const t = tabOf(kind);
        if (t) c[t].add(t === 'scalars' ? tag : `${r.run}\u0000${tag}`);
      }
    }
    return { scalars: c.scalars.size, histograms: c.histograms.size, text: c.text.size, images: c.images.size };
  };

  const renderTabs = (): void => {
    const n = counts();
    replace(
      tabBar,
      ...TABS.map(([t, label]) =>
        h(
          'button',
          {
            type: 'button',
            class: 'tab',
            'aria-pressed': t === tab ? 'true' : 'false',
            'data-tab': t,
            onclick: () => {
              tab = t;
              renderCards();
            },
          },
          `${label} `,
          h('span', { class: 'count' }, String(n[t])),
        ),
      ),
    );
  };

  const renderCards = (): void => {
    renderTabs();
    for (const c of cards) {
      observer.unobserve(c.element);
      c.destroy();
    }
    cards = [];
    loaded.clear();
    const re = regex(tagFilter.value);
    const chosen = runs.filter((r) => selected.has(r.run));
    if (tab === 'scalars') {
      const byTag = new Map<string, RunRef[]>();
      for (const r of chosen) {
        for (const [tag, kind] of Object.entries(r.tags)) {
          if (tabOf(kind) !== 'scalars' || (re && !re.test(tag))) continue;
          if (!byTag.has(tag)) byTag.set(tag, []);
          byTag.get(tag)!.push({ run: r.run, color: colorOf(r.run) });
        }
      }
      for (const tag of [...byTag.keys()].sort()) cards.push(scalarCard(tag, byTag.get(tag)!, settings));
    } else {
      const make = tab === 'histograms' ? histogramCard : tab === 'text' ? textCard : imageCard;
      for (const r of chosen) {
        for (const tag of Object.keys(r.tags).sort()) {
          if (tabOf(r.tags[tag]!) !== tab || (re && !re.test(tag))) continue;
          cards.push(make(tag, { run: r.run, color: colorOf(r.run) }));
        }
      }
    }
    replace(cardsHolder, ...(cards.length ? cards.map((c) => c.element) : [message(!listed ? 'Loading runs…' : runs.length === 0 ? 'No runs in the logdir yet. Write some with a SummaryWriter or POST /v1/scalars?run=…' : 'Nothing of this kind in the selected runs.')]));
    for (const c of cards) observer.observe(c.element);
  };

  const fetchRuns = async (): Promise<void> => {
    try {
      const next = await getJson<RunInfo[]>('/v1/runs');
      if (destroyed) return;
      next.sort((a, b) => a.run.localeCompare(b.run));
      const changed = !listed || JSON.stringify(next) !== JSON.stringify(runs);
      listed = true;
      // New runs start selected; runs the user unticked stay unticked.
      for (const r of next) if (!knownRuns.has(r.run)) selected.add(r.run);
      knownRuns = new Set(next.map((r) => r.run));
      runs = next;
      status.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}`;
      if (changed) {
        renderRunList();
        renderCards();
      } else {
        for (const c of loaded) void c.load();
      }
    } catch (e) {
      replace(cardsHolder, message(`Could not list runs: ${e instanceof Error ? e.message : String(e)}`, 'error'));
    }
  };

  const setTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = settings.autoRefresh ? setInterval(() => void fetchRuns(), REFRESH_MS) : null;
  };

  const changed = (): void => {
    saveSettings(settings);
    renderCards();
  };
  const setSmoothing = (v: number): void => {
    if (!(v >= 0 && v <= 0.99)) return;
    settings.smoothing = v;
    smoothingRange.value = String(v);
    smoothingNumber.value = String(v);
    changed();
  };
  smoothingRange.addEventListener('change', () => setSmoothing(Number(smoothingRange.value)));
  smoothingRange.addEventListener('input', () => (smoothingNumber.value = smoothingRange.value));
  smoothingNumber.addEventListener('change', () => setSmoothing(Number(smoothingNumber.value)));
  logY.addEventListener('change', () => ((settings.logY = logY.checked), changed()));
  auto.addEventListener('change', () => {
    settings.autoRefresh = auto.checked;
    saveSettings(settings);
    setTimer();
  });
  runFilter.addEventListener('input', renderRunList);
  tagFilter.addEventListener('input', renderCards);

  const xAxis = select(
    [
      ['step', 'Step'],
      ['relative', 'Relative'],
      ['wall', 'Wall time'],
    ],
    settings.xAxis,
    (v) => {
      settings.xAxis = v as Settings['xAxis'];
      changed();
    },
  );

  const allNone = (on: boolean): void => {
    for (const r of runs) if (on) selected.add(r.run);
    else selected.delete(r.run);
    renderRunList();
    renderCards();
  };

  replace(
    root,
    h(
      'div',
      { class: 'runs-layout' },
      h(
        'aside',
        { class: 'sidebar', 'aria-label': 'Run selection' },
        h('h2', {}, 'Runs'),
        runFilter,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => allNone(true) }, 'All'), h('button', { type: 'button', class: 'link', onclick: () => allNone(false) }, 'None'), status),
        runList,
      ),
      h(
        'div',
        { class: 'main-col' },
        h(
          'div',
          { class: 'toolbar' },
          tagFilter,
          h('div', { class: 'field smoothing' }, h('span', { id: 'smoothing-label' }, 'Smoothing'), smoothingRange, smoothingNumber),
          labelled('X axis', xAxis),
          h('label', { class: 'check' }, logY, 'Log y'),
          h('label', { class: 'check' }, auto, 'Auto-refresh'),
          h('button', { type: 'button', class: 'secondary', onclick: () => void fetchRuns() }, 'Refresh'),
        ),
        tabBar,
        cardsHolder,
      ),
    ),
  );
  renderRunList();
  renderCards();
  void fetchRuns();
  setTimer();

  return () => {
    destroyed = true;
    if (timer) clearInterval(timer);
    observer.disconnect();
    for (const c of cards) c.destroy();
  };
}
