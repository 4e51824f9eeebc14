import { FilesystemBackend } from '@store/backend-core';

/** Built-in target for `store-conformance --backend fs`, and an example of the module contract. */
export function createBackend(location: string): FilesystemBackend {
  return new FilesystemBackend(location);
}
