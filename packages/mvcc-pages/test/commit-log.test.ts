import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { PageStore } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let pristine: Buffer;
const logFile = (): string => path.join(dir, '.mvcc', 'commits.log');

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await using store = await PageStore.open(dir);
  for (let i = 0; i < 5; i++) {
    const t = await store.begin();
    await store.insertObject(t, `ns${i % 2}`, { i });
    await store.commit(t);
  }
  pristine = readFileSync(logFile());
  end = pristine.indexOf(0);
});

/** End of the records: the log is preallocated with zeros after them. */
let end = 0;

function writeAt(offset: number, bytes: Buffer): void {
  const fd = openSync(logFile(), 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}
afterAll(async () => cleanup());

/** Opens read-only and reads everything: data or a StorageError, never anything else. */
async function readAll(): Promise<number> {
  await using store = await PageStore.open(dir, { readOnly: true });
  const t = await store.begin();
  let objects = 0;
  for (const ns of store.listNamespaces(t)) objects += (await store.getMatchingObjects(t, ns)).length;
  return objects;
}

describe('commit log reader', () => {
  it('a torn tail is ignored by readers and cut by the next committer', async () => {
    expect(end).toBeGreaterThan(0);
    expect(pristine.length - end).toBeGreaterThanOrEqual(64 * 1024); // zeros ahead of the records
    writeAt(end, pristine.subarray(0, 40)); // a line a killed committer began
    expect(await readAll()).toBe(5);
    {
      await using store = await PageStore.open(dir);
      const t = await store.begin();
      await store.insertObject(t, 'ns9', { i: 9 });
      await store.commit(t);
    }
    expect(await readAll()).toBe(6);
    const after = readFileSync(logFile());
    const newEnd = after.indexOf(0);
    expect(after.subarray(newEnd, newEnd + 4096).every((b) => b === 0)).toBe(true); // no leftover of the torn line
    writeFileSync(logFile(), pristine);
  });

  it('a damaged record with valid ones after it stops commits with ECORRUPT and changes nothing', async () => {
    const damaged = Buffer.from(pristine);
    damaged[10] = 0; // a NUL inside the first record
    writeFileSync(logFile(), damaged);
    await expect(readAll()).rejects.toMatchObject({ code: 'ECORRUPT' });
    damaged[10] = pristine[10]! ^ 0x01;
    writeFileSync(logFile(), damaged);
    await expect(readAll()).rejects.toMatchObject({ code: 'ECORRUPT' });
    writeFileSync(logFile(), pristine);
  });

  it('fuzz: flipped bytes, truncations and garbage give the committed prefix or ECORRUPT, never garbage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(end + 100), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat(end + 100) }),
          fc.record({ kind: fc.constant('junk' as const), at: fc.nat(end + 100), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
        ),
        async (damage) => {
          let bytes = Buffer.from(pristine);
          if (damage.kind === 'flip') bytes[damage.at]! ^= 1 << damage.bit;
          else if (damage.kind === 'cut') bytes = bytes.subarray(0, damage.at);
          else bytes = Buffer.concat([bytes.subarray(0, damage.at), Buffer.from(damage.bytes), bytes.subarray(damage.at)]);
          writeFileSync(logFile(), bytes);
          // A writer meets the damage too: it commits after the records or refuses with ECORRUPT.
          if (damage.kind !== 'flip' || damage.at >= end) {
            try {
              await using store = await PageStore.open(dir);
              const t = await store.begin();
              await store.insertObject(t, 'fuzz', { x: 1 });
              await store.commit(t);
            } catch (error) {
              if (!isStorageError(error, 'ECORRUPT')) throw error;
            }
          }
          try {
            const n = await readAll();
            expect(n).toBeLessThanOrEqual(6);
          } catch (error) {
            if (!isStorageError(error)) throw error;
            expect(['ECORRUPT', 'ENOENT']).toContain(error.code);
          }
        },
      ),
      { numRuns: 100, seed: 1129 },
    );
    writeFileSync(logFile(), pristine);
  });

  it('fuzz: a damaged page file is restored from the log or reported ECORRUPT', async () => {
    const file = path.join(dir, 'ns0', readFileSync(logFile(), 'utf8').includes('"ns":"ns0"') ? 'page001.json.v1' : '');
    const original = readFileSync(file);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (junk) => {
        writeFileSync(file, junk);
        expect(await readAll()).toBe(5);
      }),
      { numRuns: 40, seed: 7 },
    );
    writeFileSync(file, original);
  });
});
