import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let dir: string;
let cleanup: () => Promise<void>;
let firstTsn = 0;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  await using store = await PageStore.open(dir);
  let t = await store.begin();
  await store.insertObject(t, 'zoo.cats', { name: 'Tom' });
  await store.insertObject(t, 'zoo.dogs', { name: 'Rex' });
  firstTsn = t.tsn;
  await store.commit(t);
  t = await store.begin();
  await store.readPage(t, 'zoo.cats', 'page001');
  await store.updatePage(t, 'zoo.cats', 'page001', [{ name: 'Tom', age: 4 }]);
  await store.commit(t);
});
afterEach(async () => cleanup());

describe('mvcc-pages CLI', () => {
  it('--help, --version, usage errors exit 2 with one line and the usage', () => {
    expect(run('--help').out).toContain('usage: mvcc-pages');
    expect(run('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const args of [[], ['nonsense', dir], ['page', dir, 'zoo..cats', 'page001'], ['page', dir, 'zoo.cats', 'page001', '--at', 'x'], ['inspect', dir, '--bogus']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^mvcc-pages: /);
      expect(r.err).toContain('usage:');
    }
  });

  it('inspect lists namespaces, pages and current versions (text and JSON)', () => {
    const text = run('inspect', dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/commits\s+2/);
    expect(text.out).toContain('zoo.cats');
    expect(text.out).toMatch(/page001\s+tsn \d+\s+commit 2\s+zoo\/cats\/page001\.json\.v\d+\s+\(2 versions committed\)/);
    const json = JSON.parse(run('inspect', dir, '--json').out) as { commits: number; namespaces: { namespace: string }[] };
    expect(json.commits).toBe(2);
    expect(json.namespaces.map((n) => n.namespace)).toEqual(['zoo.cats', 'zoo.dogs']);
  });

  it('page prints a page as of a commit or a TSN', () => {
    expect(JSON.parse(run('page', dir, 'zoo.cats', 'page001').out).objects).toEqual([{ name: 'Tom', age: 4 }]);
    expect(JSON.parse(run('page', dir, 'zoo.cats', 'page001', '--at', '1').out).objects).toEqual([{ name: 'Tom' }]);
    expect(JSON.parse(run('page', dir, 'zoo.cats', 'page001', '--tsn', String(firstTsn)).out).objects).toEqual([{ name: 'Tom' }]);
    const missing = run('page', dir, 'zoo.cats', 'page009');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('mvcc-pages: zoo.cats/page009 does not exist at commit 2\n');
    expect(run('page', dir, 'zoo.cats', 'page001', '--tsn', '99999').code).toBe(1);
  });

  it('read-only commands create nothing; a missing store is a one-line error, exit 1', () => {
    const missing = path.join(dir, 'nope');
    const r = run('inspect', missing);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(run('verify', missing).code).toBe(1);
    expect(run('cleanup', missing).code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.mvcc', 'storage.json', 'zoo']);
    const before = readdirSync(path.join(dir, '.mvcc')).sort();
    run('inspect', dir);
    run('verify', dir);
    run('page', dir, 'zoo.cats', 'page001');
    expect(readdirSync(path.join(dir, '.mvcc')).sort()).toEqual(before);
  });

  it('verify finds a damaged page file (exit 1) and cleanup removes old versions', () => {
    expect(run('verify', dir).code).toBe(0);
    const cleaned = run('cleanup', dir, '--json');
    expect(cleaned.code).toBe(0);
    expect(JSON.parse(cleaned.out)).toMatchObject({ versionsRemoved: 1, failures: 0 });
    const cats = path.join(dir, 'zoo', 'cats');
    const file = readdirSync(cats).find((n) => n.startsWith('page001.json.v'))!;
    writeFileSync(path.join(cats, file), '{ "damaged": true }\n');
    // The commit record still holds the page: read-only verify reports it restorable, not broken.
    expect(run('verify', dir).out).toContain('1 restorable from the log, 0 problems');
    // Damage the first commit record: a bad line with valid ones after it is corruption, not a torn tail.
    const log = path.join(dir, '.mvcc', 'commits.log');
    writeFileSync(log, readFileSync(log, 'latin1').replace('"seq":1,', '"seq":7,'), 'latin1');
    const bad = run('verify', dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^mvcc-pages: ECORRUPT/);
  });

  it('compact folds the log into a checkpoint; the page and inspect commands read the compacted store; --at below it is a one-line error', () => {
    const first = run('compact', dir, '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ compacted: true, checkpoint: 2 });
    expect(readFileSync(path.join(dir, '.mvcc', 'commits.log'), 'latin1').startsWith('{"checkpoint":2,')).toBe(true);
    expect(run('compact', dir).out).toMatch(/^nothing to compact/);
    expect(run('verify', dir).code).toBe(0);
    expect(run('page', dir, 'zoo.cats', 'page001').code).toBe(0);
    const old = run('page', dir, 'zoo.cats', 'page001', '--at', '1');
    expect(old.code).toBe(1);
    expect(old.err.trim().split('\n')).toHaveLength(1);
    expect(run('compact', path.join(dir, 'nope')).code).toBe(1);
    expect(run('compact', dir, 'extra').code).toBe(2);
  });

  it('is quiet on a closed pipe', () => {
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(cli)} --help | head -c 1 >/dev/null; echo "$?"`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
  });
});
