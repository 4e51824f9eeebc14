import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StorageError } from '@store/backend-core';
import { expectFollowerSettles } from '@store/test-helpers/follower';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, type LogEvent } from '../src/index.js';
import { collect, dec, drain, enc, tempDir } from './helpers.js';

/** Issue 10: faults found by an independent round of tests, one test (at least) per item. */

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => path.join(here, 'fixtures', name);
const cliPath = path.join(here, '..', 'dist', 'cli.js');
const execFileP = promisify(execFile);

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const segFile = (n: number): string => path.join(dir, `events-${String(n).padStart(8, '0')}.log`);

/** A closed log of `count` events `event <id>` in segments of at most `maxFileSize` bytes. */
async function build(count: number, maxFileSize = 4096, size = 40): Promise<void> {
  const log = await EventLog.open(dir, { maxFileSize });
  for (let i = 0; i < count; i++) log.append(enc(`event ${i} `.padEnd(size, '.')));
  await log.close();
}


/** Offset in segment `n` of the record with `id` (records are walked from the header). */
function recordOffset(n: number, id: number): number {
  const bytes = readFileSync(segFile(n));
  for (let p = 20; p + 16 <= bytes.length; p += 16 + bytes.readUInt32BE(p + 8)) if (bytes.readUInt32BE(p + 4) === id && bytes.readUInt32BE(p) === 0) return p;
  throw new Error(`no record ${id} in segment ${n}`);
}

function flip(file: string, offset: number, mask = 0x20): void {
  const bytes = readFileSync(file);
  bytes[offset]! ^= mask;
  writeFileSync(file, bytes);
}

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('1: every verified event before damage reaches the caller (batch readers too)', () => {
  it('iterBatches and eventlog cat hand out the 63 good events, then fail', async () => {
    await build(100, 1 << 20);
    flip(segFile(0), recordOffset(0, 63) + 18);
    const log = await EventLog.open(dir, { readOnly: true });
    const range = await drain(log.iterRange(0));
    expect(range.items.map((e) => e.id)).toEqual(Array.from({ length: 63 }, (_, i) => i));
    expect(range.error).toMatchObject({ code: 'ECORRUPT' });
    for (const maxBatch of [4096, 10]) {
      const batches = await drain(log.iterBatches(0, Number.POSITIVE_INFINITY, { maxBatch }));
      expect(batches.items.flat().map((e) => e.id)).toEqual(Array.from({ length: 63 }, (_, i) => i));
      expect(batches.error).toMatchObject({ code: 'ECORRUPT', path: 'events-00000000.log' });
    }
    await log.close();
    const r = cli('cat', dir, '--from', '5');
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').map((l) => Number(l.split('\t')[0]))).toEqual(Array.from({ length: 58 }, (_, i) => i + 5));
    expect(r.err).toContain('ECORRUPT');
  });
});

describe('3: strings that are not exact UTF-8 are refused', () => {
  it('archivePrefix and the directory name', async () => {
    await expect(EventLog.open(dir, { archivePrefix: 'cold\ud800/' })).rejects.toMatchObject({ code: 'EINVAL', field: 'archivePrefix' });
    await expect(EventLog.open(path.join(dir, 'log\udc00'))).rejects.toMatchObject({ code: 'EINVAL', field: 'directory' });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('8: background work of an iterator settles quietly on abort/return', () => {
  it('return() or abort while a follower waits: the pending next() settles, nothing rejects unseen', { timeout: 20_000 }, async () => {
    await build(5);
    const log = await EventLog.open(dir, { readOnly: true });
    for (const batches of [false, true]) {
      const open = (signal?: AbortSignal): AsyncIterator<LogEvent | LogEvent[]> => {
        const options = { follow: true, pollMs: 600_000, ...(signal ? { signal } : {}) };
        return (batches ? log.iterBatches(0, Number.POSITIVE_INFINITY, options) : log.iterRange(0, Number.POSITIVE_INFINITY, options))[Symbol.asyncIterator]() as AsyncIterator<LogEvent | LogEvent[]>;
      };
      // Everything there is: one batch, or the five events.
      await expectFollowerSettles(open, batches ? 1 : 5);
    }
    await log.close();
  });
});

describe('11: a normal process exit loses nothing acknowledged', () => {
  for (const how of ['exit', 'natural', 'beforeExit', 'exit-threaded']) {
    it(`durability 'none', five awaited appends, then ${how}`, async () => {
      const { stdout } = await execFileP(process.execPath, [fixture('exit-writer.mjs'), dir, 'none', how]);
      expect(stdout).toContain('ACK 5');
      const log = await EventLog.open(dir, { readOnly: true });
      const skip = how === 'exit-threaded' ? 100_000 : 0;
      const events = (await collect(log.iterRange(skip))).map((e) => dec(e.data));
      expect(await log.newestEventId()).toBe(skip + (how === 'beforeExit' ? 5 : 4));
      await log.close();
      expect(events).toEqual(Array.from({ length: how === 'beforeExit' ? 6 : 5 }, (_, i) => `event ${i}`));
    });
  }
});

describe('12: readers hold a bounded number of file descriptors', () => {
  it('a read-only scan of 200 small segments under ulimit -n 128, every way of reading', { timeout: 120_000 }, async () => {
    await build(200, 4096, 4000);
    const script = `ulimit -n 128 && exec "${process.execPath}" "${fixture('scan-all.mjs')}" "${dir}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { range: number; batches: number; gets: number; problems: number; segments: number; grown: number; after: number };
    expect(result).toMatchObject({ range: 200, batches: 200, gets: 200, problems: 0, segments: 200 });
    expect(result.grown).toBeLessThanOrEqual(32 + 8); // the default limit, plus the runtime's own
    expect(result.after).toBeLessThanOrEqual(8);
    // The limit is an option.
    const small = spawnSync(process.execPath, [fixture('scan-all.mjs'), dir, '4'], { encoding: 'utf8' });
    expect(JSON.parse(small.stdout)).toMatchObject({ range: 200, gets: 200 });
    expect((JSON.parse(small.stdout) as { grown: number }).grown).toBeLessThanOrEqual(4 + 8);
  });
});

describe('13: meta.json is checked before it is believed', () => {
  it('a flipped firstSegment is refused (ECORRUPT), deletes nothing, and repair keeps every segment', async () => {
    await build(800);
    const before = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    expect(before.length).toBeGreaterThan(9);
    const metaPath = path.join(dir, 'meta.json');
    const meta = readFileSync(metaPath, 'utf8');
    expect(meta).toContain('"firstSegment": 0');
    writeFileSync(metaPath, meta.replace('"firstSegment": 0', '"firstSegment": 8'));
    await expect(EventLog.open(dir)).rejects.toMatchObject({ code: 'ECORRUPT', path: 'meta.json' });
    await expect(EventLog.open(dir, { readOnly: true })).rejects.toMatchObject({ code: 'ECORRUPT', path: 'meta.json' });
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).sort()).toEqual(before);
    const log = await EventLog.open(dir, { repair: true });
    expect((await collect(log.iterRange(0))).map((e) => e.id)).toEqual(Array.from({ length: 800 }, (_, i) => i));
    await log.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).sort()).toEqual(before);
  });

  it('a meta.json without a checksum (older logs) is never a reason to delete segments', async () => {
    await build(800);
    const metaPath = path.join(dir, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    delete meta.checksum;
    writeFileSync(metaPath, `${JSON.stringify({ ...meta, firstSegment: 3 }, null, 2)}\n`);
    await expect(EventLog.open(dir)).rejects.toMatchObject({ code: 'ECORRUPT', path: 'meta.json' });
    expect(existsSync(segFile(0))).toBe(true);
    // Without leftovers an unchecked meta.json is accepted (and rewritten with a checksum).
    writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
    const log = await EventLog.open(dir);
    expect(await log.oldestEventId()).toBe(0);
    await log.close();
    expect(JSON.parse(readFileSync(metaPath, 'utf8'))).toHaveProperty('checksum');
  });
});

describe('14: a kill inside repair() leaves no false damage report', () => {
  for (const point of ['repair:index-written', 'repair:renamed']) {
    it(`SIGKILL at ${point}: a plain open reaches the true state`, async () => {
      await build(800);
      flip(segFile(3), recordOffset(3, (await firstIdOf(3)) + 2) + 18);
      const r = spawnSync(process.execPath, [fixture('repair-child.mjs'), dir], { encoding: 'utf8', env: { ...process.env, EVENTLOG_CRASH_POINT: point } });
      expect(r.signal).toBe('SIGKILL');
      expect(r.stdout).not.toContain('REPAIRED');
      const log = await EventLog.open(dir);
      const { recovery } = await log.stats();
      const { items, error } = await drain(log.iterRange(0));
      const report = await log.verify();
      if (point === 'repair:renamed') {
        // The rewritten segment is in place: no damage anywhere, one event fewer.
        expect(recovery.damaged).toEqual([]);
        expect(error).toBeUndefined();
        expect(items).toHaveLength(799);
        expect(report.problems).toEqual([]);
      } else {
        // Killed before the rename: the damage is still there and every report says so.
        expect(error === undefined ? report.problems.length : 1).toBeGreaterThan(0);
      }
      await log.repair();
      expect(await collect(log.iterRange(0))).toHaveLength(799);
      expect((await log.verify()).problems).toEqual([]);
      await log.close();
    });
  }
});

async function firstIdOf(n: number): Promise<number> {
  return readFileSync(segFile(n)).readUInt32BE(20 + 4);
}

describe('15: open removes what a crash left behind', () => {
  it('temp files of meta/index writes, lock attempts and repairs', async () => {
    await build(50);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const owner = { pid: dead, hostname: hostname(), startTime: 1, acquiredAt: new Date().toISOString(), token: 'deadbeef' };
    const leftovers = ['.~tmp.0123456789ab.1', '.~tmp.0123456789ab.2f', 'writer.lock.deadbeef.tmp', 'events-00000001.log.repair-tmp', 'events-00000099.log.tmp'];
    for (const name of leftovers) writeFileSync(path.join(dir, name), name.startsWith('writer.lock') ? JSON.stringify(owner) : 'partial');
    const reader = await EventLog.open(dir, { readOnly: true });
    await reader.close();
    for (const name of leftovers) expect(existsSync(path.join(dir, name)), `read-only open keeps ${name}`).toBe(true);
    const log = await EventLog.open(dir);
    for (const name of leftovers) expect(existsSync(path.join(dir, name)), name).toBe(false);
    expect((await log.stats()).recovery.leftovers).toEqual(expect.arrayContaining(leftovers));
    expect(await collect(log.iterRange(0))).toHaveLength(50);
    await log.close();
  });
});

describe('16: a damaged segment header is rebuilt by repair', () => {
  for (const [where, segment] of [['sealed', 2], ['active', -1]] as const) {
    it(`${where} segment`, async () => {
      await build(800);
      const last = readdirSync(dir).filter((n) => n.endsWith('.log')).length - 1;
      const n = segment < 0 ? last : segment;
      flip(segFile(n), 9, 0x01);
      await expect(EventLog.open(dir)).rejects.toMatchObject({ code: 'ECORRUPT', path: `events-${String(n).padStart(8, '0')}.log` });
      const log = await EventLog.open(dir, { repair: true });
      const { recovery } = await log.stats();
      expect(recovery.repaired).toEqual(expect.arrayContaining([expect.objectContaining({ segment: `events-${String(n).padStart(8, '0')}.log`, action: 'rebuilt-header', offset: 0 })]));
      expect((await collect(log.iterRange(0))).map((e) => e.id)).toEqual(Array.from({ length: 800 }, (_, i) => i));
      await log.append(enc('more'));
      await log.close();
      const again = await EventLog.open(dir);
      expect(await again.newestEventId()).toBe(800);
      expect((await again.verify()).problems).toEqual([]);
      await again.close();
    });
  }

  it('eventlog repair says what it rebuilt', async () => {
    await build(800);
    flip(segFile(1), 2, 0x01);
    const r = cli('repair', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('rebuilt-header events-00000001.log');
    expect(cli('verify', dir).code).toBe(0);
  });
});

void StorageError;
