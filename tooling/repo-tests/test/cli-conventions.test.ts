import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runNode } from '@store/test-helpers';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-files.js';

// Every command-line tool of every workspace package, held to the conventions of
// @store/backend-core/cli (issue 12, items 7-11): --help, --version, usage errors exit 2
// with one line and the usage, a missing path is one line naming it (exit 1, nothing
// created), a closed pipe ends quietly with status 0. A new package's bin is found here
// without anyone listing it; it only has to say how it is given a path (MISSING_PATH).

interface Bin {
  name: string;
  script: string;
  pkg: { name: string; version: string };
}

/** How each CLI is given a path that does not exist; `null`: it takes none to inspect (a server). */
const MISSING_PATH: Record<string, ((missing: string) => string[]) | null> = {
  tfevents: (p) => ['inspect', p],
  eventlog: (p) => ['stats', p],
  'mvcc-pages': (p) => ['inspect', p],
  'vector-file': (p) => ['stats', p],
  'store-conformance': (p) => ['--module', p],
  // Starts a server on --data (created if missing, by design): checked for --help, --version, --bogus only.
  'store-server': null,
};

/** The workspace globs of pnpm-workspace.yaml (a list of `- dir/*` lines under `packages:`). */
function workspaceGlobs(): string[] {
  const text = readFileSync(path.join(repoRoot, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:\s+-.*\n?)+)/m.exec(text);
  if (block === null) throw new Error('pnpm-workspace.yaml has no packages: list');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*-\s*/, '').replace(/^['"]|['"]$/g, '').trim())
    .filter((l) => l !== '');
}

/** `dir/*` (every folder in dir) or a plain folder: the only forms the workspace uses; anything else fails loudly. */
function expandGlob(glob: string): string[] {
  if (!glob.includes('*')) return [glob];
  if (!/^[^*]+\/\*$/.test(glob)) throw new Error(`workspace glob '${glob}' is not of the form dir/*: teach expandGlob`);
  const parent = glob.slice(0, -2);
  return readdirSync(path.join(repoRoot, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `${parent}/${e.name}`);
}

function workspaceBins(): Bin[] {
  const bins: Bin[] = [];
  for (const glob of workspaceGlobs()) {
    for (const dir of expandGlob(glob)) {
      const manifest = path.join(repoRoot, dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string; bin?: string | Record<string, string> };
      if (pkg.bin === undefined) continue;
      const entries = typeof pkg.bin === 'string' ? { [pkg.name.replace(/^@[^/]+\//, '')]: pkg.bin } : pkg.bin;
      for (const [name, script] of Object.entries(entries)) bins.push({ name, script: path.join(repoRoot, dir, script), pkg });
    }
  }
  return bins.sort((a, b) => a.name.localeCompare(b.name));
}

const STACK_LINE = /^\s+at .+/m;
const work = mkdtempSync(path.join(tmpdir(), 'repo-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bins = workspaceBins();

describe('every workspace bin follows the CLI conventions', () => {
  it('finds the bins of the workspace, each built and each known here', () => {
    expect(bins.map((b) => b.name)).toEqual(expect.arrayContaining(['eventlog', 'mvcc-pages', 'store-conformance', 'store-server', 'tfevents', 'vector-file']));
    for (const bin of bins) {
      expect(existsSync(bin.script), `${bin.name}: ${bin.script} is missing (build first: pnpm build)`).toBe(true);
      expect(Object.keys(MISSING_PATH), `${bin.name}: say in MISSING_PATH how it is given a missing path`).toContain(bin.name);
    }
  });

  describe.concurrent.each(bins.map((b) => [b.name, b] as const))('%s', (name, bin) => {
    it('--help: the usage on stdout, exit 0; --version: the package version, exit 0', async () => {
      const help = await runNode(bin.script, ['--help']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^usage: .*${name}`, 'im'));
      const version = await runNode(bin.script, ['--version']);
      expect(version).toEqual({ code: 0, signal: null, stdout: `${bin.pkg.version}\n`, stderr: '' });
    });

    it('--bogus: one line naming it, then the usage, on stderr; exit 2', async () => {
      const [help, bogus] = await Promise.all([runNode(bin.script, ['--help']), runNode(bin.script, ['--bogus'])]);
      expect(bogus.code).toBe(2);
      expect(bogus.stdout).toBe('');
      const [first, ...rest] = bogus.stderr.split('\n');
      expect(first).toMatch(new RegExp(`^${name}: .*'--bogus'`));
      expect(rest.join('\n')).toBe(`\n${help.stdout}`);
      expect(bogus.stderr).not.toMatch(STACK_LINE);
    });

    // A server (MISSING_PATH null) inspects no path: it has no such case at all rather than a skipped one.
    const missingPathArgs = MISSING_PATH[name];
    if (missingPathArgs) {
      it('a missing path: one line naming it, exit 1, nothing created', async () => {
        const missing = path.join(work, `${name}-no-such-path`);
        const r = await runNode(bin.script, missingPathArgs(missing), { cwd: work });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^${name}: ENOENT: .*${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\n$`));
        expect(existsSync(missing)).toBe(false);
      });
    }

    it('a closed pipe on stdout: no stack trace, exit 0', async () => {
      const r = await runNode(bin.script, ['--help'], { closeStdout: true });
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stderr).toBe('');
      expect([r.code, r.signal]).toEqual([0, null]);
    });
  });
});
