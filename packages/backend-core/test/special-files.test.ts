import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemBackend, isStorageError } from '../src/index.js';

let root: string;
let server: Server | undefined;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'fs-special-'));
});
afterEach(async () => {
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  rmSync(root, { recursive: true, force: true });
});

/**
 * Settles `call` or, if it is still pending after many turns of the event loop, opens the
 * FIFO's write end (which releases a reader blocked in open) and reports 'blocked'. A
 * correct backend answers without opening the FIFO for blocking reads, so it never gets here.
 */
async function outcome(call: Promise<unknown>, fifo: string | undefined): Promise<string> {
  let settled: string | undefined;
  call.then(
    () => (settled = 'ok'),
    (error: unknown) => (settled = isStorageError(error) ? error.code : `not a StorageError: ${String(error)}`),
  );
  for (let i = 0; i < 500 && settled === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (settled !== undefined) return settled;
  if (fifo !== undefined) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody was blocked in open after all
    }
  }
  await call.catch(() => undefined);
  return 'blocked';
}

describe('FilesystemBackend refuses what is neither a regular file nor a directory, without blocking', () => {
  test('a FIFO: readFile, readRange and stat fail with EINVAL at once; listings leave it out', async () => {
    const made = spawnSync('mkfifo', [path.join(root, 'pipe')]);
    expect(made.status, 'mkfifo must exist on the test machine').toBe(0);
    const fifo = path.join(root, 'pipe');
    const backend = new FilesystemBackend(root);
    expect(await outcome(backend.readFile('pipe'), fifo)).toBe('EINVAL');
    expect(await outcome(backend.readRange('pipe', 0, 10), fifo)).toBe('EINVAL');
    expect(await outcome(backend.stat('pipe'), fifo)).toBe('EINVAL');
    // Many at once must not tie up the thread pool either.
    const many = await Promise.all(Array.from({ length: 12 }, () => outcome(backend.readFile('pipe'), fifo)));
    expect(new Set(many)).toEqual(new Set(['EINVAL']));
    expect(await backend.listFiles('')).toEqual([]);
    await backend.writeFile('after', new Uint8Array([1]));
    expect(Buffer.from(await backend.readFile('after'))).toEqual(Buffer.from([1]));
  });

  test('a UNIX socket: readFile and readRange fail with EINVAL', async () => {
    const socketPath = path.join(root, 'sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    const backend = new FilesystemBackend(root);
    expect(await outcome(backend.readFile('sock'), undefined)).toBe('EINVAL');
    expect(await outcome(backend.readRange('sock', 0, 1), undefined)).toBe('EINVAL');
    expect(await outcome(backend.stat('sock'), undefined)).toBe('EINVAL');
  });

  test('a character device (made with mknod as root): readFile fails with EINVAL', async () => {
    if (process.getuid?.() !== 0) {
      console.warn('skipped: mknod needs root; this run is not root');
      return;
    }
    const made = spawnSync('mknod', [path.join(root, 'null'), 'c', '1', '3']);
    expect(made.status, `mknod failed: ${made.stderr?.toString()}`).toBe(0);
    const backend = new FilesystemBackend(root);
    expect(await outcome(backend.readFile('null'), undefined)).toBe('EINVAL');
    expect(await outcome(backend.readRange('null', 0, 1), undefined)).toBe('EINVAL');
  });

  test('writing over a FIFO replaces it with a regular file (rename never opens it)', async () => {
    expect(spawnSync('mkfifo', [path.join(root, 'pipe')]).status).toBe(0);
    const backend = new FilesystemBackend(root);
    expect(await outcome(backend.writeFile('pipe', new Uint8Array([9])), path.join(root, 'pipe'))).toBe('ok');
    expect(Buffer.from(await backend.readFile('pipe'))).toEqual(Buffer.from([9]));
  });
});
