import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAVE_TTY_RUNNER, runNode, runNodeOnTty } from '@store/test-helpers';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { enc, tempDir } from './helpers.js';

// Issue 12, items 8-12, for the eventlog CLI: usage errors, read-only commands that
// create nothing, quiet success said in words, progress only on a terminal, grammar.

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');
const cli = (...args: string[]): ReturnType<typeof runNode> => runNode(CLI, args);
const VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function writeLog(dir: string, events: number, maxFileSize?: number): Promise<void> {
  const log = await EventLog.open(dir, maxFileSize === undefined ? {} : { maxFileSize });
  await log.appendBatch(Array.from({ length: events }, (_, i) => enc(`event ${i}`)));
  await log.close();
}

describe('eventlog CLI conventions', { timeout: 300_000 }, () => {
  it('--version prints the package version; unknown commands and options are usage errors (exit 2) before any path is looked at', async () => {
    expect(await cli('--version')).toEqual({ code: 0, signal: null, stdout: `${VERSION}\n`, stderr: '' });
    const unknown = await cli('bogus', '/no/such/dir');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^eventlog: unknown command 'bogus'\n\nusage: eventlog/);
    const flag = await cli('stats', '/no/such/dir', '--bogus');
    expect([flag.code, flag.stderr.split('\n')[0]]).toEqual([2, "eventlog: Unknown option '--bogus'."]);
    const negative = await cli('cat', '/no/such/dir', '--from=-5');
    expect([negative.code, negative.stderr.split('\n')[0]]).toEqual([2, "eventlog: --from must be a non-negative integer, got '-5'"]);
  });

  it('stats, cat, verify and repair of a missing path: one line naming it, exit 1, nothing created', async () => {
    await using tmp = await tempDir();
    const missing = path.join(tmp.dir, 'nope');
    for (const command of ['stats', 'cat', 'verify', 'repair']) {
      const r = await cli(command, missing);
      expect(r, command).toEqual({ code: 1, signal: null, stdout: '', stderr: `eventlog: ENOENT: no such log directory (path '${missing}')\n` });
    }
    expect(readdirSync(tmp.dir)).toEqual([]);
    // A file where a directory belongs; an empty directory is no log, and repair does not start one there.
    const file = path.join(tmp.dir, 'package.json');
    writeFileSync(file, '{}');
    expect(await cli('stats', file)).toMatchObject({ code: 1, stderr: `eventlog: ENOTDIR: not a directory (expected a log directory) (path '${file}')\n` });
    const empty = path.join(tmp.dir, 'empty');
    mkdirSync(empty);
    expect(await cli('repair', empty)).toMatchObject({ code: 1, stdout: '', stderr: `eventlog: ENOENT: no event log here (no meta.json, no segment files) (path '${empty}')\n` });
    expect(readdirSync(empty)).toEqual([]);
  });

  it('EventLog.open read-only on a missing directory: ENOENT, and the directory is not made', async () => {
    await using tmp = await tempDir();
    const missing = path.join(tmp.dir, 'nope');
    await expect(EventLog.open(missing, { readOnly: true })).rejects.toMatchObject({ code: 'ENOENT', path: missing });
    expect(existsSync(missing)).toBe(false);
  });

  it('verify and repair of a healthy one-segment log: singular words, "nothing to repair", exit 0', async () => {
    await using tmp = await tempDir();
    await writeLog(tmp.dir, 1);
    expect(await cli('verify', tmp.dir)).toEqual({ code: 0, signal: null, stdout: '1 segment, 1 record checked, 0 problems\n', stderr: '' });
    expect(await cli('repair', tmp.dir)).toEqual({ code: 0, signal: null, stdout: '1 segment, 1 event, nothing to repair\n', stderr: '' });
  });

  it('progress goes to stderr only on a terminal', async () => {
    await using tmp = await tempDir();
    await writeLog(tmp.dir, 200, 4096);
    const piped = await cli('verify', tmp.dir);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/^\d+ segments, 200 records checked, 0 problems\n$/);
    if (!HAVE_TTY_RUNNER) {
      console.warn('skipped the terminal half: /usr/bin/script (util-linux) is missing');
      return;
    }
    const tty = runNodeOnTty(CLI, ['verify', tmp.dir]);
    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(/verifying .*: segment 1 of \d+/);
    expect(tty.output).toMatch(/\d+ segments, 200 records checked, 0 problems/);
    expect(runNodeOnTty(CLI, ['repair', tmp.dir]).output).toMatch(/repairing .*: reading every segment/);
  });

  it('cat into a pipe closed after the first line: quiet, status 0', async () => {
    await using tmp = await tempDir();
    await writeLog(tmp.dir, 20_000);
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" cat "${tmp.dir}" | head -1`], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '0\tevent 0\n', '']);
  });
});
