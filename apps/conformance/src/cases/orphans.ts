import { lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { StorageBackend } from '@store/backend-core';
import { CaseInconclusive, CaseSkipped, given, type ConformanceCase } from '../case.js';
import { identify, versionBytes } from '../content.js';
import { check, checkEqual, utf8 } from '../expect.js';
import { hostFiles, hostTree } from '../host.js';
import { logLines, runAndKill } from '../kill-child.js';

const WRITER = fileURLToPath(new URL('../orphan-writer.js', import.meta.url));
/** Bytes per file the child writes: large enough that the kill finds a write in progress. */
const SIZE = 8 * 1024 * 1024;
/** Kill attempts before the case gives up as inconclusive (no orphan left behind). */
const ATTEMPTS = 3;
/** A threshold far above the orphans' age: recovery with it must keep them. */
const YOUNG_THRESHOLD_MS = 60 * 60 * 1000;
/** After waiting ORPHAN_AGE_MS, the orphans are older than OLD_THRESHOLD_MS. */
const OLD_THRESHOLD_MS = 200;
const ORPHAN_AGE_MS = 400;

/** Host files under the location that are not a key the case wrote: a backend's staging files. */
async function strayFiles(location: string): Promise<string[]> {
  return hostFiles(await hostTree(location)).filter((p) => !/^orphans\/(keep|big-\d+)$/.test(p));
}

/** The write the child had started and not finished, if any. */
function inFlight(log: string): number | undefined {
  const open = new Set<number>();
  for (const line of logLines(log)) {
    const [kind, n] = line.split(' ');
    if (kind === 'W') open.add(Number(n));
    if (kind === 'D') open.delete(Number(n));
  }
  return open.size === 0 ? undefined : Math.max(...open);
}

async function listAll(backend: StorageBackend, recursive: boolean): Promise<string[]> {
  const top = await backend.listFiles('');
  const orphans = (await backend.listFiles('orphans')).map((n) => `orphans/${n}`);
  const deep = recursive ? await backend.listFiles('', { recursive: true }) : [];
  return [...new Set([...top, ...orphans, ...deep])].sort();
}

export const orphanCases: ConformanceCase[] = [
  {
    id: 'SB-CRASH-02',
    title: 'temp files orphaned by a killed writer are never listed and are removed by recovery once old',
    contract:
      'Temp files orphaned by a crash are removed by the backend’s recovery (age threshold) and never listed; younger ones may belong to a running write and are kept.',
    requires: ['tempRecovery'],
    needsModule: true,
    async run({ backend, location, workDir, target, capabilities, signal }) {
      if (typeof backend.recover !== 'function') throw new CaseSkipped("declares 'tempRecovery' but has no recover() method (SB-CAP-01 fails it)");
      await given("writeFile('orphans/keep')", () => backend.writeFile('orphans/keep', utf8('kept')));
      const st = await lstat(path.join(location, 'orphans', 'keep')).catch(() => undefined);
      if (st === undefined || !st.isFile()) throw new CaseSkipped("the backend does not keep key 'orphans/keep' as the file <location>/orphans/keep, so its temp files cannot be found on disk");
      check((await strayFiles(location)).length === 0, `files the case did not write are on disk before the crash: ${(await strayFiles(location)).join(', ')}`);
      const log = path.join(workDir, 'orphan-log');
      let orphans: string[] = [];
      try {
        for (let attempt = 0; attempt < ATTEMPTS && orphans.length === 0; attempt++) {
          signal.throwIfAborted();
          // Killed as soon as a write is in progress and its temp file is on disk, or after 10 s.
          await runAndKill({
            script: WRITER,
            args: { module: target.module!, location, size: SIZE, log },
            name: 'orphan writer',
            pollMs: 10_000,
            killNow: async () => (await strayFiles(location)).length > 0 && inFlight(log) !== undefined,
            signal,
          });
          orphans = await strayFiles(location);
        }
      } finally {
        await rm(log, { force: true });
      }
      if (orphans.length === 0) throw new CaseInconclusive(`in ${ATTEMPTS} kills the writer never died inside a write that left a temp file on disk`);

      // Never listed, whatever the listing.
      const listed = await listAll(backend, capabilities.recursiveList);
      for (const orphan of orphans) check(!listed.includes(orphan), `the orphaned temp file '${orphan}' is listed`);
      for (const name of listed) check(/^orphans\/(keep|big-\d+)$/.test(name) || name === 'orphans', `listing shows '${name}', which no one wrote`);

      // Young: recovery with a threshold above their age keeps them (they may be a live write's).
      await backend.recover({ maxAgeMs: YOUNG_THRESHOLD_MS });
      const kept = await strayFiles(location);
      for (const orphan of orphans) check(kept.includes(orphan), `recover({ maxAgeMs: ${YOUNG_THRESHOLD_MS} }) removed '${orphan}', a temp file only moments old`);

      // Old: once past the threshold they go, and nothing else does.
      await sleep(ORPHAN_AGE_MS, undefined, { signal });
      const removed = await backend.recover({ maxAgeMs: OLD_THRESHOLD_MS });
      const left = await strayFiles(location);
      checkEqual(left.filter((p) => orphans.includes(p)), [], `orphans still on disk after recover({ maxAgeMs: ${OLD_THRESHOLD_MS} }) of files ${ORPHAN_AGE_MS} ms old`);
      check(typeof removed === 'number' && removed >= orphans.length, `recover() reported ${String(removed)} removed; ${orphans.length} orphan(s) were there`);

      // Every file the writer finished (and the one it may have renamed before dying) is whole.
      const names = await backend.listFiles('orphans');
      check(names.includes('keep'), "'orphans/keep' is gone after recovery");
      for (const name of names) {
        const bytes = await backend.readFile(`orphans/${name}`);
        if (name === 'keep') checkEqual(Buffer.from(bytes).toString(), 'kept', "'orphans/keep' after recovery");
        else check(identify(bytes)?.version === 1 && bytes.byteLength === SIZE, `'orphans/${name}' holds ${bytes.byteLength} bytes that are not the file written`);
      }

      // And the backend keeps working.
      await backend.writeFile('orphans/after', versionBytes(7, 7, 1000));
      check(identify(await backend.readFile('orphans/after'))?.version === 7, 'a write after recovery did not read back');
      await backend.deleteFile('orphans/after');
    },
  },
];
