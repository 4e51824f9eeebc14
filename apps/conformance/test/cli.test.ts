import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
    const r = cli(['--backend', 'memory', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { failed: number; passed: number; skipped: number }; results: Array<{ id: string; status: string; reason?: string }> };
    expect(report.summary.failed).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(30);
    expect(report.results.find((c) => c.id === 'SB-CRASH-01')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('persistent') });
  });

  test('--backend fs --location runs inside the given directory and cleans up', () => {
    const location = path.join(work, 'data');
    const r = cli(['--backend', 'fs', '--location', location, '--only', 'SB-BYTES,SB-CRASH-01']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS SB-CRASH-01/);
    expect(r.stdout).toMatch(/conformance: 7 passed, 0 failed, 0 skipped/);
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
    expect(cli(['--module', path.join(work, 'missing.js')]).stderr).toMatch(/Cannot load/);
    const typo = cli(['--backend', 'memory', '--only', 'SB-PTAH']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/matches no case/);
  });

  test('--list prints every case id with its contract sentence', () => {
    const r = cli(['--list', '--only', 'SB-PATH']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^SB-PATH-\d\d/gm)).toHaveLength(8);
  });
});

describe('library use inside node:test', () => {
  test('a node:test file registers every case and reports the skip', () => {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', NODE_TEST_SUITE], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/# fail 0/);
    expect(r.stdout).toMatch(/# skipped 1/);
    expect(r.stdout).toMatch(/ok \d+ - SB-PATH-03/);
  });
});
