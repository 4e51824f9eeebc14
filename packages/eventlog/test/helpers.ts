import { tempDir as sharedTempDir, type TempDir } from '@store/test-helpers';

export { collect, drain, rng } from '@store/test-helpers';

/** A fresh temp directory per test, removed afterwards (`cleanup()` or `await using`). */
export const tempDir = (): Promise<TempDir> => sharedTempDir('eventlog-test-');

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
