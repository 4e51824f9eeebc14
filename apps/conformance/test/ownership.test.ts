import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBackend, type StorageBackend } from '@store/backend-core';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ALL_CASES, conformance, formatJUnit, loadTarget, runCase, summarize } from '../dist/index.js';

const BROKEN = fileURLToPath(new URL('./fixtures/broken-backends.mjs', import.meta.url));
const caseById = (id: string) => ALL_CASES.find((c) => c.id === id)!;

let base: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'conformance-own-'));
});
afterEach(() => {
  delete process.env.BROKEN_BACKEND;
  rmSync(base, { recursive: true, force: true });
});

/** Wraps a backend, counting calls in flight and calls started after `stopCounting()`. */
function counted(inner: StorageBackend): { backend: StorageBackend; inFlight: () => number; lateCalls: () => number; caseOver: () => void } {
  let inFlight = 0;
  let over = false;
  let late = 0;
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        if (over) late++;
        inFlight++;
        return Promise.resolve((value as (...a: unknown[]) => Promise<unknown>).apply(target, args)).finally(() => inFlight--);
      };
    },
  });
  return { backend, inFlight: () => inFlight, lateCalls: () => late, caseOver: () => (over = true) };
}

describe('a case owns everything it starts', () => {
  test('a failed SB-ATOMIC-01 has stopped and awaited its writers and readers when it reports', async () => {
    process.env.BROKEN_BACKEND = 'InPlaceBackend';
    const { create } = await loadTarget(BROKEN, 'in-place');
    let probe: ReturnType<typeof counted> | undefined;
    const result = await runCase(
      caseById('SB-ATOMIC-01'),
      {
        create: async (location) => {
          probe = counted(await create(location));
          return probe.backend;
        },
      },
      { baseDir: base },
    );
    probe!.caseOver();
    expect(result.status).toBe('failed');
    expect(probe!.inFlight()).toBe(0);
    // Nothing of the case runs on: give any leftover loop a chance to call again.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(probe!.lateCalls()).toBe(0);
    expect(readdirSync(base)).toEqual([]);
  });

  test('library mode leaves nothing in the OS temp directory, even for a backend that writes beside its location', async () => {
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = base;
    process.env.BROKEN_BACKEND = 'VisibleTempBackend';
    try {
      const target = await loadTarget(BROKEN, 'visible-temp');
      const tests: Array<Promise<void>> = [];
      conformance({ test: (_name, fn) => tests.push(fn({ skip: () => undefined }).catch(() => undefined)), target, only: ['SB-PATH-03', 'SB-SAFE-01', 'SB-CONC-02'] });
      await Promise.all(tests);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    expect(readdirSync(base)).toEqual([]);
  });
});

/** A correct backend whose every call takes `delayMs`: slow storage, not a broken one. */
class SlowBackend extends MemoryBackend {
  constructor(private readonly delayMs: number) {
    super();
  }
  #wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, this.delayMs));
  override async writeFile(key: string, data: Uint8Array): Promise<void> {
    const copy = new Uint8Array(data);
    await this.#wait();
    return super.writeFile(key, copy);
  }
  override async readFile(key: string): Promise<Uint8Array> {
    const data = await super.readFile(key);
    await this.#wait();
    return data;
  }
}

/** Serves every read from a snapshot taken at its first read of a key: readers can never see a write. */
class StaleReadBackend extends MemoryBackend {
  #cache = new Map<string, Uint8Array>();
  override async readFile(key: string): Promise<Uint8Array> {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return new Uint8Array(cached);
    const data = await super.readFile(key);
    this.#cache.set(key, data);
    return new Uint8Array(data);
  }
}

describe('SB-ATOMIC-01 adapts to slow backends and reports what it could not observe as inconclusive', () => {
  test('a correct backend whose calls take 2.5 s is not failed', async () => {
    const result = await runCase(caseById('SB-ATOMIC-01'), { create: () => new SlowBackend(2_500) }, { baseDir: base });
    expect(result.reason ?? '').not.toMatch(/torn|never written/);
    expect(result.status).toBe('passed');
  }, 120_000);

  test('readers that can never see a write make the case inconclusive, not failed; JUnit shows a skip', async () => {
    const result = await runCase(caseById('SB-ATOMIC-01'), { create: () => new StaleReadBackend() }, { baseDir: base });
    expect(result.status).toBe('inconclusive');
    expect(result.reason).toMatch(/saw only 1 version/);
    expect(summarize([result])).toMatchObject({ failed: 0, inconclusive: 1 });
    expect(formatJUnit([result], 'stale')).toMatch(/<skipped message="inconclusive: the readers saw only 1 version/);
  });
});
