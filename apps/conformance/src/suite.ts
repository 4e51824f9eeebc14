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
  /** The backend under test. */
  target?: ConformanceTarget;
  /** Shorthand for `target: { create: factory, module }`. */
  factory?: ConformanceTarget['create'];
  /** With `factory`: a module exporting the same `createBackend(location)`, for SB-CRASH-01. */
  module?: string;
}

/**
 * Registers every case as one test of the caller's own runner, like abstract-level's
 * shared suite: `conformance({ test, target })` inside a vitest or node:test file.
 * A case whose capability the backend does not declare is reported as skipped.
 */
export function conformance(options: ConformanceOptions): void {
  const { test, target: given, factory, module, ...runOptions } = options;
  const target = given ?? (factory === undefined ? undefined : { create: factory, ...(module === undefined ? {} : { module }) });
  if (target === undefined) throw new TypeError('conformance() needs a target or a factory');
  for (const c of selectCases(runOptions)) {
    test(`${c.id} ${c.title}`, async (context) => {
      const result = await runCase(c, target, runOptions);
      if (result.status === 'skipped' || result.status === 'inconclusive') {
        context?.skip?.(result.status === 'inconclusive' ? `inconclusive: ${result.reason}` : result.reason);
        return;
      }
      if (result.status === 'failed') {
        throw new Error(`${c.id} failed: ${result.reason}\n  contract: ${c.contract}`);
      }
    });
  }
}
