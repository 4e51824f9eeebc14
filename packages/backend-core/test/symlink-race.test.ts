import { lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemBackend, isStorageError } from '../src/index.js';

let work: string;
const swapErrors: unknown[] = [];
let root: string;
let outside: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'fs-race-'));
  root = path.join(work, 'root');
  outside = path.join(work, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret'), 'SECRET');
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  expect(swapErrors.splice(0), 'the test could not swap the directory').toEqual([]);
});

/** Runs `fn` after `n` turns of the microtask queue, so it lands between two steps of a call in flight. */
function afterMicrotasks(n: number, fn: () => void): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number): void => {
      if (left > 0) return queueMicrotask(() => step(left - 1));
      try {
        fn();
      } catch (error) {
        swapErrors.push(error);
      }
      resolve();
    };
    step(n);
  });
}

/** Another process's move: the directory `d` inside the root becomes a symlink to outside. */
function swapToSymlink(): void {
  renameSync(path.join(root, 'd'), path.join(root, 'd.moved'));
  symlinkSync(outside, path.join(root, 'd'));
}

function restore(): void {
  if (lstatSync(path.join(root, 'd')).isSymbolicLink()) unlinkSync(path.join(root, 'd'));
  rmSync(path.join(root, 'd'), { force: true, recursive: true });
  rmSync(path.join(root, 'd.moved'), { recursive: true, force: true });
  mkdirSync(path.join(root, 'd'));
  writeFileSync(path.join(root, 'd', 'secret'), 'inside');
}

const codeOf = (error: unknown): string => (isStorageError(error) ? error.code : String(error));

/**
 * The swap lands at every point of the call in turn (after 0, 1, 2, … microtasks), which
 * is deterministic where "another process flips it in a loop" is a lottery. Wherever it
 * lands, nothing may be created, read or changed outside the root.
 */
describe('a directory swapped for a symlink to outside while a call runs', () => {
  test.each([
    ['small', 16],
    ['large', 200 * 1024],
  ])('%s writes never leave a file (or a directory) outside the root', async (_name, size) => {
    const backend = new FilesystemBackend(root, { durability: 'none' });
    mkdirSync(path.join(root, 'd'));
    const outcomes = new Set<string>();
    for (let n = 0; n < 40; n++) {
      const write = backend.writeFile(`d/f${n}`, new Uint8Array(size).fill(1));
      const deep = backend.writeFile(`d/new${n}/g`, new Uint8Array(size).fill(2));
      const swapped = afterMicrotasks(n, swapToSymlink);
      const settled = await Promise.allSettled([write, deep]);
      await swapped;
      for (const r of settled) outcomes.add(r.status === 'fulfilled' ? 'ok' : codeOf(r.reason));
      expect(readdirSync(outside).sort(), `swap after ${n} microtasks`).toEqual(['secret']);
      restore();
    }
    // The swap landed inside calls in flight (refused), not only before or after them.
    expect(outcomes.has('EACCES') || outcomes.has('ENOENT')).toBe(true);
  });

  test('reads never return a file outside the root', async () => {
    const backend = new FilesystemBackend(root);
    mkdirSync(path.join(root, 'd'));
    writeFileSync(path.join(root, 'd', 'secret'), 'inside');
    for (let n = 0; n < 40; n++) {
      const reads = [backend.readFile('d/secret'), backend.readRange('d/secret', 0, 100)];
      const swapped = afterMicrotasks(n, swapToSymlink);
      const settled = await Promise.allSettled(reads);
      await swapped;
      for (const r of settled) {
        if (r.status === 'fulfilled') expect(Buffer.from(r.value).toString(), `swap after ${n} microtasks`).toBe('inside');
        else expect(codeOf(r.reason)).toMatch(/EACCES|ENOENT/);
      }
      restore();
    }
  });
});

test('a file replaced by a rename after it was opened is still read (not taken for an escape)', async () => {
  const backend = new FilesystemBackend(root, { durability: 'none' });
  await backend.writeFile('hot', new Uint8Array(100_000).fill(1));
  let writing = true;
  const writer = (async () => {
    for (let i = 0; i < 300; i++) await backend.writeFile('hot', new Uint8Array(100_000 + (i % 7)).fill(i & 0xff));
    writing = false;
  })();
  let reads = 0;
  while (writing) {
    const results = await Promise.allSettled([backend.readFile('hot'), backend.readRange('hot', 0, 10)]);
    for (const r of results) expect(r.status === 'fulfilled' ? 'ok' : codeOf(r.reason)).toBe('ok');
    reads++;
  }
  await writer;
  expect(reads).toBeGreaterThan(0);
});
