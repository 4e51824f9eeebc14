import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemBackend, isStorageError } from '../src/index.js';
import { misplacedDescriptor } from '../src/host-file.js';

/**
 * Readers run beside writers of other processes: a file opened for reading may be renamed,
 * replaced or deleted before the reader's post-open check looks at it. That is not an
 * escape from the root, and must not be reported as one (EACCES).
 */
let work: string;
let root: string;
beforeEach(() => {
  work = realpathSync(mkdtempSync(path.join(tmpdir(), 'fs-reader-race-')));
  root = path.join(work, 'root');
  mkdirSync(root);
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the post-open check of a reader, with the file changed between the open and the check', () => {
  test('renamed inside the root: still the file we opened', () => {
    writeFileSync(path.join(root, 'a'), 'x');
    const fd = openSync(path.join(root, 'a'), 'r');
    try {
      renameSync(path.join(root, 'a'), path.join(root, 'b'));
      expect(misplacedDescriptor(fd, root, path.join(root, 'a'))).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });

  test('renamed inside the root, then deleted: still the file we opened', () => {
    writeFileSync(path.join(root, 'a'), 'x');
    const fd = openSync(path.join(root, 'a'), 'r');
    try {
      renameSync(path.join(root, 'a'), path.join(root, 'b'));
      unlinkSync(path.join(root, 'b'));
      expect(misplacedDescriptor(fd, root, path.join(root, 'a'))).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });

  test('a file that is outside the root is still refused (moved out, or deleted out there)', () => {
    writeFileSync(path.join(work, 'secret'), 'x');
    const outside = path.join(work, 'secret');
    const fd = openSync(outside, 'r');
    try {
      expect(misplacedDescriptor(fd, root, path.join(root, 'a'))).toBe(outside);
      unlinkSync(outside);
      expect(misplacedDescriptor(fd, root, path.join(root, 'a'))).toBe(`${outside} (deleted)`);
    } finally {
      closeSync(fd);
    }
    writeFileSync(path.join(root, 'c'), 'x');
    const fd2 = openSync(path.join(root, 'c'), 'r');
    try {
      renameSync(path.join(root, 'c'), path.join(work, 'c'));
      expect(misplacedDescriptor(fd2, root, path.join(root, 'c'))).toBe(path.join(work, 'c'));
    } finally {
      closeSync(fd2);
    }
  });
});

/** A child that renames `a` ↔ `b` inside the root as fast as it can until killed. */
const RENAMER = `
const { renameSync } = require('node:fs');
const [a, b] = process.argv.slice(1);
process.stdout.write('ready\\n');
for (;;) { try { renameSync(a, b); renameSync(b, a); } catch {} }
`;

test('readers beside another process renaming the file get its bytes or ENOENT, never EACCES', async () => {
  const backend = new FilesystemBackend(root);
  const content = Buffer.alloc(4096, 7);
  await backend.writeFile('a', content);
  const child = spawn(process.execPath, ['-e', RENAMER, path.join(root, 'a'), path.join(root, 'b')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`renamer exited (${code})`)));
    });
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const key = i % 2 === 0 ? 'a' : 'b';
      const results = await Promise.allSettled([backend.readFile(key), backend.readRange(key, 0, 4096)]);
      for (const r of results) {
        const outcome = r.status === 'fulfilled' ? (Buffer.from(r.value).equals(content) ? 'ok' : 'wrong bytes') : isStorageError(r.reason) ? r.reason.code : String(r.reason);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()].filter((o) => o !== 'ok' && o !== 'ENOENT'), JSON.stringify([...outcomes])).toEqual([]);
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
});
