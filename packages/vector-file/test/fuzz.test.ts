import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isStorageError } from '@store/backend-core';
import { FILE_HEADER_SIZE, VectorFile } from '../src/index.js';
import { bytesOf, randomVector, rng, tempDir } from './helpers.js';

/**
 * The reader against damaged files: random bytes, bit flips, truncations, garbage tails, and
 * damaged index files. Every call must return data that was really written (some version of
 * that id) or throw a StorageError with a known code; never hang, crash or return garbage.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
let pristine: Buffer;
let pristineIndex: Buffer;
/** Every vector (as bytes, hex) ever written under each id. */
const written = new Map<string, Set<string>>();
const DIM = 8;
/** Live vectors in the undamaged file. */
let liveCount = 0;

beforeAll(async () => {
  t = await tempDir();
  const random = rng(99);
  const vf = await VectorFile.open(t.file, { create: true, dimension: DIM, durability: 'none' });
  for (let i = 0; i < 60; i++) {
    const id = `id-${i % 23}${i % 5 === 0 ? 'é' : ''}`;
    if (i % 13 === 12) {
      await vf.delete(id);
      continue;
    }
    const v = randomVector(random, DIM);
    await vf.put(id, v, i % 2 === 0 ? { i, tag: 'x'.repeat(i % 7) } : undefined);
    if (!written.has(id)) written.set(id, new Set());
    written.get(id)!.add(bytesOf(v).toString('hex'));
  }
  liveCount = vf.size;
  await vf.close();
  pristine = readFileSync(t.file);
  pristineIndex = readFileSync(`${t.file}.idx`);
});

afterAll(async () => {
  await t.cleanup();
});

function expectStorageError(error: unknown): void {
  if (!isStorageError(error)) throw error;
  expect(ERROR_CODES).toContain(error.code);
}

/** Opens the (damaged) file and reads everything every way; returns how many vectors were read. */
async function exercise(writer: boolean): Promise<number> {
  let vf: VectorFile;
  try {
    vf = await VectorFile.open(t.file, writer ? {} : { readOnly: true });
  } catch (error) {
    expectStorageError(error);
    return 0;
  }
  try {
    return await readEverything(vf);
  } finally {
    await vf.close();
  }
}

/** Reads everything every way through `vf`; returns how many vectors `get` returned. */
async function readEverything(vf: VectorFile): Promise<number> {
  let read = 0;
  for (const id of written.keys()) {
    try {
      const got = await vf.get(id);
      if (got !== undefined) {
        expect(written.get(id)!.has(bytesOf(got.vector).toString('hex')), `vector of ${id} is one that was written`).toBe(true);
        read++;
      }
    } catch (error) {
      expectStorageError(error);
    }
  }
  try {
    for await (const r of vf.scan()) expect(written.get(r.id)?.has(bytesOf(r.vector).toString('hex'))).toBe(true);
  } catch (error) {
    expectStorageError(error);
  }
  try {
    const hits = await vf.search(new Float32Array(DIM).fill(0.5), 5, { metric: 'l2' });
    for (const h of hits) expect(written.has(h.id)).toBe(true);
  } catch (error) {
    expectStorageError(error);
  }
  const report = await vf.verify();
  expect(report.records).toBeGreaterThanOrEqual(0);
  return read;
}

function install(data: Uint8Array, index: Uint8Array | undefined): void {
  writeFileSync(t.file, data);
  if (index === undefined) rmSync(`${t.file}.idx`, { force: true });
  else writeFileSync(`${t.file}.idx`, index);
}

const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 3 });

describe('fuzzing the reader', () => {
  it('reads an undamaged copy completely (the property below can fail)', async () => {
    install(pristine, pristineIndex);
    expect(await exercise(false)).toBe(liveCount);
    expect(liveCount).toBeGreaterThan(15);
  });

  it.each([
    ['reader, with index', false, true],
    ['reader, without index', false, false],
    ['writer, with index', true, true],
    ['writer, without index', true, false],
  ])('bit flips (%s): data that was written, or a StorageError', async (_name, writer, withIndex) => {
    await fc.assert(
      fc.asyncProperty(flips, async (bits) => {
        const data = Buffer.from(pristine);
        for (const [pos, bit] of bits) data[pos % data.length] = data[pos % data.length]! ^ (1 << bit);
        install(data, withIndex ? pristineIndex : undefined);
        await exercise(writer);
      }),
      { numRuns: 40, seed: writer ? 1 : 2 },
    );
  });

  it('truncations and garbage tails: data that was written, or a StorageError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean(), async (cut, tail, withIndex, writer) => {
        const data = Buffer.concat([pristine.subarray(0, cut % (pristine.length + 1)), tail]);
        install(data, withIndex ? pristineIndex : undefined);
        await exercise(writer);
      }),
      { numRuns: 80, seed: 3 },
    );
  });

  it('random bytes, with and without a valid file header: a StorageError or an empty or partial file, never garbage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), async (bytes, withHeader) => {
        const data = withHeader ? Buffer.concat([pristine.subarray(0, FILE_HEADER_SIZE), bytes]) : Buffer.from(bytes);
        install(data, undefined);
        await exercise(false);
      }),
      { numRuns: 80, seed: 4 },
    );
  });

  it('damaged index files are rebuilt from the data file, which is the truth', async () => {
    await fc.assert(
      fc.asyncProperty(flips, fc.nat(), async (bits, cut) => {
        const index = Buffer.from(pristineIndex.subarray(0, cut % 3 === 0 ? cut % (pristineIndex.length + 1) : pristineIndex.length));
        for (const [pos, bit] of bits) if (index.length > 0) index[pos % index.length] = index[pos % index.length]! ^ (1 << bit);
        install(pristine, index);
        expect(await exercise(false)).toBe(liveCount);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('refresh of a reader over damaged appended bytes, or over a damaged file that replaced its file: data that was written, or a StorageError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), flips, fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean(), async (cut, bits, tail, replace, withIndex) => {
        // The reader opens a prefix of the file (a writer that had written that much) ...
        install(pristine.subarray(0, FILE_HEADER_SIZE + (cut % (pristine.length - FILE_HEADER_SIZE + 1))), undefined);
        const vf = await VectorFile.open(t.file, { readOnly: true });
        try {
          // ... then the rest arrives damaged: in place (appended), or as a new file renamed over it (compaction).
          const data = Buffer.concat([pristine, tail]);
          for (const [pos, bit] of bits) data[pos % data.length] = data[pos % data.length]! ^ (1 << bit);
          if (replace) {
            writeFileSync(`${t.file}.new`, data);
            if (withIndex) writeFileSync(`${t.file}.idx`, pristineIndex);
            renameSync(`${t.file}.new`, t.file);
          } else {
            writeFileSync(t.file, data);
          }
          try {
            await vf.refresh();
          } catch (error) {
            expectStorageError(error);
          }
          await readEverything(vf);
        } finally {
          await vf.close();
        }
      }),
      { numRuns: 60, seed: 6 },
    );
  });
});
