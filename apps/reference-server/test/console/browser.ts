/**
 * Chromium for the console's browser tests: Debian's `chromium` (apt) driven by
 * playwright-core through `executablePath` (Playwright's own browser downloads cannot be
 * fetched here). Each launch gets a fresh profile in a temp dir, removed by `close()`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium'];

/** The chromium executable: `$CHROMIUM_PATH`, else the first that exists of the usual paths. */
export function findChromium(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(executablePath: string, viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'store-console-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, viewport, acceptDownloads: true, timeout: 60_000 });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/**
 * The chromium these tests drive, or undefined after a SKIP message naming `suite`
 * (STORE_REQUIRE_BROWSER=1 turns a missing chromium into a thrown error instead).
 */
export function chromiumOrSkip(suite: string): string | undefined {
  const found = findChromium();
  if (found === undefined) {
    const why = `${suite}: no chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)`;
    if (process.env['STORE_REQUIRE_BROWSER'] === '1') throw new Error(`${why}; STORE_REQUIRE_BROWSER=1 requires it`);
    console.warn(`SKIP ${why}`);
  }
  return found;
}

/** Screenshots of the console tests (gitignored). */
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts/console');

/** A page that records what must stay empty: console errors and warnings, page errors, JS dialogs (dismissed). */
export interface WatchedPage {
  page: Page;
  errors: string[];
  jsDialogs: string[];
  /** Saves a screenshot as test-artifacts/console/<name>.png. */
  shot(name: string): Promise<void>;
}

export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  await mkdir(ARTIFACTS, { recursive: true });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  const jsDialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    jsDialogs.push(d.message());
    void d.dismiss();
  });
  return { page, errors, jsDialogs, shot: (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).then(() => undefined) };
}
