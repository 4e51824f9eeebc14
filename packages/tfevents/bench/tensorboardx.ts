/**
 * Our SummaryWriter beside tensorboardX (and torch.utils.tensorboard when torch is in the
 * venv), writing the same 1,000,000 scalars and 10,000 histograms (1,000 values each,
 * TensorFlow's default bins) in the same run. The Python writers run in long-lived worker
 * processes (tooling/tensorboard/bench_worker.py), so interpreter start-up is not timed.
 * Needs the venv of tooling/tensorboard/setup.sh; skips with a message without it.
 * Run: `npx tsx bench/tensorboardx.ts` (BENCH_QUICK=1: 100,000 scalars, 1,000 histograms).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { quick, runBenchmarks, type BenchCase } from '@store/bench-harness';
import { SummaryWriter } from '../src/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VENV = process.env.TFEVENTS_VENV ?? path.join(REPO, 'tooling/tensorboard/.venv');
const PYTHON = path.join(VENV, 'bin/python');
const WORKER = path.join(REPO, 'tooling/tensorboard/bench_worker.py');
const SCALARS = quick ? 100_000 : 1_000_000;
const HISTOGRAMS = quick ? 1_000 : 10_000;
const HISTOGRAM_VALUES = 1_000;
const TAGS = ['train/loss', 'train/accuracy', 'lr', 'grad_norm'];

if (!existsSync(PYTHON)) {
  console.log(`skipped: no Python venv at ${VENV} (run tooling/tensorboard/setup.sh)`);
  process.exit(0);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'tfevents-bench-tbx-'));
let counter = 0;
const freshDir = (): string => {
  rmSync(path.join(root, `run-${counter - 1}`), { recursive: true, force: true });
  return path.join(root, `run-${counter++}`);
};

interface Worker {
  request(line: string): Promise<void>;
  close(): void;
}

async function startWorker(kind: 'tensorboardX' | 'torch'): Promise<Worker | undefined> {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [WORKER, kind], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await lines.next();
  if (first.done || first.value !== 'ready') {
    child.kill();
    console.log(`${kind} worker did not start: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    return undefined;
  }
  return {
    async request(line: string) {
      child.stdin.write(`${line}\n`);
      const answer = await lines.next();
      if (answer.done || !answer.value.startsWith('ok')) throw new Error(`${kind} worker failed: ${stderr}`);
    },
    close: () => child.stdin.end(),
  };
}

const workers = (await Promise.all((['tensorboardX', 'torch'] as const).map(async (k) => [k, await startWorker(k)] as const))).filter(
  (w): w is readonly ['tensorboardX' | 'torch', Worker] => w[1] !== undefined,
);
if (!workers.some(([k]) => k === 'tensorboardX')) {
  console.log('skipped: tensorboardX is not importable in the venv');
  process.exit(0);
}

const histogramValues = Float64Array.from({ length: HISTOGRAM_VALUES }, (_, i) => Math.sin(i) * 3);

const scalarCases: BenchCase[] = [
  ...workers.map(([kind, worker]) => ({ name: `${kind} add_scalar`, run: async () => (await worker.request(`scalars ${freshDir()} ${SCALARS}`), SCALARS) })),
  {
    name: 'SummaryWriter.addScalar',
    run: async () => {
      const w = new SummaryWriter({ logDir: freshDir() });
      for (let i = 0; i < SCALARS; i++) w.addScalar(TAGS[i & 3]!, i * 0.001, i >> 2);
      await w.close();
      return SCALARS;
    },
  },
];
const histogramCases: BenchCase[] = [
  ...workers.map(([kind, worker]) => ({ name: `${kind} add_histogram`, run: async () => (await worker.request(`histograms ${freshDir()} ${HISTOGRAMS} ${HISTOGRAM_VALUES}`), HISTOGRAMS) })),
  {
    name: 'SummaryWriter.addHistogram',
    run: async () => {
      const w = new SummaryWriter({ logDir: freshDir() });
      for (let i = 0; i < HISTOGRAMS; i++) w.addHistogram('weights', histogramValues, i);
      await w.close();
      return HISTOGRAMS;
    },
  },
];

try {
  await runBenchmarks(
    'tfevents-vs-tensorboardx',
    [
      { title: `write ${SCALARS.toLocaleString('en')} scalars (close() included; ours fsyncs, the Python writers do not)`, unit: 'scalars', baseline: 'tensorboardX add_scalar', cases: scalarCases },
      { title: `write ${HISTOGRAMS.toLocaleString('en')} histograms of ${HISTOGRAM_VALUES.toLocaleString('en')} values (TensorFlow default bins)`, unit: 'histograms', baseline: 'tensorboardX add_histogram', cases: histogramCases },
    ],
    // One round: the Python writers take minutes per round at 1,000,000 scalars.
    { rounds: 1, minTimeMs: 1 },
  );
} finally {
  for (const [, worker] of workers) worker.close();
  rmSync(root, { recursive: true, force: true });
}
