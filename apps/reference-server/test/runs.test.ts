import { execFileSync } from 'node:child_process';
import { readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { readRun, SummaryWriter } from '@store/tfevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startServer, type Running } from './helpers.js';

let s: Running;
beforeAll(async () => {
  s = await startServer({ limits: { maxBatchEvents: 50 } });
});
afterAll(async () => {
  await s.close();
});

const post = (kind: string, run: string, body: unknown) =>
  fetch(`${s.url}/v1/${kind}?run=${encodeURIComponent(run)}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('TensorBoard run routes', () => {
  it('logs scalars, histograms and text to a run and reads them back', async () => {
    expect(await json(await post('scalars', 'exp/a', [
      { tag: 'loss', value: 0.5, step: 1, wallTime: 1000.25 },
      { tag: 'loss', value: 0.25, step: 2, wallTime: 1001.5 },
      { tag: 'acc', value: 1 / 3, step: 2, wallTime: 1001.5 },
    ]))).toEqual({ run: 'exp/a', count: 3 });
    expect(await json(await fetch(`${s.url}/v1/scalars?run=exp/a&tag=loss`))).toEqual([
      { step: 1, wallTime: 1000.25, value: 0.5 },
      { step: 2, wallTime: 1001.5, value: 0.25 },
    ]);
    // Scalars are float32 on disk (TensorBoard's simple_value): what is read is Math.fround.
    expect(await json(await fetch(`${s.url}/v1/scalars?run=exp/a&tag=acc`))).toEqual([{ step: 2, wallTime: 1001.5, value: Math.fround(1 / 3) }]);

    await post('histograms', 'exp/a', [
      { tag: 'w', step: 3, values: [1, 2, 2, 3, 3, 3] },
      { tag: 'w', step: 4, histogram: { min: 0, max: 2, num: 3, sum: 3, sumSquares: 5, bucketLimits: [1, 2], bucketCounts: [1, 2] } },
    ]);
    const h = (await json(await fetch(`${s.url}/v1/histograms?run=exp/a&tag=w`))) as Array<{ step: number; histogram: { num: number; min: number; max: number; bucketCounts: number[] } }>;
    expect(h.map((x) => x.step)).toEqual([3, 4]);
    expect(h[0]!.histogram).toMatchObject({ min: 1, max: 3, num: 6, sum: 14 });
    expect(h[1]!.histogram).toMatchObject({ min: 0, max: 2, num: 3, bucketLimits: [1, 2], bucketCounts: [1, 2] });

    await post('text', 'exp/a', [{ tag: 'notes', text: 'héllo **world**', step: 5 }]);
    expect(await json(await fetch(`${s.url}/v1/text?run=exp/a&tag=notes`))).toMatchObject([{ step: 5, text: 'héllo **world**' }]);

    const runs = (await json(await fetch(`${s.url}/v1/runs`))) as Array<{ run: string; tags: Record<string, string> }>;
    expect(runs).toContainEqual({ run: 'exp/a', tags: { loss: 'scalar', acc: 'scalar', w: 'histogram', notes: 'text' } });
  });

  it('what the server wrote is a TensorBoard run: event files in <logdir>/<run>, readable by the tfevents reader', async () => {
    await post('scalars', 'tb', [{ tag: 'x', value: 2, step: 7 }]);
    const dir = path.join(s.dataDir, 'runs/tb');
    expect(readdirSync(dir).some((n) => n.startsWith('events.out.tfevents.'))).toBe(true);
    const events = [];
    for await (const e of readRun(dir)) events.push(e);
    expect(events[0]).toMatchObject({ kind: 'fileVersion', version: 'brain.Event:2' });
    expect(events.filter((e) => e.kind === 'scalar')).toMatchObject([{ tag: 'x', value: 2, step: 7 }]);
  });

  it('a run file replaced by another of the same name, size and mtime is read anew (the run index notes inode and ctime too)', async () => {
    const write = async (dir: string, value: number): Promise<string> => {
      const w = new SummaryWriter({ logDir: dir });
      w.addScalar('v', value, 1, 1000);
      await w.close();
      return path.join(dir, readdirSync(dir).find((n) => n.startsWith('events.out.tfevents.'))!);
    };
    const first = await write(path.join(s.dataDir, 'runs/replaced'), 1);
    expect(await json(await fetch(`${s.url}/v1/scalars?run=replaced&tag=v`))).toEqual([{ step: 1, wallTime: 1000, value: 1 }]);
    const second = await write(path.join(s.root, 'elsewhere'), 2);
    const before = statSync(first, { bigint: true });
    expect(statSync(second, { bigint: true }).size).toBe(before.size);
    renameSync(second, first);
    // The mtime put back to the nanosecond (utimes takes seconds as a double).
    execFileSync('touch', ['-m', '-d', `@${before.mtimeNs / 1_000_000_000n}.${String(before.mtimeNs % 1_000_000_000n).padStart(9, '0')}`, first]);
    expect(statSync(first, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    expect(await json(await fetch(`${s.url}/v1/scalars?run=replaced&tag=v`))).toEqual([{ step: 1, wallTime: 1000, value: 2 }]);
  });

  it('unknown runs and tags are 404; bad runs and bodies are 400; batches over the limit name it', async () => {
    const expectError = async (r: Response, status: number, code: string): Promise<void> => {
      expect(r.status).toBe(status);
      expect(((await json(r)) as { error: { code: string } }).error.code).toBe(code);
    };
    await expectError(await fetch(`${s.url}/v1/scalars?run=nope&tag=x`), 404, 'ENOENT');
    await post('scalars', 'r1', [{ tag: 'x', value: 1 }]);
    await expectError(await fetch(`${s.url}/v1/scalars?run=r1&tag=other`), 404, 'ENOENT');
    await expectError(await fetch(`${s.url}/v1/scalars?run=r1`), 400, 'EINVAL');
    await expectError(await fetch(`${s.url}/v1/scalars?run=../../etc&tag=x`), 400, 'EINVAL');
    await expectError(await post('scalars', '../escape', [{ tag: 'x', value: 1 }]), 400, 'EINVAL');
    await expectError(await post('scalars', 'r1', [{ tag: 'x', value: 'one' }]), 400, 'EINVAL');
    await expectError(await post('scalars', 'r1', { tag: 'x', value: 1 }), 400, 'EINVAL');
    await expectError(await post('histograms', 'r1', [{ tag: 'h', step: 1 }]), 400, 'EINVAL');
    const big = await post('scalars', 'r1', Array.from({ length: 51 }, () => ({ tag: 'x', value: 1 })));
    expect(big.status).toBe(400);
    expect(await json(big)).toMatchObject({ error: { code: 'ELIMIT', limit: 'maxBatchEvents' } });
  });
});
