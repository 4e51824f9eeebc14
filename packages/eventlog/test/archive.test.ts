import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemBackend, MemoryBackend, isStorageError } from '@store/backend-core';
import { EventLog } from '../src/index.js';
import { collect, enc, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const event = (id: number): Uint8Array => enc(`archived event ${id}`);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** A real in-memory backend whose disk "rots": it stores a flipped bit in every segment it is given. */
class RottingBackend extends MemoryBackend {
  override async writeFile(key: string, data: Uint8Array): Promise<void> {
    const copy = Uint8Array.from(data);
    if (key.endsWith('.log')) copy[copy.length - 1]! ^= 1;
    await super.writeFile(key, copy);
  }
}

describe('archival', () => {
  it('copies sealed segments, verifies, deletes local copies, and reads them back', async () => {
    const logDir = path.join(dir, 'log');
    const archiveDir = path.join(dir, 'archive');
    const archive = new FilesystemBackend(archiveDir);
    {
      await using log = await EventLog.open(logDir, { maxFileSize: 4096, archive, archivePrefix: 'cold/run-1' });
      for (let i = 0; i < 500; i++) await log.append(event(i));
      await log.flush();
      // A reader opened before archival follows the segments to the archive.
      const reader = await EventLog.open(logDir, { readOnly: true, archive, archivePrefix: 'cold/run-1' });
      const report = await log.archive();
      expect((await collect(reader.iterRange(0))).map((e) => e.id)).toEqual([...Array(500).keys()]);
      await reader.close();
      expect(report.archived.length).toBeGreaterThan(1);
      expect(report.archived[0]!.key).toBe('cold/run-1/events-00000000.log');
      const local = (await readdir(logDir)).filter((n) => n.endsWith('.log'));
      expect(local).toEqual([(await readdir(logDir)).filter((n) => n.endsWith('.log')).pop()]); // only the active one
      expect((await archive.listFiles('cold/run-1')).filter((n) => n.endsWith('.log')).length).toBe(report.archived.length);
      const events = await collect(log.iterRange(0));
      expect(events.length).toBe(500);
      for (const e of events) expect(same(e.data, event(e.id))).toBe(true);
      expect(same(await log.get(3), event(3))).toBe(true);
      expect((await log.archive()).archived).toEqual([]); // idempotent
      const meta = JSON.parse(await readFile(path.join(logDir, 'meta.json'), 'utf8')) as { segments: { archive?: { key: string } }[] };
      expect(meta.segments[0]!.archive!.key).toBe('cold/run-1/events-00000000.log');
      expect((await log.verify()).problems).toEqual([]);
      expect((await log.stats()).archivedSegments).toBe(report.archived.length);
    }
    {
      // Reopened, with the archive: everything readable, ranges straddling archive and disk too.
      await using log = await EventLog.open(logDir, { archive, archivePrefix: 'cold/run-1' });
      expect((await collect(log.iterRange(100, 450))).map((e) => e.id)).toEqual([...Array(350).keys()].map((i) => i + 100));
      expect(same(await log.get(250), event(250))).toBe(true);
      // deleteRange drops archived segments from the log too (the archive copy stays).
      expect(await log.deleteRange(0, 200)).toBeGreaterThan(0);
    }
    {
      // Without the archive backend, archived events say where they are.
      await using log = await EventLog.open(logDir, { readOnly: true });
      const err = await log.get(300).catch((e: unknown) => e);
      expect(isStorageError(err, 'ENOENT')).toBe(true);
      expect(String(err)).toContain('archived');
    }
  });

  it('detects a damaged archived copy when reading it back', async () => {
    const logDir = path.join(dir, 'log');
    const archive = new FilesystemBackend(path.join(dir, 'archive'));
    await using log = await EventLog.open(logDir, { maxFileSize: 4096, archive });
    for (let i = 0; i < 300; i++) await log.append(event(i));
    await log.archive();
    const file = path.join(dir, 'archive', 'events-00000000.log');
    const bytes = await readFile(file);
    bytes[100]! ^= 0x40;
    await writeFile(file, bytes);
    const err = await collect(log.iterRange(0)).catch((e: unknown) => e);
    expect(isStorageError(err, 'ECORRUPT')).toBe(true);
    expect((await log.verify()).problems).toEqual([{ segment: 'events-00000000.log', offset: 0, reason: expect.stringContaining('checksum') }]);
  });

  it('keeps the local segment when the copy does not verify', async () => {
    const logDir = path.join(dir, 'log');
    await using log = await EventLog.open(logDir, { maxFileSize: 4096, archive: new RottingBackend() });
    for (let i = 0; i < 300; i++) await log.append(event(i));
    const before = (await readdir(logDir)).filter((n) => n.endsWith('.log'));
    const err = await log.archive().catch((e: unknown) => e);
    expect(isStorageError(err, 'EIO')).toBe(true);
    expect((await readdir(logDir)).filter((n) => n.endsWith('.log'))).toEqual(before);
    expect((await collect(log.iterRange(0))).length).toBe(300);
  });

  it('archive() without a backend is EINVAL', async () => {
    await using log = await EventLog.open(dir);
    await expect(log.archive()).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
