import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { StorageError, fromNodeError } from '@store/backend-core';
import { FILE_HEADER_SIZE, decodeFileHeader, type FileHeader } from './format.js';
import { decodeIndex } from './index-file.js';
import { OffsetIndex } from './offset-index.js';
import { readFully, scanRecords } from './record-scan.js';

/** What opening the file found and did. */
export interface RecoveryReport {
  /** How the offset index was obtained. */
  index: 'loaded' | 'loaded+tail' | 'rebuilt';
  /** Why the index file was not used as it was (missing, stale, corrupt), if it was not. */
  indexProblem?: string;
  /** Bytes of the data file scanned at open. */
  scannedBytes: number;
  /** A torn tail found at open: cut off by a writer, ignored by a reader. */
  tornTail?: { offset: number; bytes: number; reason: string };
  /** Damage in the middle of the file skipped because the file was opened with `repair`. */
  skipped: { offset: number; bytes: number; reason: string }[];
}

export interface LoadedFile {
  fd: number;
  header: FileHeader;
  /** End of the last valid record: where the next record goes. */
  size: number;
  dimension: number;
  offsets: OffsetIndex;
  report: RecoveryReport;
}

/**
 * Opens a data file and rebuilds its id → offset map: from the index file when it was
 * written for this very file (same token) and covers no more than the file holds, then a
 * scan of the bytes after what it covers; otherwise from a scan of the whole file. The
 * data file is the truth; the index only saves the scan.
 */
export function loadFile(path: string, indexPath: string, options: { writer: boolean; repair: boolean; dimension?: number }): LoadedFile {
  let fd: number;
  try {
    fd = openSync(path, options.writer ? 'r+' : 'r');
  } catch (error) {
    throw fromNodeError(error, path, 'open');
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new StorageError('EISDIR', 'is a directory, not a vector file', { path });
    const fileSize = st.size;
    const headerBytes = new Uint8Array(FILE_HEADER_SIZE);
    readFully(fd, headerBytes, 0, FILE_HEADER_SIZE, 0, path);
    const header = decodeFileHeader(fileSize < FILE_HEADER_SIZE ? headerBytes.subarray(0, fileSize) : headerBytes, path);
    const report: RecoveryReport = { index: 'rebuilt', scannedBytes: 0, skipped: [] };
    let offsets = new OffsetIndex();
    let from = FILE_HEADER_SIZE;
    let dimension = header.dimension;
    const index = tryIndex(indexPath, header, fileSize);
    if (typeof index === 'string') {
      report.indexProblem = index;
    } else {
      offsets = index.offsets;
      from = index.coveredSize;
      if (dimension === 0) dimension = index.dimension;
      report.index = from === fileSize ? 'loaded' : 'loaded+tail';
    }
    const tail = scanTail(fd, from, fileSize, path, options.repair, dimension, {
      put(id, offset) {
        offsets.set(id, offset);
      },
      delete(id) {
        offsets.delete(id);
      },
    });
    const { end, tornAt, tornReason } = tail;
    dimension = tail.dimension;
    report.skipped.push(...tail.skipped);
    report.scannedBytes = end - from;
    if (tornAt >= 0) {
      report.tornTail = { offset: tornAt, bytes: fileSize - tornAt, reason: tornReason };
      if (options.writer) {
        // Nothing after the tear is valid: cut it so new records follow the last good one.
        ftruncateSync(fd, tornAt);
        fsyncSync(fd);
      }
    }
    if (options.dimension !== undefined && dimension !== 0 && options.dimension !== dimension) {
      throw new StorageError('EINVAL', `the file holds vectors of dimension ${dimension}, not ${options.dimension}`, { path, field: 'dimension' });
    }
    return { fd, header, size: tornAt >= 0 ? tornAt : end, dimension: dimension === 0 ? (options.dimension ?? 0) : dimension, offsets, report };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** What a tail scan found: where the valid records end, a torn tail, skipped damage. */
export interface TailScan {
  /** End of the last valid record. */
  end: number;
  /** Offset of a torn tail (nothing valid after it), or -1. */
  tornAt: number;
  tornReason: string;
  dimension: number;
  skipped: { offset: number; bytes: number; reason: string }[];
}

/**
 * Applies the records of `[from, to)` in file order: `put(id, offset, …)` for a live
 * record, `delete(id)` for a tombstone. Used by open for the bytes after what the index
 * covers and by a reader's `refresh` for what a writer appended since. A torn tail stops
 * the scan (`tornAt`); damage followed by valid records is `ECORRUPT` unless `repair`.
 */
export function scanTail(
  fd: number,
  from: number,
  to: number,
  path: string,
  /** true: skip damage followed by valid records; 'stop': treat any damage as the end (a reader racing a writer). */
  repair: boolean | 'stop',
  dimension: number,
  apply: { put(id: string, offset: number, b: Buffer, valuesOffset: number): void; delete(id: string): void },
): TailScan {
  let tornAt = -1;
  let tornReason = '';
  const skipped: TailScan['skipped'] = [];
  const end = scanRecords(fd, from, to, path, {
    record(b, _v, _p, f, offset) {
      if (f.deleted) {
        apply.delete(f.id);
        return;
      }
      if (dimension === 0) dimension = f.dimension;
      else if (f.dimension !== dimension) {
        throw new StorageError('ECORRUPT', `record of '${f.id}' has dimension ${f.dimension}, the file ${dimension}`, { path, offset });
      }
      apply.put(f.id, offset, b, f.valuesOffset);
    },
    problem(offset, reason, resumeAt) {
      if (resumeAt === undefined || repair === 'stop') {
        tornAt = offset;
        tornReason = reason;
        return false;
      }
      if (!repair) {
        throw new StorageError('ECORRUPT', `${reason} (valid records follow at ${resumeAt}; open with repair to skip the damage)`, { path, offset });
      }
      skipped.push({ offset, bytes: resumeAt - offset, reason });
      return true;
    },
  });
  return { end, tornAt, tornReason, dimension, skipped };
}

/** The index if it can be used for this file, else why not. */
function tryIndex(indexPath: string, header: FileHeader, fileSize: number): ReturnType<typeof decodeIndex> | string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(indexPath);
  } catch {
    return 'index file is missing';
  }
  try {
    const index = decodeIndex(bytes, indexPath);
    if (!Buffer.from(index.token).equals(Buffer.from(header.token))) return 'index was written for another version of the file';
    if (index.coveredSize > fileSize || index.coveredSize < FILE_HEADER_SIZE) return 'index covers more than the file holds';
    if (header.dimension !== 0 && index.dimension !== 0 && index.dimension !== header.dimension) return 'index dimension differs from the file';
    return index;
  } catch (error) {
    return error instanceof StorageError ? error.message : String(error);
  }
}
