/**
 * The web console in a real browser (Debian chromium via playwright-core) against real
 * in-process servers holding real data: the fixture logdir (when ../shared is present) and
 * runs, logs and files this test writes. Every view is clicked through and what is on
 * screen is asserted: chart series and point values read back from the chart legend, the
 * live tail, upload/download byte equality, escaping, keyboard reach, both viewports, and
 * no console errors. Screenshots go to test-artifacts/console/ (gitignored).
 *
 * Without chromium the suite skips with a message; STORE_REQUIRE_BROWSER=1 makes that a failure.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SummaryWriter } from '@store/tfevents';
import { ARTIFACTS, chromiumOrSkip, launch, watchedPage, type Browser } from './console/browser.js';
import { png } from './console/png.js';
import { api, hasCount, hasText, poll, visible } from './console/wait.js';
import { startServer, type Running } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../../../shared/fixtures/tfevents');
const CONSOLE_BUILT = existsSync(path.resolve(HERE, '../dist/console/index.html'));
const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'console-test-token';
const BIG = 1_000_000;

const chromiumPath = chromiumOrSkip('console browser tests');
const hasFixtures = existsSync(FIXTURES);
if (!hasFixtures) console.warn(`console browser tests: ${FIXTURES} is missing; the fixture runs are left out (test-written runs are still used)`);

/** Copies the fixture runs the views need (event files only, no oracle .jsonl) into the temp logdir. */
async function copyFixtures(logdir: string): Promise<void> {
  for (const run of ['pytorch/image_experiment', 'pytorch/histogram_experiment', 'pytorch/my_first_experiment', 'tf1-filewriter', 'keras-tf1']) {
    const from = path.join(FIXTURES, run);
    const to = path.join(logdir, 'fixtures', run);
    await mkdir(to, { recursive: true });
    for (const name of await readdir(from)) if (name.includes('tfevents') && !name.endsWith('.jsonl')) await cp(path.join(from, name), path.join(to, name));
  }
}

/** The legend rows of a chart card: [label, value shown], the x row first. */
function legend(card: Locator): Promise<Array<[string, string]>> {
  return card.locator('.u-legend tr.u-series').evaluateAll((rows) => rows.map((r) => [r.querySelector('.u-label')?.textContent ?? '', r.querySelector('.u-value')?.textContent ?? ''] as [string, string]));
}

function card(page: Page, tag: string): Locator {
  return page.locator('article.card').filter({ has: page.getByRole('heading', { name: tag, exact: true }) });
}

/** A card scrolled into view (cards load their data when they become visible). */
async function shownCard(page: Page, tag: string): Promise<Locator> {
  const c = card(page, tag);
  await c.scrollIntoViewIfNeeded();
  return c;
}


describe.skipIf(chromiumPath === undefined)('web console in chromium', () => {
  let main: Running;
  let secured: Running;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let jsDialogs: string[];
  let shot: (name: string) => Promise<void>;
  const bigValues: number[] = [];

  beforeAll(async () => {
    if (!CONSOLE_BUILT) throw new Error('dist/console is missing: run `pnpm build` (the console is bundled by the build)');
    main = await startServer();
    const logdir = main.server.ctx.logdir;
    if (hasFixtures) await copyFixtures(logdir);
    const u = main.url;
    // Runs written through the API.
    await api(u, 'POST', '/v1/scalars?run=train/a', Array.from({ length: 10 }, (_, step) => ({ tag: 'loss', step, value: step * 0.5 })));
    await api(u, 'POST', '/v1/scalars?run=train/b', Array.from({ length: 10 }, (_, step) => ({ tag: 'loss', step, value: 10 - step })));
    await api(u, 'POST', '/v1/scalars?run=smooth', [1, 0.5, 0].map((value, step) => ({ tag: 'ema', step, value })));
    await api(u, 'POST', '/v1/scalars?run=xss', [{ tag: XSS, step: 0, value: 1 }]);
    await api(u, 'POST', '/v1/text?run=train/a', [{ tag: 'notes', step: 3, text: `<script>alert(1)</script> note ${XSS}` }]);
    await api(u, 'POST', '/v1/histograms?run=train/a', [0, 1, 2].map((step) => ({ tag: 'weights', step, values: [1, 2, 2, 3, 3, 3].map((v) => v + step) })));
    // Written by a SummaryWriter directly: 5,000 points (downsampled view) and images.
    const mid = new SummaryWriter({ logDir: path.join(logdir, 'mid') });
    for (let step = 0; step < 5000; step++) mid.addScalar('wave', Math.sin(step / 50), step);
    await mid.close();
    const pics = new SummaryWriter({ logDir: path.join(logdir, 'pics') });
    for (let step = 0; step < 3; step++) pics.addImage('sample', png(4, 3), step);
    await pics.close();
    // Events and files.
    await api(u, 'POST', '/v1/logs/orders/events', '{"n":1,"item":"tea"}');
    await api(u, 'POST', '/v1/logs/orders/events', `plain ${XSS}`);
    await api(u, 'POST', '/v1/logs/orders/events', new Uint8Array([0, 1, 2, 255]));
    await api(u, 'PUT', '/v1/files/docs/readme.txt', `hello from the files view ${XSS}\n`);

    // A second server: bearer token, and one run of 1,000,000 points.
    secured = await startServer({ token: TOKEN });
    const big = new SummaryWriter({ logDir: path.join(secured.server.ctx.logdir, 'big'), maxQueue: 2 * BIG });
    for (let step = 0; step < BIG; step++) {
      const v = Math.fround(Math.sin(step / 5000) + (step % 977) / 977);
      bigValues.push(v);
      big.addScalar('signal', v, step);
    }
    await big.close();

    browser = await launch(chromiumPath!);
    ({ page, errors, jsDialogs, shot } = await watchedPage(browser));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await main?.close();
    await secured?.close();
  });

  it('serves the page with a strict CSP and no external references', async () => {
    const res = await fetch(`${main.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${main.url}/#/runs`);
    await poll(() => page.getByRole('checkbox', { name: 'train/a' }).count()).toBe(1);
    expect(requests.filter((r) => !r.startsWith(main.url))).toEqual([]);
    expect(await page.getByRole('button', { name: 'Forget token' }).count()).toBe(0); // no token, nothing to forget
  });

  it('runs: overlays runs, reads point values back from the chart, smooths like TensorBoard', async () => {
    await page.goto(`${main.url}/#/runs`);
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^(loss|ema)$');
    const smoothing = page.getByRole('spinbutton', { name: 'Smoothing value' });
    await smoothing.fill('0');
    await smoothing.press('Tab');
    const loss = card(page, 'loss');
    await poll(async () => (await legend(loss)).length).toBe(3); // x + train/a + train/b
    expect((await legend(loss)).slice(1).map(([label]) => label)).toEqual(['train/a', 'train/b']);
    const chart = loss.locator('.chart');
    await chart.focus();
    await chart.press('Home');
    await poll(() => legend(loss)).toEqual([
      ['step', '0'],
      ['train/a', '0'],
      ['train/b', '10'],
    ]);
    for (let i = 0; i < 3; i++) await chart.press('ArrowRight');
    await poll(() => legend(loss)).toEqual([
      ['step', '3'],
      ['train/a', '1.5'],
      ['train/b', '7'],
    ]);
    await chart.press('End');
    await poll(() => legend(loss)).toEqual([
      ['step', '9'],
      ['train/a', '4.5'],
      ['train/b', '1'],
    ]);
    await expect(loss.locator('.card-status').textContent()).resolves.toBe('20 points');

    // TensorBoard's smoothing (its own test case: weight 0.6 over 1, 0.5, 0 → 1, 0.6875, 0.3367…).
    await smoothing.fill('0.6');
    await smoothing.press('Tab');
    const ema = card(page, 'ema');
    await poll(async () => (await legend(ema)).length).toBe(3); // x + raw + smoothed
    const emaChart = ema.locator('.chart');
    await emaChart.focus();
    await emaChart.press('Home');
    await emaChart.press('ArrowRight');
    await poll(() => legend(ema)).toEqual([
      ['step', '1'],
      ['smooth (raw)', '0.5'],
      ['smooth', '0.6875'],
    ]);
    await emaChart.press('ArrowRight');
    const third = ((0.5 * 0.4 + 0.4 * 1 * 0.6) * 0.6 + 0) / (1 - Math.pow(0.6, 3));
    await poll(async () => (await legend(ema))[2]).toEqual(['smooth', String(Number(third.toPrecision(6)))]);
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(5); // 2 runs × (raw + smoothed)
    await shot('runs-scalars-1280');

    // The other x axes and log y redraw the same series.
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('relative');
    await poll(async () => (await legend(card(page, 'loss')))[0]?.[0]).toBe('relative');
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('wall');
    await poll(async () => (await legend(card(page, 'loss')))[0]?.[0]).toBe('wall time');
    await page.getByRole('checkbox', { name: 'Log y' }).check();
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(5);
    await page.getByRole('checkbox', { name: 'Log y' }).uncheck();
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('step');
    await smoothing.fill('0');
    await smoothing.press('Tab');
  });

  it.skipIf(!hasFixtures)('runs: fixture training curves of PyTorch and Keras writers, smoothed (the README screenshot)', async () => {
    await page.goto(`${main.url}/#/runs`);
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^(Metrics/(Loss|Accuracy)|epoch_(loss|acc))$');
    const smoothing = page.getByRole('spinbutton', { name: 'Smoothing value' });
    await smoothing.fill('0.8');
    await smoothing.press('Tab');
    for (const tag of ['Metrics/Loss', 'Metrics/Accuracy', 'epoch_loss', 'epoch_acc']) {
      const c = await shownCard(page, tag);
      await poll(async () => (await legend(c)).length).toBe(3); // x, raw, smoothed: one run each
    }
    await hasText(card(page, 'Metrics/Loss').locator('.card-status'), '200 points');
    await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
    await shot('runs-overview-1280');
    await smoothing.fill('0');
    await smoothing.press('Tab');
  });

  it('runs: auto-refresh shows a point logged after the page loaded', async () => {
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^loss$');
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(3);
    await page.getByRole('checkbox', { name: 'Auto-refresh' }).check();
    await api(main.url, 'POST', '/v1/scalars?run=train/a', [{ tag: 'loss', step: 10, value: 42 }]);
    const loss = card(page, 'loss');
    await poll(
        async () => {
          await loss.locator('.chart').press('End');
          return legend(loss);
        },
        { timeout: 30_000, interval: 500 },
      )
      // train/b has no step 10: the legend shows its nearest point (step 9), as uPlot does.
      .toEqual([
        ['step', '10'],
        ['train/a', '42'],
        ['train/b', '1'],
      ]);
    await page.getByRole('checkbox', { name: 'Auto-refresh' }).uncheck();
  });

  it('runs: a long series is downsampled on the server, full resolution is one click away', async () => {
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^wave$');
    const wave = card(page, 'wave');
    await hasText(wave.locator('.card-status'), '2,000 of 5,000 points shown (downsampled on the server, LTTB)');
    await wave.getByRole('button', { name: 'Full resolution' }).click();
    await hasText(wave.locator('.card-status'), '5,000 points');
    const chart = wave.locator('.chart');
    await chart.focus();
    await chart.press('End');
    await poll(() => legend(wave)).toEqual([
      ['step', '4999'],
      ['mid', String(Number(Math.fround(Math.sin(4999 / 50)).toPrecision(6)))],
    ]);
  });

  it('runs: a tag named like markup is shown as text and never runs', async () => {
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('onerror');
    const xss = card(page, XSS);
    await hasText(xss.locator('h3'), XSS);
    await poll(async () => (await legend(xss)).length).toBe(2);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(jsDialogs).toEqual([]);
  });

  it('runs: histograms, text and images per step', async () => {
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('');
    await page.getByRole('button', { name: /^Histograms/ }).click();
    const weights = await shownCard(page, 'weights');
    await hasText(weights.locator('.readout'), /^step 2: 6 values in \d+ buckets, range 3 … 5$/);
    await weights.locator('.chart').focus();
    await weights.locator('.chart').press('ArrowUp');
    await hasText(weights.locator('.readout'), /^step 1: 6 values/);
    if (hasFixtures) await hasText((await shownCard(page, 'MyLinearLayer/Weights_Distribution')).locator('.readout'), /^step 9: /);
    await shot('runs-histograms-1280');

    await page.getByRole('button', { name: /^Text/ }).click();
    const notes = await shownCard(page, 'notes');
    await hasText(notes.locator('pre.text-value'), `<script>alert(1)</script> note ${XSS}`);
    await hasText(notes.locator('tbody th'), '3');

    await page.getByRole('button', { name: /^Images/ }).click();
    const sample = await shownCard(page, 'sample');
    await hasText(sample.locator('.readout'), /^step 2 · 4×3 · /);
    await poll(() => sample.locator('img').evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth; })).toBe(4);
    await sample.getByRole('slider').focus();
    await sample.getByRole('slider').press('Home');
    await hasText(sample.locator('.readout'), /^step 0 · 4×3 · /);
    if (hasFixtures) {
      const noise = await shownCard(page, 'Debug_Images/Random_Noise');
      await poll(() => noise.locator('img').evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth; })).toBe(100);
    }
    await shot('runs-images-1280');
  });

  it('event logs: stats, pages as text / JSON / hex, and a live tail of events appended after load', async () => {
    await page.goto(`${main.url}/#/logs`);
    await page.getByRole('link', { name: 'orders' }).click();
    const tile = (name: string) => page.locator('.tile').filter({ has: page.locator('dt', { hasText: name }) }).locator('dd');
    await hasText(tile('events'), '3');
    await hasText(tile('ids'), '#0 – #2');
    const rows = page.getByRole('list', { name: 'Events' }).locator('li.event');
    await hasCount(rows, 3);
    await hasText(rows.nth(1).locator('pre'), `plain ${XSS}`);
    await hasText(rows.nth(2).locator('pre'), '(binary, 4 B; choose hex)');
    await page.getByRole('combobox', { name: 'Show as' }).selectOption('hex');
    await hasText(rows.nth(2).locator('pre'), /^00000000 {2}00 01 02 ff/);
    await page.getByRole('combobox', { name: 'Show as' }).selectOption('json');
    await hasText(rows.nth(0).locator('pre'), '{\n  "n": 1,\n  "item": "tea"\n}');
    await page.getByRole('combobox', { name: 'Show as' }).selectOption('text');

    await page.getByRole('button', { name: 'Start live tail' }).click();
    await visible(page.getByText('following from #3'));
    const marker = `appended after load ${randomBytes(4).toString('hex')}`;
    await api(main.url, 'POST', '/v1/logs/orders/events', marker);
    const tail = page.getByRole('list', { name: 'Live tail' }).locator('li.event');
    await hasCount(tail, 1);
    await hasText(tail.nth(0).locator('pre'), marker);
    await hasText(tail.nth(0).locator('.event-id'), '#3');
    await page.getByRole('textbox', { name: 'Event to append' }).fill('typed in the console');
    await page.getByRole('button', { name: 'Append event' }).click();
    await hasText(tail.nth(1).locator('pre'), 'typed in the console');
    await shot('logs-1280');
    await page.getByRole('button', { name: 'Stop live tail' }).click();
    await visible(page.getByText('stopped'));
  });

  it('files: browse, view, upload then download byte for byte, delete after a confirm', async () => {
    await page.goto(`${main.url}/#/files/`);
    await page.getByRole('link', { name: 'docs/' }).click();
    await page.getByRole('link', { name: 'readme.txt' }).click();
    await hasText(page.locator('pre.file-text'), `hello from the files view ${XSS}\n`);

    await page.goto(`${main.url}/#/files/uploads/`);
    await visible(page.getByText('Empty folder.'));
    const original = randomBytes(300 * 1024 + 7);
    await page.locator('#upload-input').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: original });
    await visible(page.getByText('Uploaded 1 file'));
    const row = page.locator('tr[data-name="blob.bin"]');
    await hasText(row.locator('td.size'), '300.0 KiB');
    const stored = Buffer.from(await (await api(main.url, 'GET', '/v1/files/uploads/blob.bin')).arrayBuffer());
    expect(stored.equals(original)).toBe(true);

    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download blob.bin' }).click()]);
    expect(download.suggestedFilename()).toBe('blob.bin');
    const downloaded = await readFile((await download.path())!);
    expect(downloaded.equals(original)).toBe(true);
    await shot('files-1280');

    await row.getByRole('button', { name: 'Delete blob.bin' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete file' });
    await visible(confirm);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await hasCount(row, 1);
    await row.getByRole('button', { name: 'Delete blob.bin' }).click();
    await page.getByRole('dialog', { name: 'Delete file' }).getByRole('button', { name: 'Delete' }).click();
    await visible(page.getByText('Empty folder.'));
    expect((await api(main.url, 'GET', '/v1/files/uploads/blob.bin')).status).toBe(404);
  });

  it('is keyboard reachable', async () => {
    await page.goto(`${main.url}/#/runs`);
    await visible(page.getByRole('checkbox', { name: 'train/a' }));
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^loss$');
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(3);
    await page.locator('body').focus();
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      seen.push(
        await page.evaluate<string>(`(() => {
          const el = document.activeElement;
          if (!el) return '';
          const name = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '';
          return el.tagName.toLowerCase() + '|' + name.trim().slice(0, 40) + '|' + el.className;
        })()`),
      );
    }
    const has = (re: RegExp) => seen.some((s) => re.test(s));
    expect(has(/^a\|Skip to content/)).toBe(true);
    expect(has(/^a\|Event logs/)).toBe(true);
    expect(has(/^a\|Files/)).toBe(true);
    expect(has(/^input\|Filter runs/)).toBe(true);
    expect(has(/^input\|train\/a/)).toBe(true);
    expect(has(/^input\|Smoothing\|/)).toBe(true);
    expect(has(/^div\|Chart loss/)).toBe(true);
    expect(has(/^button\|Histograms/)).toBe(true);
    // A run checkbox is in the tab order and toggles with the keyboard.
    const box = page.getByRole('checkbox', { name: 'train/b' });
    await box.focus();
    await page.keyboard.press('Space');
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(2);
    await page.keyboard.press('Space');
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(3);
    // Links work from the keyboard.
    await page.getByRole('link', { name: 'Event logs' }).focus();
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: 'Event logs', level: 2 }));
  });

  it('works at 390×844', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const noOverflow = () => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    await page.goto(`${main.url}/#/runs`);
    await page.getByRole('searchbox', { name: 'Filter tags' }).fill('^loss$');
    await poll(async () => (await legend(card(page, 'loss'))).length).toBe(3);
    expect(await noOverflow()).toBe(true);
    const box = await card(page, 'loss').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await shot('runs-scalars-390');
    await page.goto(`${main.url}/#/logs/orders`);
    await hasCount(page.getByRole('list', { name: 'Events' }).locator('li.event'), 5);
    expect(await noOverflow()).toBe(true);
    await shot('logs-390');
    await page.goto(`${main.url}/#/files/docs/`);
    await visible(page.getByRole('link', { name: 'readme.txt' }));
    expect(await noOverflow()).toBe(true);
    await shot('files-390');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no console errors', () => {
    expect(errors).toEqual([]);
    expect(jsDialogs).toEqual([]);
  });

  it('asks for the token once, then charts 1,000,000 points downsampled on the server', async () => {
    const tab = await browser.context.newPage();
    const tabErrors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') tabErrors.push(m.text());
    });
    tab.on('pageerror', (e) => tabErrors.push(e.message));
    await tab.goto(`${secured.url}/#/runs`);
    const dialog = tab.getByRole('dialog', { name: 'Token' });
    await visible(dialog);
    await dialog.getByLabel('Bearer token').fill('wrong');
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await visible(tab.getByRole('dialog', { name: 'Token' }).getByText('did not accept'));
    await tab.getByRole('dialog', { name: 'Token' }).getByLabel('Bearer token').fill(TOKEN);
    await tab.getByRole('dialog', { name: 'Token' }).getByRole('button', { name: 'Use token' }).click();
    const signal = card(tab, 'signal');
    await hasText(signal.locator('.card-status'), '2,000 of 1,000,000 points shown (downsampled on the server, LTTB)', 60_000);
    await poll(async () => (await legend(signal)).length).toBe(3); // x, raw, smoothed (default smoothing 0.6)
    const chart = signal.locator('.chart');
    await chart.focus();
    await chart.press('End');
    await poll(async () => (await legend(signal)).slice(0, 2)).toEqual([
      ['step', String(BIG - 1)],
      ['big (raw)', String(Number(bigValues[BIG - 1]!.toPrecision(6)))],
    ]);
    await visible(tab.getByRole('button', { name: 'Forget token' }));
    // The token is kept for the tab: a reload does not ask again.
    await tab.reload();
    await hasText(card(tab, 'signal').locator('.card-status'), /of 1,000,000 points/, 60_000);
    expect(await tab.getByRole('dialog', { name: 'Token' }).count()).toBe(0);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'runs-1m-points-1280.png') });
    // Only the refused requests of the token exchange are errors here.
    expect(tabErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await tab.close();
  });
});
