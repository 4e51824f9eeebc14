import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { StorageError } from '@store/backend-core';
import { expectFollowerSettles } from '@store/test-helpers/follower';
import { describe, expect, it } from 'vitest';
import { SummaryWriter, TfEventsStore, encodeRecord, listEventFiles, listRuns, readEventBatches, readEvents, readRun, readRunBatches, type TfEvent } from '../src/index.js';
import { encodeEvent } from '../src/proto/index.js';
import { cli, collect, drain, PACKAGE_ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);

/** Issue 10: faults found by an independent round of tests, one test (at least) per item. */



async function writeScalars(dir: string, n: number): Promise<string> {
  const writer = new SummaryWriter({ logDir: dir, maxQueue: 100_000 });
  for (let i = 0; i < n; i++) writer.addScalar('loss', i, i, 1000 + i);
  await writer.close();
  return writer.currentFile;
}

/** Flips one payload byte of the record that holds the scalar of `step`. */
async function damageStep(file: string, step: number): Promise<number> {
  const events = await collect(readEvents(file));
  const target = events.find((e) => e.kind === 'scalar' && e.step === step)!;
  const bytes = readFileSync(file);
  bytes[target.offset + 12 + 3]! ^= 0x40;
  writeFileSync(file, bytes);
  return target.offset;
}

describe('1: every verified event before a damaged record reaches the caller', () => {
  it('readEvents / readRun / batch readers in throw mode', async () => {
    await using tmp = await tempDir();
    const file = await writeScalars(tmp.dir, 3000);
    const offset = await damageStep(file, 1499);
    const readers: Array<AsyncIterable<TfEvent>> = [readEvents(file), readRun(tmp.dir)];
    for (const reader of readers) {
      const { items, error } = await drain(reader);
      expect(items.filter((e) => e.kind === 'scalar')).toHaveLength(1499);
      expect(error).toMatchObject({ code: 'ECORRUPT', offset, path: file });
    }
    for (const reader of [readEventBatches(file), readRunBatches(tmp.dir)]) {
      const { items, error } = await drain(reader);
      expect(items.flat().filter((e) => e.kind === 'scalar')).toHaveLength(1499);
      expect(error).toMatchObject({ code: 'ECORRUPT', offset });
    }
  });

  it('TfEventsStore.getEvents: the error carries every event matched before the damage', async () => {
    await using tmp = await tempDir();
    const store = new TfEventsStore({ logDirectory: tmp.dir, maxQueue: 100_000 });
    for (let i = 0; i < 50; i++) store.store({ type: 'scalar', tag: 'loss', step: i, value: i });
    await store.flush();
    await damageStep(store.currentFile, 30);
    const error = await store.getEvents().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ECORRUPT' });
    expect((error as { events: Array<{ step: number }> }).events.map((e) => e.step)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await store.close().catch(() => undefined);
  });

  it('tfevents cat prints every event before the damage, then fails', async () => {
    await using tmp = await tempDir();
    const file = await writeScalars(tmp.dir, 20);
    await damageStep(file, 10);
    for (const target of [file, tmp.dir]) {
      const r = await cli('cat', target);
      expect(r.code).toBe(1);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
      expect(lines.filter((l) => l.kind === 'scalar')).toHaveLength(10);
      expect(r.stderr).toContain('ECORRUPT');
    }
  });

  it('tfevents inspect reports the events before the damage and fails', async () => {
    await using tmp = await tempDir();
    const file = await writeScalars(tmp.dir, 20);
    await damageStep(file, 10);
    const r = await cli('inspect', tmp.dir, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ECORRUPT');
    const report = JSON.parse(r.stdout) as Record<string, { tags: Record<string, { count: number }> }>;
    expect(report['.']!.tags.loss!.count).toBe(10);
  });
});

describe('2: a rejected call writes nothing', () => {
  it('addScalars validates every key and value before writing', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    expect(() => writer.addScalars('m', { a: 1, b: 'x' as unknown as number }, 3)).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'values.b' }));
    expect(() => writer.addScalars('m', { a: 1, 'c/d': 2 }, 3)).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'values.c/d' }));
    expect(() => writer.addScalars('m', { a: 1 }, 1.5)).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'step' }));
    expect(() => writer.addScalars('m', null as unknown as Record<string, number>)).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'values' }));
    await writer.close();
    expect(readdirSync(tmp.dir).filter((n) => !n.includes('tfevents'))).toEqual([]);
  });

  it('addHparams validates everything before creating its sub-run', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    expect(() => writer.addHparams({ lr: 0.1 }, { acc: 'x' as unknown as number }, { runName: 'r1' })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'metrics.acc' }));
    expect(() => writer.addHparams({ lr: {} as unknown as number }, {}, { runName: 'r2' })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'hparams.lr' }));
    expect(() => writer.addHparams({ lr: 1 }, {}, { runName: 'r3', step: -0.5 })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'step' }));
    expect(() => writer.addHparams({ lr: 1 }, {})).not.toThrow();
    await writer.close();
    expect(existsSync(path.join(tmp.dir, 'r1')) || existsSync(path.join(tmp.dir, 'r2')) || existsSync(path.join(tmp.dir, 'r3'))).toBe(false);
  });

  it('addProfiling and addHistogram write nothing when any part is invalid', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    const before = await writer.flush().then(() => readFileSync(writer.currentFile).length);
    expect(() => writer.addProfiling('p', { durationMs: 1, counters: { a: 1, b: 'x' as unknown as number } })).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'counters.b' }));
    expect(() => writer.addHistogram('h', [1, Number.NaN])).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    await writer.flush();
    expect(readFileSync(writer.currentFile).length).toBe(before);
    await writer.close();
  });
});

const BAD = 'tag\ud800';

describe('3: strings that are not exact UTF-8 are refused, never changed', () => {
  it('every string the writer puts into a file', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const cases: Array<[() => void, string]> = [
      [() => writer.addScalar(BAD, 1), 'tag'],
      [() => writer.addScalar('\udc00x', 1), 'tag'],
      [() => writer.addScalars(BAD, { a: 1 }), 'tag'],
      [() => writer.addScalars('m', { [BAD]: 1 }), `values.${BAD}`],
      [() => writer.addHistogram(BAD, [1, 2]), 'tag'],
      [() => writer.addHistogramRaw(BAD, { min: 0, max: 1, num: 1, sum: 1, sumSquares: 1, bucketLimits: [1], bucketCounts: [1] }), 'tag'],
      [() => writer.addText(BAD, 'x'), 'tag'],
      [() => writer.addText('t', `text ${BAD}`), 'text'],
      [() => writer.addImage(BAD, png), 'tag'],
      [() => writer.addHparams({ [BAD]: 1 }, {}, { runName: 'h' }), `hparams.${BAD}`],
      [() => writer.addHparams({ opt: BAD }, {}, { runName: 'h' }), 'hparams.opt'],
      [() => writer.addHparams({ lr: 1 }, { [BAD]: 1 }, { runName: 'h' }), `metrics.${BAD}`],
      [() => writer.addHparams({ lr: 1 }, {}, { runName: BAD }), 'runName'],
      [() => writer.addProfiling(BAD, { durationMs: 1 }), 'name'],
      [() => writer.addProfiling('p', { counters: { [BAD]: 1 } }), `counters.${BAD}`],
      [() => new SummaryWriter({ logDir: path.join(tmp.dir, BAD) }), 'logDir'],
      [() => new SummaryWriter({ logDir: tmp.dir, filenameSuffix: BAD }), 'filenameSuffix'],
    ];
    for (const [call, field] of cases) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(StorageError);
      expect(caught, field).toMatchObject({ code: 'EINVAL', field });
    }
    writer.addScalar('tag\ud83d\ude00', 1); // a proper pair is fine
    await writer.close();
    const tags = (await collect(readRun(tmp.dir))).filter((e) => e.kind === 'scalar').map((e) => (e as { tag: string }).tag);
    expect(tags).toEqual(['tag\ud83d\ude00']);
    expect(await listRuns(tmp.dir)).toEqual(['.']);
  });
});

describe('4: histogram invariants', () => {
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

  it('every finite value lands in a bucket', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    const inputs = [[1e20, 2e20], [1e25, 1, 2], [-1e300, 1e300, 0], [-Number.MAX_VALUE, Number.MAX_VALUE], [5e-324, -5e-324, 0]];
    inputs.forEach((values, i) => writer.addHistogram('h', values, i));
    writer.addHistogram('b', [-1e308, 1e308, 3], 0, { bins: 4 });
    writer.addHistogram('e', [-5, 0.5, 1.5, 99], 0, { bins: [0, 1, 2] });
    await writer.close();
    const histos = (await collect(readRun(tmp.dir))).filter((e) => e.kind === 'histogram');
    expect(histos).toHaveLength(inputs.length + 2);
    for (const e of histos) {
      if (e.kind !== 'histogram' || e.histogram.format !== 'proto') throw new Error('expected a proto histogram');
      const h = e.histogram;
      expect(sum(h.bucketCounts), `${e.tag} step ${e.step}`).toBe(h.num);
      for (let i = 1; i < h.bucketLimits.length; i++) expect(h.bucketLimits[i]!).toBeGreaterThan(h.bucketLimits[i - 1]!);
      expect(h.bucketLimits.every((l) => !Number.isNaN(l))).toBe(true);
    }
  });

  it('addHistogramRaw refuses inconsistent input', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    const good = { min: 0, max: 2, num: 3, sum: 3, sumSquares: 5, bucketLimits: [1, 2], bucketCounts: [1, 2] };
    writer.addHistogramRaw('ok', good);
    const bad: Array<[Partial<typeof good>, string]> = [
      [{ bucketLimits: [2, 1] }, 'bucketLimits'],
      [{ bucketLimits: [1, 1] }, 'bucketLimits'],
      [{ bucketLimits: [Number.NaN, 2] }, 'bucketLimits'],
      [{ bucketCounts: [1, 1] }, 'bucketCounts'],
      [{ bucketCounts: [-1, 4] }, 'bucketCounts'],
      [{ bucketCounts: [1, Number.POSITIVE_INFINITY] }, 'bucketCounts'],
      [{ num: -3, bucketCounts: [-1, -2] }, 'num'],
      [{ min: 3 }, 'min'],
    ];
    for (const [patch, field] of bad) {
      expect(() => writer.addHistogramRaw('h', { ...good, ...patch }), field).toThrow(expect.objectContaining({ code: 'EINVAL', field }));
    }
    await writer.close();
    expect((await collect(readRun(tmp.dir))).filter((e) => e.kind === 'histogram')).toHaveLength(1);
  });
});

describe('5: each addHparams session is visible', () => {
  it('each call without a run name goes to a sub-run of its own', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    writer.addHparams({ lr: 0.1 }, { acc: 0.5 });
    writer.addHparams({ lr: 0.2 }, { acc: 0.7 });
    writer.addHparams({ lr: 0.3 }, { acc: 0.9 }, { runName: 'named' });
    await writer.close();
    const runs = (await listRuns(tmp.dir)).filter((r) => r !== '.');
    expect(runs).toHaveLength(3);
    expect(runs).toContain('named');
    const seen: number[] = [];
    for (const r of runs) {
      const events = await collect(readRun(path.join(tmp.dir, r)));
      const starts = events.filter((e) => e.kind === 'hparams' && e.data.sessionStartInfo !== undefined);
      expect(starts, r).toHaveLength(1);
      const start = starts[0]!;
      if (start.kind === 'hparams') seen.push(start.data.sessionStartInfo!.hparams.lr as number);
    }
    expect(seen.sort()).toEqual([0.1, 0.2, 0.3]);
  });
});

describe('6: a follower keeps reading every file of the run that still grows', () => {
  it('a profile-empty file appearing later does not stop the live file', { timeout: 15_000 }, async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir, maxQueue: 1 });
    const controller = new AbortController();
    const steps: number[] = [];
    const files: string[] = [];
    let wake: (() => void) | undefined;
    const reading = (async () => {
      for await (const e of readRun(tmp.dir, { follow: true, pollMs: 5, signal: controller.signal })) {
        if (e.kind === 'scalar') steps.push(e.step);
        files.push(path.basename(e.file));
        wake?.();
      }
    })().catch((error: unknown) => error);
    const waitFor = (done: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (done()) resolve();
        };
        wake = check;
        check();
      });
    const until = (n: number): Promise<void> => waitFor(() => steps.length >= n);
    for (let i = 0; i < 5; i++) writer.addScalar('x', i, i);
    await writer.flush();
    await until(5);
    // TensorFlow's profiler drops a one-record file beside the live one; its name sorts later.
    const seconds = Number(/tfevents\.(\d+)\./.exec(path.basename(writer.currentFile))![1]);
    const profileEmpty = `events.out.tfevents.${seconds + 100}.host.profile-empty`;
    writeFileSync(path.join(tmp.dir, profileEmpty), encodeRecord(encodeEvent({ wallTime: 1, fileVersion: 'brain.Event:2' })));
    // Once the reader has read the newer file, the writer goes on in the older one.
    await waitFor(() => files.includes(profileEmpty));
    expect(await listEventFiles(tmp.dir)).toHaveLength(2);
    for (let i = 5; i < 10; i++) writer.addScalar('x', i, i);
    await writer.flush();
    await until(10);
    controller.abort();
    expect(await reading).toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await writer.close();
  });
});

describe('7: one stray file does not poison a directory', () => {
  it('readRun reports the stray file and reads the rest; the CLI warns and goes on', async () => {
    await using tmp = await tempDir();
    await writeScalars(path.join(tmp.dir, 'run'), 10);
    await writeScalars(path.join(tmp.dir, 'other'), 5);
    const stray = path.join(tmp.dir, 'run', 'notes.tfevents.md');
    writeFileSync(stray, '# notes about this run\nlearning rate was too high\n');
    const bad: StorageError[] = [];
    const events = await collect(readRun(path.join(tmp.dir, 'run'), { onBadFile: (e) => bad.push(e) }));
    expect(events.filter((e) => e.kind === 'scalar')).toHaveLength(10);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ code: 'ECORRUPT', path: stray, offset: 0 });
    const inspect = await cli('inspect', tmp.dir);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('run run: 1 file, 11 events');
    expect(inspect.stdout).toContain('run other: 1 file, 6 events');
    expect(inspect.stderr).toContain('notes.tfevents.md');
    const cat = await cli('cat', path.join(tmp.dir, 'run'));
    expect(cat.code).toBe(0);
    expect(cat.stdout.trim().split('\n')).toHaveLength(11);
    expect(cat.stderr).toContain('notes.tfevents.md');
    const verify = await cli('verify', tmp.dir);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('notes.tfevents.md');
  });
});

describe('8: background work of an iterator settles quietly on abort/return', () => {
  it('abort or return() while a follower sleeps: the pending next() settles, nothing rejects unseen', { timeout: 20_000 }, async () => {
    await using tmp = await tempDir();
    await writeScalars(tmp.dir, 3);
    const sources = (signal?: AbortSignal): Array<AsyncIterable<unknown>> => {
      const options = { follow: true, pollMs: 600_000, ...(signal ? { signal } : {}) };
      return [readRun(tmp.dir, options), readRunBatches(tmp.dir, options), readEvents(listFile(tmp.dir), options), readEventBatches(listFile(tmp.dir), options)];
    };
    // pollMs is 10 minutes, so the follower is asleep between polls when it is cut off.
    for (let i = 0; i < 4; i++) {
      // Everything there is: the file_version event and three scalars, or one batch.
      await expectFollowerSettles((signal) => sources(signal)[i]![Symbol.asyncIterator](), i % 2 === 0 ? 4 : 1);
    }
  });
});

function listFile(dir: string): string {
  return path.join(dir, readdirSync(dir).find((n) => n.includes('tfevents'))!);
}

describe('9: skip mode never re-types a value', () => {
  it('text values whose metadata record was damaged are flagged, not passed off as plain tensors', async () => {
    await using tmp = await tempDir();
    const writer = new SummaryWriter({ logDir: tmp.dir });
    for (let i = 0; i < 4; i++) writer.addText('notes', `entry ${i}`, i);
    writer.addText('other', 'fine', 0);
    await writer.close();
    const file = writer.currentFile;
    const first = (await collect(readEvents(file))).find((e) => e.kind === 'text' && e.tag === 'notes')!;
    const bytes = readFileSync(file);
    bytes[first.offset + 14]! ^= 0x01;
    writeFileSync(file, bytes);
    const events = await collect(readRun(tmp.dir, { onCorrupt: 'skip', onCorruptRecord: () => {} }));
    const notes = events.filter((e) => 'tag' in e && e.tag === 'notes');
    expect(notes.map((e) => e.step)).toEqual([1, 2, 3]);
    for (const e of notes) {
      expect(e.kind).toBe('tensor');
      expect(e).toMatchObject({ pluginName: '', metadataLost: true });
    }
    expect(events.find((e) => 'tag' in e && e.tag === 'other')).toMatchObject({ kind: 'text', text: 'fine' });
  });
});

describe('10: tests that need ../shared/fixtures skip without it, and fail without it in CI', () => {
  const vitest = path.join(PACKAGE_ROOT, '../../node_modules/vitest/vitest.mjs');
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'STORE_REQUIRE_FIXTURES') out[k] = v;
    return { ...out, ...extra };
  };
  const runTests = async (extra: Record<string, string>): Promise<{ code: number; output: string }> => {
    const args = [vitest, 'run', 'test/fixtures.test.ts', 'test/store-cli.test.ts', '-t', 'fixture|inspect summarises|cat prints JSON', '--reporter=verbose'];
    try {
      const { stdout, stderr } = await run(process.execPath, args, { cwd: PACKAGE_ROOT, env: env(extra) });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  };

  it('a fresh clone (no fixture directory) passes, naming what is missing; STORE_REQUIRE_FIXTURES=1 fails', { timeout: 180_000 }, async () => {
    await using tmp = await tempDir();
    const missing = path.join(tmp.dir, 'no-such-fixtures');
    const fresh = await runTests({ STORE_FIXTURES_DIR: missing });
    expect(fresh.output).toContain(`skipped: needs the fixture directory ${missing}, which is missing`);
    expect(fresh.code, fresh.output).toBe(0);
    const ci = await runTests({ STORE_FIXTURES_DIR: missing, STORE_REQUIRE_FIXTURES: '1' });
    expect(ci.code, ci.output).toBe(1);
    expect(ci.output).toContain('STORE_REQUIRE_FIXTURES=1');
  });
});
