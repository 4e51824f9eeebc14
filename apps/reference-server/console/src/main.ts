/**
 * The console's shell: header, navigation and a hash router (`#/runs`, `#/logs/<name>`,
 * `#/files/<path>`, `#/pages/<namespace>/<page>`, `#/vectors/<name>`), so every view has a
 * link and the server needs only one HTML route.
 */
import './styles.css';
import { forgetToken, getJson, hasToken, TOKEN_EVENT } from './api.js';
import { h, replace } from './dom.js';
import { mountFiles } from './views/files.js';
import { mountLogs } from './views/logs.js';
import { mountPages } from './views/pages.js';
import { mountRuns } from './views/runs.js';
import { mountVectors } from './views/vectors.js';

const NAV: Array<[string, string]> = [
  ['runs', 'Runs'],
  ['logs', 'Event logs'],
  ['files', 'Files'],
  ['pages', 'Pages'],
  ['vectors', 'Vectors'],
];

const main = h('main', { id: 'main', tabindex: -1 });
const navLinks = NAV.map(([id, label]) => h('a', { href: `#/${id}`, 'data-view': id }, label));
const health = h('span', { class: 'health', role: 'status' }, 'checking…');
const forget = h('button', { type: 'button', class: 'link', hidden: !hasToken(), onclick: () => (forgetToken(), location.reload()) }, 'Forget token');
window.addEventListener(TOKEN_EVENT, () => (forget.hidden = false));

document.body.append(
  h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
  h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/runs' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), 'store console'),
    h('nav', { class: 'nav', 'aria-label': 'Views' }, ...navLinks),
    h('div', { class: 'top-right' }, health, h('a', { href: '/openapi.json', class: 'muted' }, 'API'), forget),
  ),
  main,
);

let unmount: () => void = () => {};

function route(): void {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart] = raw.split('?', 2) as [string, string | undefined];
  const [view, ...rest] = pathPart.split('/');
  const params = new URLSearchParams(queryPart ?? '');
  const restPath = rest.map((s) => decodeURIComponent(s)).join('/');
  unmount();
  main.replaceChildren();
  const current = NAV.some(([id]) => id === view) ? view! : 'runs';
  for (const a of navLinks) {
    if (a.dataset['view'] === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${NAV.find(([id]) => id === current)![1]} · store console`;
  if (current === 'logs') unmount = mountLogs(main, restPath || null);
  else if (current === 'files') unmount = mountFiles(main, restPath);
  else if (current === 'pages') unmount = mountPages(main, restPath);
  else if (current === 'vectors') unmount = mountVectors(main, restPath);
  else unmount = mountRuns(main, params);
}

window.addEventListener('hashchange', route);
route();

getJson<{ status?: string }>('/health')
  .then((r) => {
    health.textContent = r.status === 'ok' ? 'server ok' : `server: ${String(r.status)}`;
    health.classList.add(r.status === 'ok' ? 'ok' : 'bad');
  })
  .catch(() => {
    replace(health, 'server unreachable');
    health.classList.add('bad');
  });
