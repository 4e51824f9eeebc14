import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { given, type ConformanceCase } from '../case.js';
import { identify, prng, versionBytes } from '../content.js';
import { check, checkEqual } from '../expect.js';
import { logLines, runAndKill } from '../kill-child.js';

const FILES = 8;
const WRITER = fileURLToPath(new URL('../crash-writer.js', import.meta.url));

/** Seed of the sizes and kill delays; set CONFORMANCE_SEED to repeat a failing run. */
function seed(): number {
  const fromEnv = Number(process.env.CONFORMANCE_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : Date.now() % 2 ** 31;
}

/** Kill rounds per run; raise with CONFORMANCE_CRASH_ROUNDS for a longer soak. */
function rounds(): number {
  const n = Number(process.env.CONFORMANCE_CRASH_ROUNDS ?? 5);
  return Number.isInteger(n) && n > 0 ? n : 5;
}

export const crashCases: ConformanceCase[] = [
  {
    id: 'SB-CRASH-01',
    title: 'a writer killed with SIGKILL leaves every file at an old or a new version',
    contract:
      'A writer process killed mid-write leaves every file holding exactly an old or a new version, and no temp file is listed; the backend keeps working.',
    requires: ['crashSafe'],
    needsModule: true,
    async run({ reopen, location, workDir, target, signal }) {
      const names = Array.from({ length: FILES }, (_, i) => `file-${i}`);
      const setup = await given('open a second backend', () => reopen());
      for (let i = 0; i < FILES; i++) await given(`writeFile('crash/file-${i}')`, () => setup.writeFile(`crash/file-${i}`, versionBytes(i, 0, 4096)));
      await given('close()', async () => setup.close?.());
      // Versions confirmed (D) and started (W) per file, across all rounds.
      const done = new Map<number, number>(names.map((_, i) => [i, 0]));
      const started = new Map<number, number>(names.map((_, i) => [i, 0]));
      let version = 0;
      const runSeed = seed();
      const random = prng(runSeed);
      const log = path.join(workDir, 'crash-log');
      try {
        for (let round = 0; round < rounds(); round++) {
          signal.throwIfAborted();
          const firstVersion = version;
          await rm(log, { force: true });
          const args = { module: target.module!, location, files: FILES, workers: FILES, seed: (random() * 2 ** 31) | 0, maxSize: 512 * 1024, firstVersion, log };
          // After a random delay, up to 5 s until the kill can land inside writes (midWrite).
          await runAndKill({ script: WRITER, args, name: 'crash writer', delayMs: 20 + Math.floor(random() * 250), pollMs: 5_000, killNow: () => midWrite(log, FILES), signal });
          for (const line of logLines(log)) {
            const [kind, file, v] = line.split(' ');
            if (kind === 'W') started.set(Number(file), Number(v));
            if (kind === 'D') done.set(Number(file), Number(v));
            if (kind === 'W' || kind === 'D') version = Math.max(version, Number(v));
          }
          const backend = await reopen();
          try {
            for (let i = 0; i < FILES; i++) {
              const bytes = await backend.readFile(`crash/file-${i}`);
              const id = identify(bytes);
              check(id !== undefined && id.index === i, `round ${round}: file-${i} holds ${bytes.byteLength} bytes that are no whole version (torn write)`);
              const ok = id.version === done.get(i) || id.version === started.get(i);
              check(ok, `round ${round}: file-${i} holds version ${id.version}; expected the last confirmed ${done.get(i)} or the in-flight ${started.get(i)}`);
              done.set(i, id.version);
              started.set(i, id.version);
            }
            checkEqual(await backend.listFiles('crash'), names, `round ${round}: listing after the crash`);
            await backend.writeFile('crash/after', versionBytes(99, round, 100));
            check(identify(await backend.readFile('crash/after'))?.version === round, `round ${round}: a write after the crash did not read back`);
            await backend.deleteFile('crash/after');
          } finally {
            await backend.close?.();
          }
        }
      } catch (error) {
        if (error instanceof Error) error.message += ` (CONFORMANCE_SEED=${runSeed})`;
        throw error;
      } finally {
        await rm(log, { force: true });
      }
    },
  },
];

/**
 * True when the writer is in its stride — as many writes confirmed as there are files —
 * and at least half the files have a write in flight (logged W, no D yet), so the kill
 * lands inside writes rather than before the first one or between them.
 */
function midWrite(log: string, files: number): boolean {
  const open = new Map<string, number>();
  let confirmed = 0;
  for (const line of logLines(log)) {
    const [kind, file] = line.split(' ');
    if (kind === 'W') open.set(file!, (open.get(file!) ?? 0) + 1);
    if (kind === 'D') {
      open.set(file!, (open.get(file!) ?? 0) - 1);
      confirmed++;
    }
  }
  const inFlight = [...open.values()].filter((n) => n > 0).length;
  return confirmed >= files && inFlight * 2 >= files;
}
