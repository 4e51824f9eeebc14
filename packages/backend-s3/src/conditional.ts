import type { StorageBackend } from '@store/backend-core';
import type { WriteCondition } from './s3-backend.js';

/**
 * The optional conditional-write capability, for code that works with any backend (the
 * reference server's `If-Match`): a backend that declares `supports.conditionalWrite`
 * has these two methods.
 */
export interface ConditionalWriteBackend extends StorageBackend {
  readonly supports: StorageBackend['supports'] & { conditionalWrite: true };
  /** Writes only if the condition holds; `EEXIST` (create-only) or `ECONFLICT` (ETag changed) otherwise. */
  writeFileIf(path: string, data: Uint8Array, condition: WriteCondition): Promise<{ etag: string }>;
  /** The bytes and the ETag they were read at. */
  readFileWithEtag(path: string): Promise<{ data: Uint8Array; etag: string }>;
}

/** True when `backend` declares `conditionalWrite` and has both methods. */
export function supportsConditionalWrite(backend: StorageBackend): backend is ConditionalWriteBackend {
  const b = backend as Partial<ConditionalWriteBackend> & { supports?: { conditionalWrite?: boolean } };
  return b.supports?.conditionalWrite === true && typeof b.writeFileIf === 'function' && typeof b.readFileWithEtag === 'function';
}
