import { MemoryBackend } from '@store/backend-core';

/** Built-in target for `store-conformance --backend memory`. */
export function createBackend(_location: string): MemoryBackend {
  return new MemoryBackend();
}
