import { existsSync } from 'node:fs';
import path from 'node:path';
import { runNode, tempDir as sharedTempDir, type NodeRun, type TempDir } from '@store/test-helpers';
import { it } from 'vitest';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is packages/tfevents/test/helpers.ts). */
export const REPO_ROOT = path.resolve(here, '../../..');
/**
 * Real event files with TensorBoard's own decoding beside them (never copied into the repo):
 * `../shared/fixtures/tfevents` beside the repository, or `STORE_FIXTURES_DIR`.
 */
export const FIXTURES = path.resolve(process.env.STORE_FIXTURES_DIR ?? path.resolve(REPO_ROOT, '../shared/fixtures/tfevents'));
export const HAVE_FIXTURES = existsSync(FIXTURES);
export const MISSING_FIXTURES = `needs the fixture directory ${FIXTURES}, which is missing`;

/**
 * `it` for a test that reads the fixtures. On a fresh clone without them it is skipped, its
 * name saying what is missing; with `STORE_REQUIRE_FIXTURES=1` (CI, which has them) a missing
 * fixture directory fails the test instead of skipping it.
 */
export function itWithFixtures(name: string, fn: () => Promise<void> | void): void {
  if (HAVE_FIXTURES) it(name, fn);
  else if (process.env.STORE_REQUIRE_FIXTURES === '1') {
    it(name, () => {
      throw new Error(`${MISSING_FIXTURES} (STORE_REQUIRE_FIXTURES=1: fixtures are required here)`);
    });
  } else it.skip(`${name} [skipped: ${MISSING_FIXTURES}]`, fn);
}
export const PACKAGE_ROOT = path.resolve(here, '..');

export { collect, drain } from '@store/test-helpers';

/** A fresh temp directory, removed by `await using` (or `cleanup()`). */
export const tempDir = (prefix = 'tfevents-test-'): Promise<TempDir> => sharedTempDir(prefix);

/** The built `tfevents` command (tests run after `pnpm build`). */
export const CLI = path.join(PACKAGE_ROOT, 'dist/cli.js');

/** Runs `tfevents ...args` in pipes (no terminal) to its end. */
export const cli = (...args: string[]): Promise<NodeRun> => runNode(CLI, args);
