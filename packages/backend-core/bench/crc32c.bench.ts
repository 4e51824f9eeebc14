/**
 * Where the table path of crc32c stops paying: native @node-rs/crc32 (one call per
 * record, the way framing code uses it) against the JavaScript table, per input size.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { runBenchmarks, type BenchGroup } from '@store/bench-harness';
import { crc32cTable } from '../src/crc32c.js';

const RECORDS = 10_000;

function group(size: number): BenchGroup {
  const buffer = Buffer.alloc(size * RECORDS, 0x5a);
  let sink = 0;
  return {
    title: `crc32c of ${size}-byte records`,
    unit: 'records',
    baseline: 'native (@node-rs/crc32)',
    cases: [
      {
        name: 'native (@node-rs/crc32)',
        run: () => {
          for (let r = 0; r < RECORDS; r++) sink ^= nativeCrc32c(buffer.subarray(r * size, (r + 1) * size), 0);
          return RECORDS;
        },
      },
      {
        name: 'table (JavaScript)',
        run: () => {
          for (let r = 0; r < RECORDS; r++) sink ^= crc32cTable(buffer, r * size, (r + 1) * size);
          return RECORDS + (sink & 0);
        },
      },
    ],
  };
}

await runBenchmarks('backend-core crc32c', [16, 64, 128, 256, 512, 1024, 4096].map(group), { rounds: 3, minTimeMs: 300 });
