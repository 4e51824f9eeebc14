import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './repo-files.js';

// turbo's strict environment mode drops variables a task does not declare; BENCH_QUICK
// and BENCH_ONLY must reach the benchmark processes through `pnpm bench` (issue 12, item 5).
describe('pnpm bench environment', () => {
  it('BENCH_QUICK and BENCH_ONLY reach a package benchmark run through turbo', () => {
    const out = execFileSync(
      'npx',
      ['-y', 'pnpm@10', 'exec', 'turbo', 'run', 'bench', '--filter=@store/format-adapters', '--output-logs=full', '--log-prefix=none'],
      { cwd: repoRoot, env: { ...process.env, BENCH_QUICK: '1', BENCH_ONLY: 'no-group-has-this-title' }, encoding: 'utf8' },
    );
    // The harness prints its settings in the table heading: quick mode is 1 round of ≥50 ms.
    expect(out).toMatch(/1 rounds × ≥50 ms per case/);
    // BENCH_ONLY matched no group, so the table has a heading and no rows.
    const rows = out.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| group '));
    expect(rows).toEqual([]);
  });
});
