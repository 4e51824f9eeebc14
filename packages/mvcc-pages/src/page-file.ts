import { StorageError } from '@store/backend-core';
import type { FormatAdapter, Value, ValueObject } from '@store/format-adapters';
import { pageName } from './page-id.js';

/**
 * A version file holds one page as a document in the store's format:
 *
 *   { namespace: "animals_db.cats", page: "page001", tsn: 17, objects: [ …the objects… ] }
 *
 * pretty-printed and deterministic (format-adapters), so a page can be read, grepped and
 * diffed against its previous version with ordinary tools.
 */
export interface PageDocument {
  namespace: string;
  page: string;
  tsn: number;
  objects: Value[];
}

export function serializePage(adapter: FormatAdapter, ns: string, page: number, tsn: number, objects: readonly Value[]): string {
  const doc: ValueObject = { namespace: ns, page: pageName(page), tsn, objects: objects as Value[] };
  return adapter.serialize(doc);
}

/** The objects of a version file's text; ECORRUPT (naming the file) if it is not a page document. */
export function parsePage(adapter: FormatAdapter, text: string, file: string): Value[] {
  let value: Value;
  try {
    value = adapter.deserialize(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StorageError('ECORRUPT', `page file does not parse: ${message}`, { path: file, cause: error });
  }
  const objects = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ValueObject).objects : undefined;
  if (!Array.isArray(objects)) throw new StorageError('ECORRUPT', 'page file has no objects list', { path: file, field: '$.objects' });
  return objects;
}

/** Freezes a parsed page deeply, so the cached copy cannot be changed through a reference. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
