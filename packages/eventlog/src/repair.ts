import { closeSync, copyFileSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fromNodeError } from '@store/backend-core';
import { SEGMENT_HEADER_SIZE } from './format.js';
import { inspectRecord, recordId } from './record.js';
import { decodeSegmentHeader } from './segment-header.js';
import { findValidRecordIn, scanSegment, type Segment } from './segment.js';

export interface RepairProblem {
  segment: string;
  offset: number;
  reason: string;
  /** `truncated`: nothing valid followed; `skipped`: valid records after it were kept. */
  action: 'truncated' | 'skipped';
  droppedBytes: number;
}

/**
 * Makes one segment consistent: every record valid and ids increasing. Valid records are
 * never dropped; damaged bytes are. If anything is dropped from the middle the original
 * is kept beside the segment as `<name>.corrupt-<time>` for forensics.
 */
export function repairSegment(dir: string, seg: Segment, interval: number): RepairProblem[] {
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
  if (problems.length > 0) {
    if (problems.some((p) => p.action === 'skipped')) copyFileSync(file, `${file}.corrupt-${Date.now()}`);
    const temp = `${file}.repair-tmp`;
    try {
      const fd = openSync(temp, 'w');
      try {
        for (const part of kept) writeSync(fd, part);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, file);
      const dfd = openSync(dir, 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } catch (error) {
      throw fromNodeError(error, seg.fileName, 'repair');
    }
  }
  seg.reset();
  const fd = openSync(file, 'r');
  try {
    const size = kept.reduce((n, p) => n + p.length, 0);
    scanSegment(fd, seg, size, interval);
  } finally {
    closeSync(fd);
  }
  return problems;
}



