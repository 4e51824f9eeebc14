import type { ConformanceTarget } from './case.js';
import { runCase, selectCases, type RunOptions } from './runner.js';

/** The context object test runners pass to a test: vitest's and node:test's both have `skip`. */
interface RunnerContext {
  skip?: (note?: string) => void;
}

/** `test` from vitest, node:test, or any runner with the same `(name, fn)` shape. */
export type TestFunction = (name: string, fn: (context: RunnerContext) => Promise<void>) => unknown;

export interface ConformanceOptions extends Omit<RunOptions, 'onResult'> {
  test: TestFunction;
  target: ConformanceTarget;
}

/**
 * Registers every case as one test of the caller's own runner, like abstract-level's
 * shared suite: `conformance({ test, target })` inside a vitest or node:test file.
 * A case whose capability the backend does not declare is reported as skipped.
 */
export function conformance(options: ConformanceOptions): void {
  const { test, target, ...runOptions } = options;
  for (const c of selectCases(runOptions)) {
    test(`${c.id} ${c.title}`, async (context) => {
      const result = await runCase(c, target, runOptions);
      if (result.status === 'skipped') {
        context?.skip?.(result.reason);
        return;
      }
      if (result.status === 'failed') {
        throw new Error(`${c.id} failed: ${result.reason}\n  contract: ${c.contract}`);
      }
    });
  }
}
