import { rmSync } from 'node:fs';
import path from 'node:path';
import { FilesystemBackend, isStorageError } from '@store/backend-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { enc, tempDir } from './helpers.js';

/**
 * Readers take no lock: a read-only open reads meta.json, lists the directory and opens the
 * segments at different moments, beside a writer (here in the same process, which
 * interleaves at every await just as another process would) that deletes and archives
 * segments in between. Only real damage may be reported.
 */
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const codeOf = (error: unknown): string => (isStorageError(error) ? `${error.code}: ${error.message}` : String(error));

describe('read-only opens beside a writer that deletes and archives segments', () => {
  it('open and read every event without a false ECORRUPT or ENOENT', async () => {
    const logDir = path.join(dir, 'log');
    const archive = new FilesystemBackend(path.join(dir, 'archive'));
    const log = await EventLog.open(logDir, { archive });
    for (let i = 0; i < 4; i++) {
      await log.append(enc(`event ${i}`));
      await log.rotate();
    }
    let writing = true;
    const writer = (async () => {
      try {
        for (let round = 0; round < 40; round++) {
          await log.append(enc(`event ${round + 4}`));
          await log.rotate();
          if (round % 3 === 2) await log.archive();
          const oldest = (await log.oldestEventId())!;
          await log.deleteRange(oldest, oldest + 1);
        }
      } finally {
        writing = false;
      }
    })();
    const failures = new Map<string, number>();
    let opens = 0;
    while (writing) {
      try {
        const reader = await EventLog.open(logDir, { readOnly: true, archive });
        opens++;
        try {
          const ids: number[] = [];
          for await (const e of reader.iterRange(0)) {
            if (Buffer.from(e.data).toString() !== `event ${e.id}`) throw new Error(`event ${e.id} reads as '${Buffer.from(e.data).toString()}'`);
            ids.push(e.id);
          }
          // Events the writer deleted meanwhile may be missing; none that the log still holds.
          const oldest = (await log.oldestEventId())!;
          const kept = ids.filter((id) => id >= oldest);
          for (let i = 1; i < kept.length; i++) if (kept[i] !== kept[i - 1]! + 1) throw new Error(`event ${kept[i - 1]! + 1} is in the log but was not read`);
          if (kept.length > 0 && kept[0] !== oldest) throw new Error(`events ${oldest}…${kept[0]! - 1} are in the log but were not read`);
        } finally {
          await reader.close();
        }
      } catch (error) {
        failures.set(codeOf(error), (failures.get(codeOf(error)) ?? 0) + 1);
      }
    }
    await writer;
    await log.close();
    expect([...failures]).toEqual([]);
    expect(opens).toBeGreaterThan(0);
  });

  it('a segment that meta.json lists and that is gone with no writer at work is still ECORRUPT', async () => {
    const log = await EventLog.open(dir);
    for (let i = 0; i < 3; i++) {
      await log.append(enc(`event ${i}`));
      await log.rotate();
    }
    await log.close();
    rmSync(path.join(dir, 'events-00000001.log'));
    const error = await EventLog.open(dir, { readOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(error) ? error.code : error).toBe('ECORRUPT');
  });
});
