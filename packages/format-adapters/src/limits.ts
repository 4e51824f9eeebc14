import { StorageError } from '@store/backend-core';

/** Guards against hostile or runaway input; the same limits apply when writing and reading. */
export interface Limits {
  /** Deepest allowed nesting of arrays/objects (the root container is depth 1). Default 256, at most 500. */
  maxDepth?: number;
  /** Longest text `deserialize` accepts and `serialize` produces, in UTF-16 code units. Default 16 Mi. */
  maxInputLength?: number;
}

export const DEFAULT_MAX_DEPTH = 256;
export const DEFAULT_MAX_INPUT_LENGTH = 16 * 1024 * 1024;
/**
 * The walkers and the YAML composer recurse once per level; the `yaml` composer overflowed
 * the stack at about 1,000 levels in our tests, and a stack overflow inside V8's regexp
 * compiler aborts the process instead of throwing. 500 keeps a wide margin.
 */
export const MAX_DEPTH_CEILING = 500;

export interface ResolvedLimits {
  maxDepth: number;
  maxInputLength: number;
}

export function resolveLimits(limits: Limits = {}): ResolvedLimits {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxInputLength = limits.maxInputLength ?? DEFAULT_MAX_INPUT_LENGTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_CEILING) {
    throw new StorageError('EINVAL', `maxDepth must be an integer from 1 to ${MAX_DEPTH_CEILING}, got ${maxDepth}`);
  }
  if (!Number.isInteger(maxInputLength) || maxInputLength < 0) {
    throw new StorageError('EINVAL', `maxInputLength must be a non-negative integer, got ${maxInputLength}`);
  }
  return { maxDepth, maxInputLength };
}

/**
 * Limits are symmetric: `serialize` refuses (EINVAL naming the limit) text its own
 * `deserialize` would refuse, so a writer never produces a file its reader rejects.
 */
export function checkOutput(text: string, limits: ResolvedLimits, format: string): string {
  if (text.length > limits.maxInputLength) {
    throw new StorageError('EINVAL', `${format} output of ${text.length} characters exceeds maxInputLength ${limits.maxInputLength} (deserialize would refuse it)`);
  }
  return text;
}

export function checkInput(text: unknown, limits: ResolvedLimits, format: string): asserts text is string {
  if (typeof text !== 'string') throw new StorageError('EINVAL', `${format} deserialize expects a string, got ${typeof text}`);
  if (text.length > limits.maxInputLength) {
    throw new StorageError('EINVAL', `${format} input of ${text.length} characters exceeds maxInputLength ${limits.maxInputLength}`);
  }
}
