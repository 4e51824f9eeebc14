import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { tempDir } from './helpers.js';

// Real faults in a child process: a file-size limit makes writes fail with EFBIG, an
// address-space limit keeps the checksum thread from starting. The child runs the built
// package (dist/), as an application would.
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'index.js');

const PAYLOAD = `const payload = (id) => { const b = Buffer.alloc(100, id & 0xff); b.writeUInt32BE(id >>> 0, 0); return b; };`;

/** Runs `body` as an ES module under bash with the given ulimit options; returns its JSON line. */
function child(limits: string, body: string): { status: number | null; out: Record<string, unknown>; stdout: string; stderr: string } {
  const script = `const { EventLog } = await import(${JSON.stringify(dist)});\n${PAYLOAD}\n${body}`;
  const r = spawnSync('bash', ['-c', `trap '' XFSZ; ${limits}; exec "$0" --input-type=module -e "$1"`, process.execPath, script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return { status: r.status, out: line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}, stdout: r.stdout, stderr: r.stderr };
}

/** Every event of the log at `dir`, checked: consecutive from 0, each payload its own id. */
async function held(dir: string): Promise<number> {
  await using log = await EventLog.open(dir);
  let next = 0;
  for await (const e of log.iterRange(0)) {
    if (e.id !== next || e.data.length !== 100 || Buffer.from(e.data).readUInt32BE(0) !== e.id) expect.fail(`event ${e.id} (expected ${next}) is wrong`);
    next++;
  }
  expect((await log.verify()).problems).toEqual([]);
  return next;
}

describe('faults', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(async () => cleanup());

  // 20 MB: the write fails after the checksum thread took over; 600 KB: before it started.
  describe.each([
    ['batch', 20_000],
    ['none', 20_000],
    ['batch', 600],
    ['none', 600],
  ])('a write that fails (EFBIG) with durability %s at %d KB', (durability, limitKb) => {
    it('is final: appends, flush, sync and close all fail, no fd stays open, and the reopened log holds every acknowledged event', async () => {
      const d = path.join(dir, `efbig-${durability}-${limitKb}`);
      const r = child(
        `ulimit -f ${limitKb}`,
        `
        const log = await EventLog.open(${JSON.stringify(d)}, { durability: ${JSON.stringify(durability)}, maxFileSize: 256 * 1024 * 1024 });
        let acked = -1, error, threaded = false;
        try {
          for (let round = 0; round < 100000; round++) {
            const first = log.nextId;
            const last = await log.appendBatchWithIds(first, Array.from({ length: 1000 }, (_, i) => payload(first + i)));
            if (${JSON.stringify(durability)} === 'batch') acked = last;
            else if (round % 10 === 9) { await log.sync(); acked = last; }
            if (round % 10 === 0) threaded ||= (await log.stats()).checksumThread;
          }
        } catch (e) { error = e; }
        const after = [];
        after.push(await log.append(payload(log.nextId)).then(() => 'ok', (e) => e.code));
        after.push(await log.flush().then(() => 'ok', (e) => e.code));
        after.push(await log.sync().then(() => 'ok', (e) => e.code));
        after.push(await log.close().then(() => 'ok', (e) => e.code));
        const { readdirSync, readlinkSync } = await import('node:fs');
        const fds = readdirSync('/proc/self/fd').map((f) => { try { return readlinkSync('/proc/self/fd/' + f); } catch { return ''; } }).filter((l) => l.startsWith(${JSON.stringify(d)}));
        console.log(JSON.stringify({ acked, code: error?.code, message: error?.message, threaded, after, fds }));`,
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.out.code).toBe('EIO');
      expect(String(r.out.message)).toContain('EFBIG');
      expect(r.out.threaded).toBe(limitKb > 1000);
      expect(r.out.after).toEqual(['EIO', 'EIO', 'EIO', 'EIO']);
      expect(r.out.fds).toEqual([]);
      const n = await held(d);
      expect(n - 1).toBeGreaterThanOrEqual(r.out.acked as number);
    });
  });

  it('appends go on without the checksum thread when it cannot start (address-space limits)', async () => {
    // V8 reserves gigabytes of address space per WebAssembly memory. Under a range of
    // `ulimit -v` values: too low and node itself cannot start (not our concern), high
    // enough and everything works, and in between the writer's own memory fits but the
    // thread's does not — there the writer must carry on alone. Before the fix the
    // thread's start-up error killed the writer.
    const outcomes: string[] = [];
    for (let gib = 12; gib <= 30; gib += 2) {
      const d = path.join(dir, `no-thread-${gib}`);
      const r = child(
        `ulimit -v ${gib * 1024 * 1024}`,
        `
        const log = await EventLog.open(${JSON.stringify(d)});
        console.log('OPENED');
        for (let r = 0; r < 200; r++) {
          const first = log.nextId;
          await log.appendBatchWithIds(first, Array.from({ length: 1000 }, (_, i) => payload(first + i)));
          if (r % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const threaded = (await log.stats()).checksumThread;
        await log.close();
        console.log(JSON.stringify({ next: log.nextId, threaded }));`,
      );
      if (!r.stdout.includes('OPENED')) {
        outcomes.push(`${gib}: no start`);
        continue;
      }
      // Once the log is open, the run must finish cleanly and hold every event.
      expect(r.stderr, `ulimit ${gib} GiB`).toBe('');
      expect(r.status).toBe(0);
      expect(r.out.next).toBe(200_000);
      expect(await held(d)).toBe(200_000);
      outcomes.push(`${gib}: ${r.out.threaded === true ? 'thread' : 'alone'}`);
    }
    expect(outcomes.some((o) => o.endsWith('alone')), outcomes.join(', ')).toBe(true);
  });

  it('a trickle of single appends never starts the checksum thread', async () => {
    await using log = await EventLog.open(path.join(dir, 'trickle'));
    for (let i = 0; i < 60; i++) {
      await log.append(Buffer.alloc(100, i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await log.stats()).checksumThread).toBe(false);
  });
});
