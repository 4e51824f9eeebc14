import type { BackendCapabilities, StorageBackend } from '@store/backend-core';

/**
 * What the suite is run against. `create` opens a backend over `location`, a fresh
 * empty directory the suite makes for each case (backends that keep nothing on the
 * local disk may ignore it). `module`, when given, is a module exporting the same
 * `createBackend(location)`; cases that need a second process (a writer killed with
 * SIGKILL) import it there.
 */
export interface ConformanceTarget {
  name?: string;
  create(location: string): StorageBackend | Promise<StorageBackend>;
  module?: string;
}

export interface CaseContext {
  /** A backend over this case's fresh location. */
  backend: StorageBackend;
  /** This case's directory. */
  location: string;
  /**
   * A scratch directory beside `location` (not inside it), owned by the case and removed
   * with it: files the case itself needs outside the backend's reach (a crash log, a
   * directory a symlink points to) go here, never loose in the OS temp directory.
   */
  workDir: string;
  /** Milliseconds this case may still run before its time limit; adaptive cases size their windows by it. */
  timeLeftMs(): number;
  /** Opens another backend over the same location (a "reopen", or a second client). */
  reopen(): Promise<StorageBackend>;
  target: ConformanceTarget;
  capabilities: Required<BackendCapabilities>;
  /** Aborted at the time limit or when the run is cancelled; loops in a case check it. */
  signal: AbortSignal;
}

export interface ConformanceCase {
  /** Stable id, e.g. `SB-PATH-03`; never reused for a different check. */
  id: string;
  title: string;
  /** The sentence of the StorageBackend contract this case checks. */
  contract: string;
  /** Capabilities the backend must declare for the case to run. */
  requires?: Array<keyof BackendCapabilities>;
  /** True when the case needs `target.module` (it spawns a child process). */
  needsModule?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

/**
 * `inconclusive`: the case ran but could not observe what it checks (e.g. readers never
 * overlapped a write), so it proves neither pass nor fail. Not a failure; reported apart.
 */
export type CaseStatus = 'passed' | 'failed' | 'skipped' | 'inconclusive';

export interface CaseResult {
  id: string;
  title: string;
  contract: string;
  status: CaseStatus;
  durationMs: number;
  /** Why it failed, was skipped or was inconclusive. */
  reason?: string;
  /** Set when the case failed while preparing (a setup call failed), not at its own check. */
  phase?: 'setup';
}

/** A failed expectation inside a case; its message becomes the case's reason. */
export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

/** Thrown by a case that finds at run time it has nothing to check (e.g. no `close()`). */
export class CaseSkipped extends Error {
  override name = 'CaseSkipped';
}

/** Thrown by a case that ran but could not observe what it checks; becomes status `inconclusive`. */
export class CaseInconclusive extends Error {
  override name = 'CaseInconclusive';
}

/**
 * A call the case needed in order to set up its check failed (e.g. `createDirectory`
 * before checking that reading a directory is `EISDIR`). Reported as
 * `setup failed: <call>: <error>`, so the failure is not mistaken for the case's own check.
 */
export class SetupFailure extends Error {
  override name = 'SetupFailure';
  constructor(call: string, error: unknown) {
    super(`setup failed: ${call}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Runs a setup call; its failure becomes a SetupFailure naming the call. */
export async function given<T>(call: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new SetupFailure(call, error);
  }
}
