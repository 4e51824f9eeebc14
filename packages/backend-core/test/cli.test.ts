import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// runCli's conventions, seen from outside: a real child process, real pipes.
const demo = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/cli-demo.ts');
const tsx = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../node_modules/.bin/tsx');

function demoRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [demo, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('runCli', () => {
  it('--help prints the usage on stdout, exit 0', () => {
    expect(demoRun(['--help'])).toEqual({ status: 0, stdout: 'usage: demo <lines|fail|crash|count> [--n N]\n', stderr: '' });
    expect(demoRun(['lines', '-h']).status).toBe(0);
  });

  it('--version prints the version, exit 0', () => {
    expect(demoRun(['--version'])).toEqual({ status: 0, stdout: '1.2.3\n', stderr: '' });
  });

  it('an unknown option is a usage error: one line naming it, the usage, exit 2', () => {
    const r = demoRun(['count', '--bogus']);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe("demo: Unknown option '--bogus'.");
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(/^usage: demo/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown command and a malformed number are usage errors', () => {
    expect(demoRun(['bogus'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^demo: unknown command 'bogus'\n\nusage:/) });
    expect(demoRun(['count', '--n=-5'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^demo: --n must be a non-negative integer, got '-5'\n/) });
    expect(demoRun(['count', '--n', '-5'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^demo: Option '--n' argument is ambiguous\.\n\nusage:/) });
    expect(demoRun(['count', '--n', '7'])).toMatchObject({ status: 0, stdout: '7\n' });
  });

  it('a StorageError is one line with its code and path, exit 1', () => {
    expect(demoRun(['fail'])).toEqual({ status: 1, stdout: '', stderr: "demo: ENOENT: no such log (path 'nope/')\n" });
  });

  it('any other error is one line, never a stack trace, exit 1', () => {
    expect(demoRun(['crash'])).toEqual({ status: 1, stdout: '', stderr: 'demo: something broke\n' });
  });

  it('a closed pipe ends the command quietly with status 0', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${tsx}" "${demo}" lines | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toBe('line 0\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
