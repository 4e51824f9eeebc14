import type { ConformanceCase } from '../case.js';
import { identify, prng, versionBytes } from '../content.js';
import { check, checkEqual } from '../expect.js';
import { hostFiles, hostTree } from '../host.js';

const MiB = 1024 * 1024;

export const atomicityCases: ConformanceCase[] = [
  {
    id: 'SB-ATOMIC-01',
    title: 'a concurrent reader sees the old or the new bytes, never a mix',
    contract: '`writeFile` replaces atomically (a concurrent reader sees the old or the new bytes, never a mix or a truncation).',
    async run({ backend, signal }) {
      await backend.writeFile('atomic/file', versionBytes(0, 0, MiB));
      let writing = true;
      let latestStarted = 0;
      const seen = new Set<number>();
      // Both sides yield to the event loop on every turn: a backend whose calls resolve
      // without I/O must not let one side starve the other (or the case's own timeout).
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      const reader = async (): Promise<void> => {
        while (writing) {
          signal.throwIfAborted();
          const bytes = await backend.readFile('atomic/file');
          const id = identify(bytes);
          check(id !== undefined, `a read returned ${bytes.byteLength} bytes that are neither the old nor the new version (torn or mixed)`);
          check(id.version <= latestStarted, `a read returned version ${id.version}, which was never written`);
          seen.add(id.version);
          await turn();
        }
      };
      const writer = async (): Promise<void> => {
        try {
          const deadline = Date.now() + 2_000;
          for (let v = 1; v <= 60 && Date.now() < deadline; v++) {
            latestStarted = v;
            // Alternate sizes so a truncation or a mix of two versions cannot pass as either.
            await backend.writeFile('atomic/file', versionBytes(0, v, v % 2 === 0 ? MiB : MiB / 2 + 17));
            await turn();
          }
        } finally {
          writing = false;
        }
      };
      await Promise.all([writer(), reader(), reader()]);
      // Otherwise the case proved nothing: the reads did not interleave with the writes.
      check(seen.size >= 2, `the readers saw only ${seen.size} version(s); the case could not test atomicity`);
    },
  },
  {
    id: 'SB-CONC-01',
    title: 'concurrent writers to one path leave exactly one writer’s bytes',
    contract: 'Concurrent writers to one path: the result is exactly one writer’s bytes; no temp file is left behind once all writes have settled.',
    async run({ backend, location, capabilities }) {
      const writers = 16;
      let filesOnDisk: number | undefined;
      for (let round = 0; round < 3; round++) {
        const sizes = Array.from({ length: writers }, (_, i) => 64 * 1024 + i * 4099 + round);
        await Promise.all(sizes.map((size, i) => backend.writeFile('race/target', versionBytes(i, round, size))));
        const id = identify(await backend.readFile('race/target'));
        check(id !== undefined, `round ${round}: the file holds no single writer's bytes`);
        check(id.version === round && id.index < writers, `round ${round}: the file holds bytes of writer ${id.index} version ${id.version}`);
        checkEqual(await backend.listFiles('race'), ['target'], `round ${round}: listing after the writes settled`);
        if (capabilities.persistent) {
          // Listings hide temp files, so look at the disk: 16 more overwrites must not leave 16 more files.
          const count = hostFiles(await hostTree(location)).length;
          check(filesOnDisk === undefined || count === filesOnDisk, `round ${round}: ${count} files on disk after the writes settled, ${filesOnDisk} after round 0 (leaked temp files?)`);
          filesOnDisk = count;
        }
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
      const lister = async (): Promise<void> => {
        while (writing) {
          signal.throwIfAborted();
          for (const name of await backend.listFiles('busy')) {
            check(allowed.has(name), `listFiles listed '${name}' while writes were in flight`);
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const random = prng(7);
      const writers = async (): Promise<void> => {
        try {
          for (let round = 0; round < 8; round++) {
            await Promise.all(names.map((name, i) => backend.writeFile(`busy/${name}`, versionBytes(i, round, 1000 + Math.floor(random() * 300_000)))));
          }
        } finally {
          writing = false;
        }
      };
      await Promise.all([writers(), lister()]);
      checkEqual(await backend.listFiles('busy'), names, 'listing once the writes settled');
    },
  },
];
