import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAfterCue } from '@store/test-helpers';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { payload } from './fixtures/payload.mjs';
import { rng, tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const writer = path.join(here, 'fixtures', 'crash-writer.mjs');
const KILLS = 50;

interface ChildRun {
  ready: number;
  maxAck: number;
  /** The child reported appending through the checksum thread before it was killed. */
  threaded: boolean;
}

/**
 * Runs the writer child until `delayMs` after its READY line, then SIGKILLs it; its
 * acknowledgements come from its progress log (see killAfterCue).
 */
async function runAndKill(dir: string, progress: string, durability: string, delayMs: number): Promise<ChildRun> {
  const { cues, progress: lines } = await killAfterCue({
    args: [writer, dir, durability, '65536'],
    progressLog: progress,
    armOn: (cue) => (cue.startsWith('READY ') ? delayMs : undefined),
  });
  const ready = Number(cues.find((cue) => cue.startsWith('READY '))?.split(' ')[1] ?? -1);
  let maxAck = -1;
  let threaded = false;
  for (const line of lines) {
    const [kind, value] = line.split(' ');
    if (kind === 'A') maxAck = Math.max(maxAck, Number(value));
    else if (kind === 'THREAD') threaded = true;
  }
  return { ready, maxAck, threaded };
}

async function checkLog(dir: string, mustHold: number): Promise<number> {
  const log = await EventLog.open(dir);
  try {
    let expected = 0;
    for await (const e of log.iterRange(0)) {
      if (e.id !== expected) throw new Error(`expected id ${expected}, found ${e.id}`);
      expect(Buffer.from(e.data).equals(payload(e.id))).toBe(true);
      expected++;
    }
    expect(expected - 1).toBeGreaterThanOrEqual(mustHold);
    const verify = await log.verify();
    expect(verify.problems).toEqual([]);
    return expected;
  } finally {
    await log.close();
  }
}

describe.each([
  ['always', KILLS],
  ['batch', KILLS],
  ['none', 25], // acknowledged = confirmed by sync()
])('SIGKILL during appends with durability %s', (durability, kills) => {
  it(`keeps every acknowledged event across ${kills} kills`, async () => {
    const seed = durability === 'always' ? 1234 : durability === 'batch' ? 5678 : 9012;
    const random = rng(seed);
    const { dir: base, cleanup } = await tempDir();
    const dir = path.join(base, 'log');
    const progress = path.join(base, 'progress');
    try {
      let held = 0;
      let totalAcked = 0;
      let threadedRuns = 0;
      for (let round = 0; round < kills; round++) {
        // Every other kill comes later, once the child has usually handed its appends to the
        // checksum thread (it takes 16 full buffers and the thread's start-up, longer on a busy machine).
        const late = durability !== 'always' && round % 2 === 1;
        const { ready, maxAck, threaded } = await runAndKill(dir, progress, durability, late ? 250 + Math.floor(random() * 250) : Math.floor(random() * 120));
        if (threaded) threadedRuns++;
        // Appends continue where the previous run's durable events ended.
        expect(ready).toBe(held);
        held = await checkLog(dir, maxAck);
        totalAcked += Math.max(0, maxAck - ready + 1);
      }
      expect(totalAcked).toBeGreaterThan(kills); // the runs really appended
      // Kills also landed while full buffers went through the checksum thread ('always' never uses it).
      if (durability === 'always') expect(threadedRuns).toBe(0);
      else expect(threadedRuns, `${threadedRuns} of ${kills} runs used the checksum thread`).toBeGreaterThanOrEqual(3);
      const log = await EventLog.open(dir, { readOnly: true });
      expect((await log.stats()).segments).toBeGreaterThan(1); // kills also landed around rotations
      await log.close();
    } finally {
      await cleanup();
    }
  }, 240_000);
});
