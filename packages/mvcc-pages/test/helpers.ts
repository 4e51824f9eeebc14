import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { tempDir as sharedTempDir, type TempDir } from '@store/test-helpers';
import { PageStore, type OpenOptions } from '../src/index.js';

export { rng } from '@store/test-helpers';

/** A fresh temp directory per test, removed afterwards (`cleanup()` or `await using`). */
export const tempDir = (): Promise<TempDir> => sharedTempDir('mvcc-pages-test-');

/** Opens a store in a temp dir; `done()` closes it and removes the dir. */
export async function withStore(options: OpenOptions = {}): Promise<{ store: PageStore; dir: string; done: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const store = await PageStore.open(dir, options);
  return {
    store,
    dir,
    done: async () => {
      await store.close();
      await cleanup();
    },
  };
}

/** Seeds `ns` with one object per page: returns the page ids in order. */
export async function seed(store: PageStore, ns: string, objects: object[]): Promise<string[]> {
  const txn = await store.begin();
  const ids: string[] = [];
  for (const o of objects) ids.push(await store.insertObject(txn, ns, o as never));
  await store.commit(txn);
  return ids;
}

/** Runs `node script ...args` to completion; rejects with its stderr on a non-zero exit. */
export function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(script)} exited with ${code ?? signal}: ${err}`));
    });
  });
}

/**
 * Runs several `node script ...args` at once and waits for every one to exit before
 * settling, so a failure in one never leaves the others writing into a directory the
 * test is about to remove. Rejects with the first failure.
 */
export async function runNodes(runs: { script: string; args: string[] }[]): Promise<string[]> {
  const settled = await Promise.allSettled(runs.map((r) => runNode(r.script, r.args)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<string>).value);
}

export const fixture = (name: string): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name);

/** Starts `node script ...args`, resolves with the child and its first stdout line once it prints one. */
export function startUntilLine(script: string, args: string[]): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    child.once('exit', () => started.delete(child));
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: out.slice(0, nl) });
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code}) before printing: ${err}`)));
  });
}

/** SIGKILLs a child and waits until it is gone. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const started = new Set<ChildProcess>();

/** SIGKILLs every child `startUntilLine` started that is still running (for afterEach, so a failed test leaves none behind). */
export async function killStarted(): Promise<void> {
  await Promise.all([...started].map((c) => kill(c)));
}
