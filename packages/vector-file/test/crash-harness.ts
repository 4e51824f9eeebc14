import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { VectorFile } from '../src/index.js';
// @ts-expect-error plain .mjs fixture shared with the child process
import { opOf, vectorOf } from './fixtures/ops.mjs';
import { killAfterCue } from '@store/test-helpers';
import { bytesOf, rng, tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const writer = path.join(here, 'fixtures', 'crash-writer.mjs');
export const KILLS = 50;

interface Op {
  seq: number;
  id: string;
  kind: 'put' | 'delete';
}
const op = opOf as (seq: number) => Op;
const vectorFor = vectorOf as (seq: number) => Float32Array;

interface ChildRun {
  ready: number;
  /** Operations acknowledged, in order. */
  acked: Op[];
  /** Operations started but not acknowledged when the kill came. */
  inFlight: Op[];
  /** The kill landed between the start and the end of a compaction. */
  inCompaction: boolean;
  compactions: number;
}

/** What the child's progress log says: `I <seq> <n>` before ops, `A <seq> <n>` after, `C`/`CA` around a compaction. */
function replay(lines: string[], run: ChildRun): void {
  for (const line of lines) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'I') {
      run.inFlight = Array.from({ length: Number(b) }, (_, i) => op(Number(a) + i));
    } else if (kind === 'A') {
      run.acked.push(...run.inFlight);
      run.inFlight = [];
    } else if (kind === 'C') {
      run.inCompaction = true;
    } else if (kind === 'CA') {
      run.inCompaction = false;
      run.compactions++;
    }
  }
}

/**
 * Starts the writer, SIGKILLs it `delayMs` after its READY line, and reads what it did from
 * its progress log (see killAfterCue).
 */
async function runAndKill(file: string, mode: string, startSeq: number, durability: string, delayMs: number): Promise<ChildRun> {
  const { cues, progress } = await killAfterCue({
    args: [writer, file, mode, String(startSeq), durability],
    progressLog: `${file}.progress`,
    armOn: (cue) => (cue.startsWith('READY ') ? delayMs : undefined),
  });
  const ready = Number(cues.find((cue) => cue.startsWith('READY '))?.split(' ')[1] ?? -1);
  const run: ChildRun = { ready, acked: [], inFlight: [], inCompaction: false, compactions: 0 };
  replay(progress, run);
  return run;
}

/** id → seq of the put that holds it, or absent when deleted / never written. */
type Model = Map<string, number>;

function apply(model: Model, o: Op): void {
  if (o.kind === 'put') model.set(o.id, o.seq);
  else model.delete(o.id);
}

/** Checks every id against the acknowledged model (or the unacknowledged op, which may or may not have landed). */
async function check(file: string, model: Model, inFlight: Op[]): Promise<void> {
  const vf = await VectorFile.open(file);
  try {
    expect(readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const pending = new Map(inFlight.map((o) => [o.id, o]));
    const ids = new Set([...model.keys(), ...pending.keys()]);
    for (const id of ids) {
      const got = await vf.get(id);
      const acked = model.get(id);
      const maybe = pending.get(id);
      const candidates: (number | undefined)[] = [acked];
      if (maybe !== undefined) candidates.push(maybe.kind === 'put' ? maybe.seq : undefined);
      const seq = got === undefined ? undefined : (got.metadata as { seq: number }).seq;
      expect(candidates, `id ${id}`).toContain(seq);
      if (got !== undefined) expect(bytesOf(got.vector).equals(bytesOf(vectorFor(seq!))), `bits of ${id}`).toBe(true);
      if (seq === undefined) model.delete(id);
      else model.set(id, seq);
    }
    expect(vf.size).toBe(model.size);
    expect((await vf.verify()).problems).toEqual([]);
  } finally {
    await vf.close();
  }
}

/**
 * Runs `KILLS` rounds: start the writer child, SIGKILL it at a random moment, then check that
 * every acknowledged operation survived bit-exact. `durabilityOf(round)` picks each round's mode.
 */
export async function crashRounds(mode: 'puts' | 'compact', seed: number, durabilityOf: (round: number) => string, maxDelayMs: number): Promise<{ acked: number; killedInCompaction: number; compactions: number }> {
  const random = rng(seed);
  const { file, cleanup } = await tempDir();
  try {
    const model: Model = new Map();
    let seq = 0;
    let acked = 0;
    let killedInCompaction = 0;
    let compactions = 0;
    for (let round = 0; round < KILLS; round++) {
      const run = await runAndKill(file, mode, seq, durabilityOf(round), Math.floor(random() * maxDelayMs));
      expect(run.ready).toBe(seq);
      for (const o of run.acked) apply(model, o);
      acked += run.acked.length;
      seq += run.acked.length + run.inFlight.length;
      if (run.inCompaction) killedInCompaction++;
      compactions += run.compactions;
      // Every few rounds the index is removed, so the next open rebuilds it from the data file.
      if (round % 5 === 4) rmSync(`${file}.idx`, { force: true });
      await check(file, model, run.inFlight);
    }
    return { acked, killedInCompaction, compactions };
  } finally {
    await cleanup();
  }
}
