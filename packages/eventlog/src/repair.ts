import { closeSync, copyFileSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fromNodeError } from '@store/backend-core';
import { SEGMENT_HEADER_SIZE } from './format.js';
import { inspectRecord, recordId } from './record.js';
import { decodeSegmentHeader } from './segment-header.js';
import { crashPoint } from './crash-point.js';
import { Segment, findValidRecordIn, scanSegment } from './segment.js';

export interface RepairProblem {
  segment: string;
  offset: number;
  reason: string;
  /** `truncated`: nothing valid followed; `skipped`: valid records after it were kept; `rebuilt-header`: a damaged segment header was rewritten. */
  action: 'truncated' | 'skipped' | 'rebuilt-header';
  droppedBytes: number;
}

/**
 * Makes one segment consistent: every record valid and ids increasing. Valid records are
 * never dropped; damaged bytes are. If anything is dropped from the middle the original
 * is kept beside the segment as `<name>.corrupt-<time>` for forensics.
 */
export function repairSegment(dir: string, seg: Segment, interval: number): RepairProblem[] {
  const size = rewriteSegment(dir, seg, interval);
  seg.reset();
  const fd = openSync(path.join(dir, seg.fileName), 'r');
  try {
    scanSegment(fd, seg, size.bytes, interval);
  } finally {
    closeSync(fd);
  }
  return size.problems;
}

/**
 * The rewrite, crash-safe at every step: the repaired copy is written and fsynced beside the
 * segment, then its index (so that once the copy is renamed into place, the index already
 * describes it exactly and open trusts it instead of reporting the shorter file as data
 * lost), then the copy replaces the segment. A crash before the rename leaves the damaged
 * segment (still reported, repair runs again) and a temp file that open removes.
 */
function rewriteSegment(dir: string, seg: Segment, interval: number): { bytes: number; problems: RepairProblem[] } {
  const file = path.join(dir, seg.fileName);
  const bytes = readFileSync(file);
  seg.firstId = decodeSegmentHeader(bytes, seg.fileName);
  const kept: Uint8Array[] = [bytes.subarray(0, SEGMENT_HEADER_SIZE)];
  const problems: RepairProblem[] = [];
  let pos = SEGMENT_HEADER_SIZE;
  let lastId = -1;
  while (pos < bytes.length) {
    const total = inspectRecord(bytes, pos, bytes.length);
    const id = total > 0 ? recordId(bytes, pos) : -1;
    if (total > 0 && id > lastId && id >= seg.firstId) {
      kept.push(bytes.subarray(pos, pos + total));
      lastId = id;
      pos += total;
      continue;
    }
    const reason = total === 0 ? 'record runs past the end of the file' : total < 0 ? 'record header or checksum mismatch' : `record id ${id} out of order`;
    const next = findValidRecordIn(bytes, pos, Math.max(lastId, seg.firstId - 1));
    problems.push({ segment: seg.fileName, offset: pos, reason, action: next < 0 ? 'truncated' : 'skipped', droppedBytes: (next < 0 ? bytes.length : next) - pos });
    if (next < 0) break;
    pos = next;
  }
  const size = kept.reduce((n, p) => n + p.length, 0);
  if (problems.length > 0) {
    if (problems.some((p) => p.action === 'skipped')) copyFileSync(file, `${file}.corrupt-${Date.now()}`);
    const temp = `${file}${REPAIR_TEMP_SUFFIX}`;
    try {
      const fd = openSync(temp, 'w+');
      try {
        for (const part of kept) writeSync(fd, part);
        fdatasyncSync(fd);
        const probe = new Segment(seg.number, seg.firstId);
        scanSegment(fd, probe, size, interval);
        writeFileAtomically(dir, seg.indexName, probe.index.encode({ firstId: probe.firstId, coveredSize: probe.size, lastId: probe.lastId, count: probe.count, interval }));
      } finally {
        closeSync(fd);
      }
      crashPoint('repair:index-written');
      renameSync(temp, file);
      syncDir(dir);
      crashPoint('repair:renamed');
    } catch (error) {
      throw fromNodeError(error, seg.fileName, 'repair');
    }
  }
  return { bytes: size, problems };
}

/** Suffix of a repaired segment before it is renamed into place (a crash leftover if found on open). */
export const REPAIR_TEMP_SUFFIX = '.repair-tmp';

function writeFileAtomically(dir: string, name: string, bytes: Uint8Array): void {
  const temp = path.join(dir, `${name}${REPAIR_TEMP_SUFFIX}`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, bytes);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path.join(dir, name));
}

function syncDir(dir: string): void {
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}



