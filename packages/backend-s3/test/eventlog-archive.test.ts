import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { isStorageError } from '@store/backend-core';
import { EventLog } from '@store/eventlog';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { S3Backend } from '../src/index.js';
import { allKeys, describeS3, rawClient, testBucket, type S3TestSettings } from '@store/test-helpers/s3';

/** Event `id`: its id spelled out and padded to a length that varies with the id. */
const event = (id: number): Uint8Array => new TextEncoder().encode(`event ${id} `.padEnd(20 + ((id * 37) % 300), String.fromCharCode(97 + (id % 26))));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describeS3('eventlog archival to S3Backend', (s: S3TestSettings) => {
  let client: S3Client;
  let bucket: string;
  let remove: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    client = rawClient(s);
    ({ name: bucket, remove } = await testBucket(client, 'archive'));
  });
  afterAll(async () => {
    await remove();
    client.destroy();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'backend-s3-archive-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('archives sealed segments to Ceph, deletes the local copies, and reads every event back through the log', async () => {
    const logDir = path.join(dir, 'log');
    const events = 2_000;
    const open = (archive: S3Backend): Promise<EventLog> => EventLog.open(logDir, { maxFileSize: 32 * 1024, archive, archivePrefix: 'cold/run-1' });
    const first = new S3Backend({ client, bucket, prefix: 'logs' });
    let archived: number;
    {
      await using log = await open(first);
      for (let i = 0; i < events; i++) await log.append(event(i));
      await log.flush();
      const report = await log.archive();
      archived = report.archived.length;
      expect(archived).toBeGreaterThan(5);
      // Only the active segment is left on the local disk.
      expect((await readdir(logDir)).filter((n) => n.endsWith('.log'))).toHaveLength(1);
      expect((await allKeys(client, bucket, 'logs/cold/run-1/')).filter((k) => k.endsWith('.log'))).toHaveLength(archived);
    }
    // A new process's view: a new backend (and client) over the same bucket and prefix.
    await using second = new S3Backend({ endpoint: s.endpoint, region: s.region, credentials: s.credentials, bucket, prefix: 'logs' });
    {
      await using log = await open(second);
      let next = 0;
      for await (const e of log.iterRange(0)) {
        expect(e.id).toBe(next);
        expect(same(e.data, event(e.id))).toBe(true);
        next++;
      }
      expect(next).toBe(events);
      for (const id of [0, 1, 777, 1_500, events - 1]) expect(same(await log.get(id), event(id))).toBe(true);
      expect((await log.verify()).problems).toEqual([]);
      expect((await log.stats()).archivedSegments).toBe(archived);
    }
    {
      // Without the archive the archived events say where they went.
      await using log = await EventLog.open(logDir, { readOnly: true });
      const error = await log.get(10).catch((e: unknown) => e);
      expect(isStorageError(error, 'ENOENT')).toBe(true);
    }
  });
});
