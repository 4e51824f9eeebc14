/**
 * MVCC pages (@store/mvcc-pages behind `/v1/mvcc`): namespaces and their pages, a page's
 * objects and version history (with a diff; see page-history.ts), an insert box, a pattern
 * search, and editing a page inside one transaction that is begun when the page is read
 * and committed by "Commit" — so a change someone else committed meanwhile answers
 * ECONFLICT, which is shown, as every error, with its code.
 *
 * The API has no list of namespaces or pages: both come from matching `*` (every object
 * of every namespace) in a read-only transaction, so a page holding no object is not
 * listed (it still opens by its address).
 */
import { ApiError, errorText } from '../api.js';
import { h, message, replace } from '../dom.js';
import { historyPanel } from './page-history.js';
import { begin, commit, comparePages, inTransaction, insertObject, match, readOnly, readPage, rollback, updatePage, type Match, type Txn } from '../transactions.js';

const nsHash = (ns: string): string => `#/pages/${encodeURIComponent(ns)}`;
const pageHash = (ns: string, page: string): string => `${nsHash(ns)}/${encodeURIComponent(page)}`;

/** `{ namespace → { page → objects } }` in namespace, then page-number order. */
function group(matches: Match[]): Map<string, Map<string, unknown[]>> {
  const out = new Map<string, Map<string, unknown[]>>();
  for (const m of matches) {
    let pages = out.get(m.namespace);
    if (!pages) out.set(m.namespace, (pages = new Map()));
    let objects = pages.get(m.pageId);
    if (!objects) pages.set(m.pageId, (objects = []));
    objects[m.index] = m.object;
  }
  const sorted = new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
  for (const [ns, pages] of sorted) sorted.set(ns, new Map([...pages.entries()].sort(([a], [b]) => comparePages(a, b))));
  return sorted;
}

/** One line of JSON, cut to `max` characters (shown as text). */
function preview(value: unknown, max = 120): string {
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** JSON typed in a box, or an error naming the box. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`);
  }
}

/** A form inserting one object into a namespace (typed, or fixed when `fixedNs` is given) in its own transaction. */
function insertForm(fixedNs: string | null, done: (ns: string, pageId: string) => void): HTMLElement {
  const nsInput = h('input', { type: 'text', 'aria-label': 'Namespace', placeholder: 'animals_db.cats', required: true });
  const objectBox = h('textarea', { rows: 4, 'aria-label': 'Object (JSON)', placeholder: '{"name": "Tom", "age": 3}', required: true });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'stack',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void (async () => {
          const ns = fixedNs ?? nsInput.value.trim();
          try {
            const object = parseJson(objectBox.value, 'The object');
            const { value: pageId, committed } = await inTransaction((t) => insertObject(t, ns, object));
            replace(status, h('p', { class: 'muted', role: 'status' }, `Inserted into ${ns} ${pageId} · commit seq ${committed.seq} (tsn ${committed.tsn})`));
            objectBox.value = '';
            done(ns, pageId);
          } catch (e) {
            replace(status, message(`Could not insert: ${errorText(e)}`, 'error'));
          }
        })();
      },
    },
    fixedNs === null ? h('label', { class: 'field' }, h('span', {}, 'Namespace'), nsInput) : null,
    objectBox,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Insert and commit')),
    status,
  );
  return form;
}

/** The pattern search: `*`/`?` wildcards over namespace names, or a regex. */
function matchPanel(): HTMLElement {
  const pattern = h('input', { type: 'search', 'aria-label': 'Namespace pattern', placeholder: 'animals_db.*', required: true });
  const regex = h('input', { type: 'checkbox' });
  const results = h('div', { 'aria-live': 'polite' });
  const run = async (): Promise<void> => {
    try {
      const found = await readOnly((t) => match(t, pattern.value, regex.checked));
      replace(
        results,
        found.length === 0
          ? message('No object matches.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'aria-label': 'Matching objects' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'namespace'), h('th', { scope: 'col' }, 'page'), h('th', { scope: 'col' }, 'index'), h('th', { scope: 'col' }, 'object'))),
                h('tbody', {}, ...found.map((m) => h('tr', {}, h('td', { class: 'mono' }, m.namespace), h('td', {}, h('a', { href: pageHash(m.namespace, m.pageId) }, m.pageId)), h('td', { class: 'mono' }, m.index), h('td', {}, h('code', { class: 'json-line' }, preview(m.object)))))),
              ),
            ),
      );
    } catch (e) {
      replace(results, message(`Could not match: ${errorText(e)}`, 'error'));
    }
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'match-h' },
    h('h3', { id: 'match-h' }, 'Match objects'),
    h('form', { class: 'toolbar', onsubmit: (ev: Event) => (ev.preventDefault(), void run()) }, pattern, h('label', { class: 'check' }, regex, 'Regex'), h('button', { type: 'submit' }, 'Match')),
    results,
  );
}

function mountNamespaces(root: HTMLElement): () => void {
  const body = h('tbody', {});
  const load = async (): Promise<void> => {
    try {
      const all = group(await readOnly((t) => match(t, '*')));
      replace(
        body,
        ...(all.size
          ? [...all].map(([ns, pages]) =>
              h('tr', { 'data-namespace': ns }, h('td', {}, h('a', { href: nsHash(ns) }, ns)), h('td', { class: 'num' }, pages.size), h('td', { class: 'num' }, [...pages.values()].reduce((n, o) => n + o.length, 0))),
            )
          : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No namespaces yet. Insert an object to create one.'))]),
      );
    } catch (e) {
      replace(body, h('tr', {}, h('td', { colspan: 3 }, message(`Could not list namespaces: ${errorText(e)}`, 'error'))));
    }
  };
  replace(
    root,
    h('h2', {}, 'Namespaces'),
    h(
      'div',
      { class: 'table-wrap panel-table' },
      h('table', { class: 'table', 'aria-label': 'Namespaces' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'namespace'), h('th', { scope: 'col', class: 'num' }, 'pages'), h('th', { scope: 'col', class: 'num' }, 'objects'))), body),
    ),
    h('div', { class: 'log-grid' }, h('section', { class: 'panel', 'aria-labelledby': 'insert-h' }, h('h3', { id: 'insert-h' }, 'Insert an object'), insertForm(null, () => void load())), matchPanel()),
  );
  void load();
  return () => {};
}

function crumbs(ns: string, page?: string): HTMLElement {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '#/pages' }, 'Namespaces'),
    ' / ',
    page === undefined ? h('span', { 'aria-current': 'page' }, ns) : h('a', { href: nsHash(ns) }, ns),
    ...(page === undefined ? [] : [' / ', h('span', { 'aria-current': 'page' }, page)]),
  );
}

function mountNamespace(root: HTMLElement, ns: string): () => void {
  const body = h('tbody', {});
  const load = async (): Promise<void> => {
    try {
      // The namespace itself as the pattern: its characters hold no wildcard.
      const pages = group(await readOnly((t) => match(t, ns))).get(ns) ?? new Map<string, unknown[]>();
      replace(
        body,
        ...(pages.size
          ? [...pages].map(([page, objects]) => h('tr', { 'data-page': page }, h('td', {}, h('a', { href: pageHash(ns, page) }, page)), h('td', { class: 'num' }, objects.length), h('td', {}, h('code', { class: 'json-line' }, objects.length ? preview(objects[0], 80) : ''))))
          : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No pages in this namespace.'))]),
      );
    } catch (e) {
      replace(body, h('tr', {}, h('td', { colspan: 3 }, message(`Could not list pages: ${errorText(e)}`, 'error'))));
    }
  };
  replace(
    root,
    crumbs(ns),
    h('h2', { class: 'break' }, ns),
    h(
      'div',
      { class: 'table-wrap panel-table' },
      h('table', { class: 'table', 'aria-label': 'Pages' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'page'), h('th', { scope: 'col', class: 'num' }, 'objects'), h('th', { scope: 'col' }, 'first object'))), body),
    ),
    h('section', { class: 'panel', 'aria-labelledby': 'insert-h' }, h('h3', { id: 'insert-h' }, `Insert an object into ${ns}`), insertForm(ns, () => void load())),
  );
  void load();
  return () => {};
}

/**
 * One page, read in a transaction that stays open while the page is shown: "Commit" writes
 * the edited objects and commits that transaction (ECONFLICT if the page changed since it
 * was read); "Roll back" discards it. Leaving the view rolls it back.
 */
function mountPage(root: HTMLElement, ns: string, page: string): () => void {
  let txn: Txn | null = null;
  let gone = false;
  const state = h('p', { class: 'muted', role: 'status' });
  const alerts = h('div', {});
  const list = h('ol', { class: 'objects', 'aria-label': 'Objects', start: 0 });
  const editor = h('textarea', { rows: 10, 'aria-label': 'Page objects (JSON array)', spellcheck: 'false' });
  const commitButton = h('button', { type: 'button', disabled: true }, 'Commit');
  const rollbackButton = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Roll back');
  const reloadButton = h('button', { type: 'button', class: 'secondary' }, 'Read again');
  const history = historyPanel(ns, page);

  const setOpen = (open: boolean): void => {
    commitButton.disabled = !open;
    rollbackButton.disabled = !open;
  };

  const load = async (): Promise<void> => {
    if (txn) await rollback(txn);
    txn = null;
    setOpen(false);
    try {
      const t = await begin();
      if (gone) return void rollback(t);
      txn = t;
      state.textContent = `Transaction tsn ${t.tsn}, reading at commit seq ${t.snapshot}: open`;
      const objects = await readPage(t, ns, page);
      replace(list, ...(objects.length ? objects.map((o, i) => h('li', { 'data-index': i }, h('pre', { class: 'object' }, JSON.stringify(o, null, 2)))) : [h('li', { class: 'muted' }, 'This page holds no object.')]));
      editor.value = JSON.stringify(objects, null, 2);
      setOpen(true);
    } catch (e) {
      replace(list);
      replace(alerts, message(e instanceof ApiError && e.status === 404 ? `No such page: ${errorText(e)}` : `Could not read the page: ${errorText(e)}`, 'error'));
      if (txn) await rollback(txn);
      txn = null;
      state.textContent = 'No transaction open.';
    }
  };

  const doCommit = async (): Promise<void> => {
    const t = txn;
    if (!t) return;
    replace(alerts);
    let objects: unknown;
    try {
      objects = parseJson(editor.value, 'The page');
      if (!Array.isArray(objects)) throw new Error('The page must be a JSON array of objects');
    } catch (e) {
      replace(alerts, message(errorText(e), 'error'));
      return;
    }
    try {
      await updatePage(t, ns, page, objects);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        // The server rolled it back after --idle-close ms without a call.
        txn = null;
        setOpen(false);
        state.textContent = 'The transaction ended without committing.';
        replace(alerts, message(`Could not write the page: ${errorText(e)}. "Read again" starts a new transaction.`, 'error'));
        return;
      }
      // The transaction is still open: fix the text and commit again, or roll back.
      replace(alerts, message(`Could not write the page: ${errorText(e)}`, 'error'));
      return;
    }
    setOpen(false);
    txn = null;
    try {
      const c = await commit(t);
      await Promise.all([load(), history.reload()]);
      state.textContent = `Committed at seq ${c.seq} (tsn ${c.tsn}). ${state.textContent ?? ''}`;
    } catch (e) {
      // A failed commit ends the transaction on the server (ECONFLICT rolls it back).
      state.textContent = 'The transaction ended without committing.';
      replace(alerts, message(`Could not commit: ${errorText(e)}. "Read again" shows the page as committed now.`, 'error'));
    }
  };

  commitButton.addEventListener('click', () => void doCommit());
  rollbackButton.addEventListener('click', () => {
    const t = txn;
    txn = null;
    setOpen(false);
    replace(alerts);
    if (t) void rollback(t).then(() => (state.textContent = `Transaction tsn ${t.tsn} rolled back.`));
  });
  reloadButton.addEventListener('click', () => (replace(alerts), void load(), void history.reload()));

  replace(
    root,
    crumbs(ns, page),
    h('h2', {}, page),
    state,
    alerts,
    h(
      'div',
      { class: 'log-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'objects-h' }, h('h3', { id: 'objects-h' }, 'Objects at the snapshot'), list),
      h('section', { class: 'panel', 'aria-labelledby': 'edit-h' }, h('h3', { id: 'edit-h' }, 'Edit in this transaction'), editor, h('div', { class: 'row' }, commitButton, rollbackButton, reloadButton)),
    ),
    history.element,
  );
  void load();
  void history.reload();
  return () => {
    gone = true;
    if (txn) void rollback(txn);
  };
}

export function mountPages(root: HTMLElement, rest: string): () => void {
  const [ns, page] = rest.split('/').filter(Boolean);
  if (ns === undefined) return mountNamespaces(root);
  if (page === undefined) return mountNamespace(root, ns);
  return mountPage(root, ns, page);
}
