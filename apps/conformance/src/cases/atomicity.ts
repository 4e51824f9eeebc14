import { CaseInconclusive, given, type ConformanceCase } from '../case.js';
import { identify, prng, versionBytes } from '../content.js';
import { check, checkEqual } from '../expect.js';
import { hostFiles, hostTree } from '../host.js';
import { settleAll, together, turn } from '../tasks.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The observation window of a fast backend; slower ones get one sized by their latency. */
const BASE_WINDOW_MS = 2_000;

export const atomicityCases: ConformanceCase[] = [
  {
    id: 'SB-ATOMIC-01',
    title: 'a concurrent reader sees the old or the new bytes, never a mix',
    contract: '`writeFile` replaces atomically (a concurrent reader sees the old or the new bytes, never a mix or a truncation).',
    async run({ backend, signal, timeLeftMs }) {
      const t0 = performance.now();
      await given("writeFile('atomic/file') of the first version", () => backend.writeFile('atomic/file', versionBytes(0, 0, MiB)));
      await given("readFile('atomic/file')", () => backend.readFile('atomic/file'));
      // A window that fits the backend: a call that takes seconds needs a longer look to see
      // readers overlap writes at all, bounded by what is left of the case's time limit.
      const latencyMs = performance.now() - t0;
      const windowMs = Math.max(BASE_WINDOW_MS, Math.min(10 * latencyMs, timeLeftMs() / 2));
      let writing = true;
      let latestStarted = 0;
      let reads = 0;
      const seen = new Set<number>();
      const started = performance.now();
      const reader = async (stop: AbortSignal): Promise<void> => {
        while (writing && !stop.aborted) {
          const bytes = await backend.readFile('atomic/file');
          reads++;
          const id = identify(bytes);
          check(id !== undefined, `a read returned ${bytes.byteLength} bytes that are neither the old nor the new version (torn or mixed)`);
          check(id.version <= latestStarted, `a read returned version ${id.version}, which was never written`);
          seen.add(id.version);
          await turn();
        }
      };
      const writer = async (stop: AbortSignal): Promise<void> => {
        try {
          for (let v = 1; v <= 60 && !stop.aborted; v++) {
            const elapsed = performance.now() - started;
            if (elapsed >= windowMs) break;
            // A slow backend that has shown enough interleaving may stop before its long window ends.
            if (elapsed >= BASE_WINDOW_MS && seen.size >= 3) break;
            latestStarted = v;
            // Alternate sizes so a truncation or a mix of two versions cannot pass as either.
            await backend.writeFile('atomic/file', versionBytes(0, v, v % 2 === 0 ? MiB : MiB / 2 + 17));
            await turn();
          }
        } finally {
          writing = false;
        }
      };
      await together(signal, [writer, reader, reader]);
      if (seen.size < 2) {
        throw new CaseInconclusive(
          `the readers saw only ${seen.size} version(s) in ${reads} reads during ${latestStarted} writes over ${Math.round(performance.now() - started)} ms ` +
            `(one write + read took ${Math.round(latencyMs)} ms): reads never overlapped a write, so atomicity was neither shown nor refuted`,
        );
      }
    },
  },
  {
    id: 'SB-CONC-01',
    title: 'concurrent writers to one path leave exactly one writer’s bytes',
    contract: 'Concurrent writers to one path: the result is exactly one writer’s bytes; no temp file is left behind once all writes have settled.',
    async run({ backend, location, signal }) {
      const writers = 16;
      await given("writeFile('race/target') of a first version", () => backend.writeFile('race/target', versionBytes(99, 0, 1000)));
      let filesOnDisk: number | undefined;
      const started = performance.now();
      // At least 4 rounds; more while the budget lasts. Payloads of 256 KiB–1 MiB take many
      // write calls each, so writers that share one file interleave, and readers catch it.
      for (let round = 1; round <= 8 && (round <= 4 || performance.now() - started < 4_000); round++) {
        let writing = true;
        // Writers started later write less: an in-place writer that truncates then writes leaves
        // an earlier, longer writer's tail behind the last one's bytes.
        const sizes = Array.from({ length: writers }, (_, i) => 256 * KiB + (writers - 1 - i) * 48 * KiB + round * 4099);
        const write = async (): Promise<void> => {
          try {
            await settleAll(sizes.map((size, i) => backend.writeFile('race/target', versionBytes(i, round, size))));
          } finally {
            writing = false;
          }
        };
        // Readers re-read until the writes settle: every read must be one whole version.
        const reader = async (stop: AbortSignal): Promise<void> => {
          while (writing && !stop.aborted) {
            const bytes = await backend.readFile('race/target');
            check(identify(bytes) !== undefined, `round ${round}: a read during the writes returned ${bytes.byteLength} bytes that are no single writer's (writers share one file?)`);
            await turn();
          }
        };
        await together(signal, [write, reader, reader]);
        const bytes = await backend.readFile('race/target');
        const id = identify(bytes);
        check(id !== undefined, `round ${round}: the file holds ${bytes.byteLength} bytes that are no single writer's (a mix of writers)`);
        check(id.version === round && id.index < writers, `round ${round}: the file holds bytes of writer ${id.index} version ${id.version}`);
        checkEqual(await backend.listFiles('race'), ['target'], `round ${round}: listing after the writes settled`);
        // Listings hide temp files, so look at the disk (whatever the backend declares): 16 more
        // overwrites must not leave more files behind. A backend that keeps nothing there has 0.
        const count = hostFiles(await hostTree(location)).length;
        check(filesOnDisk === undefined || count === filesOnDisk, `round ${round}: ${count} files on disk after the writes settled, ${filesOnDisk} after round 1 (leaked temp files?)`);
        filesOnDisk = count;
      }
      if (backend.supports?.recursiveList) {
        checkEqual(await backend.listFiles('', { recursive: true }), ['race/target'], 'recursive listing of the root');
      }
    },
  },
  {
    id: 'SB-CONC-02',
    title: 'in-flight temp files are never listed',
    contract: '`listFiles`: without in-flight temp files.',
    async run({ backend, signal }) {
      const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
      const allowed = new Set(names);
      let writing = true;
      const lister = async (stop: AbortSignal): Promise<void> => {
        while (writing && !stop.aborted) {
          for (const name of await backend.listFiles('busy')) {
            check(allowed.has(name), `listFiles listed '${name}' while writes were in flight`);
          }
          await turn();
        }
      };
      const random = prng(7);
      const writers = async (stop: AbortSignal): Promise<void> => {
        try {
          for (let round = 0; round < 8 && !stop.aborted; round++) {
            await settleAll(names.map((name, i) => backend.writeFile(`busy/${name}`, versionBytes(i, round, 1000 + Math.floor(random() * 300_000)))));
          }
        } finally {
          writing = false;
        }
      };
      await together(signal, [writers, lister]);
      checkEqual(await backend.listFiles('busy'), names, 'listing once the writes settled');
    },
  },
  {
    id: 'SB-ORDER-01',
    title: 'writes and deletes of one key take effect in call order',
    contract: 'Writes to one key issued through one backend instance take effect in call order (the last call wins), even when the caller does not await the earlier ones.',
    async run({ backend }) {
      for (let i = 0; i < 4; i++) {
        const big = versionBytes(i, 1, 4 * MiB);
        const small = versionBytes(i, 2, 16);
        await settleAll([backend.writeFile(`order/w-w${i}`, big), backend.writeFile(`order/w-w${i}`, small)]);
        check(identify(await backend.readFile(`order/w-w${i}`))?.version === 2, `round ${i}: writeFile(4 MiB) then writeFile(16 bytes), not awaited: the 4 MiB write landed last`);
        await settleAll([backend.writeFile(`order/w-d${i}`, big), backend.deleteFile(`order/w-d${i}`)]);
        check(!(await backend.exists(`order/w-d${i}`)), `round ${i}: writeFile then deleteFile, not awaited: the file exists afterwards`);
        await given(`writeFile('order/d-w${i}')`, () => backend.writeFile(`order/d-w${i}`, small));
        await settleAll([backend.deleteFile(`order/d-w${i}`), backend.writeFile(`order/d-w${i}`, big)]);
        const after = await backend.readFile(`order/d-w${i}`).catch(() => undefined);
        check(after !== undefined && identify(after)?.version === 1, `round ${i}: deleteFile then writeFile(4 MiB), not awaited: the written file is ${after === undefined ? 'gone' : 'not the last written'}`);
      }
    },
  },
];
