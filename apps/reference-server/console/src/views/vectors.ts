/**
 * Vector files (@store/vector-file behind `/v1/vectors`): the list of files with their
 * stats, a box to put vectors, one file's stats, a vector by id (with delete, after a
 * confirm), and the exact k-nearest-neighbour search by a pasted vector or by the vector
 * of an id, with metric, k and a metadata filter. Errors are shown with their code.
 *
 * The vectors routes have no list of files: the names come from the files API's listing
 * of `vectors/` (`<name>.jdbv`), as the event logs view lists `logs/`.
 */
import { ApiError, errorText, getJson, request, sendJson } from '../api.js';
import { confirmDialog } from '../auth.js';
import { h, labelled, message, replace, select } from '../dom.js';
import { count, formatBytes, formatNumber } from '../format.js';
import { listFolder } from './files.js';

interface Stats {
  name: string;
  count: number;
  dimension: number;
  fileBytes: number;
  index: string;
}

interface VectorRecord {
  id: string;
  vector: number[];
  metadata: unknown;
  created: number;
  updated: number;
  version: number;
}

interface Hit {
  id: string;
  score: number;
}

const fileUrl = (name: string): string => `/v1/vectors/${encodeURIComponent(name)}`;
const fileHash = (name: string): string => `#/vectors/${encodeURIComponent(name)}`;

async function listVectorFiles(): Promise<string[]> {
  const { files } = await listFolder('vectors/');
  return files.filter((f) => f.endsWith('.jdbv')).map((f) => f.slice(0, -'.jdbv'.length));
}

/**
 * A vector as typed: a JSON array, numbers separated by commas or spaces, or base64 of
 * little-endian float32 values (sent as it is; the server checks it).
 */
export function parseVector(text: string): number[] | string {
  const t = text.trim();
  if (t === '') throw new Error('The query vector is empty');
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new Error(`The query vector is not JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error('The query vector must be an array of numbers');
    return v as number[];
  }
  if (/^[-+0-9.eE,\s]+$/.test(t)) {
    const parts = t.split(/[\s,]+/).filter(Boolean);
    const v = parts.map(Number);
    const bad = parts.findIndex((_part, i) => !Number.isFinite(v[i]));
    if (bad >= 0) throw new Error(`The query vector's value ${bad + 1} (${parts[bad]}) is not a number`);
    return v;
  }
  return t;
}

function mountList(root: HTMLElement): () => void {
  const body = h('tbody', {});
  const nameInput = h('input', { type: 'text', 'aria-label': 'Vector file name', placeholder: 'embeddings', required: true });
  const vectorsBox = h('textarea', { rows: 5, 'aria-label': 'Vectors (JSON)', required: true, placeholder: '[{"id": "a", "vector": [1, 0, 0], "metadata": {"lang": "en"}}]' });
  const status = h('div', { 'aria-live': 'polite' });

  const load = async (): Promise<void> => {
    try {
      const names = (await listVectorFiles()).sort();
      if (names.length === 0) {
        replace(body, h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No vector files yet. Put vectors to create one.')));
        return;
      }
      replace(body, ...names.map((n) => h('tr', { 'data-name': n }, h('td', {}, h('a', { href: fileHash(n) }, n)), h('td', { class: 'num' }, '…'), h('td', { class: 'num' }, ''), h('td', { class: 'num' }, ''))));
      await Promise.all(
        names.map(async (n) => {
          const row = [...body.querySelectorAll<HTMLTableRowElement>('tr')].find((r) => r.dataset['name'] === n);
          const cells = row ? [...row.cells] : [];
          try {
            const s = await getJson<Stats>(`${fileUrl(n)}/stats`);
            cells[1]!.textContent = count(s.count);
            cells[2]!.textContent = String(s.dimension);
            cells[3]!.textContent = formatBytes(s.fileBytes);
          } catch (e) {
            cells[1]!.replaceChildren(h('span', { class: 'bad-text' }, errorText(e)));
          }
        }),
      );
    } catch (e) {
      replace(body, h('tr', {}, h('td', { colspan: 4 }, message(`Could not list vector files: ${errorText(e)}`, 'error'))));
    }
  };

  const put = async (): Promise<void> => {
    const name = nameInput.value.trim();
    try {
      let vectors: unknown;
      try {
        vectors = JSON.parse(vectorsBox.value) as unknown;
      } catch (e) {
        throw new Error(`The vectors are not JSON: ${(e as Error).message}`);
      }
      if (!Array.isArray(vectors)) vectors = [vectors];
      const r = await sendJson<{ count: number }>('POST', `${fileUrl(name)}/vectors`, { vectors });
      replace(status, h('p', { class: 'muted', role: 'status' }, `Put ${r.count} vector${r.count === 1 ? '' : 's'} into ${name}`));
      location.hash = fileHash(name);
    } catch (e) {
      replace(status, message(`Could not put vectors: ${errorText(e)}`, 'error'));
    }
  };

  replace(
    root,
    h('h2', {}, 'Vector files'),
    h(
      'div',
      { class: 'table-wrap panel-table' },
      h('table', { class: 'table', 'aria-label': 'Vector files' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col', class: 'num' }, 'vectors'), h('th', { scope: 'col', class: 'num' }, 'dimension'), h('th', { scope: 'col', class: 'num' }, 'size'))), body),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'put-h' },
      h('h3', { id: 'put-h' }, 'Put vectors'),
      h('form', { class: 'stack', onsubmit: (ev: Event) => (ev.preventDefault(), void put()) }, labelled('File', nameInput), vectorsBox, h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Put vectors')), status),
    ),
  );
  void load();
  return () => {};
}

function mountFile(root: HTMLElement, name: string): () => void {
  const statsBox = h('dl', { class: 'stats' });
  const idInput = h('input', { type: 'text', 'aria-label': 'Vector id', required: true });
  const record = h('div', { 'aria-live': 'polite' });
  const query = h('textarea', { rows: 3, 'aria-label': 'Query vector', placeholder: '[0.1, 0.2, 0.3] or 0.1, 0.2, 0.3 or base64 float32', required: true });
  const byId = h('input', { type: 'text', 'aria-label': 'Neighbours of id' });
  const k = h('input', { type: 'number', class: 'num', min: 1, max: 10000, value: 10, 'aria-label': 'k' });
  let metric = 'cosine';
  const metricSelect = select(
    [
      ['cosine', 'cosine'],
      ['dot', 'dot'],
      ['l2', 'l2'],
    ],
    metric,
    (v) => (metric = v),
  );
  metricSelect.setAttribute('aria-label', 'Metric');
  const filter = h('input', { type: 'text', 'aria-label': 'Metadata filter (JSON)', placeholder: '{"lang": "en"}' });
  const results = h('div', { 'aria-live': 'polite' });

  const loadStats = async (): Promise<void> => {
    try {
      const s = await getJson<Stats>(`${fileUrl(name)}/stats`);
      const tiles: Array<[string, string]> = [
        ['vectors', count(s.count)],
        ['dimension', String(s.dimension)],
        ['size', formatBytes(s.fileBytes)],
        ['index', s.index],
      ];
      replace(statsBox, ...tiles.map(([key, v]) => h('div', { class: 'tile' }, h('dt', {}, key), h('dd', {}, v))));
    } catch (e) {
      replace(statsBox, message(e instanceof ApiError && e.status === 404 ? `No such vector file: ${errorText(e)}` : `Could not read stats: ${errorText(e)}`, 'error'));
    }
  };

  const getRecord = (id: string): Promise<VectorRecord> => getJson<VectorRecord>(`${fileUrl(name)}/vectors/${encodeURIComponent(id)}`);

  const show = async (id: string): Promise<void> => {
    idInput.value = id;
    try {
      const r = await getRecord(id);
      const fields: Array<[string, string]> = [
        ['id', r.id],
        ['version', String(r.version)],
        ['created', new Date(r.created).toISOString()],
        ['updated', new Date(r.updated).toISOString()],
        ['metadata', JSON.stringify(r.metadata ?? null)],
      ];
      replace(
        record,
        h('dl', { class: 'record', 'aria-label': `Vector ${r.id}` }, ...fields.flatMap(([key, v]) => [h('dt', {}, key), h('dd', { 'data-field': key }, v)])),
        h('pre', { class: 'vector', 'aria-label': 'Vector values' }, `[${r.vector.map(formatNumber).join(', ')}]`),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'secondary', onclick: () => ((byId.value = r.id), void search()) }, 'Find its neighbours'),
          h('button', { type: 'button', class: 'danger', onclick: () => void remove(r.id) }, 'Delete'),
        ),
      );
    } catch (e) {
      replace(record, message(e instanceof ApiError && e.status === 404 ? `Not found: ${errorText(e)}` : `Could not get: ${errorText(e)}`, 'error'));
    }
  };

  const remove = async (id: string): Promise<void> => {
    if (!(await confirmDialog('Delete vector', `Delete ${id} from ${name}?`, 'Delete'))) return;
    try {
      await request(`${fileUrl(name)}/vectors/${encodeURIComponent(id)}`, { method: 'DELETE' });
      replace(record, h('p', { class: 'muted', role: 'status' }, `Deleted ${id}`));
      await loadStats();
    } catch (e) {
      replace(record, message(`Could not delete: ${errorText(e)}`, 'error'));
    }
  };

  const search = async (): Promise<void> => {
    try {
      let vector: number[] | string;
      const id = byId.value.trim();
      if (id !== '') {
        // The stored float32 values, as JSON numbers: exact both ways.
        vector = (await getRecord(id)).vector;
        query.value = JSON.stringify(vector);
      } else {
        vector = parseVector(query.value);
      }
      let filterValue: unknown;
      if (filter.value.trim() !== '') {
        try {
          filterValue = JSON.parse(filter.value) as unknown;
        } catch (e) {
          throw new Error(`The filter is not JSON: ${(e as Error).message}`);
        }
      }
      const body = { vector, k: Number(k.value), metric, ...(filterValue === undefined ? {} : { filter: filterValue }) };
      const { hits } = await sendJson<{ hits: Hit[] }>('POST', `${fileUrl(name)}/search`, body);
      replace(
        results,
        hits.length === 0
          ? message('No neighbours: the file holds no vector the filter lets through.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'aria-label': 'Nearest neighbours' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'rank'), h('th', { scope: 'col' }, 'id'), h('th', { scope: 'col', class: 'num' }, metric === 'l2' ? 'distance' : 'score'))),
                h('tbody', {}, ...hits.map((hit, i) => h('tr', { 'data-id': hit.id }, h('td', { class: 'num' }, i + 1), h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => void show(hit.id) }, hit.id)), h('td', { class: 'num' }, formatNumber(hit.score))))),
              ),
            ),
      );
    } catch (e) {
      replace(results, message(`Could not search: ${errorText(e)}`, 'error'));
    }
  };

  replace(
    root,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/vectors' }, 'Vector files'), ' / ', h('span', { 'aria-current': 'page' }, name)),
    h('h2', { class: 'break' }, name),
    h('section', { class: 'panel', 'aria-labelledby': 'vstats-h' }, h('h3', { id: 'vstats-h' }, 'Stats'), statsBox),
    h(
      'div',
      { class: 'log-grid' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'search-h' },
        h('h3', { id: 'search-h' }, 'Nearest neighbours'),
        h(
          'form',
          { class: 'stack', onsubmit: (ev: Event) => (ev.preventDefault(), void search()) },
          query,
          h('div', { class: 'toolbar' }, labelled('or by id', byId), labelled('k', k), labelled('Metric', metricSelect), labelled('Filter', filter), h('button', { type: 'submit' }, 'Search')),
        ),
        results,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'get-h' },
        h('h3', { id: 'get-h' }, 'Get by id'),
        h('form', { class: 'toolbar', onsubmit: (ev: Event) => (ev.preventDefault(), void show(idInput.value)) }, idInput, h('button', { type: 'submit' }, 'Get')),
        record,
      ),
    ),
  );
  void loadStats();
  return () => {};
}

export function mountVectors(root: HTMLElement, name: string): () => void {
  return name === '' ? mountList(root) : mountFile(root, name);
}
