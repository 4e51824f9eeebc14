import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SummaryWriter, TfEventsStore, listEventFiles, verifyFile } from '../src/index.js';
import { cli, FIXTURES, itWithFixtures, tempDir } from './helpers.js';


describe('TfEventsStore', () => {
  it('stores scalar, histogram and profiling events and reads every file back', async () => {
    await using tmp = await tempDir();
    const store = new TfEventsStore({ logDirectory: tmp.dir, maxFileSize: 1024 });
    expect(store.logDirectory).toBe(tmp.dir);
    expect(store.maxFileSize).toBe(1024);
    for (let step = 0; step < 100; step++) {
      store.store({ type: 'scalar', tag: 'loss', step, value: 1 / (step + 1), wallTime: 100 + step });
      if (step % 10 === 0) store.store({ type: 'histogram', tag: 'w', step, values: [step, step + 1], bins: 2, wallTime: 100 + step });
      if (step % 25 === 0) store.store({ type: 'profiling', name: 'train_step', step, durationMs: 3.25, counters: { items: 32 }, wallTime: 100 + step });
    }
    const first = store.currentFile;
    const all = await store.getEvents();
    expect((await listEventFiles(tmp.dir)).length).toBeGreaterThan(3);
    expect(path.basename(store.currentFile) >= path.basename(first)).toBe(true);
    const scalars = all.filter((e) => e.type === 'scalar');
    expect(scalars.map((e) => (e.type === 'scalar' ? e.value : 0))).toEqual(Array.from({ length: 100 }, (_, s) => Math.fround(1 / (s + 1))));
    expect(all.filter((e) => e.type === 'histogram')).toHaveLength(10);
    const profiling = all.filter((e) => e.type === 'profiling');
    expect(profiling).toHaveLength(4);
    expect(profiling[1]).toMatchObject({ type: 'profiling', name: 'train_step', step: 25, durationMs: 3.25, counters: { items: 32 }, wallTime: 125 });
    const filtered = await store.getEvents({ type: 'scalar', tag: 'loss', fromStep: 10, toStep: 12 });
    expect(filtered.map((e) => e.step)).toEqual([10, 11, 12]);
    expect(await store.getEvents({ type: ['profiling'], tag: /train/ })).toHaveLength(4);
    expect(() => store.store({ type: 'nope' } as never)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    await store.close();
  });
});

describe('tfevents CLI', () => {
  itWithFixtures('inspect summarises a file and a log directory', async () => {
    const file = path.join(FIXTURES, 'tf2-summary/events.out.tfevents.1585499054.Jaakkos-Mac-mini.local.11684.5.v2');
    const r = await cli('inspect', file, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, { events: number; tags: Record<string, { kind: string; count: number; minStep: number; maxStep: number }> }>;
    expect(report[file]!.tags.my_metric).toMatchObject({ kind: 'scalar', count: 100, minStep: 0, maxStep: 99 });

    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    writer.addScalars('loss', { train: 1, val: 2 }, 1);
    writer.addScalar('lr', 0.1, 1);
    await writer.close();
    const text = await cli('inspect', tmp.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/run \.: 1 file, 2 events\n/);
    expect(text.stdout).toMatch(/run loss_train: 1 file, \d+ events\n/);
    expect(text.stdout).toMatch(/lr {2}scalar {2}count=1 {2}steps=1\.\.1/);
  });

  itWithFixtures('cat prints JSON lines', async () => {
    const r = await cli('cat', path.join(FIXTURES, 'r-tfevents/events.out.tfevents.1687811641.v2'));
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.kind)).toEqual(['fileVersion', 'scalar']);
    expect(lines[1]).toMatchObject({ tag: 'hello', value: 1, step: 0, wallTime: 1687811641 });
  });

  it('verify exits 0 on good files, 1 on corruption, and notes a torn tail', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    for (let i = 0; i < 20; i++) writer.addScalar('x', i, i);
    await writer.close();
    const [name] = await listEventFiles(tmp.dir);
    const file = path.join(tmp.dir, name!);
    const good = await cli('verify', tmp.dir);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ok .*: 21 records\n1 file, 21 records verified: all ok\n$/);

    appendFileSync(file, readFileSync(file).subarray(0, 30));
    const torn = await cli('verify', file);
    expect(torn.code).toBe(0);
    expect(torn.stdout).toMatch(/incomplete last record/);
    expect((await cli('verify', file, '--strict')).code).toBe(1);

    const bytes = readFileSync(file);
    bytes[200]! ^= 0xff;
    writeFileSync(file, bytes);
    const bad = await cli('verify', file);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/CORRUPT .*\n {2}offset \d+: ECORRUPT/);
    const report = await verifyFile(file);
    expect(report.corrupt.length).toBe(1);
    expect(report.records).toBe(20);

    expect((await cli('inspect', file)).code).toBe(1);
    expect((await cli('inspect', file, '--skip-corrupt')).code).toBe(0);
    expect((await cli('bogus', file)).code).toBe(2);
    expect((await cli('verify', path.join(tmp.dir, 'missing'))).code).toBe(1);
  });
});
