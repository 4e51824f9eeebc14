import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadTarget, runConformance } from '../dist/index.js';

/**
 * The suite run against real third-party backends through the thin adapters in
 * examples/. Each adapter has the exact list of cases it must fail: if a case stops
 * catching one of these libraries' deviations (or a new one appears), this test fails.
 * The README's result table explains each entry.
 */
const EXPECTED: Record<string, { module: string; failed: string[] }> = {
  'unstorage 1.17.6 (fs driver)': {
    module: '../examples/unstorage-fs/index.mjs',
    failed: [
      'SB-PATH-02', 'SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05', 'SB-PATH-06', 'SB-PATH-07', 'SB-PATH-08', 'SB-PATH-09',
      'SB-BYTES-07', 'SB-READ-01', 'SB-READ-02', 'SB-WRITE-03', 'SB-LIST-01', 'SB-LIST-04', 'SB-DIR-01', 'SB-DIR-02', 'SB-EXISTS-01', 'SB-DELETE-02',
      'SB-ATOMIC-01', 'SB-CONC-01', 'SB-ORDER-01', 'SB-SAFE-01', 'SB-SPECIAL-01', 'SB-ERR-01', 'SB-CLOSE-01', 'SB-CRASH-01',
    ],
  },
  'flydrive 1.3.0 (FSDriver)': {
    module: '../examples/flydrive-fs/index.mjs',
    failed: [
      'SB-PATH-02', 'SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05', 'SB-PATH-06', 'SB-PATH-07', 'SB-PATH-08', 'SB-PATH-09', 'SB-PATH-10',
      'SB-BYTES-02', 'SB-BYTES-04', 'SB-BYTES-07', 'SB-READ-02', 'SB-WRITE-01', 'SB-WRITE-03', 'SB-LIST-01', 'SB-DIR-01', 'SB-DIR-02', 'SB-EXISTS-01', 'SB-DELETE-02',
      'SB-ATOMIC-01', 'SB-CONC-01', 'SB-ORDER-01', 'SB-RENAME-01', 'SB-SAFE-01', 'SB-SPECIAL-01', 'SB-ERR-01', 'SB-PERSIST-01', 'SB-CRASH-01',
    ],
  },
};

let base: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'conformance-examples-'));
});
afterEach(() => {
  const left = readdirSync(base);
  rmSync(base, { recursive: true, force: true });
  expect(left, 'left behind in the base directory').toEqual([]);
});

describe('third-party backends through the examples/ adapters', () => {
  test.each(Object.entries(EXPECTED))('%s fails exactly its expected cases', async (name, { module, failed }) => {
    const target = await loadTarget(fileURLToPath(new URL(module, import.meta.url)), name);
    const results = await runConformance(target, { baseDir: base });
    const actual = results.filter((r) => r.status === 'failed').map((r) => r.id);
    expect(actual.sort()).toEqual([...failed].sort());
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(10);
  });
});
