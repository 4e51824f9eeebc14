import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StorageError, isStorageError } from '@store/backend-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SummaryWriter, encodeRecord, listEventFiles, readEvents, readRun, type TfEvent } from '../src/index.js';
import { FIXTURES, HAVE_FIXTURES, collect, itWithFixtures, tempDir } from './helpers.js';

async function writeRun(dir: string, n: number, options: { maxFileSize?: number } = {}): Promise<string[]> {
  const writer = new SummaryWriter({ logDir: dir, ...options });
  for (let i = 0; i < n; i++) writer.addScalar(`t${i % 2}`, i, i, 1000 + i);
  await writer.close();
  return (await listEventFiles(dir)).map((n) => path.join(dir, n));
}

/** Offsets at which each record of a well-formed file starts. */
function recordOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p < bytes.length; p += bytes.readUInt32LE(p) + 16) out.push(p);
  return out;
}

const scalarSteps = (events: TfEvent[]) => events.filter((e) => e.kind === 'scalar').map((e) => e.step);

describe('reader: torn tails and corruption', () => {
  it('treats a torn last record as the end of data, at every cut point', async () => {
    await using tmp = await tempDir();
    const [file] = await writeRun(tmp.dir, 5);
    const bytes = readFileSync(file!);
    const offsets = [...recordOffsets(bytes), bytes.length];
    const cut = path.join(tmp.dir, 'events.out.tfevents.cut');
    for (let len = 0; len <= bytes.length; len++) {
      writeFileSync(cut, bytes.subarray(0, len));
      const complete = offsets.filter((o) => o <= len).length - 1; // records wholly inside the prefix
      const events = await collect(readEvents(cut));
      expect(events.length, `cut at ${len}`).toBe(Math.max(complete, 0));
    }
  });

  it('reports a damaged record with file and offset, or skips it', async () => {
    await using tmp = await tempDir();
    const [file] = await writeRun(tmp.dir, 10);
    const bytes = readFileSync(file!);
    const offsets = recordOffsets(bytes);
    const damaged = path.join(tmp.dir, 'damaged.tfevents');

    // Payload damage: the length is intact, so exactly that record is lost.
    const payloadHit = Buffer.from(bytes);
    payloadHit[offsets[4]! + 14]! ^= 0x10;
    writeFileSync(damaged, payloadHit);
    await expect(collect(readEvents(damaged))).rejects.toMatchObject({ code: 'ECORRUPT', path: damaged, offset: offsets[4] });
    const reported: StorageError[] = [];
    const skipped = await collect(readEvents(damaged, { onCorrupt: 'skip', onCorruptRecord: (e) => reported.push(e) }));
    expect(scalarSteps(skipped)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(reported.map((e) => [e.code, e.offset])).toEqual([['ECORRUPT', offsets[4]]]);

    // Length damage: the boundary is lost; the reader resynchronizes on the next valid record.
    const lengthHit = Buffer.from(bytes);
    lengthHit[offsets[6]! + 1]! ^= 0x01;
    writeFileSync(damaged, lengthHit);
    await expect(collect(readEvents(damaged))).rejects.toMatchObject({ code: 'ECORRUPT', offset: offsets[6] });
    const reported2: StorageError[] = [];
    const resynced = await collect(readEvents(damaged, { onCorrupt: 'skip', onCorruptRecord: (e) => reported2.push(e) }));
    expect(scalarSteps(resynced)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(reported2).toHaveLength(1);
  });

  it('reports a record whose CRC is right but whose Event cannot be decoded', async () => {
    await using tmp = await tempDir();
    const [file] = await writeRun(tmp.dir, 2);
    const junk = encodeRecord(Buffer.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f])); // summary with an impossible length
    appendFileSync(file!, junk);
    const size = readFileSync(file!).length - junk.length;
    await expect(collect(readEvents(file!))).rejects.toMatchObject({ code: 'ECORRUPT', offset: size });
    const skipped = await collect(readEvents(file!, { onCorrupt: 'skip', onCorruptRecord: () => {} }));
    expect(scalarSteps(skipped)).toEqual([0, 1]);
  });

  it('rejects a file that is not an event file, like TensorBoard', async () => {
    await using tmp = await tempDir();
    const notes = path.join(tmp.dir, 'tfevents.md');
    writeFileSync(notes, '# notes about tfevents files\nnothing binary here at all\n');
    await expect(collect(readEvents(notes))).rejects.toMatchObject({ code: 'ECORRUPT', offset: 0 });
    await expect(collect(readEvents(path.join(tmp.dir, 'missing')))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(collect(readEvents(tmp.dir))).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('reader fuzz (seeded)', () => {
  const seedFiles = [
    path.join(FIXTURES, 'tf1-filewriter/events.out.tfevents.1515280092.tayo-glaptop'),
    path.join(FIXTURES, 'pytorch-2019-custom-scalars/events.out.tfevents.111.complex.localdomain'),
    path.join(FIXTURES, 'tf2-summary/events.out.tfevents.1585499054.Jaakkos-Mac-mini.local.11684.5.v2'),
    path.join(FIXTURES, 'pytorch-lightning/events.out.tfevents.1716735746.99c8c45923de.3769.0'),
  ].map((f) => (HAVE_FIXTURES ? readFileSync(f).subarray(0, 40_000) : Buffer.alloc(0)));

  /** Reads `bytes` both ways: data or a StorageError with a code, nothing else. */
  async function check(dir: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(dir, 'fuzz.tfevents');
    writeFileSync(file, bytes);
    for (const onCorrupt of ['throw', 'skip'] as const) {
      try {
        const events = await collect(readEvents(file, { onCorrupt, onCorruptRecord: () => {} }));
        for (const e of events) {
          expect(typeof e.kind).toBe('string');
          expect(Number.isFinite(e.wallTime) || Number.isNaN(e.wallTime)).toBe(true);
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThan(bytes.length);
        }
      } catch (error) {
        expect(isStorageError(error), String(error)).toBe(true);
        expect((error as StorageError).code).toBe('ECORRUPT');
        expect(onCorrupt).toBe('throw');
      }
    }
  }

  it('random bytes', async () => {
    await using tmp = await tempDir();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), (bytes) => check(tmp.dir, bytes)),
      { seed: 1, numRuns: 150 },
    );
  });

  itWithFixtures('bit flips and byte overwrites in real files', async () => {
    await using tmp = await tempDir();
    await fc.assert(
      fc.asyncProperty(fc.nat(seedFiles.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 8 }), async (which, flips) => {
        const bytes = Buffer.from(seedFiles[which]!);
        for (const [pos, bit] of flips) bytes[pos % bytes.length]! ^= 1 << bit;
        await check(tmp.dir, bytes);
      }),
      { seed: 2, numRuns: 150 },
    );
  });

  itWithFixtures('truncations and spliced garbage', async () => {
    await using tmp = await tempDir();
    await fc.assert(
      fc.asyncProperty(fc.nat(seedFiles.length - 1), fc.nat(), fc.uint8Array({ maxLength: 64 }), fc.nat(), async (which, cut, garbage, at) => {
        const src = seedFiles[which]!;
        const truncated = src.subarray(0, cut % (src.length + 1));
        const p = at % (truncated.length + 1);
        await check(tmp.dir, Buffer.concat([truncated.subarray(0, p), garbage, truncated.subarray(p)]));
      }),
      { seed: 3, numRuns: 150 },
    );
  });
});

describe('reader: follow mode', () => {
  it('tails a file, waiting on a half-written record', async () => {
    await using tmp = await tempDir();
    const [file] = await writeRun(tmp.dir, 3);
    const original = readFileSync(file!);
    const tail = path.join(tmp.dir, 'events.out.tfevents.tail');
    writeFileSync(tail, original);
    const extra = readFileSync(file!).subarray(recordOffsets(original)[1]!); // records of steps 0..2 again
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const e of readEvents(tail, { follow: true, pollMs: 10, signal: controller.signal })) {
        if (e.kind === 'scalar') seen.push(e.step);
        if (seen.length === 6) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(tail, extra.subarray(0, 20)); // a torn record: must not be an error
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([0, 1, 2]);
    appendFileSync(tail, extra.subarray(20));
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('follows a run across rotation to the next file', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir, maxFileSize: 600, maxQueue: 1 });
    const controller = new AbortController();
    const steps: number[] = [];
    const files = new Set<string>();
    const reading = (async () => {
      for await (const e of readRun(tmp.dir, { follow: true, pollMs: 5, signal: controller.signal })) {
        files.add(e.file);
        if (e.kind === 'scalar') steps.push(e.step);
        if (steps.length === 60) controller.abort();
      }
      // Handled at once: the abort may come before the writer's close() below resolves.
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    for (let i = 0; i < 60; i++) {
      writer.addScalar('x', i, i);
      if (i % 7 === 0) await writer.flush();
    }
    await writer.close();
    expect(await reading).toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(files.size).toBe((await listEventFiles(tmp.dir)).length);
    expect(files.size).toBeGreaterThan(2);
  });

  it('reads a copied multi-file run in name order', async () => {
    await using tmp = await tempDir();
    const files = await writeRun(path.join(tmp.dir, 'a'), 300, { maxFileSize: 1000 });
    for (const f of files) copyFileSync(f, path.join(tmp.dir, path.basename(f)));
    expect(scalarSteps(await collect(readRun(tmp.dir)))).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
