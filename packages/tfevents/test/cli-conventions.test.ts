import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HAVE_TTY_RUNNER, runNodeOnTty } from '@store/test-helpers';
import { describe, expect, it } from 'vitest';
import { SummaryWriter, listEventFiles } from '../src/index.js';
import { cli, CLI, PACKAGE_ROOT, tempDir } from './helpers.js';

// Issue 12, items 8-12, for the tfevents CLI: usage errors, missing paths, nothing to
// check, verify's words agreeing with its exit status, progress only on a terminal.

const VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function writeRun(dir: string, steps: number): Promise<string> {
  const writer = new SummaryWriter({ logDir: dir, maxQueue: 100_000 });
  for (let i = 0; i < steps; i++) writer.addScalar('loss', i, i, 1000 + i);
  await writer.close();
  return path.join(dir, (await listEventFiles(dir))[0]!);
}

/** verify's verdict words: a file line starts with one, the summary ends in "all ok" or "N failed". */
function verdicts(stdout: string): { bad: string[]; summaryOk: boolean } {
  const lines = stdout.trimEnd().split('\n');
  return { bad: lines.filter((l) => /^(CORRUPT|TORN|EMPTY) /.test(l)), summaryOk: / verified: all ok$/.test(lines.at(-1)!) };
}

describe('tfevents CLI conventions', { timeout: 300_000 }, () => {
  it('--version prints the package version; an unknown command is a usage error before any path is looked at', async () => {
    expect(await cli('--version')).toEqual({ code: 0, signal: null, stdout: `${VERSION}\n`, stderr: '' });
    const r = await cli('bogus', '/no/such/path');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tfevents: unknown command 'bogus'\n\nUsage: tfevents/);
    const flag = await cli('inspect', '/no/such/path', '--bogus');
    expect(flag.code).toBe(2);
    expect(flag.stderr.split('\n')[0]).toBe("tfevents: Unknown option '--bogus'.");
    expect((await cli('cat', '.', '--strict')).stderr).toMatch(/^tfevents: --strict goes with verify\n/);
  });

  it('a missing path: one line naming it, exit 1, for every command; nothing is created', async () => {
    await using tmp = await tempDir();
    const missing = path.join(tmp.dir, 'nope');
    for (const command of ['inspect', 'cat', 'verify']) {
      const r = await cli(command, missing);
      expect(r, command).toEqual({ code: 1, signal: null, stdout: '', stderr: `tfevents: ENOENT: no such event file or log directory (path '${missing}')\n` });
    }
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('nothing to check is said, not passed: an empty directory and a text file fail with what was found', async () => {
    await using tmp = await tempDir();
    const empty = path.join(tmp.dir, 'empty');
    mkdirSync(empty);
    for (const command of ['inspect', 'cat', 'verify']) {
      expect(await cli(command, empty), command).toEqual({ code: 1, signal: null, stdout: '', stderr: `tfevents: ENOENT: no event files under this directory (path '${empty}')\n` });
    }
    const text = path.join(tmp.dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const r = await cli('verify', text);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`EMPTY ${text}: no complete record in 6 bytes; not an event file, or one whose first record was never finished\n1 file, 0 records verified: 1 failed\n`);
    // cat of a log directory whose event files are in its runs names the runs.
    await writeRun(path.join(tmp.dir, 'logs', 'train'), 1);
    const cat = await cli('cat', path.join(tmp.dir, 'logs'));
    expect(cat.code).toBe(1);
    expect(cat.stderr).toMatch(/no event files in this directory; its runs: train \(path/);
  });

  it('verify: its words and its exit status agree, --strict included; one record is "1 record"', async () => {
    await using tmp = await tempDir();
    const file = await writeRun(tmp.dir, 0); // only the file_version record
    const one = await cli('verify', file);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout).toBe(`ok ${file}: 1 record\n1 file, 1 record verified: all ok\n`);

    appendFileSync(file, Buffer.from([1, 2, 3])); // a torn tail
    const torn = await cli('verify', file);
    const strict = await cli('verify', file, '--strict');
    expect(torn.code).toBe(0);
    expect(verdicts(torn.stdout)).toEqual({ bad: [], summaryOk: true });
    expect(torn.stdout).toMatch(/^ok .*\n {2}incomplete last record at offset \d+ \(3 bytes\)/);
    expect(strict.code).toBe(1);
    expect(verdicts(strict.stdout)).toEqual({ bad: [`TORN ${file}: 1 record before an incomplete last record (--strict)`], summaryOk: false });
    expect(strict.stdout).not.toMatch(/^ok /m);
  });

  it('progress goes to stderr only on a terminal; in a pipe stderr stays empty', async () => {
    await using tmp = await tempDir();
    await writeRun(path.join(tmp.dir, 'a'), 10);
    await writeRun(path.join(tmp.dir, 'b'), 10);
    const piped = await cli('verify', tmp.dir);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout).not.toMatch(/verifying/);
    const inspected = await cli('inspect', tmp.dir);
    expect(inspected).toMatchObject({ code: 0, stderr: '' });
    if (!HAVE_TTY_RUNNER) {
      console.warn('skipped the terminal half: /usr/bin/script (util-linux) is missing');
      return;
    }
    const tty = runNodeOnTty(CLI, ['verify', tmp.dir]);
    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(/verifying 1 of 2 files: .*a[/\\]events/);
    expect(tty.output).toMatch(/verifying 2 of 2 files: /);
    expect(tty.output).toMatch(/2 files, 22 records verified: all ok/);
    expect(runNodeOnTty(CLI, ['inspect', tmp.dir]).output).toMatch(/reading a \(run 1 of 2\)/);
  });

  it('cat into a pipe closed after the first line: quiet, status 0', async () => {
    await using tmp = await tempDir();
    await writeRun(tmp.dir, 20_000);
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" cat "${tmp.dir}" | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\{"kind":"fileVersion".*\n$/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
