/**
 * Write and read 1,000,000 scalar events with default writer settings (10 MiB rotation,
 * maxQueue 10), beside the raw limit measured in the same run:
 * - write limit: the same TFRecord bytes, pre-encoded, appended to one file in 1 MiB writes + fsync;
 * - read limit: reading those files in 1 MiB chunks and walking the record lengths (no CRC, no decode).
 * Run: `npx tsx bench/index.ts` (BENCH_QUICK=1 for a smoke run).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quick, runBenchmarks } from '@store/bench-harness';
import { SummaryWriter, listEventFiles, readRun, readRunBatches } from '../src/index.js';

const N = quick ? 100_000 : 1_000_000;
const TAGS = ['train/loss', 'train/accuracy', 'lr', 'grad_norm'];
const root = mkdtempSync(path.join(os.tmpdir(), 'tfevents-bench-'));
let runCounter = 0;

async function writeWithSummaryWriter(dir: string): Promise<void> {
  const writer = new SummaryWriter({ logDir: dir });
  for (let i = 0; i < N; i++) writer.addScalar(TAGS[i & 3]!, i * 0.001, i >> 2);
  await writer.close();
}

// A reference run written once by our writer: the pre-encoded bytes and the read input.
const referenceDir = path.join(root, 'reference');
await writeWithSummaryWriter(referenceDir);
const referenceFiles = (await listEventFiles(referenceDir)).map((n) => path.join(referenceDir, n));
const encoded = Buffer.concat(referenceFiles.map((f) => readFileSync(f)));

async function rawAppend(file: string): Promise<void> {
  const out = await open(file, 'wx');
  const CHUNK = 1 << 20;
  for (let off = 0; off < encoded.length; off += CHUNK) await out.write(encoded, off, Math.min(CHUNK, encoded.length - off));
  await out.sync();
  await out.close();
}

async function rawRead(files: string[]): Promise<number> {
  let records = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    const input = await open(file, 'r');
    let filePos = 0;
    let carry = 0;
    for (;;) {
      const { bytesRead } = await input.read(buf, carry, buf.length - carry, filePos);
      if (bytesRead === 0) break;
      filePos += bytesRead;
      const end = carry + bytesRead;
      let p = 0;
      while (end - p >= 12) {
        const total = buf.readUInt32LE(p) + 16;
        if (end - p < total) break;
        p += total;
        records++;
      }
      buf.copyWithin(0, p, end);
      carry = end - p;
    }
    await input.close();
  }
  return records;
}

const freshDir = async (): Promise<string> => {
  await rm(path.join(root, `run-${runCounter - 1}`), { recursive: true, force: true });
  return path.join(root, `run-${runCounter++}`);
};

const expectedRecords = N + referenceFiles.length; // one file_version per file
if ((await rawRead(referenceFiles)) !== expectedRecords) throw new Error('reference run has an unexpected record count');
console.log(`reference run: ${referenceFiles.length} files, ${(encoded.length / 2 ** 20).toFixed(1)} MiB, ${expectedRecords} records`);

await runBenchmarks(
  'tfevents',
  [
    {
      title: `write ${N.toLocaleString('en')} scalar events (default options; close() fsyncs)`,
      unit: 'events',
      baseline: 'raw append of the same TFRecord bytes',
      cases: [
        {
          name: 'raw append of the same TFRecord bytes',
          run: async () => {
            const dir = await freshDir();
            await mkdir(dir, { recursive: true });
            await rawAppend(path.join(dir, 'raw.tfevents'));
            return N;
          },
        },
        {
          name: 'SummaryWriter.addScalar',
          run: async () => {
            await writeWithSummaryWriter(await freshDir());
            return N;
          },
        },
      ],
      targets: { 'SummaryWriter.addScalar': { minOpsPerSec: 1_000_000 } },
    },
    {
      title: `read ${N.toLocaleString('en')} scalar events`,
      unit: 'events',
      baseline: 'raw read + record walk (no CRC, no decode)',
      cases: [
        { name: 'raw read + record walk (no CRC, no decode)', run: async () => (await rawRead(referenceFiles)) - referenceFiles.length },
        {
          name: 'readRun (CRC-checked typed events, for await per event)',
          run: async () => {
            let n = 0;
            for await (const e of readRun(referenceDir)) if (e.kind === 'scalar') n++;
            if (n !== N) throw new Error(`read ${n} scalars`);
            return n;
          },
        },
        {
          name: 'readRunBatches (same events, in arrays)',
          run: async () => {
            let n = 0;
            for await (const batch of readRunBatches(referenceDir)) for (const e of batch) if (e.kind === 'scalar') n++;
            if (n !== N) throw new Error(`read ${n} scalars`);
            return n;
          },
        },
      ],
      targets: {
        'readRun (CRC-checked typed events, for await per event)': { minOpsPerSec: 2_000_000 },
        'readRunBatches (same events, in arrays)': { minOpsPerSec: 2_000_000 },
      },
    },
  ],
  { rounds: quick ? 1 : 5, minTimeMs: quick ? 50 : 1000 },
);

rmSync(root, { recursive: true, force: true });
