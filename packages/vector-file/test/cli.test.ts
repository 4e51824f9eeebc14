import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VectorFile } from '../src/index.js';
import { tempDir } from './helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  t = await tempDir();
  const vf = await VectorFile.open(t.file, { create: true, dimension: 3, durability: 'none' });
  for (let i = 0; i < 200; i++) await vf.put(`v${i % 50}`, [i, i + 0.5, -i], { i });
  await vf.delete('v7');
  await vf.close();
});
afterEach(async () => t.cleanup());

describe('vector-file CLI', () => {
  it('stats prints the shape of the file, --json parses, and creates nothing', () => {
    const before = readdirSync(t.dir).sort();
    const text = run('stats', t.file);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/vectors\s+49/);
    expect(text.out).toMatch(/dimension\s+3/);
    expect(JSON.parse(run('stats', t.file, '--json').out)).toMatchObject({ count: 49, dimension: 3 });
    expect(run('get', t.dir + '/missing', 'x').code).toBe(1);
    expect(readdirSync(t.dir).sort()).toEqual(before);
  });

  it('get prints one JSON line; a missing id is exit 1', () => {
    const r = run('get', t.file, 'v3');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: 'v3', vector: [153, 153.5, -153], metadata: { i: 153 }, version: 4 });
    const missing = run('get', t.file, 'v7');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("vector-file: no vector with id 'v7'\n");
  });

  it('verify passes a good file and reports a damaged record with its offset (exit 1)', () => {
    expect(run('verify', t.file)).toMatchObject({ code: 0, out: expect.stringMatching(/201 records \(49 live vectors\).*0 problems/) });
    const bytes = readFileSync(t.file);
    bytes[600] = bytes[600]! ^ 0x10; // somewhere inside an early record
    writeFileSync(t.file, bytes);
    const r = run('verify', t.file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/PROBLEM offset \d+: checksum mismatch/);
  });

  it('compact shrinks the file; no progress without a TTY, progress on one', () => {
    const before = readFileSync(t.file).length;
    const r = run('compact', t.file);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`^49 vectors, ${before} -> \\d+ bytes\\n$`));
    expect(readFileSync(t.file).length).toBeLessThan(before / 3);
    expect(existsSync(`${t.file}.lock`)).toBe(false);
    // `script` runs the CLI on a pseudo-terminal, where progress is shown.
    if (!existsSync('/usr/bin/script')) {
      console.warn('skipped the TTY half: /usr/bin/script (util-linux) is missing');
      return;
    }
    const tty = spawnSync('/usr/bin/script', ['-qec', `${process.execPath} ${cli} compact ${t.file}`, '/dev/null'], { encoding: 'utf8' });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/compacting .*: 100%/);
  });

  it('usage errors exit 2 with one line and the usage; --help and --version exit 0', () => {
    for (const args of [[], ['frob', t.file], ['stats'], ['get', t.file], ['stats', t.file, 'extra'], ['stats', t.file, '--bogus'], ['get', t.file, 'x', '--json']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^vector-file: .+\n\nusage: vector-file/);
    }
    expect(run('--help')).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: vector-file/) });
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(cli), '..', 'package.json'), 'utf8')) as { version: string };
    expect(run('--version')).toMatchObject({ code: 0, out: `${pkg.version}\n` });
  });

  it('errors are one line without a stack; a closed pipe is exit 0', () => {
    writeFileSync(`${t.file}-bad`, 'not a vector file, not at all, no, not one bit of it, never ever.');
    const r = run('stats', `${t.file}-bad`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vector-file: ECORRUPT: file header has a bad magic .*\n$/);
    const piped = spawnSync('/bin/sh', ['-c', `${process.execPath} ${cli} get ${t.file} v3 | head -c 1`], { encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
  });
});
