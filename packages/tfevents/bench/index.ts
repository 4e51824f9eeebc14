/**
 * Write and read 1,000,000 scalar events, beside the raw limit measured in the same run:
 * - write limit: the same TFRecord bytes, pre-encoded, appended to a file in 1 MiB writes + fsync;
 * - read limit: reading that file in 1 MiB chunks and walking the record lengths.
 * Run: `npx tsx bench/index.ts` (BENCH_QUICK=1 for a smoke run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quick, runBenchmarks } from '@store/bench-harness';
import { SummaryWriter, listEventFiles, readEvents } from '../src/index.js';

const N = quick ? 100_000 : 1_000_000;
const TAGS = ['train/loss', 'train/accuracy', 'lr', 'grad_norm'];
const root = mkdtempSync(path.join(os.tmpdir(), 'tfevents-bench-'));
let runCounter = 0;

async function writeWithSummaryWriter(dir: string): Promise<void> {
  const writer = new SummaryWriter({ logDir: dir, maxFileSize: 1 << 30 });
  for (let i = 0; i < N; i++) writer.addScalar(TAGS[i & 3]!, i * 0.001, i >> 2);
  await writer.close();
}

// A reference file written once by our writer, used as the pre-encoded bytes and for reads.
const referenceDir = path.join(root, 'reference');
await writeWithSummaryWriter(referenceDir);
const referenceFile = path.join(referenceDir, (await listEventFiles(referenceDir))[0]!);
const fh = await open(referenceFile, 'r');
const encoded = await fh.readFile();
await fh.close();

async function rawAppend(file: string): Promise<void> {
  const out = await open(file, 'wx');
  const CHUNK = 1 << 20;
  for (let off = 0; off < encoded.length; off += CHUNK) await out.write(encoded, off, Math.min(CHUNK, encoded.length - off));
  await out.sync();
  await out.close();
}

async function rawRead(file: string): Promise<number> {
  const input = await open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let filePos = 0;
  let carry = 0;
  let records = 0;
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
  return records;
}

const freshDir = async (): Promise<string> => {
  const dir = path.join(root, `run-${runCounter++}`);
  await rm(path.join(root, `run-${runCounter - 2}`), { recursive: true, force: true });
  return dir;
};

const records = await rawRead(referenceFile);
if (records !== N + 1) throw new Error(`reference file holds ${records} records, expected ${N + 1}`);

await runBenchmarks(
  'tfevents',
  [
    {
      title: `write ${N.toLocaleString('en')} scalar events (close() includes fsync)`,
      unit: 'events',
      baseline: 'raw append of the same TFRecord bytes',
      cases: [
        {
          name: 'raw append of the same TFRecord bytes',
          run: async () => {
            const dir = await freshDir();
            await open(dir, 'r').catch(async () => (await import('node:fs/promises')).mkdir(dir, { recursive: true }));
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
        { name: 'raw read + record walk (no CRC, no decode)', run: async () => (await rawRead(referenceFile)) - 1 },
        {
          name: 'readEvents (CRC-checked, typed events)',
          run: async () => {
            let n = 0;
            for await (const e of readEvents(referenceFile)) if (e.kind === 'scalar') n++;
            if (n !== N) throw new Error(`read ${n} scalars`);
            return n;
          },
        },
      ],
      targets: { 'readEvents (CRC-checked, typed events)': { minOpsPerSec: 2_000_000 } },
    },
  ],
  { rounds: quick ? 1 : 5, minTimeMs: quick ? 50 : 1000 },
);

rmSync(root, { recursive: true, force: true });
