/**
 * The console's Pages (MVCC) and Vectors views in a real browser (Debian chromium via
 * playwright-core) against real in-process servers: data is written through the HTTP API,
 * then the views must show it; what the views write must read back through the API; and
 * every error path (a lost update's ECONFLICT, a missing page, a bad regex, a wrong
 * dimension, a missing vector or file) must be on screen with its code. Screenshots go to
 * test-artifacts/console/ (gitignored).
 *
 * Without chromium the suite skips with a message; STORE_REQUIRE_BROWSER=1 makes that a failure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launch, watchedPage, type Browser } from './console/browser.js';
import { api, hasCount, hasText, poll, visible } from './console/wait.js';
import { startServer, type Running } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSOLE_BUILT = existsSync(path.resolve(HERE, '../dist/console/index.html'));
const XSS = '<img src=x onerror=alert(1)>';
/** What chromium logs for each API answer the error-path tests ask for on purpose. */
const EXPECTED_HTTP_ERROR = /^error: Failed to load resource: the server responded with a status of (400|404|409) /;

const chromiumPath = chromiumOrSkip('console pages/vectors browser tests');

/** Formats a number as the console does (format.ts formatNumber) for values in [1e-4, 1e6). */
const shown = (v: number): string => String(Number(v.toPrecision(6)));

/** Runs MVCC calls from the test through the API: begin, the calls, commit. */
async function mvcc(base: string, calls: Array<[method: string, route: string, body?: unknown]>): Promise<unknown[]> {
  const { id } = (await (await api(base, 'POST', '/v1/mvcc/transactions')).json()) as { id: string };
  const out: unknown[] = [];
  for (const [method, route, body] of calls) {
    const res = await api(base, method, `/v1/mvcc/transactions/${id}${route}`, body);
    expect(res.ok, `${method} ${route}`).toBe(true);
    const text = await res.text();
    out.push(text === '' ? undefined : JSON.parse(text));
  }
  const c = await api(base, 'POST', `/v1/mvcc/transactions/${id}/commit`);
  expect(c.status).toBe(200);
  return out;
}

async function readPageNow(base: string, ns: string, page: string): Promise<unknown> {
  return (await mvcc(base, [['GET', `/pages/${ns}/${page}`]]))[0];
}


describe.skipIf(chromiumPath === undefined)('console pages and vectors views in chromium', () => {
  let main: Running;
  let empty: Running;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let jsDialogs: string[];
  let shot: (name: string) => Promise<void>;

  beforeAll(async () => {
    if (!CONSOLE_BUILT) throw new Error('dist/console is missing: run `pnpm build` (the console is bundled by the build)');
    [main, empty] = await Promise.all([startServer(), startServer()]);
    const u = main.url;
    await mvcc(u, [
      ['POST', '/objects/zoo.cats', { object: { name: 'Tom', age: 3 } }],
      ['POST', '/objects/zoo.cats', { object: { name: XSS, age: 1 } }],
      ['POST', '/objects/zoo.dogs', { object: { name: 'Rex' } }],
    ]);
    await api(u, 'POST', '/v1/vectors/emb/vectors', {
      vectors: [
        { id: 'x', vector: [1, 0, 0], metadata: { lang: 'en' } },
        { id: 'y', vector: [0, 1, 0], metadata: { lang: 'de' } },
        { id: 'z', vector: [0.9, 0.1, 0], metadata: { lang: 'de', note: XSS } },
      ],
    });

    browser = await launch(chromiumPath!);
    ({ page, errors, jsDialogs, shot } = await watchedPage(browser));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await main?.close();
    await empty?.close();
  });

  it('pages: namespaces, pages and objects written through the API; markup in an object is text', async () => {
    await page.goto(`${main.url}/#/pages`);
    await visible(page.getByRole('heading', { name: 'Namespaces', level: 2 }));
    expect(await page.getByRole('link', { name: 'Pages', exact: true }).getAttribute('aria-current')).toBe('page');
    const rows = page.getByRole('table', { name: 'Namespaces' }).locator('tbody tr');
    await hasCount(rows, 2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (c: { textContent: string | null }) => c.textContent)))).toEqual([
      ['zoo.cats', '1', '2'],
      ['zoo.dogs', '1', '1'],
    ]);
    await shot('pages-namespaces-1280');

    await page.getByRole('link', { name: 'zoo.cats' }).click();
    const pages = page.getByRole('table', { name: 'Pages' }).locator('tbody tr');
    await hasCount(pages, 1);
    await hasText(pages.locator('td').nth(1), '2');
    await pages.getByRole('link', { name: 'page001' }).click();
    const objects = page.getByRole('list', { name: 'Objects' }).locator('li pre');
    await hasCount(objects, 2);
    expect(await objects.allTextContents()).toEqual([JSON.stringify({ name: 'Tom', age: 3 }, null, 2), JSON.stringify({ name: XSS, age: 1 }, null, 2)]);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await hasText(page.getByRole('status').filter({ hasText: 'Transaction' }), /^Transaction tsn \d+, reading at commit seq 1: open$/);
    await shot('pages-page-1280');
  });

  it('pages: an edit commits in the transaction that read it; a concurrent commit makes it ECONFLICT, shown with its code', async () => {
    await page.goto(`${main.url}/#/pages/zoo.cats/page001`);
    const commit = page.getByRole('button', { name: 'Commit', exact: true });
    const editor = page.getByRole('textbox', { name: 'Page objects (JSON array)' });
    await expect.poll(() => commit.isEnabled(), { timeout: 30_000 }).toBe(true);

    // Input the page cannot take: the transaction stays open.
    await editor.fill('not json');
    await commit.click();
    await hasText(page.getByRole('alert'), /^The page is not JSON: /);
    await editor.fill('{"name": "Tom"}');
    await commit.click();
    await hasText(page.getByRole('alert'), 'The page must be a JSON array of objects');
    expect(await commit.isEnabled()).toBe(true);

    const mine = [{ name: 'Tom', age: 4 }];
    await editor.fill(JSON.stringify(mine));
    await commit.click();
    const state = page.getByRole('status').filter({ hasText: /transaction|committed/i });
    await hasText(state, /^Committed at seq (\d+) \(tsn \d+\)\. Transaction tsn \d+, reading at commit seq \1: open$/);
    expect(await readPageNow(main.url, 'zoo.cats', 'page001')).toEqual({ objects: mine });
    await hasText(page.getByRole('list', { name: 'Objects' }).locator('li pre'), JSON.stringify(mine[0], null, 2));

    // Someone else updates the page after the console read it: the console's commit loses.
    const theirs = [{ name: 'Tom', age: 5 }];
    await mvcc(main.url, [
      ['GET', '/pages/zoo.cats/page001'],
      ['PUT', '/pages/zoo.cats/page001', { objects: theirs }],
    ]);
    await editor.fill(JSON.stringify([{ name: 'Tom', age: 6 }]));
    await commit.click();
    await hasText(page.getByRole('alert'), /^Could not commit: ECONFLICT: .*page001.*"Read again" shows the page as committed now\.$/);
    await hasText(state, 'The transaction ended without committing.');
    expect(await commit.isDisabled()).toBe(true);
    expect(await readPageNow(main.url, 'zoo.cats', 'page001')).toEqual({ objects: theirs });
    await shot('pages-conflict-1280');
    await page.getByRole('button', { name: 'Read again' }).click();
    await hasText(page.getByRole('list', { name: 'Objects' }).locator('li pre'), JSON.stringify(theirs[0], null, 2));
    expect(await page.getByRole('alert').count()).toBe(0);

    // History, from the commit log: three committed versions (the lost update is not one), diffed.
    const versions = page.getByRole('table', { name: 'Versions' }).locator('tbody tr');
    await hasCount(versions, 3);
    expect(await versions.evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent, tr.children[3]?.textContent]))).toEqual([
      ['1', 'created'],
      ['2', 'updated'],
      ['3', 'updated'],
    ]);
    const diff = page.getByRole('region', { name: 'History' }).locator('pre.diff');
    await hasText(diff.locator('del').filter({ hasText: '"age"' }), /^- {7}"age": 4\n$/);
    await hasText(diff.locator('ins').filter({ hasText: '"age"' }), /^\+ {7}"age": 5\n$/);
    await page.getByRole('combobox', { name: 'From version' }).selectOption({ label: 'seq 1 (tsn 1)' });
    await poll(() => diff.locator('del').allTextContents()).toContainEqual(expect.stringContaining(`"name": ${JSON.stringify(XSS)}`));
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await shot('pages-history-1280');

    // Roll back: nothing is written.
    await editor.fill('[]');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await hasText(state, /^Transaction tsn \d+ rolled back\.$/);
    expect(await readPageNow(main.url, 'zoo.cats', 'page001')).toEqual({ objects: theirs });
  });

  it('pages: insert and match from the console; a bad namespace, a bad regex and a missing page show their codes', async () => {
    await page.goto(`${main.url}/#/pages`);
    await page.getByRole('textbox', { name: 'Namespace', exact: true }).fill('zoo.birds');
    await page.getByRole('textbox', { name: 'Object (JSON)' }).fill('{"name": "Tweety"}');
    await page.getByRole('button', { name: 'Insert and commit' }).click();
    await hasText(page.getByRole('status').filter({ hasText: 'Inserted' }), /^Inserted into zoo\.birds page001 · commit seq \d+ \(tsn \d+\)$/);
    await visible(page.getByRole('link', { name: 'zoo.birds' }));
    expect(await readPageNow(main.url, 'zoo.birds', 'page001')).toEqual({ objects: [{ name: 'Tweety' }] });

    await page.getByRole('textbox', { name: 'Namespace', exact: true }).fill('bad..ns');
    await page.getByRole('textbox', { name: 'Object (JSON)' }).fill('{}');
    await page.getByRole('button', { name: 'Insert and commit' }).click();
    await hasText(page.getByRole('alert'), /^Could not insert: EINVAL: /);

    const pattern = page.getByRole('searchbox', { name: 'Namespace pattern' });
    await pattern.fill('zoo.?ats');
    await page.getByRole('button', { name: 'Match', exact: true }).click();
    const found = page.getByRole('table', { name: 'Matching objects' }).locator('tbody tr');
    await hasCount(found, 1); // the concurrent writer above left one object in zoo.cats
    expect(await found.first().locator('td').allTextContents()).toEqual(['zoo.cats', 'page001', '0', JSON.stringify({ name: 'Tom', age: 5 })]);
    await page.getByRole('checkbox', { name: 'Regex' }).check();
    await pattern.fill('^zoo\\.(dogs|birds)$');
    await page.getByRole('button', { name: 'Match', exact: true }).click();
    await poll(() => found.evaluateAll((trs) => trs.map((tr) => tr.firstElementChild?.textContent))).toEqual(['zoo.birds', 'zoo.dogs']);
    await pattern.fill('(');
    await page.getByRole('button', { name: 'Match', exact: true }).click();
    await hasText(page.getByRole('alert').filter({ hasText: 'match' }), /^Could not match: EINVAL: bad regex: /);
    await pattern.fill('^none$');
    await page.getByRole('button', { name: 'Match', exact: true }).click();
    await visible(page.getByText('No object matches.'));

    await page.goto(`${main.url}/#/pages/zoo.dogs`);
    await page.getByRole('textbox', { name: 'Object (JSON)' }).fill('{"name": "Fido"}');
    await page.getByRole('button', { name: 'Insert and commit' }).click();
    await hasText(page.getByRole('table', { name: 'Pages' }).locator('tbody td').nth(1), '2');

    await page.goto(`${main.url}/#/pages/zoo.cats/page009`);
    await hasText(page.getByRole('alert'), /^No such page: ENOENT: /);
    await hasText(page.getByRole('status').filter({ hasText: 'transaction' }), 'No transaction open.');
    await page.goto(`${main.url}/#/pages/zoo.cats/p1`);
    await hasText(page.getByRole('alert'), /^Could not read the page: EINVAL: /);
  });

  it('vectors: the list and stats of files put through the API; search by vector, by id, with a filter; get and delete by id', async () => {
    await page.goto(`${main.url}/#/vectors`);
    const row = page.getByRole('table', { name: 'Vector files' }).locator('tbody tr');
    await hasCount(row, 1);
    await poll(() => row.locator('td').allTextContents()).toEqual(['emb', '3', '3', expect.stringMatching(/ (B|KiB)$/) as unknown as string]);
    await row.getByRole('link', { name: 'emb' }).click();
    const tile = (name: string) => page.locator('.tile').filter({ has: page.locator('dt', { hasText: name }) }).locator('dd');
    await hasText(tile('vectors'), '3');
    await hasText(tile('dimension'), '3');

    const hits = page.getByRole('table', { name: 'Nearest neighbours' }).locator('tbody tr');
    const table = () => hits.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (c: { textContent: string | null }) => c.textContent ?? '')));
    const expectFromApi = async (body: unknown): Promise<string[][]> => {
      const r = (await (await api(main.url, 'POST', '/v1/vectors/emb/search', body)).json()) as { hits: { id: string; score: number }[] };
      return r.hits.map((hit, i) => [String(i + 1), hit.id, shown(hit.score)]);
    };
    await page.getByRole('textbox', { name: 'Query vector' }).fill('[1, 0, 0]');
    await page.getByRole('spinbutton', { name: 'k' }).fill('2');
    await page.getByRole('button', { name: 'Search' }).click();
    const cosine = await expectFromApi({ vector: [1, 0, 0], k: 2 });
    expect(cosine.map((r) => r[1])).toEqual(['x', 'z']);
    await poll(table).toEqual(cosine);
    expect(cosine[0]![2]).toBe('1');

    await page.getByRole('textbox', { name: 'Query vector' }).fill('1 0 0');
    await page.getByRole('spinbutton', { name: 'k' }).fill('5');
    await page.getByRole('combobox', { name: 'Metric' }).selectOption('l2');
    await page.getByRole('textbox', { name: 'Metadata filter (JSON)' }).fill('{"lang": "de"}');
    await page.getByRole('button', { name: 'Search' }).click();
    const l2 = await expectFromApi({ vector: [1, 0, 0], k: 5, metric: 'l2', filter: { lang: 'de' } });
    expect(l2.map((r) => r[1])).toEqual(['z', 'y']);
    await poll(table).toEqual(l2);
    await hasText(page.getByRole('table', { name: 'Nearest neighbours' }).locator('thead th').nth(2), 'distance');

    await page.getByRole('textbox', { name: 'Metadata filter (JSON)' }).fill('');
    await page.getByRole('combobox', { name: 'Metric' }).selectOption('cosine');
    await page.getByRole('textbox', { name: 'Neighbours of id' }).fill('y');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(table).toEqual(await expectFromApi({ vector: [0, 1, 0], k: 5 }));
    expect(await page.getByRole('textbox', { name: 'Query vector' }).inputValue()).toBe('[0,1,0]');
    await page.getByRole('textbox', { name: 'Neighbours of id' }).fill('');
    await shot('vectors-search-1280');

    // A hit's id opens the record; markup in metadata is text.
    await hits.getByRole('button', { name: 'z' }).click();
    await hasText(page.locator('dd[data-field="id"]'), 'z');
    await hasText(page.locator('dd[data-field="metadata"]'), JSON.stringify({ lang: 'de', note: XSS }));
    await hasText(page.locator('dd[data-field="version"]'), '1');
    await hasText(page.locator('pre.vector'), `[${shown(Math.fround(0.9))}, ${shown(Math.fround(0.1))}, 0]`);
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    // Delete: cancel keeps it, confirm removes it.
    await page.getByRole('textbox', { name: 'Vector id' }).fill('x');
    await page.getByRole('button', { name: 'Get', exact: true }).click();
    await hasText(page.locator('dd[data-field="metadata"]'), '{"lang":"en"}');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete vector' }).getByRole('button', { name: 'Cancel' }).click();
    expect((await api(main.url, 'GET', '/v1/vectors/emb/vectors/x')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete vector' }).getByRole('button', { name: 'Delete' }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Deleted x' }));
    expect((await api(main.url, 'GET', '/v1/vectors/emb/vectors/x')).status).toBe(404);
    await hasText(tile('vectors'), '2');
  });

  it('vectors: put from the console; a missing id, a wrong dimension, a bad filter and a missing file show their codes', async () => {
    await page.goto(`${main.url}/#/vectors/emb`);
    await page.getByRole('textbox', { name: 'Vector id' }).fill('nope');
    await page.getByRole('button', { name: 'Get', exact: true }).click();
    await hasText(page.getByRole('alert'), "Not found: ENOENT: no vector with id 'nope' in 'emb'");
    await page.getByRole('textbox', { name: 'Query vector' }).fill('1, 2');
    await page.getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByRole('alert').filter({ hasText: 'search' }), /^Could not search: EINVAL: /);
    await page.getByRole('textbox', { name: 'Query vector' }).fill('1, x, 2');
    await page.getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByRole('alert').filter({ hasText: 'search' }), /^Could not search: EINVAL: .*not base64/);
    await page.getByRole('textbox', { name: 'Query vector' }).fill('[1, 0, 0]');
    await page.getByRole('textbox', { name: 'Metadata filter (JSON)' }).fill('lang=en');
    await page.getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByRole('alert').filter({ hasText: 'search' }), /^Could not search: The filter is not JSON: /);

    await page.goto(`${main.url}/#/vectors/missing`);
    await hasText(page.getByRole('alert'), /^No such vector file: ENOENT: no vector file named 'missing'/);

    await page.goto(`${main.url}/#/vectors`);
    await page.getByRole('textbox', { name: 'Vector file name' }).fill('emb');
    await page.getByRole('textbox', { name: 'Vectors (JSON)' }).fill('[{"id": "w", "vector": [1, 2]}]');
    await page.getByRole('button', { name: 'Put vectors' }).click();
    await hasText(page.getByRole('alert'), /^Could not put vectors: EINVAL: /);
    await page.getByRole('textbox', { name: 'Vector file name' }).fill('fresh');
    await page.getByRole('textbox', { name: 'Vectors (JSON)' }).fill('[{"id": "a", "vector": [0.5, 0.25], "metadata": {"n": 1}}]');
    await page.getByRole('button', { name: 'Put vectors' }).click();
    await poll(() => page.evaluate('location.hash')).toBe('#/vectors/fresh');
    const tile = (name: string) => page.locator('.tile').filter({ has: page.locator('dt', { hasText: name }) }).locator('dd');
    await hasText(tile('dimension'), '2');
    expect(await (await api(main.url, 'GET', '/v1/vectors/fresh/vectors/a')).json()).toMatchObject({ id: 'a', vector: [0.5, 0.25], metadata: { n: 1 } });
  });

  it('pages: a transaction the server ended (as it does after --idle-close) makes Commit say so; Read again starts a new one', async () => {
    // The page's transaction id, from its begin call; the test then ends it through the API,
    // as the server's idle rollback would (that rollback itself is tested in mvcc.test.ts).
    const begun = page.waitForResponse((r) => r.url() === `${main.url}/v1/mvcc/transactions` && r.request().method() === 'POST');
    await page.goto(`${main.url}/#/pages/zoo.dogs/page001`);
    const { id } = (await (await begun).json()) as { id: string };
    const commit = page.getByRole('button', { name: 'Commit', exact: true });
    await expect.poll(() => commit.isEnabled(), { timeout: 30_000 }).toBe(true);
    expect((await api(main.url, 'POST', `/v1/mvcc/transactions/${id}/rollback`)).status).toBe(204);
    await page.getByRole('textbox', { name: 'Page objects (JSON array)' }).fill('[{"name": "Ghost"}]');
    await commit.click();
    await hasText(page.getByRole('alert'), /^Could not write the page: ENOENT: no such transaction .*"Read again" starts a new transaction\.$/);
    await hasText(page.getByRole('status').filter({ hasText: 'transaction' }), 'The transaction ended without committing.');
    expect(await commit.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Read again' }).click();
    await expect.poll(() => commit.isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByRole('list', { name: 'Objects' }).locator('li pre').allTextContents()).toEqual([{ name: 'Rex' }, { name: 'Fido' }].map((o) => JSON.stringify(o, null, 2)));
    expect(await readPageNow(main.url, 'zoo.dogs', 'page001')).toEqual({ objects: [{ name: 'Rex' }, { name: 'Fido' }] });
  });

  it('empty states: a server with no namespaces and no vector files says so', async () => {
    await page.goto(`${empty.url}/#/pages`);
    await visible(page.getByText('No namespaces yet. Insert an object to create one.'));
    await page.goto(`${empty.url}/#/pages/zoo`);
    await visible(page.getByText('No pages in this namespace.'));
    await page.goto(`${empty.url}/#/vectors`);
    await visible(page.getByText('No vector files yet. Put vectors to create one.'));
  });

  it('is keyboard reachable and fits 390×844', async () => {
    const tabNames = async (n: number): Promise<string[]> => {
      await page.locator('body').focus();
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        await page.keyboard.press('Tab');
        seen.push(await page.evaluate<string>(`(() => { const el = document.activeElement; return el ? el.tagName.toLowerCase() + '|' + (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '').trim().slice(0, 40) : ''; })()`));
      }
      return seen;
    };
    await page.goto(`${main.url}/#/pages`);
    await visible(page.getByRole('link', { name: 'zoo.cats' }));
    const onPages = await tabNames(20);
    for (const want of ['a|Pages', 'a|Vectors', 'a|zoo.cats', 'input|Namespace', 'textarea|Object (JSON)', 'button|Insert and commit', 'input|Namespace pattern', 'button|Match']) expect(onPages).toContain(want);
    await page.getByRole('link', { name: 'Vectors', exact: true }).focus();
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: 'Vector files', level: 2 }));
    await page.getByRole('link', { name: 'emb' }).focus();
    await page.keyboard.press('Enter');
    await hasText(page.locator('.tile dd').first(), '2');
    const onFile = await tabNames(20);
    for (const want of ['textarea|Query vector', 'input|Neighbours of id', 'input|k', 'select|Metric', 'input|Metadata filter (JSON)', 'button|Search', 'input|Vector id', 'button|Get']) expect(onFile).toContain(want);
    // Enter in the query box's form submits the search.
    await page.getByRole('spinbutton', { name: 'k' }).fill('1');
    await page.getByRole('textbox', { name: 'Query vector' }).fill('[0, 1, 0]');
    await page.getByRole('spinbutton', { name: 'k' }).press('Enter');
    await hasCount(page.getByRole('table', { name: 'Nearest neighbours' }).locator('tbody tr'), 1);

    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const noOverflow = () => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
      await poll(noOverflow).toBe(true);
      await shot('vectors-390');
      await page.goto(`${main.url}/#/pages/zoo.cats/page001`);
      await hasCount(page.getByRole('list', { name: 'Objects' }).locator('li pre'), 1);
      expect(await noOverflow()).toBe(true);
      await shot('pages-page-390');
      await page.goto(`${main.url}/#/pages`);
      await visible(page.getByRole('link', { name: 'zoo.cats' }));
      expect(await noOverflow()).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('logged no console errors but the refused requests the error paths asked for', () => {
    expect(errors.filter((e) => !EXPECTED_HTTP_ERROR.test(e))).toEqual([]);
    expect(jsDialogs).toEqual([]);
  });
});
