import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is packages/tfevents/test/helpers.ts). */
export const REPO_ROOT = path.resolve(here, '../../..');
/** Real event files with TensorBoard's own decoding beside them (never copied into the repo). */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/tfevents');
export const PACKAGE_ROOT = path.resolve(here, '..');

export async function tempDir(prefix = 'tfevents-test-'): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
