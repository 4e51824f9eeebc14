/**
 * HTTP benchmark of the reference server (autocannon, bounded duration), beside its peers
 * measured in the same run on the same machine:
 * - GET of a 1 KiB file vs fastify's bare hello-world route (both servers in a child process):
 *   once the file is 2 s old it is served from the read cache; a second server started with
 *   `--read-cache 0` shows the uncached path (no target);
 * - PUT of a 1 KiB file (durable: fsync) vs FilesystemBackend.writeFile called directly at
 *   the same concurrency (10 loops vs 10 connections, both the default durability); a second
 *   server started with `writerThread: false` (bench/main-thread-writes.ts) shows PUT with
 *   the writes on the HTTP thread (no target);
 * - batched appends (100 events of 100 bytes per POST, group-committed fsync) vs
 *   EventLog.appendBatch called directly at the same concurrency.
 * Run: `pnpm bench` (BENCH_QUICK=1 for a smoke run). Writes bench-results/reference-server.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { FilesystemBackend } from '@store/backend-core';
import { EventLog } from '@store/eventlog';

const quick = process.env.BENCH_QUICK === '1';
const DURATION_S = quick ? 1 : 2;
const CONNECTIONS = 10;
const FILE = Buffer.alloc(1024, 0x61);
const EVENT = Buffer.alloc(100, 0x62);
const BATCH = 100;
const BATCH_BODY = JSON.stringify(Array.from({ length: BATCH }, () => EVENT.toString('base64')));
const here = path.dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(path.join(os.tmpdir(), 'store-server-bench-'));

interface Row {
  group: string;
  name: string;
  unit: string;
  opsPerSec: number;
  p99Ms: number;
  baseline: string;
  ratio?: number;
  ratioMin?: number;
  ratioMax?: number;
  /** Rounds in which the per-round ratio reached the target. */
  roundsMet?: number | undefined;
  target?: number;
}

function start(command: string[], cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

async function cannon(options: autocannon.Options): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** `fn` called by CONNECTIONS concurrent loops for `durationS` seconds: operations per second and p99 latency in ms. */
async function direct(fn: (i: number) => Promise<unknown>, durationS = DURATION_S): Promise<{ rps: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + durationS * 1000;
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await fn(i++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

const ROUNDS = quick ? 1 : 5;
const HELLO = 'fastify hello-world route (peer)';
const DIRECT_WRITE = 'FilesystemBackend.writeFile direct (limit)';
const DIRECT_APPEND = 'EventLog.appendBatch direct (limit)';
const PUT_CASE = 'PUT /v1/files 1 KiB (fsync)';
const PUT_MAIN_CASE = 'PUT /v1/files 1 KiB (fsync), writes on the main thread';
const GET_CASE = 'GET /v1/files 1 KiB';
const GET_UNCACHED_CASE = 'GET /v1/files 1 KiB, --read-cache 0';
const APPEND_CASE = `POST /v1/logs/…/events, ${BATCH}×100 B batch`;
const samples = new Map<string, Array<{ rps: number; p99: number }>>();
const record = (name: string, r: { rps: number; p99: number; errors?: number; non2xx?: number }): void => {
  if ((r.errors ?? 0) > 0 || (r.non2xx ?? 0) > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  samples.set(name, [...(samples.get(name) ?? []), r]);
};

const hello = await start(['--import', 'tsx', path.join(here, 'hello.ts')], here);
const server = await start([path.join(here, '../bin/store-server.js'), '--port', '0', '--data', path.join(root, 'data')], here);
// The same server without its small-file read cache: every GET opens, checks and reads the file.
const uncached = await start([path.join(here, '../bin/store-server.js'), '--port', '0', '--data', path.join(root, 'data-uncached'), '--read-cache', '0'], here);
// The server of before the writer thread (src/file-writer.ts): PUT writes on its main thread.
const mainThread = await start(['--import', 'tsx', path.join(here, 'main-thread-writes.ts'), path.join(root, 'data-main-thread')], here);
const fsb = new FilesystemBackend(path.join(root, 'direct'));
mkdirSync(path.join(root, 'direct-log'), { recursive: true });
const log = await EventLog.open(path.join(root, 'direct-log', 'bench'), { durability: 'batch' });
const batch = Array.from({ length: BATCH }, () => EVENT);
try {
  await fetch(`${server.url}/v1/files/bench/get.bin`, { method: 'PUT', body: FILE });
  await fetch(`${uncached.url}/v1/files/bench/get.bin`, { method: 'PUT', body: FILE });
  // Warm every case and its baseline (JIT, connection setup, the directories the writes
  // go to) before measuring, so round 1 does not charge one side with its cold start.
  let w = 0;
  await cannon({ url: `${hello.url}/`, duration: 1 });
  await cannon({ url: `${server.url}/v1/files/bench/get.bin`, duration: 1 });
  await cannon({ url: `${uncached.url}/v1/files/bench/get.bin`, duration: 1 });
  await cannon({ url: server.url, duration: 1, requests: [{ method: 'PUT', body: FILE, setupRequest: (req) => ({ ...req, path: `/v1/files/bench/put/${w++ % 1000}` }) }] });
  await cannon({ url: mainThread.url, duration: 1, requests: [{ method: 'PUT', body: FILE, setupRequest: (req) => ({ ...req, path: `/v1/files/bench/put/${w++ % 1000}` }) }] });
  await direct((i) => fsb.writeFile(`bench/put/${i % 1000}`, FILE), 1);
  await cannon({ url: `${server.url}/v1/logs/bench/events`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BATCH_BODY, duration: 1 });
  await direct(() => log.appendBatch(batch), 1);
  // Rounds interleave every case, so a burst of load from elsewhere on the machine hits
  // all of them alike; each ratio is taken within a round (case and baseline back to back).
  for (let round = 0; round < ROUNDS; round++) {
    record(HELLO, await cannon({ url: `${hello.url}/` }));
    record(GET_CASE, await cannon({ url: `${server.url}/v1/files/bench/get.bin` }));
    record(GET_UNCACHED_CASE, await cannon({ url: `${uncached.url}/v1/files/bench/get.bin` }));
    let n = 0;
    record(PUT_CASE, await cannon({ url: server.url, requests: [{ method: 'PUT', body: FILE, setupRequest: (req) => ({ ...req, path: `/v1/files/bench/put/${n++ % 1000}` }) }] }));
    record(DIRECT_WRITE, await direct((i) => fsb.writeFile(`bench/put/${i % 1000}`, FILE)));
    let m = 0;
    record(PUT_MAIN_CASE, await cannon({ url: mainThread.url, requests: [{ method: 'PUT', body: FILE, setupRequest: (req) => ({ ...req, path: `/v1/files/bench/put/${m++ % 1000}` }) }] }));
    record(APPEND_CASE, await cannon({ url: `${server.url}/v1/logs/bench/events`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BATCH_BODY }));
    record(DIRECT_APPEND, await direct(() => log.appendBatch(batch)));
  }
} finally {
  await log.close();
  hello.child.kill('SIGTERM');
  server.child.kill('SIGTERM');
  uncached.child.kill('SIGTERM');
  mainThread.child.kill('SIGTERM');
  await Promise.all([hello, server, uncached, mainThread].map(({ child }) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))));
  rmSync(root, { recursive: true, force: true });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
/**
 * One row per case: the median rate and p99 over the rounds and, for a case with a
 * baseline, the ratio to the baseline measured in the same round (the two ran back to
 * back), as the median of the per-round ratios with their minimum and maximum, so noise
 * from a shared machine shows instead of hiding in one number.
 */
const row = (group: string, name: string, unit: string, baseline: string, target?: number): Row => {
  const mine = samples.get(name)!;
  const base = samples.get(baseline)!;
  const ratios = mine.map((m, i) => m.rps / base[i]!.rps);
  return {
    group,
    name,
    unit,
    opsPerSec: median(mine.map((m) => m.rps)),
    p99Ms: median(mine.map((m) => m.p99)),
    baseline,
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    roundsMet: target === undefined ? undefined : ratios.filter((r) => r >= target).length,
    ...(target === undefined ? {} : { target }),
  };
};
const rows: Row[] = [
  row('GET', HELLO, 'req/s', HELLO),
  row('GET', GET_CASE, 'req/s', HELLO, 0.5),
  row('GET', GET_UNCACHED_CASE, 'req/s', HELLO),
  row('PUT', DIRECT_WRITE, 'writes/s', DIRECT_WRITE),
  row('PUT', PUT_CASE, 'writes/s', DIRECT_WRITE, 0.8),
  row('PUT', PUT_MAIN_CASE, 'writes/s', DIRECT_WRITE),
  row('append', DIRECT_APPEND, 'batches/s', DIRECT_APPEND),
  row('append', APPEND_CASE, 'batches/s', DIRECT_APPEND),
];

console.log(`\n# reference-server  (node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${CONNECTIONS} concurrent clients, ${ROUNDS} interleaved rounds × ${DURATION_S} s per case, medians over rounds)\n`);
console.log('| group | case | rate | p99 latency | ratio (median) | ratio min–max over rounds | target |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  const met = r.target === undefined ? '' : `≥ ${r.target}× ${r.ratio! >= r.target ? 'met' : 'NOT met'} (met in ${r.roundsMet}/${ROUNDS} rounds)`;
  const spread = r.name === r.baseline ? '' : `${r.ratioMin!.toFixed(2)}–${r.ratioMax!.toFixed(2)}×`;
  console.log(`| ${r.group} | ${r.name} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} ${r.unit} | ${r.p99Ms.toFixed(1)} ms | ${r.ratio!.toFixed(2)}× | ${spread} | ${met} |`);
}
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/reference-server.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, loadavg: loadavg(), rows }, null, 2)}\n`);
