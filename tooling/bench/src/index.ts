import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';

/**
 * The shared benchmark harness. Machines here are noisy, so absolute numbers mean
 * little; every group therefore runs our code and a peer (or the raw-disk limit) in
 * interleaved rounds within one process, and the table reports the ratio.
 */
export interface BenchCase {
  name: string;
  /** Runs once before measuring (not timed). */
  setup?: () => unknown;
  /** One timed invocation; returns how many operations (events, writes…) it performed. */
  run: () => Promise<number> | number;
  /** Runs once after measuring (not timed). */
  teardown?: () => unknown;
}

export interface BenchTarget {
  /** Minimum ratio of this case to the group's baseline, e.g. 1.0 or 0.7. */
  minRatio?: number;
  /** Minimum absolute rate in operations per second. */
  minOpsPerSec?: number;
}

export interface BenchGroup {
  title: string;
  /** What one operation is, for the table: "writes", "events", "gets". */
  unit: string;
  cases: BenchCase[];
  /** Name of the case that ratios are computed against (the peer or the limit). */
  baseline: string;
  targets?: Record<string, BenchTarget>;
}

export interface BenchOptions {
  /** Interleaved rounds per group; the median round is reported. */
  rounds?: number;
  /** Minimum time per case per round. */
  minTimeMs?: number;
  /** Directory for the JSON result (default `./bench-results`). */
  outDir?: string;
}

export interface CaseResult {
  group: string;
  case: string;
  unit: string;
  opsPerSec: number;
  samples: number[];
  ratio: number;
  baseline: string;
  target?: BenchTarget;
  met?: boolean;
}

/** True when `BENCH_QUICK=1`: benchmarks shrink their data sets for a smoke run. */
export const quick = process.env.BENCH_QUICK === '1';

/** `BENCH_ONLY=text`: run only the groups whose title contains it (case-insensitive). */
const only = process.env.BENCH_ONLY?.toLowerCase();

export async function runBenchmarks(suite: string, groups: BenchGroup[], options: BenchOptions = {}): Promise<CaseResult[]> {
  const rounds = options.rounds ?? (quick ? 1 : 5);
  const minTimeMs = options.minTimeMs ?? (quick ? 50 : 1000);
  const results: CaseResult[] = [];
  console.log(`\n# ${suite}  (node ${process.version}, ${cpus().length} cores, ${rounds} rounds × ≥${minTimeMs} ms per case)\n`);
  for (const group of groups.filter((g) => only === undefined || g.title.toLowerCase().includes(only))) {
    const samples = new Map<string, number[]>(group.cases.map((c) => [c.name, []]));
    for (const c of group.cases) await c.setup?.();
    for (let round = 0; round < rounds; round++) {
      for (const c of group.cases) samples.get(c.name)!.push(await measure(c, minTimeMs));
    }
    for (const c of group.cases) await c.teardown?.();
    const baseOps = median(samples.get(group.baseline) ?? []);
    for (const c of group.cases) {
      const s = samples.get(c.name)!;
      const opsPerSec = median(s);
      const target = group.targets?.[c.name];
      const ratio = baseOps > 0 ? opsPerSec / baseOps : Number.NaN;
      const result: CaseResult = { group: group.title, case: c.name, unit: group.unit, opsPerSec, samples: s, ratio, baseline: group.baseline };
      if (target !== undefined) {
        result.target = target;
        result.met = (target.minRatio === undefined || ratio >= target.minRatio) && (target.minOpsPerSec === undefined || opsPerSec >= target.minOpsPerSec);
      }
      results.push(result);
    }
  }
  console.log(formatTable(results));
  const outDir = options.outDir ?? path.resolve('bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${suite.replace(/[^\w.-]+/g, '_')}.json`);
  writeFileSync(file, `${JSON.stringify({ suite, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
  return results;
}

async function measure(c: BenchCase, minTimeMs: number): Promise<number> {
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  const minNs = BigInt(minTimeMs) * 1_000_000n;
  do {
    ops += await c.run();
    elapsedNs = process.hrtime.bigint() - start;
  } while (elapsedNs < minNs);
  return ops / (Number(elapsedNs) / 1e9);
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(1);
}

function describeTarget(t: BenchTarget | undefined): string {
  if (t === undefined) return '';
  const parts: string[] = [];
  if (t.minRatio !== undefined) parts.push(`≥ ${t.minRatio.toFixed(2)}x`);
  if (t.minOpsPerSec !== undefined) parts.push(`≥ ${formatRate(t.minOpsPerSec)}/s`);
  return parts.join(', ');
}

/** A Markdown table, so a run can be pasted into a README or an issue note as is. */
export function formatTable(results: CaseResult[]): string {
  const rows = [
    ['group', 'case', 'rate', 'vs baseline', 'target', 'met'],
    ...results.map((r) => [
      r.group,
      r.case === r.baseline ? `${r.case} (baseline)` : r.case,
      `${formatRate(r.opsPerSec)} ${r.unit}/s`,
      Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : 'n/a',
      describeTarget(r.target),
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
