import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, test } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/store-conformance.js', import.meta.url));
const BROKEN = fileURLToPath(new URL('./fixtures/broken-backends.mjs', import.meta.url));
const NODE_TEST_SUITE = fileURLToPath(new URL('./fixtures/node-test-suite.mjs', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'conformance-cli-'));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('store-conformance CLI', () => {
  test('--backend memory --json passes every case it runs and skips the crash case', () => {
    const r = cli(['--backend', 'memory', '--json', '--only', 'SB-PATH,SB-BYTES,SB-LIST,SB-DIR,SB-READ,SB-CRASH']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { failed: number; passed: number; skipped: number }; results: Array<{ id: string; status: string; reason?: string }> };
    expect(report.summary.failed).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(20);
    expect(report.results.find((c) => c.id === 'SB-CRASH-01')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('crashSafe') });
    expect(report.results.find((c) => c.id === 'SB-CRASH-02')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('tempRecovery') });
  });

  test('--backend fs --location runs inside the given directory and cleans up', () => {
    const location = path.join(work, 'data');
    const r = cli(['--backend', 'fs', '--location', location, '--only', 'SB-BYTES,SB-CRASH-01']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS SB-CRASH-01/);
    expect(r.stdout).toMatch(/conformance: 8 passed, 0 failed, 0 skipped/);
    expect(readdirSync(location)).toEqual([]);
  });

  test('a broken module fails with exit 1, names the case, and writes JUnit XML', () => {
    const junit = path.join(work, 'report.xml');
    const r = cli(['--module', BROKEN, '--only', 'SB-CONC-02,SB-BYTES-01', '--junit', junit], { BROKEN_BACKEND: 'VisibleTempBackend' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL SB-CONC-02/);
    expect(r.stdout).toMatch(/PASS SB-BYTES-01/);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')) as {
      testsuites: { testsuite: { '@_tests': string; '@_failures': string; testcase: Array<{ '@_name': string; failure?: unknown }> } };
    };
    expect(xml.testsuites.testsuite['@_tests']).toBe('2');
    expect(xml.testsuites.testsuite['@_failures']).toBe('1');
    const failedCase = xml.testsuites.testsuite.testcase.find((c) => c['@_name'].startsWith('SB-CONC-02'));
    expect(failedCase?.failure).toBeDefined();
  });

  test('usage errors exit 2 with a message', () => {
    expect(cli([]).code).toBe(2);
    expect(cli(['--backend', 'nope']).stderr).toMatch(/Unknown --backend 'nope'/);
    expect(cli(['--backend', 'fs', '--timeout', 'soon']).code).toBe(2);
    expect(cli(['--bogus']).code).toBe(2);
    // A module path that does not exist is a failure of the file system, not of the command line: one line, exit 1.
    const missing = cli(['--module', path.join(work, 'missing.js')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`store-conformance: ENOENT: no such module file (--module) (path '${path.join(work, 'missing.js')}')\n`);
    const typo = cli(['--backend', 'memory', '--only', 'SB-PTAH']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no case matches SB-PTAH/);
  });

  test('--only with an unknown id among known ones, or empty, is a usage error and runs nothing', () => {
    const mixed = cli(['--backend', 'memory', '--only', 'SB-PATH-01,NOPE']);
    expect([mixed.code, mixed.stdout]).toEqual([2, '']);
    expect(mixed.stderr.split('\n')[0]).toBe('store-conformance: --only: no case matches NOPE; see --list');
    for (const only of ['', ',', ' ']) {
      const empty = cli(['--backend', 'memory', '--only', only]);
      expect([empty.code, empty.stdout]).toEqual([2, '']);
      expect(empty.stderr).toMatch(/^store-conformance: --only needs at least one case id/);
    }
  });

  test('--junit into a missing directory, or onto a directory, is a usage error (exit 2, one line with code and path) before any case runs', () => {
    const dir = path.join(work, 'no', 'such', 'dir');
    const r = cli(['--backend', 'memory', '--junit', path.join(dir, 'report.xml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`store-conformance: ENOENT: no such directory for --junit ${path.join(dir, 'report.xml')} (path '${dir}')`);
    expect(r.stderr).toContain('Usage: store-conformance');
    const onDir = cli(['--backend', 'memory', '--junit', work]);
    expect([onDir.code, onDir.stdout]).toEqual([2, '']);
    expect(onDir.stderr.split('\n')[0]).toBe(`store-conformance: EISDIR: --junit: is a directory (path '${work}')`);
  });

  test('--location on a file: a usage error naming it (exit 2) before any case runs', () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'x');
    const r = cli(['--backend', 'memory', '--location', file]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr.split('\n')[0]).toBe(`store-conformance: ENOTDIR: not a directory (expected a directory for --location) (path '${file}')`);
  });

  test('--list --json prints the cases as JSON; --name names the target in reports; --version', () => {
    const list = JSON.parse(cli(['--list', '--json', '--only', 'SB-CRASH']).stdout) as Array<{ id: string; requires: string[]; needsModule: boolean }>;
    expect(list).toEqual([
      expect.objectContaining({ id: 'SB-CRASH-01', requires: ['crashSafe'], needsModule: true }),
      expect.objectContaining({ id: 'SB-CRASH-02', requires: ['tempRecovery'], needsModule: true }),
    ]);
    const named = cli(['--module', BROKEN, '--name', 'my backend 1.2', '--only', 'SB-BYTES-01', '--json'], { BROKEN_BACKEND: 'AliasingBackend' });
    expect(JSON.parse(named.stdout)).toMatchObject({ target: 'my backend 1.2' });
    const unnamed = cli(['--module', BROKEN, '--only', 'SB-BYTES-01', '--json'], { BROKEN_BACKEND: 'AliasingBackend' });
    expect((JSON.parse(unnamed.stdout) as { target: string }).target).toMatch(/fixtures[/\\]broken-backends\.mjs$/);
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('--list prints every case id with its contract sentence', () => {
    const r = cli(['--list', '--only', 'SB-PATH']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^SB-PATH-\d\d/gm)).toHaveLength(10);
  });
});

describe('library use inside node:test', () => {
  test('a node:test file registers every case and reports the skip', () => {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', NODE_TEST_SUITE], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/# fail 0/);
    // Skipped for a memory backend: its on-disk cases (mode, FIFO), persistence and the two crash cases.
    expect(r.stdout).toMatch(/# skipped 5/);
    expect(r.stdout).toMatch(/ok \d+ - SB-PATH-03/);
  });
});
