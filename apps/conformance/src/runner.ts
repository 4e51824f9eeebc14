import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capabilitiesOf, type StorageBackend } from '@store/backend-core';
import { CaseSkipped, type CaseResult, type ConformanceCase, type ConformanceTarget } from './case.js';
import { ALL_CASES } from './cases/index.js';

export interface RunOptions {
  /** Cases to run (default: all). */
  cases?: readonly ConformanceCase[];
  /** Only ids equal to or starting with one of these (e.g. `SB-PATH`, `SB-CRASH-01`). */
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

export function selectCases(options: Pick<RunOptions, 'cases' | 'only'> = {}): ConformanceCase[] {
  const cases = [...(options.cases ?? ALL_CASES)];
  const only = options.only?.filter((s) => s.length > 0);
  if (only === undefined || only.length === 0) return cases;
  return cases.filter((c) => only.some((prefix) => c.id === prefix || c.id.startsWith(prefix)));
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

export async function runCase(c: ConformanceCase, target: ConformanceTarget, options: RunOptions = {}): Promise<CaseResult> {
  const started = performance.now();
  const base = path.resolve(options.baseDir ?? tmpdir());
  await mkdir(base, { recursive: true });
  const location = await mkdtemp(path.join(base, `${c.id}-`));
  const opened: StorageBackend[] = [];
  const open = async (): Promise<StorageBackend> => {
    const backend = await target.create(location);
    opened.push(backend);
    return backend;
  };
  const finish = (status: CaseResult['status'], reason?: string): CaseResult => ({
    id: c.id,
    title: c.title,
    contract: c.contract,
    status,
    durationMs: Math.round(performance.now() - started),
    ...(reason === undefined ? {} : { reason }),
  });
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
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
      await c.run({ backend, location, reopen: open, target, capabilities, signal: controller.signal });
      return finish('passed');
    })();
    work.catch(() => undefined); // after a timeout its late rejection is expected, not unhandled
    return await Promise.race([work, timeout]);
  } catch (error) {
    if (error instanceof CaseSkipped) return finish('skipped', error.message);
    return finish('failed', error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    controller.abort();
    for (const backend of opened) await backend.close?.().catch(() => undefined);
    if (!options.keep) await rm(location, { recursive: true, force: true }).catch(() => undefined);
  }
}
