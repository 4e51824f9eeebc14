// The crash cases' parent side: the child dies of our SIGKILL when the predicate holds, at
// the polling deadline, or as soon as the run is aborted — never left to the 30 s guard.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir, type TempDir } from '@store/test-helpers';
import { runAndKill } from '../dist/kill-child.js';

let dir: TempDir;
let script: string;
beforeEach(async () => {
  dir = await tempDir('conformance-kill-');
  script = path.join(dir.dir, 'child.mjs');
  // Prints READY, then ticks into its log forever (or exits at once when told to).
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs';
const { log, exitAtOnce } = JSON.parse(process.argv[2]);
if (exitAtOnce) { process.stderr.write('boom'); process.exit(3); }
process.stdout.write('READY\\n');
let n = 0;
setInterval(() => appendFileSync(log, 'tick ' + n++ + '\\n'), 5);
`,
  );
});
afterEach(() => dir.cleanup());

describe('runAndKill', () => {
  test('kills when the predicate holds', async () => {
    const log = path.join(dir.dir, 'log');
    let polls = 0;
    await runAndKill({
      script,
      args: { log },
      name: 'test child',
      pollMs: 20_000,
      killNow: () => {
        polls++;
        try {
          return readFileSync(log, 'utf8').includes('tick 3');
        } catch {
          return false;
        }
      },
      signal: new AbortController().signal,
    });
    expect(polls).toBeGreaterThan(0);
  });

  test('an abort kills the child at once (the 30 s guard is not what ends it)', async () => {
    const controller = new AbortController();
    const run = runAndKill({ script, args: { log: path.join(dir.dir, 'log') }, name: 'test child', delayMs: 60_000, pollMs: 60_000, killNow: () => false, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    // Without the abort the child would live until the 30 s guard, past this test's timeout.
    await expect(run).rejects.toThrow(/abort/i);
  }, 15_000);

  test('a child that exits on its own is an error naming it, with its stderr', async () => {
    await expect(
      runAndKill({ script, args: { exitAtOnce: true }, name: 'test child', pollMs: 1000, killNow: () => true, signal: new AbortController().signal }),
    ).rejects.toThrow(/test child exited before it was killed \(code 3.*boom/);
  });
});
