import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROGRESS_LOG_ENV, readProgressLog } from '@store/test-helpers';
import { VectorFile } from '../src/index.js';
// @ts-expect-error plain .mjs fixture shared with the child process
import { opOf, vectorOf } from './fixtures/ops.mjs';
import { bytesOf, tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const writer = path.join(here, 'fixtures', 'crash-writer.mjs');
const op = opOf as (seq: number) => { seq: number; id: string; kind: 'put' | 'delete' };
const vectorFor = vectorOf as (seq: number) => Float32Array;

let t: Awaited<ReturnType<typeof tempDir>>;
let child: ChildProcess | undefined;
beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  await t.cleanup();
});

/**
 * Starts the writer child; `acked()` is the number of operations it has acknowledged so far,
 * read from its progress log (the writer logs acknowledgements there, not on stdout).
 */
function startWriter(mode: string): Promise<{ acked: () => number }> {
  const progress = `${t.file}.progress`;
  const acked = (): number => {
    let n = 0;
    for (const line of readProgressLog(progress)) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'A') n = Number(a) + Number(b);
    }
    return n;
  };
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [writer, t.file, mode, '0', 'none'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [PROGRESS_LOG_ENV]: progress } });
    child = c;
    let out = '';
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('READY ') && out.includes('\n')) resolve({ acked });
    });
    c.on('exit', (code, signal) => reject(new Error(`writer exited early: ${code}/${signal}`)));
  });
}

function laterDelete(id: string, from: number): boolean {
  for (let s = from; s < from + 20_000; s++) {
    const o = op(s);
    if (o.id === id && o.kind === 'delete') return true;
  }
  return false;
}

/** Every operation acknowledged before `ackedBefore` is visible in `reader` (or a newer one), bit-exact. */
async function expectView(reader: VectorFile, ackedBefore: number): Promise<number> {
  // What the acknowledged operations left, per id.
  const model = new Map<string, number | undefined>();
  for (let s = 0; s < ackedBefore; s++) {
    const o = op(s);
    model.set(o.id, o.kind === 'put' ? s : undefined);
  }
  let seen = 0;
  for (const [id, seq] of model) {
    const got = await reader.get(id);
    if (got === undefined) {
      // Only a later delete explains a missing id (the writer runs ahead of the acks we have read).
      if (seq !== undefined) expect(laterDelete(id, ackedBefore), id).toBe(true);
      continue;
    }
    seen++;
    const gotSeq = (got.metadata as { seq: number }).seq;
    if (seq !== undefined) expect(gotSeq).toBeGreaterThanOrEqual(seq);
    expect(op(gotSeq).id).toBe(id);
    expect(bytesOf(got.vector).equals(bytesOf(vectorFor(gotSeq)))).toBe(true);
  }
  return seen;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('one writer across processes, readers beside it', () => {
  it('a second writer gets ELOCKED while the writer lives, and takes over once it is killed', async () => {
    const w = await startWriter('puts');
    await until(() => w.acked() > 10);
    await expect(VectorFile.open(t.file)).rejects.toMatchObject({ code: 'ELOCKED' });
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    const vf = await VectorFile.open(t.file);
    expect(vf.size).toBeGreaterThan(0);
    await vf.close();
  });

  it.each(['puts', 'compact'])('readers opened beside a writer doing %s read every acknowledged vector (or a newer one)', async (mode) => {
    const w = await startWriter(mode);
    for (let round = 0; round < 8; round++) {
      await until(() => w.acked() > 20 * (round + 1));
      const ackedBefore = w.acked();
      const reader = await VectorFile.open(t.file, { readOnly: true });
      try {
        await expectView(reader, ackedBefore);
      } finally {
        await reader.close();
      }
    }
  }, 120_000);

  it.each(['puts', 'compact'])('a reader opened once beside a writer doing %s sees every acknowledged vector after refresh(), and search agrees', async (mode) => {
    const w = await startWriter(mode);
    const reader = await VectorFile.open(t.file, { readOnly: true });
    try {
      let reopened = 0;
      let appended = 0;
      for (let round = 0; round < 12; round++) {
        await until(() => w.acked() > 15 * (round + 1));
        const ackedBefore = w.acked();
        const r = await reader.refresh();
        if (r.reopened) reopened++;
        else if (r.scannedBytes > 0) appended++;
        expect(await expectView(reader, ackedBefore)).toBeGreaterThan(0);
        if (round === 3) await reader.search(vectorFor(0), 1, { metric: 'l2' }); // from here on the search set is kept in step too
        // The search set holds exactly what get returns: each vector finds itself at distance 0.
        let checked = 0;
        for await (const v of reader.scan()) {
          if (checked++ % 17 !== 0) continue;
          const hits = await reader.search(v.vector, 1, { metric: 'l2' });
          expect(hits.map((h) => [h.id, Math.abs(h.score)])).toEqual([[v.id, 0]]);
        }
        expect((await reader.stats()).count).toBe(reader.size);
      }
      if (mode === 'compact') expect(reopened).toBeGreaterThan(0);
      else expect(appended).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
