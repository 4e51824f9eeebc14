/**
 * 100-byte events, our log beside the raw limit measured in the same run:
 * - append limit: the same record bytes (16-byte header + data) copied into a 64 KiB buffer
 *   and written with fs.writeSync when it fills — no index, no CRC;
 * - read limit: the same file read in 1 MiB chunks, walking record lengths (no CRC);
 * - random-read limit: one pread of one record at its known offset in the same segment files
 *   (the records are fixed-size here, so no index is needed);
 * - fsync limit: write 100 bytes + fdatasync, in a loop (the machine's fsync rate).
 * Run: `npx tsx bench/index.ts` (BENCH_QUICK=1 for a smoke run).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quick, runBenchmarks, type BenchCase } from '@store/bench-harness';
import { rng } from '@store/test-helpers';
import { DEFAULT_MAX_FILE_SIZE, EventLog, SEGMENT_HEADER_SIZE } from '../src/index.js';

const EVENT = 100;
const RECORD = 16 + EVENT;
const APPENDS_PER_RUN = quick ? 100_000 : 1_000_000;
const BATCH = 1000;
const BIG_LOG = quick ? 1_000_000 : 10_000_000;
const SCAN = quick ? 200_000 : 2_000_000;
const GETS_PER_RUN = quick ? 20_000 : 200_000;
// Appends rotate at 64 MiB and old data is deleted after every run, for the log (deleteRange)
// and the raw writer (unlink) alike: deleted dirty pages are never written back, so both
// measure the CPU cost of appending rather than this VM's disk bandwidth.
const ROTATE_AT = 64 * 1024 * 1024;

const root = mkdtempSync(path.join(os.tmpdir(), 'eventlog-bench-'));
const events: Buffer[] = Array.from({ length: BATCH }, (_, i) => Buffer.alloc(EVENT, i & 0xff));

/** Buffered writeSync of the same record bytes, starting a new file at the same size as the log. */
class RawAppender {
  readonly #buf = Buffer.allocUnsafe(64 * 1024);
  #len = 0;
  #fd: number;
  #pos = 0;
  #file: string;
  #files = 0;
  #trimmed = 0;
  readonly #rotateAt: number;
  constructor(file: string, rotateAt = ROTATE_AT) {
    this.#file = file;
    this.#rotateAt = rotateAt;
    this.#fd = openSync(`${file}.0`, 'w');
  }
  /** Deletes every file but the one being written (like deleteRange of sealed segments). */
  trim(): void {
    for (; this.#trimmed < this.#files; this.#trimmed++) rmSync(`${this.#file}.${this.#trimmed}`, { force: true });
  }
  append(id: number, data: Buffer): void {
    if (this.#len + RECORD > this.#buf.length) this.flush();
    const b = this.#buf;
    const o = this.#len;
    b.writeUInt32BE(Math.floor(id / 0x1_0000_0000), o);
    b.writeUInt32BE(id >>> 0, o + 4);
    b.writeUInt32BE(data.length, o + 8);
    data.copy(b, o + 16);
    this.#len = o + 16 + data.length;
  }
  flush(): void {
    let done = 0;
    while (done < this.#len) done += writeSync(this.#fd, this.#buf, done, this.#len - done, this.#pos + done);
    this.#pos += this.#len;
    this.#len = 0;
    if (this.#pos >= this.#rotateAt) {
      closeSync(this.#fd);
      this.#fd = openSync(`${this.#file}.${++this.#files}`, 'w');
      this.#pos = 0;
    }
  }
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

// ---------------------------------------------------------------- batched appends

let rawId = 0;

/** The raw append limit as a benchmark case writing to files named after `name`. */
function rawAppendCase(name: string): BenchCase {
  let raw: RawAppender;
  return {
    name: 'raw writeSync limit',
    setup: () => (raw = new RawAppender(path.join(root, name))),
    run: () => {
      for (let i = 0; i < APPENDS_PER_RUN; i++) raw.append(rawId++, events[i % BATCH]!);
      raw.flush();
      raw.trim();
      return APPENDS_PER_RUN;
    },
    teardown: () => raw.close(),
  };
}
let batchLog: EventLog;
let singleLog: EventLog;


// ---------------------------------------------------------------- reads

const scanDir = path.join(root, 'scan');
const rawScanFile = path.join(root, 'scan.raw');
const bigDir = path.join(root, 'big');
let bigLog: EventLog;
let bigFds: number[] = [];

async function buildLog(dir: string, count: number, rawFile?: string): Promise<void> {
  const log = await EventLog.open(dir);
  const rawOut = rawFile === undefined ? undefined : new RawAppender(rawFile, Number.POSITIVE_INFINITY);
  const batch: Buffer[] = events;
  for (let id = 0; id < count; id += BATCH) {
    const n = Math.min(BATCH, count - id);
    await log.appendBatchWithIds(id, n === BATCH ? batch : batch.slice(0, n));
    if (rawOut !== undefined) for (let i = 0; i < n; i++) rawOut.append(id + i, batch[i]!);
  }
  rawOut?.close();
  await log.close();
  // Let write-back finish before anything is timed.
  for (const name of readdirSync(dir)) {
    const fd = openSync(path.join(dir, name), 'r');
    fdatasyncSync(fd);
    closeSync(fd);
  }
}

function rawScan(file: string): number {
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let count = 0;
  let pos = 0;
  let carry = 0;
  for (;;) {
    const n = readSync(fd, chunk, carry, chunk.length - carry, pos);
    if (n === 0) break;
    pos += n;
    const have = carry + n;
    let off = 0;
    while (off + 16 <= have) {
      const total = 16 + chunk.readUInt32BE(off + 8);
      if (off + total > have) break;
      count++;
      off += total;
    }
    carry = have - off;
    chunk.copy(chunk, 0, off, have);
  }
  closeSync(fd);
  return count;
}

/** mulberry32: a seeded generator with a full period (an LCG on doubles repeated itself here). */
const random = rng(12345);

// ---------------------------------------------------------------- durable appends

let durableLog: EventLog;
let alwaysLog: EventLog;
let fsyncFd = -1;
let lastSyncs = 0;

await runBenchmarks('eventlog', [
  {
    title: 'batched appends, 100 B events',
    unit: 'events',
    baseline: 'raw writeSync limit',
    cases: [
      rawAppendCase('raw-append'),
      {
        name: 'appendBatchWithIds (1000/batch)',
        setup: async () => (batchLog = await EventLog.open(path.join(root, 'batch'), { maxFileSize: ROTATE_AT })),
        run: async () => {
          for (let i = 0; i < APPENDS_PER_RUN; i += BATCH) await batchLog.appendBatchWithIds(batchLog.nextId, events);
          await batchLog.flush();
          await batchLog.deleteRange(0, batchLog.nextId);
          return APPENDS_PER_RUN;
        },
        teardown: async () => {
          await batchLog.close();
          rmSync(path.join(root, 'batch'), { recursive: true });
        },
      },
    ],
    targets: { 'appendBatchWithIds (1000/batch)': { minRatio: 0.7, minOpsPerSec: 2_000_000 } },
  },
  {
    title: 'single append calls, durability none',
    unit: 'events',
    baseline: 'raw writeSync limit',
    cases: [
      rawAppendCase('raw-append-2'),
      {
        name: 'await append() per event',
        setup: async () => (singleLog = await EventLog.open(path.join(root, 'single'), { maxFileSize: ROTATE_AT })),
        run: async () => {
          for (let i = 0; i < APPENDS_PER_RUN; i++) await singleLog.append(events[i % BATCH]!);
          await singleLog.flush();
          await singleLog.deleteRange(0, singleLog.nextId);
          return APPENDS_PER_RUN;
        },
        teardown: async () => {
          await singleLog.close();
          rmSync(path.join(root, 'single'), { recursive: true });
        },
      },
    ],
    targets: { 'await append() per event': { minOpsPerSec: 1_000_000 } },
  },
  {
    title: 'sequential read',
    unit: 'events',
    baseline: 'raw chunked read limit',
    cases: [
      {
        name: 'raw chunked read limit',
        setup: async () => {
          await buildLog(scanDir, SCAN, rawScanFile);
          const fd = openSync(`${rawScanFile}.0`, 'r');
          fdatasyncSync(fd);
          closeSync(fd);
        },
        run: () => rawScan(`${rawScanFile}.0`),
      },
      {
        name: 'iterRange (CRC checked)',
        run: async () => {
          const log = await EventLog.open(scanDir, { readOnly: true });
          let n = 0;
          for await (const e of log.iterRange(0)) n += e.data.length === EVENT ? 1 : 0;
          await log.close();
          return n;
        },
      },
      {
        name: 'iterBatches (CRC checked)',
        run: async () => {
          const log = await EventLog.open(scanDir, { readOnly: true });
          let n = 0;
          for await (const batch of log.iterBatches(0)) n += batch.length;
          await log.close();
          return n;
        },
      },
    ],
    targets: { 'iterRange (CRC checked)': { minOpsPerSec: 5_000_000 } },
  },
  {
    title: `random get, ${BIG_LOG.toLocaleString('en')}-event log`,
    unit: 'gets',
    baseline: 'raw pread limit',
    cases: [
      {
        name: 'raw pread limit',
        setup: async () => {
          await buildLog(bigDir, BIG_LOG);
          // Same files as get(id) reads: fixed-size records, so each id's offset is computable.
          bigFds = readdirSync(bigDir)
            .filter((n) => n.endsWith('.log'))
            .sort()
            .map((n) => openSync(path.join(bigDir, n), 'r'));
        },
        run: () => {
          const buf = Buffer.allocUnsafe(RECORD);
          const perSegment = Math.floor((DEFAULT_MAX_FILE_SIZE - SEGMENT_HEADER_SIZE) / RECORD);
          for (let i = 0; i < GETS_PER_RUN; i++) {
            const id = Math.floor(random() * BIG_LOG);
            readSync(bigFds[Math.floor(id / perSegment)]!, buf, 0, RECORD, SEGMENT_HEADER_SIZE + (id % perSegment) * RECORD);
          }
          return GETS_PER_RUN;
        },
        teardown: () => bigFds.forEach((fd) => closeSync(fd)),
      },
      {
        name: 'get(id)',
        setup: async () => (bigLog = await EventLog.open(bigDir, { readOnly: true })),
        run: async () => {
          for (let i = 0; i < GETS_PER_RUN; i++) await bigLog.get(Math.floor(random() * BIG_LOG));
          return GETS_PER_RUN;
        },
        teardown: () => bigLog.close(),
      },
    ],
    targets: { 'get(id)': { minOpsPerSec: 300_000 } },
  },
  {
    title: 'durable appends (batch = group commit)',
    unit: 'ops',
    baseline: 'machine fsync rate (write 100 B + fdatasync)',
    cases: [
      {
        name: 'machine fsync rate (write 100 B + fdatasync)',
        setup: () => (fsyncFd = openSync(path.join(root, 'fsync-probe'), 'w')),
        run: () => {
          for (let i = 0; i < 20; i++) {
            writeSync(fsyncFd, events[0]!, 0, EVENT, i * EVENT);
            fdatasyncSync(fsyncFd);
          }
          return 20;
        },
        teardown: () => closeSync(fsyncFd),
      },
      {
        name: "events/s, durability 'batch', 1000 appends in flight",
        setup: async () => (durableLog = await EventLog.open(path.join(root, 'durable'), { durability: 'batch' })),
        run: async () => {
          const pending: Promise<number>[] = [];
          for (let i = 0; i < BATCH; i++) pending.push(durableLog.append(events[i]!));
          await Promise.all(pending);
          return BATCH;
        },
      },
      {
        name: "fsyncs/s, durability 'batch' (same workload)",
        setup: async () => (lastSyncs = (await durableLog.stats()).syncs),
        run: async () => {
          const pending: Promise<number>[] = [];
          for (let i = 0; i < BATCH; i++) pending.push(durableLog.append(events[i]!));
          await Promise.all(pending);
          const { syncs } = await durableLog.stats();
          const done = syncs - lastSyncs;
          lastSyncs = syncs;
          return done;
        },
        teardown: () => durableLog.close(),
      },
      {
        name: "events/s, durability 'always', one at a time",
        setup: async () => (alwaysLog = await EventLog.open(path.join(root, 'always'), { durability: 'always' })),
        run: async () => {
          for (let i = 0; i < 20; i++) await alwaysLog.append(events[i]!);
          return 20;
        },
        teardown: () => alwaysLog.close(),
      },
    ],
  },
]);

rmSync(root, { recursive: true, force: true });
