import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capabilitiesOf, type StorageBackend } from '@store/backend-core';
import { CaseInconclusive, CaseSkipped, SetupFailure, type CaseResult, type ConformanceCase, type ConformanceTarget } from './case.js';
import { ALL_CASES } from './cases/index.js';

export interface RunOptions {
  /** Cases to run (default: all). */
  cases?: readonly ConformanceCase[];
  /** Only ids equal to or starting with one of these (e.g. `SB-PATH`, `SB-CRASH-01`). An entry matching no case is a TypeError. */
  only?: string[];
  /** Where each case's fresh directory is made (default: the OS temp directory). */
  baseDir?: string;
  /** Per-case time limit (default 120 s). */
  timeoutMs?: number;
  /** Keep case directories instead of removing them (for debugging a failure). */
  keep?: boolean;
  /** Called after each case, e.g. to print progress. */
  onResult?: (result: CaseResult) => void;
  signal?: AbortSignal;
}

/** How long a case may take to stop its own tasks after its time limit, before it is reported anyway. */
const STOP_GRACE_MS = 15_000;

/** Entries of `only` that match no case id (exactly or as a prefix); empty entries count as unknown. */
export function unknownIds(only: readonly string[], cases: readonly ConformanceCase[] = ALL_CASES): string[] {
  return only.filter((entry) => entry === '' || !cases.some((c) => c.id === entry || c.id.startsWith(entry)));
}

export function selectCases(options: Pick<RunOptions, 'cases' | 'only'> = {}): ConformanceCase[] {
  const cases = [...(options.cases ?? ALL_CASES)];
  if (options.only === undefined) return cases;
  const unknown = unknownIds(options.only, cases);
  if (unknown.length > 0 || options.only.length === 0) {
    throw new TypeError(`only: ${unknown.length > 0 ? `no case matches ${unknown.map((u) => JSON.stringify(u)).join(', ')}` : 'the list is empty'}`);
  }
  return cases.filter((c) => options.only!.some((prefix) => c.id === prefix || c.id.startsWith(prefix)));
}

/** Runs the cases one after another against fresh locations and returns every result. */
export async function runConformance(target: ConformanceTarget, options: RunOptions = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of selectCases(options)) {
    options.signal?.throwIfAborted();
    const result = await runCase(c, target, options);
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}

/**
 * Runs one case in `<baseDir>/store-conformance-XXXXXX/<id>/data` and removes the whole
 * `store-conformance-XXXXXX` directory afterwards: the case's scratch files (`workDir`)
 * and whatever a backend writes a level or two beside its location stay inside it. The
 * case is awaited to its end — including after its time limit, when its signal is
 * aborted — before anything is removed.
 */
export async function runCase(c: ConformanceCase, target: ConformanceTarget, options: RunOptions = {}): Promise<CaseResult> {
  const started = performance.now();
  const base = path.resolve(options.baseDir ?? tmpdir());
  await mkdir(base, { recursive: true });
  const wrapper = await mkdtemp(path.join(base, 'store-conformance-'));
  const workDir = path.join(wrapper, c.id);
  const location = path.join(workDir, 'data');
  await mkdir(location, { recursive: true });
  const opened: StorageBackend[] = [];
  const open = async (): Promise<StorageBackend> => {
    const backend = await target.create(location);
    opened.push(backend);
    return backend;
  };
  const finish = (status: CaseResult['status'], reason?: string, phase?: 'setup'): CaseResult => ({
    id: c.id,
    title: c.title,
    contract: c.contract,
    status,
    durationMs: Math.round(performance.now() - started),
    ...(reason === undefined ? {} : { reason }),
    ...(phase === undefined ? {} : { phase }),
  });
  const controller = new AbortController();
  const cancel = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', cancel, { once: true });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = performance.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  try {
    // Opening the backend counts against the time limit too: a factory can hang.
    const work = (async (): Promise<CaseResult> => {
      const backend = await open();
      const capabilities = capabilitiesOf(backend);
      const missing = (c.requires ?? []).filter((cap) => !capabilities[cap]);
      if (missing.length > 0) return finish('skipped', `backend does not declare ${missing.map((m) => `'${m}'`).join(', ')}`);
      if (c.needsModule && target.module === undefined) {
        return finish('skipped', 'needs a module exporting createBackend(location) to open the backend in a child process');
      }
      const timeLeftMs = (): number => Math.max(0, deadline - performance.now());
      await c.run({ backend, location, workDir, timeLeftMs, reopen: open, target, capabilities, signal: controller.signal });
      return finish('passed');
    })();
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const first = await Promise.race([work.catch((error: unknown) => ({ error })), timedOut]);
    if (first !== 'timeout') {
      if ('error' in first) throw first.error;
      return first;
    }
    // Over time: stop the case's tasks and wait for them, so nothing runs on into the next case.
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    const stopped = await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => (stopTimer = setTimeout(() => resolve(false), STOP_GRACE_MS))),
    ]);
    return finish('failed', `timed out after ${timeoutMs} ms${stopped ? '' : `; the case's calls were still running ${STOP_GRACE_MS / 1000} s later`}`);
  } catch (error) {
    if (error instanceof CaseSkipped) return finish('skipped', error.message);
    if (error instanceof CaseInconclusive) return finish('inconclusive', error.message);
    if (error instanceof SetupFailure) return finish('failed', error.message, 'setup');
    return finish('failed', error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    clearTimeout(stopTimer);
    options.signal?.removeEventListener('abort', cancel);
    controller.abort();
    for (const backend of opened) await backend.close?.().catch(() => undefined);
    if (!options.keep) await rm(wrapper, { recursive: true, force: true }).catch(() => undefined);
  }
}
