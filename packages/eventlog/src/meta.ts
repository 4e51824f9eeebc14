import { StorageError, isStorageError, type StorageBackend } from '@store/backend-core';
import { META_FILE, META_VERSION } from './format.js';
import type { ArchiveLocation } from './segment.js';

/** A sealed segment as recorded in meta.json. */
export interface SegmentRecord {
  number: number;
  firstId: number;
  lastId: number;
  count: number;
  size: number;
  archive?: ArchiveLocation;
}

/**
 * meta.json: what the segments alone cannot say. The segments are the truth for their
 * records; meta.json adds the id counter (`syncCounter`), which segments were deleted
 * (`firstSegment`), where archived segments went, and whether the last close was clean.
 */
export interface Meta {
  format: 'eventlog';
  version: number;
  nextId: number;
  firstSegment: number;
  clean: boolean;
  segments: SegmentRecord[];
}

export function emptyMeta(): Meta {
  return { format: 'eventlog', version: META_VERSION, nextId: 0, firstSegment: 0, clean: true, segments: [] };
}

export async function readMeta(backend: StorageBackend): Promise<Meta | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await backend.readFile(META_FILE);
  } catch (error) {
    if (isStorageError(error, 'ENOENT')) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new StorageError('ECORRUPT', 'meta.json is not valid JSON', { path: META_FILE, cause: error });
  }
  return validateMeta(parsed);
}

export async function writeMeta(backend: StorageBackend, meta: Meta): Promise<void> {
  await backend.writeFile(META_FILE, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
}

function validateMeta(value: unknown): Meta {
  const fail = (field: string, why: string): never => {
    throw new StorageError('ECORRUPT', `meta.json ${why}`, { path: META_FILE, field });
  };
  if (typeof value !== 'object' || value === null) return fail('$', 'is not an object');
  const m = value as Record<string, unknown>;
  if (m.format !== 'eventlog') fail('$.format', 'is not an event log meta file');
  if (m.version !== META_VERSION) fail('$.version', `has unsupported version ${String(m.version)}`);
  const int = (v: unknown, field: string): number => (Number.isSafeInteger(v) && (v as number) >= -1 ? (v as number) : fail(field, 'has a bad number'));
  int(m.nextId, '$.nextId');
  int(m.firstSegment, '$.firstSegment');
  if (typeof m.clean !== 'boolean') fail('$.clean', 'has a bad flag');
  if (!Array.isArray(m.segments)) fail('$.segments', 'has no segment list');
  (m.segments as unknown[]).forEach((s, i) => {
    const f = `$.segments[${i}]`;
    if (typeof s !== 'object' || s === null) fail(f, 'has a bad segment');
    const r = s as Record<string, unknown>;
    for (const k of ['number', 'firstId', 'lastId', 'count', 'size']) int(r[k], `${f}.${k}`);
    if (r.archive !== undefined) {
      const a = r.archive as Record<string, unknown>;
      if (typeof a.key !== 'string' || typeof a.indexKey !== 'string') fail(`${f}.archive`, 'has a bad location');
      int(a.size, `${f}.archive.size`);
      int(a.crc, `${f}.archive.crc`);
    }
  });
  return value as Meta;
}
