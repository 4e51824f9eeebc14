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
  /** Opens another backend over the same location (a "reopen", or a second client). */
  reopen(): Promise<StorageBackend>;
  target: ConformanceTarget;
  capabilities: BackendCapabilities;
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

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  id: string;
  title: string;
  contract: string;
  status: CaseStatus;
  durationMs: number;
  /** Why it failed or was skipped. */
  reason?: string;
}

/** A failed expectation inside a case; its message becomes the case's reason. */
export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

/** Thrown by a case that finds at run time it has nothing to check (e.g. no `close()`). */
export class CaseSkipped extends Error {
  override name = 'CaseSkipped';
}
