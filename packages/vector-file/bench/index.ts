/**
 * @store/vector-file beside the raw limits and the peers, in one run (BENCH_QUICK=1: small).
 *
 * - putBatch: batches of 1,000 vectors of 128 float32 (ids `v<n>`, no metadata, durability
 *   'none') beside the same record bytes copied into a buffer and written with fs.writeSync
 *   (the raw sequential write limit, no checksum or index), and beside LanceDB adding the same
 *   vectors (a prebuilt Arrow table) to a local table. Files are deleted every 256 MiB written,
 *   for us and the raw writer alike, so both measure writing rather than this VM's disk.
 * - putBatch, durable: the same batches with durability 'fsync' (one fdatasync per batch) beside
 *   the same bytes written with fs.writeSync plus one fdatasync per batch: a second pair, not
 *   the issue's target (which is the pair above, both without fsync).
 * - get: random ids of the big file, from the LRU cache and uncached, beside one pread of a
 *   record at its known offset (the raw random-read limit).
 * - open: opening the big file with its index, beside reading that index file and checking
 *   its CRC32C (the least an open that trusts an index can do).
 * - exact k-NN, k = 10, dot product, single query and batches of 100: our WebAssembly SIMD
 *   search beside hnswlib-node's BruteforceSearch, usearch's exactSearch (one thread) and a
 *   plain Float32Array loop, plus the GB/s of vector data each query scans beside this
 *   machine's memory read bandwidth (Buffer#indexOf over a 512 MiB buffer: a memchr).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '@store/backend-core';
import { formatRate, quick, runBenchmarks, type BenchGroup, type CaseResult } from '@store/bench-harness';
import { rng } from '@store/test-helpers';
import { VectorFile, recordSize } from '../src/index.js';

const require = createRequire(import.meta.url);
const DIM = 128;
const N = quick ? 20_000 : 1_000_000;
const BATCH = 1000;
const PUT_PER_RUN = quick ? 20_000 : 100_000;
const ROTATE_AT = 256 * 1024 * 1024;
const GETS_PER_RUN = quick ? 20_000 : 200_000;
const CACHED_IDS = 5000;
const K = 10;
const QUERY_BATCH = 100;

const root = mkdtempSync(path.join(os.tmpdir(), 'vector-file-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const rand = rng(42);
const data = new Float32Array(N * DIM);
for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
const vectorOf = (i: number): Float32Array => data.subarray(i * DIM, (i + 1) * DIM);
const queries = Array.from({ length: QUERY_BATCH }, () => Float32Array.from({ length: DIM }, () => rand() * 2 - 1));
const RECORD = recordSize(`v${N}`.length, DIM, 0); // ids are at most this long

// ---------------------------------------------------------------- putBatch

const putItems = Array.from({ length: PUT_PER_RUN / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, j) => ({ id: `v${b * BATCH + j}`, vector: vectorOf((b * BATCH + j) % N) })));
/** Every run puts new ids (an overwrite costs a read of the old record for its version). */
let putRun = 0;
const renamed = (batch: { id: string; vector: Float32Array }[], run: number): { id: string; vector: Float32Array }[] => batch.map((it) => ({ id: `r${run}-${it.id}`, vector: it.vector }));
let putFile: VectorFile | undefined;
let putSerial = 0;
let putPath = '';

async function freshPutFile(): Promise<VectorFile> {
  await putFile?.close();
  if (putPath !== '') {
    rmSync(putPath, { force: true });
    rmSync(`${putPath}.idx`, { force: true });
  }
  putPath = path.join(root, `put-${putSerial++}.jdbv`);
  putFile = await VectorFile.open(putPath, { create: true, dimension: DIM, durability: 'none' });
  return putFile;
}

let rawFd = -1;
let rawPos = 0;
let rawSerial = 0;
const rawBuf = Buffer.alloc(BATCH * RECORD);
const dataBytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
function rawRotate(): void {
  if (rawFd >= 0) closeSync(rawFd);
  rmSync(path.join(root, `raw-${rawSerial}`), { force: true });
  rawFd = openSync(path.join(root, `raw-${++rawSerial}`), 'w');
  rawPos = 0;
}

// LanceDB: the same vectors as an Arrow table built once (its conversion is not timed).
type LanceTable = { add(data: unknown): Promise<unknown> };
let lance: { table: LanceTable; arrow: unknown; db: { dropTable(name: string): Promise<void>; createTable(name: string, data: unknown, o: object): Promise<LanceTable> }; added: number } | undefined;
let lanceError = '';
async function lanceSetup(): Promise<void> {
  try {
    const lancedb = (await import('@lancedb/lancedb')) as unknown as {
      connect(dir: string): Promise<NonNullable<typeof lance>['db']>;
      makeArrowTable(rows: object[]): unknown;
    };
    const rows = Array.from({ length: PUT_PER_RUN }, (_, i) => ({ id: `v${i}`, vector: Array.from(vectorOf(i % N)) }));
    const arrow = lancedb.makeArrowTable(rows);
    const db = await lancedb.connect(path.join(root, 'lance'));
    const table = await db.createTable('vectors', lancedb.makeArrowTable(rows.slice(0, 1)), { mode: 'overwrite' });
    lance = { table, arrow, db, added: 0 };
  } catch (error) {
    lanceError = String(error);
  }
}

const putGroup: BenchGroup = {
  title: `putBatch ${BATCH} × ${DIM}-dim vectors`,
  unit: 'vectors',
  baseline: 'raw writeSync of the same bytes',
  targets: { 'vector-file putBatch': { minRatio: 0.6 } },
  cases: [
    {
      name: 'vector-file putBatch',
      setup: () => freshPutFile(),
      run: async () => {
        let vf = putFile!;
        if ((await vf.stats()).fileBytes > ROTATE_AT) vf = await freshPutFile();
        const run = putRun++;
        for (const batch of putItems) await vf.putBatch(renamed(batch, run));
        return PUT_PER_RUN;
      },
      teardown: async () => {
        await putFile?.close();
        putFile = undefined;
      },
    },
    {
      name: 'raw writeSync of the same bytes',
      setup: rawRotate,
      run: () => {
        for (let s = 0; s < PUT_PER_RUN; s += BATCH) {
          for (let j = 0; j < BATCH; j++) {
            const i = (s + j) % N;
            // header bytes are left as they are: the limit is the copy of the values and the write
            dataBytes.copy(rawBuf, j * RECORD + 112, i * DIM * 4, (i + 1) * DIM * 4);
          }
          let done = 0;
          while (done < rawBuf.length) done += writeSync(rawFd, rawBuf, done, rawBuf.length - done, rawPos + done);
          rawPos += rawBuf.length;
        }
        if (rawPos > ROTATE_AT) rawRotate();
        return PUT_PER_RUN;
      },
      teardown: () => {
        closeSync(rawFd);
        rawFd = -1;
      },
    },
    {
      name: 'LanceDB table.add (0.31.0)',
      setup: lanceSetup,
      run: async () => {
        if (lance === undefined) return PUT_PER_RUN; // not installable: reported below
        await lance.table.add(lance.arrow);
        lance.added += PUT_PER_RUN;
        if (lance.added * DIM * 4 > ROTATE_AT) {
          await lance.db.dropTable('vectors');
          lance.table = await lance.db.createTable('vectors', lance.arrow, { mode: 'overwrite' });
          lance.added = PUT_PER_RUN;
        }
        return PUT_PER_RUN;
      },
    },
  ],
};

// Durable: fewer batches per run (each waits for the disk).
const DURABLE_BATCHES = quick ? 5 : 20;
let durableFile: VectorFile | undefined;
let durableRun = 0;
let durableFd = -1;
let durablePos = 0;

const durableGroup: BenchGroup = {
  title: `putBatch ${BATCH} × ${DIM}-dim vectors, durable (fdatasync per batch)`,
  unit: 'vectors',
  baseline: 'raw writeSync + fdatasync per batch',
  cases: [
    {
      name: "vector-file putBatch, durability 'fsync'",
      setup: async () => {
        durableFile = await VectorFile.open(path.join(root, 'durable.jdbv'), { create: true, dimension: DIM });
      },
      run: async () => {
        const vf = durableFile!;
        const run = durableRun++;
        for (let b = 0; b < DURABLE_BATCHES; b++) await vf.putBatch(renamed(putItems[b % putItems.length]!, run));
        return DURABLE_BATCHES * BATCH;
      },
      teardown: async () => {
        await durableFile?.close();
        durableFile = undefined;
        rmSync(path.join(root, 'durable.jdbv'), { force: true });
        rmSync(path.join(root, 'durable.jdbv.idx'), { force: true });
      },
    },
    {
      name: 'raw writeSync + fdatasync per batch',
      setup: () => {
        durableFd = openSync(path.join(root, 'durable-raw'), 'w');
        durablePos = 0;
      },
      run: () => {
        for (let b = 0; b < DURABLE_BATCHES; b++) {
          for (let j = 0; j < BATCH; j++) {
            const i = (b * BATCH + j) % N;
            dataBytes.copy(rawBuf, j * RECORD + 112, i * DIM * 4, (i + 1) * DIM * 4);
          }
          let done = 0;
          while (done < rawBuf.length) done += writeSync(durableFd, rawBuf, done, rawBuf.length - done, durablePos + done);
          durablePos += rawBuf.length;
          fdatasyncSync(durableFd);
        }
        return DURABLE_BATCHES * BATCH;
      },
      teardown: () => {
        closeSync(durableFd);
        durableFd = -1;
        rmSync(path.join(root, 'durable-raw'), { force: true });
      },
    },
  ],
};

// ---------------------------------------------------------------- the big file: get, open, search

const bigPath = path.join(root, 'big.jdbv');
{
  const vf = await VectorFile.open(bigPath, { create: true, dimension: DIM, durability: 'none' });
  for (let s = 0; s < N; s += BATCH) await vf.putBatch(Array.from({ length: BATCH }, (_, j) => ({ id: `v${s + j}`, vector: vectorOf(s + j) })));
  await vf.close();
}
const cached = await VectorFile.open(bigPath, { readOnly: true, cacheSize: CACHED_IDS });
const uncached = await VectorFile.open(bigPath, { readOnly: true, cacheSize: 0 });
const getIds = Array.from({ length: GETS_PER_RUN }, () => `v${Math.floor(rand() * N)}`);
const cachedIds = Array.from({ length: GETS_PER_RUN }, (_, i) => `v${i % CACHED_IDS}`);
for (let i = 0; i < CACHED_IDS; i++) await cached.get(`v${i}`);
const offsets = Array.from({ length: GETS_PER_RUN }, () => 64 + Math.floor(rand() * N) * RECORD);
const bigFd = openSync(bigPath, 'r');
const preadBuf = Buffer.alloc(RECORD);

const getGroup: BenchGroup = {
  title: `get of ${N} vectors`,
  unit: 'gets',
  baseline: 'raw pread of one record',
  targets: { 'get, cached': { minOpsPerSec: 1_000_000 }, 'get, uncached': { minOpsPerSec: 200_000 } },
  cases: [
    {
      name: 'get, cached',
      run: async () => {
        for (const id of cachedIds) await cached.get(id);
        return GETS_PER_RUN;
      },
    },
    {
      name: 'get, uncached',
      run: async () => {
        for (const id of getIds) await uncached.get(id);
        return GETS_PER_RUN;
      },
    },
    {
      name: 'raw pread of one record',
      run: () => {
        for (const o of offsets) readSync(bigFd, preadBuf, 0, RECORD, o);
        return GETS_PER_RUN;
      },
    },
  ],
};

const openGroup: BenchGroup = {
  title: `open of a ${N}-vector file with its index`,
  unit: 'opens',
  baseline: 'read the index file + one CRC32C',
  targets: { 'VectorFile.open (read-only)': { minOpsPerSec: 1 } },
  cases: [
    {
      // The least any open that trusts an index must do: read it and check its checksum.
      name: 'read the index file + one CRC32C',
      run: () => {
        const bytes = readFileSync(`${bigPath}.idx`);
        if (crc32c(bytes.subarray(0, bytes.length - 4)) !== bytes.readUInt32LE(bytes.length - 4)) throw new Error('index checksum');
        return 1;
      },
    },
    {
      name: 'VectorFile.open (read-only)',
      run: async () => {
        const vf = await VectorFile.open(bigPath, { readOnly: true });
        if (vf.size !== N) throw new Error(`opened ${vf.size} vectors`);
        await vf.close();
        return 1;
      },
    },
  ],
};

// Peers hold the same vectors in memory.
const peers: { hnsw?: { searchKnn(q: number[], k: number): unknown }; usearch?: { exactSearch(d: Float32Array, q: Float32Array, dim: number, k: number, metric: string, threads: number): unknown } } = {};
const peerErrors: string[] = [];
try {
  const { BruteforceSearch } = require('hnswlib-node') as { BruteforceSearch: new (space: string, dim: number) => { initIndex(n: number): void; addPoint(p: number[], label: number): void; searchKnn(q: number[], k: number): unknown } };
  const bf = new BruteforceSearch('ip', DIM);
  bf.initIndex(N);
  const point: number[] = new Array<number>(DIM);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < DIM; j++) point[j] = data[i * DIM + j]!;
    bf.addPoint(point, i);
  }
  peers.hnsw = bf;
} catch (error) {
  peerErrors.push(`hnswlib-node: ${String(error)}`);
}
try {
  peers.usearch = require('usearch') as NonNullable<typeof peers.usearch>;
} catch (error) {
  peerErrors.push(`usearch: ${String(error)}`);
}
const searcher = await VectorFile.open(bigPath, { readOnly: true });
await searcher.search(queries[0]!, K, { metric: 'dot' }); // loads the vectors into WebAssembly memory
const flatQueries = new Float32Array(QUERY_BATCH * DIM);
queries.forEach((q, i) => flatQueries.set(q, i * DIM));
const queryArrays = queries.map((q) => Array.from(q));

/** The plain loop: dot products over a Float32Array and a sorted top-k insert. */
function plainSearch(q: Float32Array): number[] {
  const best: { s: number; i: number }[] = [];
  for (let i = 0; i < N; i++) {
    let s = 0;
    const o = i * DIM;
    for (let j = 0; j < DIM; j++) s += q[j]! * data[o + j]!;
    if (best.length < K || s > best[best.length - 1]!.s) {
      let p = best.length;
      while (p > 0 && best[p - 1]!.s < s) p--;
      best.splice(p, 0, { s, i });
      if (best.length > K) best.pop();
    }
  }
  return best.map((b) => b.i);
}

let qi = 0;
const nextQuery = (): number => (qi = (qi + 1) % QUERY_BATCH);
const memory = Buffer.alloc(Math.min(512 * 1024 * 1024, N * DIM * 4), 1);

const singleGroup: BenchGroup = {
  title: `exact k-NN k=${K}, single query, ${N} × ${DIM}`,
  unit: 'queries',
  baseline: 'hnswlib-node BruteforceSearch',
  cases: [
    { name: 'vector-file search (wasm SIMD)', run: async () => (await searcher.search(queries[nextQuery()]!, K, { metric: 'dot' }), 1) },
    { name: 'hnswlib-node BruteforceSearch', run: () => (peers.hnsw?.searchKnn(queryArrays[nextQuery()]!, K), 1) },
    { name: 'usearch exactSearch, 1 thread', run: () => (peers.usearch?.exactSearch(data, queries[nextQuery()]!, DIM, K, 'ip', 1), 1) },
    { name: 'plain Float32Array loop', run: () => (plainSearch(queries[nextQuery()]!), 1) },
    { name: 'memory read (memchr, one pass)', run: () => (memory.indexOf(0), 1) },
  ],
};

const batchGroup: BenchGroup = {
  title: `exact k-NN k=${K}, batches of ${QUERY_BATCH} queries, ${N} × ${DIM}`,
  unit: 'queries',
  baseline: 'hnswlib-node BruteforceSearch',
  cases: [
    { name: 'vector-file searchBatch (wasm SIMD)', run: async () => (await searcher.searchBatch(queries, K, { metric: 'dot' }), QUERY_BATCH) },
    {
      name: 'hnswlib-node BruteforceSearch',
      run: () => {
        for (const q of queryArrays) peers.hnsw?.searchKnn(q, K);
        return QUERY_BATCH;
      },
    },
    { name: 'usearch exactSearch, 1 thread', run: () => (peers.usearch?.exactSearch(data, flatQueries, DIM, K, 'ip', 1), QUERY_BATCH) },
  ],
};

const results = await runBenchmarks('vector-file', [putGroup, durableGroup, getGroup, openGroup, singleGroup, batchGroup], quick ? {} : { rounds: 3 });
await Promise.all([cached.close(), uncached.close(), searcher.close()]);
closeSync(bigFd);

// ---------------------------------------------------------------- ratios against each peer

const rate = (group: BenchGroup, name: string): number => results.find((r: CaseResult) => r.group === group.title && r.case === name)?.opsPerSec ?? Number.NaN;
const scanBytes = N * DIM * 4;
const lines: string[][] = [['comparison', 'ours', 'peer / limit', 'ratio', 'target', 'met']];
const compare = (label: string, ours: number, peer: number, target: number | undefined, unit: string): void => {
  const ratio = ours / peer;
  lines.push([label, `${formatRate(ours)} ${unit}`, `${formatRate(peer)} ${unit}`, Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a', target === undefined ? '' : `≥ ${target.toFixed(1)}x`, target === undefined ? '' : ratio >= target ? 'yes' : 'NO']);
};
const oursSingle = rate(singleGroup, 'vector-file search (wasm SIMD)');
const oursBatch = rate(batchGroup, 'vector-file searchBatch (wasm SIMD)');
compare('putBatch vs raw write', rate(putGroup, 'vector-file putBatch'), rate(putGroup, 'raw writeSync of the same bytes'), 0.6, 'vectors/s');
compare('durable putBatch vs write + fdatasync (second pair)', rate(durableGroup, "vector-file putBatch, durability 'fsync'"), rate(durableGroup, 'raw writeSync + fdatasync per batch'), undefined, 'vectors/s');
compare('putBatch vs LanceDB add', rate(putGroup, 'vector-file putBatch'), rate(putGroup, 'LanceDB table.add (0.31.0)'), undefined, 'vectors/s');
compare('single query vs hnswlib-node brute force', oursSingle, rate(singleGroup, 'hnswlib-node BruteforceSearch'), 1.0, 'q/s');
compare('single query vs usearch exact (1 thread)', oursSingle, rate(singleGroup, 'usearch exactSearch, 1 thread'), 0.5, 'q/s');
compare('single query vs plain loop', oursSingle, rate(singleGroup, 'plain Float32Array loop'), 3.0, 'q/s');
compare('batch of 100 vs hnswlib-node brute force', oursBatch, rate(batchGroup, 'hnswlib-node BruteforceSearch'), 1.0, 'q/s');
compare('batch of 100 vs usearch exact (1 thread)', oursBatch, rate(batchGroup, 'usearch exactSearch, 1 thread'), 0.5, 'q/s');
const memGBs = (rate(singleGroup, 'memory read (memchr, one pass)') * memory.length) / 1e9;
const singleGBs = (oursSingle * scanBytes) / 1e9;
const batchGBs = ((oursBatch / QUERY_BATCH) * scanBytes) / 1e9;
lines.push(['vector data scanned, single query', `${singleGBs.toFixed(2)} GB/s`, `${memGBs.toFixed(2)} GB/s memory read`, `${(singleGBs / memGBs).toFixed(2)}x`, '', '']);
lines.push(['vector data read from memory, batch of 100', `${batchGBs.toFixed(2)} GB/s`, `${memGBs.toFixed(2)} GB/s memory read`, `${(batchGBs / memGBs).toFixed(2)}x`, '', '']);
lines.push(['vector data scored, batch of 100 (all queries)', `${(batchGBs * QUERY_BATCH).toFixed(2)} GB/s`, '', '', '', '']);
const openSeconds = 1 / rate(openGroup, 'VectorFile.open (read-only)');
const indexSeconds = 1 / rate(openGroup, 'read the index file + one CRC32C');
lines.push([`open of ${N} vectors with index`, `${openSeconds.toFixed(3)} s`, `${indexSeconds.toFixed(3)} s index read + CRC`, `${(openSeconds / indexSeconds).toFixed(2)}x the time`, '< 1 s', openSeconds < 1 ? 'yes' : 'NO']);
const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
const fmt = (l: string[]): string => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${[fmt(lines[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.slice(1).map(fmt)].join('\n')}`);
if (lance === undefined) console.log(`\nLanceDB could not run here: ${lanceError}`);
for (const e of peerErrors) console.log(`peer could not run here: ${e}`);
