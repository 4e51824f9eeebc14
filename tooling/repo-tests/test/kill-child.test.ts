// killAfterCue, the parent side the crash tests of eventlog, mvcc-pages and vector-file share.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { killAfterCue, tempDir, type TempDir } from '@store/test-helpers';

const CHILD = fileURLToPath(new URL('./fixtures/cue-child.mjs', import.meta.url));

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('kill-child-');
});
afterEach(() => dir.cleanup());

it('arms the kill on the cue armOn answers with a delay, and returns the cues and the whole progress log', async () => {
  const log = path.join(dir.dir, 'progress');
  const seen: string[] = [];
  const run = await killAfterCue({
    args: [CHILD, 'cue'],
    progressLog: log,
    armOn: (cue) => {
      seen.push(cue);
      return cue.startsWith('GO ') ? 0 : undefined;
    },
  });
  expect(seen).toEqual(['WAIT', 'GO 7']);
  expect(run.cues).toEqual(['WAIT', 'GO 7']);
  // Everything logged before the cue that armed the kill is there.
  expect(run.progress).toEqual(['P 1', 'P 2', 'P 3']);
  expect(existsSync(log)).toBe(false);
});

it('rejects with the exit code and stderr when the child ends on its own', async () => {
  const log = path.join(dir.dir, 'progress');
  await expect(killAfterCue({ args: [CHILD, 'exit'], progressLog: log, armOn: () => 0 })).rejects.toThrow(/exit 3.*cannot open the store/s);
});
