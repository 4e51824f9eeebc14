import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog, type Durability } from '../src/index.js';
import { tempDir } from './helpers.js';

// Sustained appends hand full write buffers to a second thread for their checksums
// (seal-pipeline.ts). These tests append enough (> 1 MiB) for it to start.
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'index.js');

function payload(id: number): Buffer {
  const b = Buffer.alloc(20 + ((id * 53) % 180), id & 0xff);
  b.writeUInt32BE(id, 0);
  return b;
}

/** Appends batches (each fills several write buffers) until the checksum thread is in use, or gives up after ~100 MiB. */
async function appendUntilThreaded(log: EventLog): Promise<void> {
  for (let round = 0; round < 400; round++) {
    const first = log.nextId;
    await log.appendBatchWithIds(first, Array.from({ length: 2000 }, (_, i) => payload(first + i)));
    if (round % 4 === 3) {
      if ((await log.stats()).checksumThread) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  expect.fail('the checksum thread never started');
}

describe('checksum thread for sustained appends', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(async () => cleanup());

  it.each<Durability>(['none', 'batch'])('with durability %s: every event reads back, during appends and after reopen', async (durability) => {
    const d = path.join(dir, durability);
    const log = await EventLog.open(d, { durability, maxFileSize: 2 * 1024 * 1024 });
    await appendUntilThreaded(log);
    // Reads of the active segment see events still in the pipeline.
    for (let k = 0; k < 300; k++) {
      const id = await log.append(payload(log.nextId));
      expect(Buffer.from(await log.get(id)).equals(payload(id))).toBe(true);
      if (k % 50 === 0) {
        const first = log.nextId;
        await log.appendBatchWithIds(first, Array.from({ length: 3000 }, (_, i) => payload(first + i)));
      }
    }
    const total = log.nextId;
    let next = 0;
    for await (const e of log.iterRange(0)) {
      if (e.id !== next || !Buffer.from(e.data).equals(payload(e.id))) expect.fail(`event ${e.id} (expected ${next}) is wrong`);
      next++;
    }
    expect(next).toBe(total);
    expect((await log.stats()).segments).toBeGreaterThan(1); // rotations happened while threaded
    await log.close();

    await using again = await EventLog.open(d);
    expect((await again.verify()).problems).toEqual([]);
    expect(again.nextId).toBe(total);
    expect((await again.stats()).recovery.truncated).toEqual([]);
  });

  it("is never used with durability 'always'", async () => {
    await using log = await EventLog.open(path.join(dir, 'always'), { durability: 'always', writeBufferSize: 4096 });
    for (let i = 0; i < 40; i++) {
      const first = log.nextId;
      await log.appendBatchWithIds(first, Array.from({ length: 100 }, (_, k) => payload(first + k)));
    }
    expect((await log.stats()).checksumThread).toBe(false);
  });

  it('does not keep the process alive, and flush() puts every byte in the file', () => {
    const d = path.join(dir, 'child');
    const body = `
      const { EventLog } = await import(${JSON.stringify(dist)});
      const log = await EventLog.open(${JSON.stringify(d)});
      const data = Buffer.alloc(100, 7);
      for (let round = 0; round < 400; round++) {
        await log.appendBatchWithIds(log.nextId, Array.from({ length: 1000 }, () => data));
        if (round % 50 === 49) await new Promise((r) => setTimeout(r, 5));
      }
      await log.flush();
      console.log(log.nextId, (await log.stats()).checksumThread);
      // No close(): the process must still end by itself.`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', timeout: 60_000 });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('400000 true');
  });
});
