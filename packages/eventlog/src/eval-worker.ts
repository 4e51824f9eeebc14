import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread that runs `main` from its source text, with `helpers` defined
 * beside it. Source text rather than a worker file: the same code then runs from `dist/`,
 * from the TypeScript sources under a test runner, and from a bundle — none of which can
 * agree on a file path. In exchange, `main` and `helpers` may use only their arguments and
 * globals: nothing they import exists in the thread. Node modules come from
 * `process.getBuiltinModule` (`require` is missing when the process runs ES module input).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function's source will do
export function startEvalWorker(main: () => void, helpers: readonly Function[], options: WorkerOptions): Worker {
  // esbuild's keepNames (tsx, vitest, bundlers) wraps named functions in a `__name` helper
  // defined outside them, so the thread gets a stand-in for it.
  const source = ['var __name = (f) => f;', ...helpers.map((f) => f.toString()), `(${main.toString()})();`].join('\n');
  return new Worker(source, { ...options, eval: true });
}
