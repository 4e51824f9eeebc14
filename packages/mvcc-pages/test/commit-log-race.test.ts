import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { CommitLog, readFully, type CommitRecord } from '../src/commit-log.js';
import { fixture, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

const record = (seq: number, text: string): CommitRecord => ({ seq, tsn: seq, time: new Date(0).toISOString(), creates: [], deletes: [], writes: [{ ns: 'a', page: 1, crc: '00000000', text }] });

/** The exact bytes of records 1..n as a committer writes them, and where each line starts. */
function encodedLines(texts: string[]): { bytes: Buffer; starts: number[] } {
  const scratch = path.join(dir, 'scratch.log');
  const log = CommitLog.open(scratch, false);
  log.readNew();
  const starts = texts.map((t, i) => log.append(record(i + 1, t)).offset);
  const size = log.size;
  log.close();
  return { bytes: readFileSync(scratch).subarray(0, size), starts };
}

function writeAt(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('commit log reader beside a live writer', () => {
  // The interleaving CI met (ECORRUPT in the 4-process history test), made exact: the
  // reader's first read sees record 2 half written; before its next read of the same scan
  // the committer finishes record 2 and another commits record 3. A torn line followed by
  // a valid one — but only because the two reads saw two moments. It must not be ECORRUPT.
  it('a scan that sees a line half written, then the lines after it, re-reads instead of reporting damage', () => {
    const { bytes, starts } = encodedLines(['one', 'two '.repeat(500), 'three']);
    const half = starts[1]! + Math.floor((starts[2]! - starts[1]!) / 2);
    const file = path.join(dir, 'commits.log');
    writeFileSync(file, Buffer.concat([bytes.subarray(0, half), Buffer.alloc(1 << 20)]));
    let reads = 0;
    const reader = CommitLog.open(file, true, (fd, buf, position) => {
      const n = readFully(fd, buf, position);
      if (++reads === 1) writeAt(file, half, bytes.subarray(half)); // the writers go on
      return n;
    });
    try {
      expect(reader.readNew().map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(reader.readNew()).toEqual([]);
    } finally {
      reader.close();
    }
  });

  it('the same shape that stays put is damage: ECORRUPT at the damaged line', () => {
    const { bytes, starts } = encodedLines(['one', 'two '.repeat(500), 'three']);
    const half = starts[1]! + Math.floor((starts[2]! - starts[1]!) / 2);
    const file = path.join(dir, 'commits.log');
    const damaged = Buffer.from(bytes);
    damaged.fill(0, half, half + 10);
    writeFileSync(file, Buffer.concat([damaged, Buffer.alloc(1 << 20)]));
    const reader = CommitLog.open(file, true);
    try {
      let error: unknown;
      try {
        reader.readNew();
      } catch (e) {
        error = e;
      }
      expect(isStorageError(error) && error.code).toBe('ECORRUPT');
      expect((error as { offset?: number }).offset).toBe(starts[1]);
    } finally {
      reader.close();
    }
  });

  // Readers take no lock. A scan that meets a line half written and then, in a later read,
  // the lines committed after it must not call that damage (CI saw exactly this as ECORRUPT
  // in the 4-process history test).
  it('reads every record in order while another process appends large lines, and never reports ECORRUPT', async () => {
    const COUNT = 200;
    const file = path.join(dir, 'commits.log');
    CommitLog.open(file, false).close();
    const writer = spawn(process.execPath, [fixture('commit-log-writer.mjs'), file, String(COUNT)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    writer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
    let writerDone = false;
    void exited.then(() => (writerDone = true));
    const reader = CommitLog.open(file, true);
    const seqs: number[] = [];
    let scans = 0;
    try {
      while (seqs.length < COUNT) {
        for (const r of reader.readNew()) seqs.push(r.seq);
        scans++;
        if (writerDone && seqs.length < COUNT) {
          for (const r of reader.readNew()) seqs.push(r.seq);
          break;
        }
        // Yield so the exit event can arrive; the scans themselves are back to back.
        if (scans % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      reader.close();
      if (!writerDone) writer.kill('SIGKILL');
      await exited;
    }
    expect(stderr).toBe('');
    expect(seqs).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(scans).toBeGreaterThan(COUNT / 4); // the reader really ran beside the writer
  });
});
