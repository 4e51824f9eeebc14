/**
 * Event logs: the list of logs, one log's stats, a paged view of its events (as text, JSON
 * or hex), a live tail (the server's `follow=1` NDJSON stream) and a box to append an event.
 */
import { errorText, getJson, query, readNdjson, request } from '../api.js';
import { h, labelled, message, replace, select } from '../dom.js';
import { listFolder } from './files.js';
import { base64ToBytes, formatBytes, hexDump, utf8OrNull } from '../format.js';

interface WireEvent {
  id: number | string;
  data: string;
}

type Format = 'text' | 'json' | 'hex';
const PAGE = 50;
const TAIL_KEEP = 500;

const logPath = (name: string): string => `/v1/logs/${encodeURIComponent(name)}`;

/** Names of the logs: the folders under `logs/`, read through the files API (the logs routes have no list). */
async function listLogs(): Promise<string[]> {
  const { folders } = await listFolder('logs/');
  return folders.map((n) => n.slice(0, -1));
}

/** One event's payload in the chosen format (all of it text: rendered with textContent). */
export function renderPayload(bytes: Uint8Array, format: Format): string {
  if (format === 'hex') return hexDump(bytes, 1024);
  const text = utf8OrNull(bytes);
  if (text === null) return `(binary, ${formatBytes(bytes.length)}; choose hex)`;
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return `(not JSON) ${text}`;
    }
  }
  return text;
}

function eventRow(e: WireEvent, format: Format): HTMLElement {
  const bytes = base64ToBytes(e.data);
  return h('li', { class: 'event', 'data-id': String(e.id) }, h('span', { class: 'event-id' }, `#${e.id}`), h('span', { class: 'event-size muted' }, formatBytes(bytes.length)), h('pre', { class: 'event-data' }, renderPayload(bytes, format)));
}

export function mountLogs(root: HTMLElement, name: string | null): () => void {
  const cleanups: Array<() => void> = [];
  if (name === null) {
    const list = h('ul', { class: 'link-list', 'aria-label': 'Event logs' });
    const newName = h('input', { type: 'text', placeholder: 'name', 'aria-label': 'New log name', pattern: '[A-Za-z0-9._-]+', required: true });
    const newEvent = h('input', { type: 'text', placeholder: 'first event', 'aria-label': 'First event' });
    const form = h(
      'form',
      {
        class: 'row',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          void request(`${logPath(newName.value)}/events`, { method: 'POST', body: newEvent.value, headers: { 'content-type': 'application/octet-stream' } })
            .then(() => (location.hash = `#/logs/${encodeURIComponent(newName.value)}`))
            .catch((e: unknown) => form.after(message(errorText(e), 'error')));
        },
      },
      newName,
      newEvent,
      h('button', { type: 'submit' }, 'Create log'),
    );
    replace(root, h('h2', {}, 'Event logs'), list, h('h3', {}, 'New log'), form);
    listLogs()
      .then((names) => replace(list, ...(names.length ? names.sort().map((n) => h('li', {}, h('a', { href: `#/logs/${encodeURIComponent(n)}` }, n))) : [h('li', { class: 'muted' }, 'No event logs yet.')])))
      .catch((e: unknown) => replace(list, message(`Could not list logs: ${errorText(e)}`, 'error')));
    return () => {};
  }

  let format: Format = 'text';
  let from = 0;
  let pageEvents: WireEvent[] = [];
  const statsBox = h('dl', { class: 'stats' });
  const pageList = h('ol', { class: 'events', 'aria-label': 'Events' });
  const pageInfo = h('span', { class: 'muted', 'aria-live': 'polite' });
  const tailList = h('ol', { class: 'events tail', 'aria-label': 'Live tail', 'aria-live': 'polite' });
  const tailButton = h('button', { type: 'button' }, 'Start live tail');
  const tailState = h('span', { class: 'muted' });
  const appendBox = h('textarea', { rows: 2, 'aria-label': 'Event to append', placeholder: 'event payload (text)' });
  let tail: AbortController | null = null;
  let stats: Record<string, unknown> = {};

  const statNumber = (...keys: string[]): number | null => {
    for (const k of keys) {
      const v = Number(stats[k]);
      if (stats[k] !== undefined && Number.isFinite(v)) return v;
    }
    return null;
  };

  const loadStats = async (): Promise<void> => {
    try {
      stats = await getJson<Record<string, unknown>>(`${logPath(name)}/stats`);
      const damaged = Array.isArray(stats['damaged']) ? stats['damaged'].length : 0;
      const tiles: Array<[string, string]> = [
        ['events', String(stats['events'] ?? '–')],
        ['ids', stats['oldestEventId'] === undefined ? 'none' : `#${String(stats['oldestEventId'])} – #${String(stats['newestEventId'])}`],
        ['next id', String(stats['nextId'] ?? '–')],
        ['size', typeof stats['bytes'] === 'number' ? formatBytes(stats['bytes']) : '–'],
        ['segments', String(stats['segments'] ?? '–')],
        ['durability', String(stats['durability'] ?? '–')],
        ['damaged records', String(damaged)],
      ];
      replace(
        statsBox,
        ...tiles.map(([k, v]) => h('div', { class: `tile${k === 'damaged records' && damaged > 0 ? ' bad' : ''}` }, h('dt', {}, k), h('dd', {}, v))),
        h('details', { class: 'all-stats' }, h('summary', {}, 'All stats'), h('pre', {}, JSON.stringify(stats, null, 2))),
      );
    } catch (e) {
      replace(statsBox, message(`Could not read stats: ${errorText(e)}`, 'error'));
    }
  };

  const renderPage = (): void => {
    replace(pageList, ...(pageEvents.length ? pageEvents.map((e) => eventRow(e, format)) : [h('li', { class: 'muted' }, 'No events here.')]));
    pageInfo.textContent = pageEvents.length ? `events #${pageEvents[0]!.id} – #${pageEvents.at(-1)!.id}` : `no events from #${from}`;
  };

  const loadPage = async (start: number): Promise<void> => {
    from = Math.max(0, start);
    const ctrl = new AbortController();
    const got: WireEvent[] = [];
    try {
      const res = await request(`${logPath(name)}/events${query({ from, to: from + PAGE })}`, { signal: ctrl.signal });
      await readNdjson<WireEvent>(res, (e) => {
        if (got.length < PAGE) got.push(e);
        if (got.length >= PAGE) ctrl.abort();
      }).catch((e: unknown) => {
        if (!ctrl.signal.aborted) throw e;
      });
      pageEvents = got;
      renderPage();
    } catch (e) {
      replace(pageList, message(`Could not read events: ${errorText(e)}`, 'error'));
    }
  };

  const first = (): number => statNumber('oldestEventId', 'firstId') ?? 0;
  const next = (): number | null => statNumber('nextId', 'next') ?? (statNumber('lastId', 'last') !== null ? statNumber('lastId', 'last')! + 1 : null);

  const startTail = async (): Promise<void> => {
    tail = new AbortController();
    tailButton.textContent = 'Stop live tail';
    tailState.textContent = 'following…';
    await loadStats();
    const start = next() ?? (pageEvents.length ? Number(pageEvents.at(-1)!.id) + 1 : 0);
    // The server may hold the response head until the first event: say so before waiting.
    tailState.textContent = `following from #${start}`;
    try {
      const res = await request(`${logPath(name)}/events${query({ from: start, follow: 1 })}`, { signal: tail.signal });
      await readNdjson<WireEvent>(res, (e) => {
        tailList.append(eventRow(e, format));
        while (tailList.childElementCount > TAIL_KEEP) tailList.firstElementChild!.remove();
        tailList.lastElementChild!.scrollIntoView({ block: 'nearest' });
      });
      tailState.textContent = 'stream ended';
    } catch (e) {
      tailState.textContent = tail?.signal.aborted ? 'stopped' : `tail failed: ${errorText(e)}`;
    } finally {
      tail = null;
      tailButton.textContent = 'Start live tail';
    }
  };
  tailButton.addEventListener('click', () => {
    if (tail) tail.abort();
    else void startTail();
  });
  cleanups.push(() => tail?.abort());

  const append = async (): Promise<void> => {
    try {
      await request(`${logPath(name)}/events`, { method: 'POST', body: appendBox.value, headers: { 'content-type': 'application/octet-stream' } });
      appendBox.value = '';
      await loadStats();
    } catch (e) {
      appendBox.after(message(`Could not append: ${errorText(e)}`, 'error'));
    }
  };

  const formatSelect = select(
    [
      ['text', 'Text'],
      ['json', 'JSON'],
      ['hex', 'Hex'],
    ],
    format,
    (v) => {
      format = v as Format;
      renderPage();
    },
  );

  replace(
    root,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/logs' }, 'Event logs'), ' / ', h('span', { 'aria-current': 'page' }, name)),
    h('h2', {}, name),
    h('section', { class: 'panel', 'aria-labelledby': 'stats-h' }, h('h3', { id: 'stats-h' }, 'Stats'), statsBox),
    h(
      'div',
      { class: 'log-grid' },
      h(
      'section',
      { class: 'panel', 'aria-labelledby': 'events-h' },
      h('h3', { id: 'events-h' }, 'Events'),
      h(
        'div',
        { class: 'toolbar' },
        labelled('Show as', formatSelect),
        h('button', { type: 'button', class: 'secondary', onclick: () => void loadPage(first()) }, 'Oldest'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void loadPage(from - PAGE) }, 'Older'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void loadPage(pageEvents.length ? Number(pageEvents.at(-1)!.id) + 1 : from + PAGE) }, 'Newer'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void loadStats().then(() => loadPage((next() ?? PAGE) - PAGE)) }, 'Newest'),
        pageInfo,
      ),
      pageList,
    ),
    h('div', {}, h('section', { class: 'panel', 'aria-labelledby': 'tail-h' }, h('h3', { id: 'tail-h' }, 'Live tail'), h('div', { class: 'toolbar' }, tailButton, tailState), tailList), h('section', { class: 'panel', 'aria-labelledby': 'append-h' }, h('h3', { id: 'append-h' }, 'Append'), appendBox, h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void append() }, 'Append event')))),
    ),
  );
  void loadStats().then(() => loadPage(first()));
  return () => cleanups.forEach((c) => c());
}
