/**
 * Waiting and calling helpers shared by the console's browser tests: waits with room for a
 * loaded machine (vitest's default poll is one second), and a plain HTTP call that writes
 * the data the views then show.
 */
import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/** One API call from the test (not the browser); any answer but 2xx and 404 fails the test. */
export async function api(base: string, method: string, target: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof Uint8Array || typeof body === 'string') init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(base + target, init);
  if (!res.ok && res.status !== 404) throw new Error(`${method} ${target}: ${res.status} ${await res.text()}`);
  return res;
}

/** expect.poll with room for a loaded machine (vitest's default is one second). */
export function poll<T>(fn: () => Promise<T> | T, options: { timeout?: number; interval?: number } = {}): ReturnType<typeof expect.poll<T>> {
  return expect.poll(fn, { timeout: 30_000, interval: 100, ...options });
}

/** Waits until the first match's text equals (or matches) `want`. */
export function hasText(l: Locator, want: string | RegExp, timeout = 30_000): Promise<void> {
  const read = () => l.first().textContent({ timeout: 1000 }).catch(() => null);
  return want instanceof RegExp ? poll(read, { timeout }).toMatch(want) : poll(read, { timeout }).toBe(want);
}

export function visible(l: Locator, timeout = 30_000): Promise<void> {
  return l.first().waitFor({ state: 'visible', timeout });
}

export function hasCount(l: Locator, n: number): Promise<void> {
  return poll(() => l.count()).toBe(n);
}
