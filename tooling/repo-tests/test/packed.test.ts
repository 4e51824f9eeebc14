import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-files.js';

// What a newcomer installs is the packed tarball, not the workspace (issue 12, items 2–3):
// every public package is packed, installed into a fresh project outside the workspace,
// imported, required, type-checked with `tsc --init` defaults, and linted by attw and
// publint. Dependencies come from the npm registry, as they would for a user.

/** The TypeScript a new user gets from npm today (`npm view typescript version`). */
const CONSUMER_TYPESCRIPT = '7.0.2';
/** Runs the README's `ts` examples as a TypeScript user would. */
const TSX = '4.23.15';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
}

const publicPackages = ['packages', 'apps']
  .flatMap((dir) => readdirSync(path.join(repoRoot, dir)).map((name) => path.join(repoRoot, dir, name)))
  .flatMap((dir) => {
    try {
      return [{ dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest }];
    } catch {
      return [];
    }
  })
  .filter(({ manifest }) => manifest.private !== true);

/** This project's folder: attw and publint are its devDependencies. */
const here = path.join(repoRoot, 'tooling/repo-tests');
let work = '';
let consumer = '';
const tarballs = new Map<string, string>();

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

/** Runs and returns stdout+stderr and the exit status instead of throwing. */
function attempt(cmd: string, args: string[], cwd: string): { status: number; output: string } {
  try {
    return { status: 0, output: run(cmd, args, cwd) };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'store-packed-'));
  for (const { dir, manifest } of publicPackages) {
    const out = run('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', work], dir).trim().split('\n');
    tarballs.set(manifest.name, path.resolve(work, out[out.length - 1]!.trim()));
  }
  consumer = path.join(work, 'consumer');
  mkdirSync(consumer);
  const deps = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
  writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { ...deps, typescript: CONSUMER_TYPESCRIPT, tsx: TSX }, overrides: deps }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], consumer);
  run('npx', ['tsc', '--init'], consumer);
}, 600_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('packed tarballs', () => {
  it('finds the public packages', () => {
    expect(publicPackages.map((p) => p.manifest.name)).toEqual(expect.arrayContaining(['@store/backend-core', '@store/eventlog', '@store/tfevents']));
  });

  // What a registry page and `npm search` show. There is no public remote yet, so
  // repository/homepage/bugs are left out rather than made up.
  it.each(publicPackages.map((p) => [p.manifest.name, p.manifest] as const))('%s: has a description, keywords and a license', (_name, manifest) => {
    const m = manifest as { description?: unknown; keywords?: unknown; license?: unknown };
    expect(typeof m.description === 'string' && m.description.length).toBeGreaterThan(20);
    expect(Array.isArray(m.keywords) && m.keywords.length).toBeGreaterThanOrEqual(3);
    expect(m.license).toBe('MIT');
  });

  it.each(publicPackages.map((p) => p.manifest.name))('%s: ships no source map comment without its map', (name) => {
    const unpacked = path.join(work, 'unpacked', name);
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['xzf', tarballs.get(name)!, '-C', unpacked], work);
    const files = readdirSync(unpacked, { recursive: true, encoding: 'utf8' });
    const dangling = files
      .filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))
      .filter((f) => {
        const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path.join(unpacked, f), 'utf8'));
        return m !== null && !existsSync(path.join(unpacked, path.dirname(f), m[1]!));
      });
    expect(dangling).toEqual([]);
  });

  it.each(publicPackages.map((p) => p.manifest.name))('%s: import and require work in a fresh project', (name) => {
    const imported = attempt('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length)`], consumer);
    expect(imported.output).toMatch(/^\d+\s*$/);
    expect(Number(imported.output.trim())).toBeGreaterThan(0);
    // ESM-only packages: on Node >= 20.19 require() loads them (require(esm)); the exports
    // map must offer a condition require can use instead of "No exports main defined".
    const required = attempt('node', ['-e', `console.log(Object.keys(require(${JSON.stringify(name)})).length)`], consumer);
    expect(required.output).not.toMatch(/No "exports" main defined/);
    expect(required.status).toBe(0);
  });

  it('the public types compile with `tsc --init` defaults (and no skipLibCheck), every subpath export too', () => {
    // Subpaths (`@store/backend-core/cli`) are public API as much as the root: a Node-only
    // type such as `NodeJS.WriteStream` in one of them broke a consumer without @types/node.
    const specifiers = publicPackages.flatMap(({ manifest }) => {
      const exportsMap = (manifest as { exports?: Record<string, unknown> }).exports ?? { '.': {} };
      return Object.keys(exportsMap)
        .filter((key) => key === '.' || (key.startsWith('./') && !key.endsWith('.json') && !key.includes('*')))
        .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
    });
    expect(specifiers).toContain('@store/backend-core/cli');
    const imports = specifiers.map((name, i) => `import * as m${i} from ${JSON.stringify(name)};`).join('\n');
    const uses = specifiers.map((_, i) => `m${i}`).join(', ');
    writeFileSync(path.join(consumer, 'index.ts'), `${imports}\nexport const all = [${uses}];\n`);
    const result = typecheck(path.join(consumer, 'index.ts'));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(publicPackages.map((p) => p.manifest.name))('%s: attw (ESM-only profile) and publint find nothing', (name) => {
    // attw exits non-zero on any problem its ESM-only profile does not ignore (CommonJS
    // resolution is ignored: the packages are ESM-only, as every README says).
    const attw = attempt('npx', ['attw', '--profile', 'esm-only', '--format', 'ascii', tarballs.get(name)!], here);
    expect(attw.status, attw.output).toBe(0);
    const publint = attempt('npx', ['publint', '--strict', tarballs.get(name)!], here);
    expect(publint.status, publint.output).toBe(0);
  });
});

/**
 * Type-checks one file with the options `tsc --init` wrote in the consumer project, plus
 * `skipLibCheck: false` so that our own declarations are checked too.
 */
function typecheck(file: string): { status: number; output: string } {
  const dir = path.dirname(file);
  // A bare "tsconfig.json" in extends would be looked up in node_modules: keep it relative.
  const base = path.relative(dir, path.join(consumer, 'tsconfig.json'));
  const config = { extends: base.startsWith('.') ? base : `./${base}`, compilerOptions: { skipLibCheck: false }, files: [path.basename(file)] };
  writeFileSync(path.join(dir, 'tsconfig.check.json'), JSON.stringify(config));
  return attempt('npx', ['tsc', '--noEmit', '-p', path.join(dir, 'tsconfig.check.json')], consumer);
}

// Every example block of every README runs as written in the language its fence names,
// against the packed packages (issue 12, item 1): `js`/`mjs` with node as an ES module,
// `ts` type-checked with the consumer's `tsc --init` settings and run with tsx. A block
// whose info string says `no-run` (a signature listing, or a file of the user's own
// project) is exempt; it must say so in the fence.
interface Example {
  readme: string;
  line: number;
  lang: 'js' | 'ts';
  code: string;
}

const readmes = ['README.md', ...publicPackages.map(({ dir }) => path.relative(repoRoot, path.join(dir, 'README.md')))];

function examplesOf(readme: string): Example[] {
  const lines = readFileSync(path.join(repoRoot, readme), 'utf8').split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const lang = open[1]!;
    if ((lang === 'js' || lang === 'mjs' || lang === 'ts') && !/\bno-run\b/.test(open[2]!)) {
      examples.push({ readme, line: i + 1, lang: lang === 'ts' ? 'ts' : 'js', code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return examples;
}

const examples = readmes.flatMap(examplesOf);

describe('README examples', () => {
  it('every package README has at least one runnable example', () => {
    const without = readmes.filter((r) => r !== 'README.md' && !examples.some((e) => e.readme === r));
    expect(without).toEqual([]);
  });

  it.each(examples.map((e) => [`${e.readme}:${e.line} (${e.lang})`, e] as const))('%s runs as written', (_title, example) => {
    const dir = mkdtempSync(path.join(consumer, 'example-'));
    const file = path.join(dir, example.lang === 'ts' ? 'example.ts' : 'example.mjs');
    writeFileSync(file, example.code + '\n');
    if (example.lang === 'ts') {
      const checked = typecheck(file);
      expect(checked.output, 'tsc').toBe('');
      const ran = attempt(path.join(consumer, 'node_modules/.bin/tsx'), [file], dir);
      expect(ran.status, ran.output).toBe(0);
    } else {
      const ran = attempt('node', [file], dir);
      expect(ran.status, ran.output).toBe(0);
    }
  });
});
