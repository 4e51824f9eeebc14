import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FileLock, isStorageError, readLockOwner } from '../src/index.js';

const CHILD = fileURLToPath(new URL('./fixtures/lock-child.mjs', import.meta.url));
let dir: string;
let lockPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lock-test-'));
  lockPath = path.join(dir, 'LOCK');
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(...args: string[]): { child: ChildProcess; lines: string[]; waitFor: (line: string) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: [args[0] === 'race' ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<[string, () => void]> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const [want, resolve] of waiters) if (want === line) resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor: (line) => (lines.includes(line) ? Promise.resolve() : new Promise((resolve) => waiters.push([line, resolve]))),
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'acquired';
  } catch (error) {
    return isStorageError(error) ? error.code : String(error);
  }
}

describe('FileLock', () => {
  test('a second process gets ELOCKED naming the holder, and the lock is free after release', async () => {
    const holder = start('hold', lockPath, '400');
    await holder.waitFor('LOCKED');
    const error = await FileLock.acquire(lockPath).catch((e: unknown) => e);
    expect(isStorageError(error, 'ELOCKED')).toBe(true);
    expect((error as Error).message).toContain(`pid ${holder.child.pid}`);
    await holder.waitFor('RELEASED');
    const lock = await FileLock.acquire(lockPath);
    expect((await readLockOwner(lockPath))?.pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  test('waitMs waits for a live holder to release', async () => {
    const holder = start('hold', lockPath, '300');
    await holder.waitFor('LOCKED');
    const lock = await FileLock.acquire(lockPath, { waitMs: 10_000 });
    expect(holder.lines).toContain('RELEASED');
    await lock.release();
  });

  test('a holder killed with SIGKILL does not block: the lock is taken over at once', async () => {
    const holder = start('hold', lockPath);
    await holder.waitFor('LOCKED');
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(lockPath)).toBe(true);
    // No waitMs: the dead holder's lock must be broken on the first attempt, not after a stale timeout.
    await using lock = await FileLock.acquire(lockPath);
    expect(lock.owner.pid).toBe(process.pid);
  });

  test('of many processes racing for a stale lock, exactly one wins', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lockPath, JSON.stringify({ pid: dead, hostname: hostname(), startTime: null, acquiredAt: '', token: 'stale' }));
    // Every racer is started and waiting before any tries, and the winner holds the lock until
    // all have answered: a slow start (a loaded machine) cannot turn into a second, later winner.
    const racers = Array.from({ length: 6 }, () => start('race', lockPath));
    await Promise.all(racers.map((r) => r.waitFor('READY')));
    for (const r of racers) r.child.stdin!.write('go\n');
    const outcomes = await Promise.all(
      racers.map(
        (r) =>
          new Promise<string>((resolve) => {
            const poll = (): void => {
              const answer = r.lines.find((l) => l !== 'READY');
              if (answer !== undefined) resolve(answer);
              else setTimeout(poll, 5);
            };
            poll();
          }),
      ),
    );
    for (const r of racers) r.child.stdin!.end();
    await Promise.all(racers.map((r) => r.exited));
    expect(outcomes.sort()).toEqual(['ELOCKED', 'ELOCKED', 'ELOCKED', 'ELOCKED', 'ELOCKED', 'LOCKED']);
  });

  test('mutual exclusion: 4 processes × 25 locked increments lose no update', async () => {
    const counter = path.join(dir, 'counter');
    writeFileSync(counter, '0');
    const workers = Array.from({ length: 4 }, () => start('count', lockPath, counter));
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('100');
  });

  test('a second acquire inside the same process is refused too', async () => {
    const lock = await FileLock.acquire(lockPath);
    expect(await codeOf(FileLock.acquire(lockPath))).toBe('ELOCKED');
    await lock.release();
    await lock.release(); // idempotent
    expect(await codeOf(FileLock.acquire(lockPath).then((l) => l.release()))).toBe('acquired');
  });

  test('a lock recorded by a dead pid is taken over; one from another host is not', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lockPath, JSON.stringify({ pid: dead, hostname: hostname(), startTime: null, acquiredAt: '', token: 'old' }));
    const lock = await FileLock.acquire(lockPath);
    expect((await readLockOwner(lockPath))?.token).toBe(lock.owner.token);
    await lock.release();
    writeFileSync(lockPath, JSON.stringify({ pid: dead, hostname: `${hostname()}-elsewhere`, startTime: null, acquiredAt: '', token: 'remote' }));
    expect(await codeOf(FileLock.acquire(lockPath))).toBe('ELOCKED');
  });

  test('a lock file that is not ours to read is never broken: ELOCKED says so', async () => {
    writeFileSync(lockPath, 'not a lock written by FileLock');
    const error: unknown = await FileLock.acquire(lockPath).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(error, 'ELOCKED')).toBe(true);
    expect((error as Error).message).toMatch(/unreadable lock file/);
    expect(readFileSync(lockPath, 'utf8')).toBe('not a lock written by FileLock');
  });

  test('a FIFO at the lock path is refused with ELOCKED at once, never opened for a blocking read', async () => {
    expect(spawnSync('mkfifo', [lockPath]).status).toBe(0);
    let settled = false;
    const attempt = FileLock.acquire(lockPath).then(
      () => 'acquired',
      (e: unknown) => (isStorageError(e) ? e.code : String(e)),
    );
    void attempt.finally(() => (settled = true));
    for (let i = 0; i < 300 && !settled; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!settled) spawnSync('sh', ['-c', `exec 3>"${lockPath}" </dev/null; true`]); // release a blocked reader before failing
    expect(settled).toBe(true);
    expect(await attempt).toBe('ELOCKED');
    expect(await readLockOwner(lockPath)).toBeUndefined();
  });

  test('a reused pid (same pid, other start time) counts as dead', async () => {
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, hostname: hostname(), startTime: '1', acquiredAt: '', token: 'reused' }));
    const lock = await FileLock.acquire(lockPath);
    expect(lock.owner.token).not.toBe('reused');
    await lock.release();
  });

  // Only root can run a child as another user; CI and the dev machines run as root.
  test.runIf(process.getuid?.() === 0)('a dead pid reused by another user’s process (EPERM) is recognised by its start time', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o777);
    // pid 1 exists but belongs to root; the recorded start time is not pid 1's.
    writeFileSync(lockPath, JSON.stringify({ pid: 1, hostname: hostname(), startTime: '999999999', acquiredAt: '', token: 'other-user' }));
    chmodSync(lockPath, 0o666);
    const r = spawnSync(process.execPath, [CHILD, 'try', lockPath, '10'], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('LOCKED');
  });

  test('an aborted wait rejects with the abort reason', async () => {
    const lock = await FileLock.acquire(lockPath);
    const controller = new AbortController();
    const waiting = FileLock.acquire(lockPath, { waitMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
    await lock.release();
  });
});
