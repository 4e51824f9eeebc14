import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRun, type TfEvent } from '../src/index.js';
import { PACKAGE_ROOT, collect, tempDir } from './helpers.js';

const CHILD = path.join(PACKAGE_ROOT, 'test/fixtures/crash-writer.mjs');

beforeAll(async () => {
  // The child imports dist/; the root test command builds it first.
  await import(path.join(PACKAGE_ROOT, 'dist/index.js'));
});

interface ChildRun {
  lines: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child; `killWhen` decides from its output lines when to SIGKILL it. */
function runChild(dir: string, mode: string, killWhen?: (lines: string[]) => boolean): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
      if (killWhen?.(lines)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => resolve({ lines, exitCode, signal }));
  });
}

const scalarSteps = (events: TfEvent[], tag: string) => events.filter((e) => e.kind === 'scalar' && e.tag === tag).map((e) => e.step);

describe('crash safety (real child processes, SIGKILL)', () => {
  for (const flushes of [1, 3, 8]) {
    it(`everything flushed before SIGKILL reads back (killed after ${flushes} flushes)`, async () => {
      await using tmp = await tempDir();
      const run = await runChild(tmp.dir, 'flush', (lines) => lines.length >= flushes);
      expect(run.signal).toBe('SIGKILL');
      const confirmed = Math.max(...run.lines.map((l) => Number(l.split(' ')[1])));
      // A torn tail is not an error; the default (throwing) reader must get through.
      const events = await collect(readRun(tmp.dir));
      const steps = scalarSteps(events, 'loss');
      expect(steps.length).toBeGreaterThanOrEqual(confirmed);
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
      expect(events.filter((e) => e.kind === 'histogram').length).toBeGreaterThanOrEqual(run.lines.length);
    });
  }

  it('everything written before close() resolved survives SIGKILL right after', async () => {
    await using tmp = await tempDir();
    const run = await runChild(tmp.dir, 'close', (lines) => lines.includes('closed 5000'));
    expect(run.signal).toBe('SIGKILL');
    const events = await collect(readRun(tmp.dir));
    expect(scalarSteps(events, 'closed')).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  for (const mode of ['exit', 'process-exit']) {
    it(`a process that exits normally (${mode}) loses nothing queued`, async () => {
      await using tmp = await tempDir();
      const run = await runChild(tmp.dir, mode);
      expect(run.exitCode).toBe(0);
      const events = await collect(readRun(tmp.dir));
      expect(scalarSteps(events, 'queued')).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(events.filter((e) => e.kind === 'histogram')).toHaveLength(1);
    });
  }
});
