/**
 * mvcc-pages beside SQLite (better-sqlite3 12.11.1, WAL, synchronous=FULL) in one run, on
 * one workload: read a 1 KiB object, change it, write it back, commit durably.
 * - durable commits/s, one process: SQLite is the baseline, target ≥ 0.5×;
 * - snapshot reads/s of a cached page vs. SQLite's prepared point SELECT, target ≥ 0.5×;
 * - commits/s of 4 processes on disjoint objects vs. 1 process of the same engine: the
 *   ratio is the scaling (SQLite serializes writers on its database lock).
 * Run: `npx tsx bench/index.ts` after a build (BENCH_QUICK=1 for a smoke run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quick, runBenchmarks, type BenchCase } from '@store/bench-harness';
// @ts-expect-error plain .mjs module shared with the worker processes
import { openPages, openSqlite } from './workload.mjs';

interface Engine {
  step: (id: number | string) => Promise<void> | void;
  close: () => Promise<void> | void;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(path.join(os.tmpdir(), 'mvcc-pages-bench-'));
const COMMITS = quick ? 5 : 20;
const READS = quick ? 2_000 : 20_000;

function sqliteCommits(): BenchCase {
  let s: ReturnType<typeof openSqlite>;
  return {
    name: 'sqlite WAL FULL',
    setup: () => {
      s = openSqlite(path.join(root, 'commit.db'));
      s.seed(0);
    },
    run: () => {
      for (let i = 0; i < COMMITS; i++) s.step(0);
      return COMMITS;
    },
    teardown: () => s.close(),
  };
}

function pagesCommits(durability: 'always' | 'commit'): BenchCase {
  let p: Engine & { seed: (n: number) => Promise<string[]> };
  let id = '';
  return {
    name: `mvcc-pages durability=${durability}`,
    setup: async () => {
      p = await openPages(path.join(root, `commit-${durability}`), durability);
      [id] = (await p.seed(1)) as [string];
    },
    run: async () => {
      for (let i = 0; i < COMMITS; i++) await p.step(id);
      return COMMITS;
    },
    teardown: () => p.close(),
  };
}

function sqliteReads(): BenchCase {
  let s: ReturnType<typeof openSqlite>;
  return {
    name: 'sqlite point SELECT',
    setup: () => {
      s = openSqlite(path.join(root, 'read.db'));
      s.seed(0);
    },
    run: () => {
      let n = 0;
      for (let i = 0; i < READS; i++) n += (JSON.parse(s.select.get(0).data as string) as { counter: number }).counter >= 0 ? 1 : 0;
      return n;
    },
    teardown: () => s.close(),
  };
}

function pagesReads(): BenchCase {
  let p: Awaited<ReturnType<typeof openPages>>;
  let txn: unknown;
  let id = '';
  return {
    name: 'mvcc-pages readPage',
    setup: async () => {
      p = await openPages(path.join(root, 'read-pages'), 'commit');
      [id] = (await p.seed(1)) as [string];
      txn = await p.store.begin();
      await p.store.readPage(txn, 'bench', id);
    },
    run: async () => {
      let n = 0;
      for (let i = 0; i < READS; i++) n += (await p.store.readPage(txn, 'bench', id)).length;
      return n;
    },
    teardown: () => p.close(),
  };
}

/** `workers` processes, each committing on its own object, driven by messages. */
function multiProcess(engine: string, workers: number): BenchCase {
  const children: ChildProcess[] = [];
  const where = path.join(root, `multi-${engine.replace(':', '-')}-${workers}`);
  const perRun = quick ? 5 : 20;
  const ask = (child: ChildProcess, msg: object): Promise<void> =>
    new Promise((resolve) => {
      child.once('message', () => resolve());
      child.send(msg);
    });
  return {
    name: `${engine} × ${workers} processes`,
    setup: async () => {
      if (engine === 'sqlite') {
        const s = openSqlite(`${where}.db`);
        for (let i = 0; i < workers; i++) s.seed(i);
        s.close();
      } else {
        const p = await openPages(where, engine.split(':')[1]);
        await p.seed(workers);
        await p.close();
      }
      for (let i = 0; i < workers; i++) {
        const child = fork(path.join(here, 'commit-worker.mjs'), [engine, engine === 'sqlite' ? `${where}.db` : where, String(i)], { stdio: 'inherit' });
        await new Promise((resolve) => child.once('message', resolve));
        children.push(child);
      }
    },
    run: async () => {
      await Promise.all(children.map((c) => ask(c, { cmd: 'go', n: perRun })));
      return perRun * workers;
    },
    teardown: async () => {
      await Promise.all(children.map((c) => new Promise((resolve) => {
        c.once('exit', resolve);
        c.send({ cmd: 'exit' });
      })));
    },
  };
}

try {
  await runBenchmarks('mvcc-pages', [
    {
      title: 'durable commit: read 1 KiB object, update, commit (1 process)',
      unit: 'commits',
      baseline: 'sqlite WAL FULL',
      cases: [sqliteCommits(), pagesCommits('always'), pagesCommits('commit')],
      targets: { 'mvcc-pages durability=always': { minRatio: 0.5 }, 'mvcc-pages durability=commit': { minRatio: 0.5 } },
    },
    {
      title: 'snapshot read of a cached 1 KiB page',
      unit: 'reads',
      baseline: 'sqlite point SELECT',
      cases: [sqliteReads(), pagesReads()],
      targets: { 'mvcc-pages readPage': { minRatio: 0.5 } },
    },
    {
      title: 'commits on disjoint objects: 4 processes vs 1 (mvcc-pages, durability=commit)',
      unit: 'commits',
      baseline: 'pages:commit × 1 processes',
      cases: [multiProcess('pages:commit', 1), multiProcess('pages:commit', 4)],
      targets: { 'pages:commit × 4 processes': { minRatio: 1.5 } },
    },
    {
      title: 'commits on disjoint objects: 4 processes vs 1 (mvcc-pages, durability=always)',
      unit: 'commits',
      baseline: 'pages:always × 1 processes',
      cases: [multiProcess('pages:always', 1), multiProcess('pages:always', 4)],
      targets: { 'pages:always × 4 processes': { minRatio: 1.5 } },
    },
    {
      title: 'commits on disjoint objects: 4 processes vs 1 (sqlite, for reference)',
      unit: 'commits',
      baseline: 'sqlite × 1 processes',
      cases: [multiProcess('sqlite', 1), multiProcess('sqlite', 4)],
    },
  ]);
} finally {
  rmSync(root, { recursive: true, force: true });
}
