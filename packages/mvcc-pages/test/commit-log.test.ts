import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
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
});
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
    appendFileSync(logFile(), pristine.subarray(0, 40));
    expect(await readAll()).toBe(5);
    {
      await using store = await PageStore.open(dir);
      const t = await store.begin();
      await store.insertObject(t, 'ns9', { i: 9 });
      await store.commit(t);
    }
    expect(await readAll()).toBe(6);
    writeFileSync(logFile(), pristine);
  });

  it('fuzz: flipped bytes, truncations and garbage give the committed prefix or ECORRUPT, never garbage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(pristine.length - 1), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat(pristine.length) }),
          fc.record({ kind: fc.constant('junk' as const), at: fc.nat(pristine.length), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
        ),
        async (damage) => {
          let bytes = Buffer.from(pristine);
          if (damage.kind === 'flip') bytes[damage.at]! ^= 1 << damage.bit;
          else if (damage.kind === 'cut') bytes = bytes.subarray(0, damage.at);
          else bytes = Buffer.concat([bytes.subarray(0, damage.at), Buffer.from(damage.bytes), bytes.subarray(damage.at)]);
          writeFileSync(logFile(), bytes);
          try {
            const n = await readAll();
            expect(n).toBeLessThanOrEqual(5);
          } catch (error) {
            if (!isStorageError(error)) throw error;
            expect(['ECORRUPT', 'ENOENT']).toContain(error.code);
          }
        },
      ),
      { numRuns: 150, seed: 1129 },
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
