/**
 * HTTP benchmark of the reference server (autocannon, bounded duration), beside its peers
 * measured in the same run on the same machine:
 * - GET of a 1 KiB file vs fastify's bare hello-world route (both servers in a child process);
 * - PUT of a 1 KiB file (durable: fsync) vs FilesystemBackend.writeFile called directly at
 *   the same concurrency;
 * - batched appends (100 events of 100 bytes per POST, group-committed fsync) vs
 *   EventLog.appendBatch called directly at the same concurrency.
 * Run: `pnpm bench` (BENCH_QUICK=1 for a smoke run). Writes bench-results/reference-server.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { FilesystemBackend } from '@store/backend-core';
import { EventLog } from '@store/eventlog';

const quick = process.env.BENCH_QUICK === '1';
const DURATION_S = quick ? 1 : 3;
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

/** `fn` called by CONNECTIONS concurrent loops for the duration: operations per second and p99 latency in ms. */
async function direct(fn: (i: number) => Promise<unknown>): Promise<{ rps: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + DURATION_S * 1000;
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

const ROUNDS = quick ? 1 : 3;
const HELLO = 'fastify hello-world route (peer)';
const DIRECT_WRITE = 'FilesystemBackend.writeFile direct (limit)';
const DIRECT_APPEND = 'EventLog.appendBatch direct (limit)';
const PUT_CASE = 'PUT /v1/files 1 KiB (fsync)';
const GET_CASE = 'GET /v1/files 1 KiB';
const APPEND_CASE = `POST /v1/logs/…/events, ${BATCH}×100 B batch`;
const samples = new Map<string, Array<{ rps: number; p99: number }>>();
const record = (name: string, r: { rps: number; p99: number; errors?: number; non2xx?: number }): void => {
  if ((r.errors ?? 0) > 0 || (r.non2xx ?? 0) > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  samples.set(name, [...(samples.get(name) ?? []), r]);
};

const hello = await start(['--import', 'tsx', path.join(here, 'hello.ts')], here);
const server = await start([path.join(here, '../bin/store-server.js'), '--port', '0', '--data', path.join(root, 'data')], here);
const fsb = new FilesystemBackend(path.join(root, 'direct'));
mkdirSync(path.join(root, 'direct-log'), { recursive: true });
const log = await EventLog.open(path.join(root, 'direct-log', 'bench'), { durability: 'batch' });
const batch = Array.from({ length: BATCH }, () => EVENT);
try {
  await fetch(`${server.url}/v1/files/bench/get.bin`, { method: 'PUT', body: FILE });
  // Warm both servers (JIT, connection setup) before measuring.
  await cannon({ url: `${hello.url}/`, duration: 1 });
  await cannon({ url: `${server.url}/v1/files/bench/get.bin`, duration: 1 });
  // Rounds interleave every case, so a burst of load from elsewhere on the machine hits
  // all of them alike; the median round is reported.
  for (let round = 0; round < ROUNDS; round++) {
    record(HELLO, await cannon({ url: `${hello.url}/` }));
    record(GET_CASE, await cannon({ url: `${server.url}/v1/files/bench/get.bin` }));
    let n = 0;
    record(PUT_CASE, await cannon({ url: server.url, requests: [{ method: 'PUT', body: FILE, setupRequest: (req) => ({ ...req, path: `/v1/files/bench/put/${n++ % 1000}` }) }] }));
    record(DIRECT_WRITE, await direct((i) => fsb.writeFile(`bench/put/${i % 1000}`, FILE)));
    record(APPEND_CASE, await cannon({ url: `${server.url}/v1/logs/bench/events`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BATCH_BODY }));
    record(DIRECT_APPEND, await direct(() => log.appendBatch(batch)));
  }
} finally {
  await log.close();
  hello.child.kill('SIGTERM');
  server.child.kill('SIGTERM');
  await Promise.all([hello, server].map(({ child }) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))));
  rmSync(root, { recursive: true, force: true });
}

const median = (name: string): { rps: number; p99: number } => {
  const s = [...samples.get(name)!].sort((a, b) => a.rps - b.rps);
  return s[Math.floor(s.length / 2)]!;
};
const row = (group: string, name: string, unit: string, baseline: string, target?: number): Row => ({
  group,
  name,
  unit,
  opsPerSec: median(name).rps,
  p99Ms: median(name).p99,
  baseline,
  ...(target === undefined ? {} : { target }),
});
const rows: Row[] = [
  row('GET', HELLO, 'req/s', HELLO),
  row('GET', GET_CASE, 'req/s', HELLO, 0.5),
  row('PUT', DIRECT_WRITE, 'writes/s', DIRECT_WRITE),
  row('PUT', PUT_CASE, 'writes/s', DIRECT_WRITE, 0.8),
  row('append', DIRECT_APPEND, 'batches/s', DIRECT_APPEND),
  row('append', APPEND_CASE, 'batches/s', DIRECT_APPEND),
];

for (const r of rows) r.ratio = r.opsPerSec / rows.find((b) => b.group === r.group && b.name === r.baseline)!.opsPerSec;
console.log(`\n# reference-server  (node ${process.version}, ${cpus().length} cores, ${CONNECTIONS} concurrent clients, ${ROUNDS} interleaved rounds × ${DURATION_S} s per case, median round)\n`);
console.log('| group | case | rate | p99 latency | ratio | target |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const r of rows) {
  const met = r.target === undefined ? '' : `≥ ${r.target}× ${r.ratio! >= r.target ? 'met' : 'NOT met'}`;
  console.log(`| ${r.group} | ${r.name} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} ${r.unit} | ${r.p99Ms.toFixed(1)} ms | ${r.ratio!.toFixed(2)}× | ${met} |`);
}
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/reference-server.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, rows }, null, 2)}\n`);
