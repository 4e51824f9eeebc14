import { StorageError, crc32c, isStorageError, type StorageBackend } from '@store/backend-core';
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

/**
 * How far meta.json can be believed: `verified` (its checksum holds), `unverified` (written
 * before meta.json had a checksum), `damaged` (checksum mismatch or not parseable: only
 * `repair` reads it, as a hint).
 */
export type MetaTrust = 'verified' | 'unverified' | 'damaged';

/**
 * Reads meta.json. A damaged one is `ECORRUPT` unless `tolerant` (repair), which gets what
 * could be read (or an empty meta) marked `damaged`. Undefined when there is none.
 */
export async function readMeta(backend: StorageBackend, tolerant = false): Promise<{ meta: Meta; trust: MetaTrust } | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await backend.readFile(META_FILE);
  } catch (error) {
    if (isStorageError(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return parseMeta(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    if (!tolerant || !isStorageError(error, 'ECORRUPT')) throw error;
    try {
      return { meta: validateMeta(withoutChecksum(JSON.parse(Buffer.from(bytes).toString('utf8')))), trust: 'damaged' };
    } catch {
      return { meta: emptyMeta(), trust: 'damaged' };
    }
  }
}

/** Parses and checks meta.json text; `ECORRUPT` (path meta.json) when it is damaged. */
export function parseMeta(text: string): { meta: Meta; trust: MetaTrust } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError('ECORRUPT', 'meta.json is not valid JSON', { path: META_FILE, cause: error });
  }
  const body = withoutChecksum(parsed);
  const stored = (parsed as { checksum?: unknown } | null)?.checksum;
  if (stored === undefined) return { meta: validateMeta(body), trust: 'unverified' };
  if (stored !== checksumOf(body)) throw new StorageError('ECORRUPT', 'meta.json fails its checksum; open with { repair: true } to rebuild it from the segments', { path: META_FILE, field: '$.checksum' });
  return { meta: validateMeta(body), trust: 'verified' };
}

/**
 * Written atomically; the last field, `checksum`, is the CRC32C of the compact JSON of
 * every field before it (in this order), so a flipped bit is never taken for a fact.
 */
export async function writeMeta(backend: StorageBackend, meta: Meta): Promise<void> {
  const body = withoutChecksum(meta) as Record<string, unknown>;
  await backend.writeFile(META_FILE, Buffer.from(`${JSON.stringify({ ...body, checksum: checksumOf(body) }, null, 2)}\n`));
}

function withoutChecksum(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('checksum' in value)) return value;
  const { checksum: _, ...rest } = value as Record<string, unknown>;
  return rest;
}

function checksumOf(body: unknown): number {
  return crc32c(Buffer.from(JSON.stringify(body)));
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
