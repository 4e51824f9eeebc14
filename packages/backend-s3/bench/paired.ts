import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Per-operation latencies of our call and the bare call, taken in strict alternation
 * (A B B A A B …), so both see the same moment of a machine whose load swings from
 * second to second. The harness's rounds interleave at one-second granularity; on a busy
 * machine that leaves ±30 % noise, which hides an overhead of a few percent. The median
 * latency ratio of alternating pairs does not.
 */
export interface PairedCase {
  title: string;
  bare: () => Promise<unknown>;
  ours: Record<string, () => Promise<unknown>>;
  /** Untimed work before each call of the named `ours` case (e.g. another client changing the object). */
  before?: Record<string, () => Promise<unknown>>;
  pairs: number;
}

export interface PairedResult {
  title: string;
  case: string;
  bareMedianMs: number;
  oursMedianMs: number;
  /** ours / bare: 1.00 means no overhead; the target is ≤ 1.10. */
  overhead: number;
}

export async function runPaired(suite: string, cases: PairedCase[]): Promise<PairedResult[]> {
  const results: PairedResult[] = [];
  for (const c of cases) {
    for (const [name, ours] of Object.entries(c.ours)) {
      const bare: number[] = [];
      const mine: number[] = [];
      for (let i = 0; i < c.pairs; i++) {
        const steps: Array<[() => Promise<unknown>, number[]]> = i % 2 === 0 ? [[c.bare, bare], [ours, mine]] : [[ours, mine], [c.bare, bare]];
        for (const [fn, into] of steps) {
          if (fn === ours) await c.before?.[name]?.();
          const start = performance.now();
          await fn();
          into.push(performance.now() - start);
        }
      }
      const b = median(bare);
      const o = median(mine);
      results.push({ title: c.title, case: name, bareMedianMs: b, oursMedianMs: o, overhead: o / b });
    }
  }
  const rows = [
    ['operation', 'case', 'bare median', 'ours median', 'overhead', 'target ≤ 1.10x'],
    ...results.map((r) => [r.title, r.case, `${r.bareMedianMs.toFixed(1)} ms`, `${r.oursMedianMs.toFixed(1)} ms`, `${r.overhead.toFixed(2)}x`, r.overhead <= 1.1 ? 'yes' : 'NO']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n## ${suite}: paired latencies (alternating calls, median per operation)\n`);
  console.log([line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n'));
  const outDir = path.resolve('bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${suite}-paired.json`);
  writeFileSync(file, `${JSON.stringify({ suite, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
