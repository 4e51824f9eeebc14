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

const conflictNotes = new Map<string, string>();

/**
 * `workers` processes committing to one store (one database for SQLite), driven by
 * messages: each on its own object (disjoint), or all on object 0 (contended).
 */
function multiProcess(engine: string, workers: number, contended: boolean): BenchCase {
  const children: ChildProcess[] = [];
  const where = path.join(root, `multi-${engine.replace(':', '-')}-${workers}-${contended ? 'contended' : 'disjoint'}`);
  const perRun = quick ? 5 : 10;
  const ask = (child: ChildProcess, msg: object): Promise<void> =>
    new Promise((resolve) => {
      child.once('message', () => resolve());
      child.send(msg);
    });
  return {
    name: caseName(engine, workers),
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
        const args = [engine, engine === 'sqlite' ? `${where}.db` : where, String(i), contended ? 'contended' : 'disjoint'];
        const child = fork(path.join(here, 'commit-worker.mjs'), args, { stdio: 'inherit' });
        await new Promise((resolve) => child.once('message', resolve));
        children.push(child);
      }
    },
    run: async () => {
      await Promise.all(children.map((c) => ask(c, { cmd: 'go', n: perRun })));
      return perRun * workers;
    },
    teardown: async () => {
      const counts = await Promise.all(
        children.map(
          (c) =>
            new Promise<{ conflicts: number; commits: number }>((resolve) => {
              let n = { conflicts: 0, commits: 0 };
              c.once('message', (m: { conflicts?: number; commits?: number }) => (n = { conflicts: m.conflicts ?? 0, commits: m.commits ?? 0 }));
              c.once('exit', () => resolve(n));
              c.send({ cmd: 'exit' });
            }),
        ),
      );
      children.length = 0;
      const conflicts = counts.reduce((s, n) => s + n.conflicts, 0);
      const commits = counts.reduce((s, n) => s + n.commits, 0);
      if (engine !== 'sqlite' && contended) {
        conflictNotes.set(caseName(engine, workers), `${caseName(engine, workers)} (contended): ${conflicts} ECONFLICT retries over all ${commits} commits of its rounds (${(conflicts / Math.max(1, commits)).toFixed(2)} per commit)`);
      }
    },
  };
}

function caseName(engine: string, workers: number): string {
  const label = engine === 'sqlite' ? 'sqlite WAL FULL' : `mvcc-pages durability=${engine.split(':')[1]!}`;
  return `${label} × ${workers}`;
}

const ENGINES = ['sqlite', 'pages:always', 'pages:commit'];
const PROCESSES = [1, 2, 4];
const multiGroups = [false, true].flatMap((contended) =>
  PROCESSES.map((n) => ({
    title: `${n} process${n > 1 ? 'es' : ''} committing to one store, ${contended ? 'all on one object (contended)' : 'each on its own object (disjoint)'}`,
    unit: 'commits',
    baseline: caseName('sqlite', n),
    cases: ENGINES.map((e) => multiProcess(e, n, contended)),
    targets: contended ? undefined : { [caseName('pages:always', n)]: { minRatio: 0.5 }, [caseName('pages:commit', n)]: { minRatio: 0.5 } },
  })),
);

try {
  const results = await runBenchmarks('mvcc-pages', [
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
    ...multiGroups,
  ]);
  // Scaling: each engine's rate with N processes over its own rate with 1, same run.
  console.log('\nscaling (commits/s with N processes ÷ with 1 process, same engine, same run):');
  for (const contended of [false, true]) {
    for (const engine of ENGINES) {
      const rate = (n: number): number | undefined =>
        results.find((r) => r.case === caseName(engine, n) && r.group.includes(contended ? 'contended' : 'disjoint'))?.opsPerSec;
      const one = rate(1);
      if (one === undefined) continue;
      const parts = PROCESSES.map((n) => `×${n}: ${((rate(n) ?? 0) / one).toFixed(2)}`);
      console.log(`  ${contended ? 'contended' : 'disjoint '}  ${caseName(engine, 1).replace(/ × 1$/, '').padEnd(28)} ${parts.join('  ')}`);
    }
  }
  for (const note of conflictNotes.values()) console.log(`  ${note}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
