// Why the crash tests' children log progress to a file (progressLog) and not to stdout: Node
// writes to a pipe asynchronously on POSIX, so what the pipe cannot take waits in the
// child's memory and dies with it. Three crash harnesses (eventlog, mvcc-pages, vector-file)
// trusted stdout lines and lost some under load: vector-file's then failed on an operation it
// had never heard of. This shows the loss and that the progress log keeps every line.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PROGRESS_LOG_ENV, progressLog, readProgressLog, tempDir, type TempDir } from '@store/test-helpers';

const CHILD = fileURLToPath(new URL('./fixtures/flood-child.mjs', import.meta.url));

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('progress-log-');
});
afterEach(() => dir.cleanup());

it('lines a killed child wrote to a pipe nobody read are lost; its progress log has them all', async () => {
  const log = path.join(dir.dir, 'progress');
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, [PROGRESS_LOG_ENV]: log } });
  child.stdout.pause(); // the parent is busy: the pipe fills up
  // Wait until the child has written (and logged) every line, then kill it.
  while (!readProgressLog(log).includes('DONE')) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  let piped = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (piped += chunk));
  child.stdout.resume();
  await new Promise((resolve) => child.on('close', resolve));
  const received = piped.split('\n').filter((l) => l.startsWith('L ')).length;
  const logged = readProgressLog(log).filter((l) => l.startsWith('L ')).length;
  expect(logged).toBe(5000);
  // 500 KB is far more than a pipe holds (64 KiB on Linux): the rest was queued in the child.
  expect(received).toBeLessThan(5000);
}, 30_000);

it('readProgressLog leaves out a line cut short by the kill, and a missing log is empty', () => {
  const file = path.join(dir.dir, 'cut');
  writeFileSync(file, 'A 1\nA 2\nA 3');
  expect(readProgressLog(file)).toEqual(['A 1', 'A 2']);
  rmSync(file);
  expect(readProgressLog(file)).toEqual([]);
  const say = progressLog(file);
  say('I 7 2');
  expect(readProgressLog(file)).toEqual(['I 7 2']);
});
