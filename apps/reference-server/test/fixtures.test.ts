import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer, type Running } from './helpers.js';

/**
 * Real input: the server pointed at a logdir of event files written by TensorFlow 1/2,
 * PyTorch, Lightning, Keras, CatBoost and R returns, for every scalar series, exactly what
 * TensorBoard's own data provider served (`provider_scalars` in ACCUMULATE.oracle.jsonl):
 * the same runs, tags, steps, wall times and values.
 */
const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/tfevents');
const present = existsSync(FIXTURES);
if (!present) console.warn(`skipping the TensorBoard oracle test: ${FIXTURES} (../shared/fixtures/tfevents) is absent`);

interface OracleLine {
  type: string;
  run?: string;
  runs?: string[];
  tag?: string;
  data?: Array<{ step: number; wall_time: number; value: number }>;
}

const writers = present ? readdirSync(FIXTURES).filter((d) => statSync(path.join(FIXTURES, d)).isDirectory() && existsSync(path.join(FIXTURES, d, 'ACCUMULATE.oracle.jsonl'))) : [];

/** Our run name for the oracle's run `run` of writer directory `writer` (the logdir is the fixtures root). */
const runName = (writer: string, run: string): string => (run === '.' ? writer : `${writer}/${run}`);

let s: Running;
beforeAll(async () => {
  if (present) s = await startServer({ logdir: FIXTURES });
});
afterAll(async () => {
  await s?.close();
});

describe.skipIf(!present)('scalars served from ../shared/fixtures/tfevents equal TensorBoard provider_scalars', () => {
  it('finds the writer directories', () => {
    expect(writers.length).toBeGreaterThanOrEqual(8);
  });

  it('lists the same runs and, per run, the same scalar tags', async () => {
    const listed = (await (await fetch(`${s.url}/v1/runs`)).json()) as Array<{ run: string; tags: Record<string, string> }>;
    const byRun = new Map(listed.map((r) => [r.run, r.tags]));
    for (const writer of writers) {
      const oracle = readFileSync(path.join(FIXTURES, writer, 'ACCUMULATE.oracle.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as OracleLine);
      const runs = oracle.find((o) => o.type === 'provider_runs')!.runs!;
      for (const run of runs) {
        const tags = byRun.get(runName(writer, run));
        expect(tags, `${writer}: run ${run}`).toBeDefined();
        const ours = Object.entries(tags!)
          .filter(([, kind]) => kind === 'scalar')
          .map(([tag]) => tag)
          .sort();
        const theirs = oracle
          .filter((o) => o.type === 'provider_scalars' && o.run === run)
          .map((o) => o.tag!)
          .sort();
        expect(ours, `${writer}: scalar tags of run ${run}`).toEqual(theirs);
      }
    }
  });

  it.each(writers)('%s: every series, point by point', async (writer) => {
    const oracle = readFileSync(path.join(FIXTURES, writer, 'ACCUMULATE.oracle.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as OracleLine)
      .filter((o) => o.type === 'provider_scalars');
    expect(oracle.length).toBeGreaterThan(0);
    for (const o of oracle) {
      const run = runName(writer, o.run!);
      const r = await fetch(`${s.url}/v1/scalars?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(o.tag!)}`);
      expect(r.status, `${run} ${o.tag}`).toBe(200);
      const ours = (await r.json()) as Array<{ step: number; wallTime: number; value: number }>;
      expect(ours.map((p) => [p.step, p.wallTime, p.value]), `${run} ${o.tag}`).toEqual(o.data!.map((p) => [p.step, p.wall_time, p.value]));
    }
  });
});
