import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StorageError, isStorageError } from '@store/backend-core';
import { META_FILE, SEGMENT_HEADER_SIZE, parseSegmentFileName, segmentFileName } from './format.js';
import type { Meta, MetaTrust, SegmentRecord } from './meta.js';
import { recordId } from './record.js';
import type { RepairProblem } from './repair.js';
import { encodeSegmentHeader } from './segment-header.js';
import { Segment, findValidRecordAfter, findValidRecordIn, openSegmentFile, scanSegment } from './segment.js';
import { SparseIndex } from './sparse-index.js';

/** What opening the log found and fixed. */
export interface RecoveryReport {
  /** Torn tails cut off the last segment: where, and how many bytes went. */
  truncated: { segment: string; offset: number; droppedBytes: number }[];
  /** Index files that were missing, stale or corrupt and were rebuilt from the log. */
  rebuiltIndexes: string[];
  /** Damage found in sealed segments (left in place; reads stop there with ECORRUPT). */
  damaged: { segment: string; offset: number; reason: string }[];
  /**
   * Segment files below `firstSegment` left behind by an interrupted deleteRange (removed
   * only on the word of a meta.json whose checksum holds), and temp files of interrupted
   * writes (meta.json, indexes, lock attempts, repairs, new segments), removed by a writer's open.
   */
  leftovers: string[];
  /** What `open(dir, { repair: true })` fixed. */
  repaired: RepairProblem[];
}

export interface LoadOptions {
  interval: number;
  /** The writer truncates a torn tail; a reader only stops before it. */
  writer: boolean;
  /** Leave mid-segment damage in the last segment for repair() instead of failing; rebuild damaged segment headers. */
  tolerateDamage: boolean;
  /** How far meta.json was verified: segment files are dropped on its word only when 'verified'. */
  metaTrust: MetaTrust;
}

/**
 * Rebuilds the in-memory picture of the segments from the files (the truth) and meta.json
 * (deleted and archived segments). Sealed segments with an index that matches their size
 * are trusted without a scan; anything else is scanned record by record.
 */
export function loadSegments(dir: string, meta: Meta, fileNames: string[], options: LoadOptions): { segments: Segment[]; report: RecoveryReport } {
  const report: RecoveryReport = { truncated: [], rebuiltIndexes: [], damaged: [], leftovers: [], repaired: [] };
  const local = new Set<number>();
  const below: number[] = [];
  for (const name of fileNames) {
    const n = parseSegmentFileName(name);
    if (n === undefined) continue;
    if (n < meta.firstSegment) below.push(n);
    else local.add(n);
  }
  if (below.length > 0 && meta.firstSegment > 0 && options.metaTrust !== 'verified') {
    // Segment files that an unverified meta.json calls deleted: a flipped bit in firstSegment
    // must never cost data. Repair keeps them; a writer refuses to guess.
    if (options.tolerateDamage) {
      meta.firstSegment = Math.min(...below);
      for (const n of below) local.add(n);
      below.length = 0;
    } else if (options.writer) {
      throw new StorageError('ECORRUPT', `meta.json (${options.metaTrust === 'damaged' ? 'damaged' : 'without a checksum'}) calls segments below ${meta.firstSegment} deleted, but ${below.length} of them are on disk; open with { repair: true } to keep them`, { path: META_FILE, field: '$.firstSegment' });
    }
  }
  for (const n of below) report.leftovers.push(segmentFileName(n));
  const recorded = new Map<number, SegmentRecord>(meta.segments.filter((s) => s.number >= meta.firstSegment).map((s) => [s.number, s]));
  const numbers = [...new Set([...local, ...recorded.keys()])].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i]!;
    if (i > 0 && n !== numbers[i - 1]! + 1) {
      throw new StorageError('ECORRUPT', `segment ${n - 1} is missing (neither on disk nor archived)`, { path: dir });
    }
    const last = i === numbers.length - 1;
    const prev = segments[segments.length - 1];
    const seg = local.has(n) ? loadLocal(dir, n, last, recorded.get(n), meta, options, report, prev) : loadArchived(dir, recorded.get(n)!);
    if (prev !== undefined && seg.count > 0 && prev.lastId >= seg.firstId) {
      throw new StorageError('ECORRUPT', `segment starts at id ${seg.firstId}, not after ${prev.lastId}`, { path: seg.fileName, offset: 8 });
    }
    segments.push(seg);
  }
  return { segments, report };
}

function loadLocal(dir: string, n: number, last: boolean, record: SegmentRecord | undefined, meta: Meta, options: LoadOptions, report: RecoveryReport, prev: Segment | undefined): Segment {
  const probe = new Segment(n, 0);
  let opened: ReturnType<typeof openSegmentFile>;
  try {
    opened = openSegmentFile(dir, probe.fileName, last && options.writer ? 'r+' : 'r');
  } catch (error) {
    if (!options.tolerateDamage || !options.writer || !isStorageError(error, 'ECORRUPT')) throw error;
    report.repaired.push(rebuildHeader(dir, probe.fileName, error, record, prev, meta));
    opened = openSegmentFile(dir, probe.fileName, last ? 'r+' : 'r');
  }
  const { fd, size, firstId } = opened;
  const seg = new Segment(n, firstId);
  seg.archive = record?.archive;
  seg.sealed = !last;
  try {
    // A clean close leaves an index covering the last segment exactly; after a crash the
    // last segment is always scanned, since its tail is where damage happens.
    const trustIndex = !last || meta.clean;
    const indexed = readIndex(dir, seg);
    if (trustIndex && indexed !== undefined && indexed.summary.firstId === seg.firstId && indexed.summary.coveredSize === size) {
      const { index, summary } = indexed;
      applyIndex(seg, index, summary.coveredSize, summary.lastId, summary.count, summary.interval);
      return seg;
    }
    report.rebuiltIndexes.push(seg.indexName);
    // An index that describes more bytes than the file holds means the file lost data.
    const lost = indexed !== undefined && indexed.summary.coveredSize > size ? indexed.summary.coveredSize : (record?.size ?? 0) > size ? record!.size : 0;
    const result = scanSegment(fd, seg, size, options.interval);
    if (lost > 0) {
      const reason = `file is ${size} bytes but its index or meta.json recorded ${lost}`;
      if (last) report.truncated.push({ segment: seg.fileName, offset: size, droppedBytes: lost - size });
      else {
        seg.damage = { offset: result.end, reason };
        report.damaged.push({ segment: seg.fileName, offset: result.end, reason });
      }
    }
    if (result.stop === undefined) return seg;
    if (!last || !options.writer) {
      // A sealed segment is never cut: the damage is reported, and reads stop there.
      if (!last && seg.damage === undefined) {
        seg.damage = { offset: result.end, reason: result.reason };
        report.damaged.push({ segment: seg.fileName, offset: result.end, reason: result.reason });
      }
      return seg;
    }
    const later = findValidRecordAfter(fd, result.end, size, seg.lastId);
    if (later >= 0) {
      if (options.tolerateDamage) {
        seg.damage = { offset: result.end, reason: result.reason };
        report.damaged.push({ segment: seg.fileName, offset: result.end, reason: result.reason });
        return seg;
      }
      throw new StorageError(
        'ECORRUPT',
        `${result.reason}, with valid records after it (at ${later}): not a torn tail; run repair()`,
        { path: seg.fileName, offset: result.end },
      );
    }
    ftruncateSync(fd, result.end);
    fsyncSync(fd);
    report.truncated.push({ segment: seg.fileName, offset: result.end, droppedBytes: size - result.end });
    return seg;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new header over a damaged one (repair only). Its first id is a lower bound for
 * the segment's records: meta.json's record of the sealed segment, else the id after the
 * previous segment's last, else the first valid record's id — never above that record.
 */
function rebuildHeader(dir: string, name: string, damage: StorageError, record: SegmentRecord | undefined, prev: Segment | undefined, meta: Meta): RepairProblem {
  const file = path.join(dir, name);
  const bytes = readFileSync(file);
  const at = bytes.length > SEGMENT_HEADER_SIZE ? findValidRecordIn(bytes, SEGMENT_HEADER_SIZE - 1, -1) : -1;
  const firstRecord = at >= 0 ? recordId(bytes, at) : undefined;
  const fits = (id: number | undefined): id is number => id !== undefined && id >= 0 && (firstRecord === undefined || id <= firstRecord);
  let firstId: number;
  let source: string;
  if (fits(record?.firstId)) {
    firstId = record.firstId;
    source = 'meta.json';
  } else if (prev !== undefined && fits(prev.count > 0 ? prev.lastId + 1 : prev.firstId)) {
    firstId = prev.count > 0 ? prev.lastId + 1 : prev.firstId;
    source = 'the previous segment';
  } else if (firstRecord !== undefined) {
    firstId = firstRecord;
    source = 'its first valid record';
  } else {
    firstId = Math.max(meta.nextId, prev === undefined ? 0 : prev.lastId + 1);
    source = 'the id counter';
  }
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, encodeSegmentHeader(firstId), 0, SEGMENT_HEADER_SIZE, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { segment: name, offset: 0, reason: `segment header damaged (${damage.message}); rebuilt with first id ${firstId} from ${source}`, action: 'rebuilt-header', droppedBytes: 0 };
}

/** The persisted index of a segment, if it exists and is intact. */
function readIndex(dir: string, seg: Segment): ReturnType<typeof SparseIndex.decode> | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.join(dir, seg.indexName));
  } catch {
    return undefined;
  }
  try {
    return SparseIndex.decode(bytes, seg.indexName);
  } catch (error) {
    if (isStorageError(error, 'ECORRUPT')) return undefined;
    throw error;
  }
}

export function applyIndex(seg: Segment, index: SparseIndex, size: number, lastId: number, count: number, interval: number): void {
  seg.index = index;
  seg.size = size;
  seg.lastId = count === 0 ? -1 : lastId;
  seg.count = count;
  seg.nextIndexOffset = index.length === 0 ? SEGMENT_HEADER_SIZE : index.offsets[index.length - 1]! + interval;
}

/** An archived segment: known from meta.json; its index is read from the local copy if kept. */
function loadArchived(dir: string, record: SegmentRecord): Segment {
  const seg = new Segment(record.number, record.firstId);
  seg.local = false;
  seg.sealed = true;
  seg.archive = record.archive;
  seg.size = record.size;
  seg.count = record.count;
  seg.lastId = record.count === 0 ? -1 : record.lastId;
  if (record.archive === undefined) {
    throw new StorageError('ECORRUPT', 'segment listed in meta.json is neither on disk nor archived', { path: seg.fileName });
  }
  try {
    const { index } = SparseIndex.decode(readFileSync(path.join(dir, seg.indexName)), seg.indexName);
    seg.index = index;
  } catch {
    // Loaded from the archive on first use.
    seg.index = new SparseIndex();
  }
  return seg;
}

export function fileSizeOf(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
