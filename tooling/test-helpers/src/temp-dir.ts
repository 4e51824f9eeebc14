import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the OS temp dir; remove it with `cleanup()` or `await using`. */
export interface TempDir {
  /** Absolute path of the new, empty directory. */
  dir: string;
  /** Removes the directory and everything in it (never throws for a missing one). */
  cleanup(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Makes a fresh temp directory named `<prefix>XXXXXX` (tests must leave nothing in the OS temp dir). */
export async function tempDir(prefix = 'store-test-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  return { dir, cleanup, [Symbol.asyncDispose]: cleanup };
}
