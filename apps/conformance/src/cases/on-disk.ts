import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, chown, lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StorageBackend } from '@store/backend-core';
import { CaseSkipped, given, type ConformanceCase } from '../case.js';
import { check, checkBytes, utf8 } from '../expect.js';

/**
 * Cases about what a backend does on the host disk. They apply to backends that keep key
 * `a/b` as the regular file `<location>/a/b` (the usual layout); a backend that stores
 * elsewhere, or not on disk, is skipped with the reason.
 */
async function requireHostLayout(backend: StorageBackend, location: string, dir: string): Promise<void> {
  await given(`writeFile('${dir}/probe')`, () => backend.writeFile(`${dir}/probe`, utf8('probe')));
  const st = await lstat(path.join(location, dir, 'probe')).catch(() => undefined);
  if (st === undefined || !st.isFile()) throw new CaseSkipped(`the backend does not keep key '${dir}/probe' as the file <location>/${dir}/probe`);
}

type Outcome = { kind: 'resolved'; value: unknown } | { kind: 'rejected'; error: unknown } | { kind: 'blocked' };

/**
 * Waits up to `patienceMs` for `call` to settle. If it is still pending, the backend is
 * taken to be blocked opening the FIFO (which waits for a writer forever, holding a
 * thread): the case opens the FIFO's write end, which releases it, and reports 'blocked'.
 */
async function settleOrRelease(call: Promise<unknown>, fifo: string, patienceMs: number, signal: AbortSignal): Promise<Outcome> {
  let outcome: Outcome | undefined;
  const settled = call.then(
    (value) => (outcome = { kind: 'resolved', value }),
    (error: unknown) => (outcome = { kind: 'rejected', error }),
  );
  const until = performance.now() + patienceMs;
  while (outcome === undefined && performance.now() < until && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 10));
  if (outcome !== undefined) return outcome;
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader was waiting in open after all
  }
  await settled;
  return { kind: 'blocked' };
}

export const onDiskCases: ConformanceCase[] = [
  {
    id: 'SB-MODE-01',
    title: 'an atomic replace keeps the file’s mode (and owner, as root)',
    contract: 'A file’s mode (and owner where permitted) survives an atomic replace.',
    async run({ backend, location }) {
      await requireHostLayout(backend, location, 'mode');
      const file = path.join(location, 'mode', 'probe');
      for (const mode of [0o600, 0o755, 0o640]) {
        await chmod(file, mode);
        await backend.writeFile('mode/probe', utf8(`mode ${mode.toString(8)}`));
        const now = (await stat(file)).mode & 0o7777;
        check(now === mode, `after chmod ${mode.toString(8)} and writeFile, the file has mode ${now.toString(8)}`);
      }
      if (process.getuid?.() === 0) {
        await chown(file, 1234, 1234);
        await backend.writeFile('mode/probe', utf8('owned'));
        const st = await stat(file);
        check(st.uid === 1234 && st.gid === 1234, `after chown 1234:1234 and writeFile (as root), the file is owned by ${st.uid}:${st.gid}`);
      }
    },
  },
  {
    id: 'SB-SPECIAL-01',
    title: 'a FIFO in the storage directory is refused with a code, without blocking',
    contract: 'Only files and directories are stored: anything else found in the storage directory (FIFO, socket, device) is refused with an error code, and never blocks a call.',
    async run({ backend, location, capabilities, signal, timeLeftMs }) {
      await requireHostLayout(backend, location, 'special');
      const fifo = path.join(location, 'special', 'fifo');
      const made = spawnSync('mkfifo', [fifo]);
      if (made.error !== undefined || made.status !== 0) throw new CaseSkipped('mkfifo is not available on this machine');
      const t0 = performance.now();
      await given("readFile('special/probe')", () => backend.readFile('special/probe'));
      const patienceMs = Math.max(2_000, Math.min(20 * (performance.now() - t0), timeLeftMs() / 4));
      const calls: Array<[string, () => Promise<unknown>]> = [["readFile('special/fifo')", () => backend.readFile('special/fifo')]];
      if (capabilities.readRange) calls.push(["readRange('special/fifo', 0, 16)", () => backend.readRange!('special/fifo', 0, 16)]);
      for (const [name, call] of calls) {
        const outcome = await settleOrRelease(call(), fifo, patienceMs, signal);
        check(outcome.kind !== 'blocked', `${name} did not answer within ${Math.round(patienceMs)} ms: it blocked opening the FIFO (released by opening its write end)`);
        if (outcome.kind === 'resolved') {
          const bytes = outcome.value as Uint8Array | undefined;
          check(false, `${name} succeeded${bytes?.byteLength === undefined ? '' : ` with ${bytes.byteLength} bytes`}; a FIFO must be refused with an error code`);
        } else if (outcome.kind === 'rejected') {
          const code = (outcome.error as { code?: unknown } | null)?.code;
          check(typeof code === 'string' && /^E[A-Z]+$/.test(code), `${name} failed without an error code: ${String(outcome.error)}`);
        }
      }
      checkBytes(await backend.readFile('special/probe'), utf8('probe'), 'a regular file beside the FIFO');
    },
  },
  {
    id: 'SB-ERR-01',
    title: 'error messages never carry the host directory',
    contract: 'Errors carry the caller’s key, never the host directory of the data.',
    async run({ backend, location, capabilities }) {
      await given("writeFile('err/file')", () => backend.writeFile('err/file', utf8('x')));
      await given("createDirectory('err/dir')", () => backend.createDirectory('err/dir'));
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ["readFile('err/missing')", () => backend.readFile('err/missing')],
        ["readFile('err/dir')", () => backend.readFile('err/dir')],
        ["readFile('err/file/below')", () => backend.readFile('err/file/below')],
        ["writeFile('err/dir')", () => backend.writeFile('err/dir', utf8('x'))],
        ["writeFile('err/file/below')", () => backend.writeFile('err/file/below', utf8('x'))],
        ["listFiles('err/file')", () => backend.listFiles('err/file')],
        ["createDirectory('err/file')", () => backend.createDirectory('err/file')],
        ["deleteFile('err/dir')", () => backend.deleteFile('err/dir')],
        ["readFile('err/../x')", () => backend.readFile('err/../x')],
      ];
      if (capabilities.stat) attempts.push(["stat('err/missing')", () => backend.stat!('err/missing')]);
      if (capabilities.readRange) attempts.push(["readRange('err/missing', 0, 1)", () => backend.readRange!('err/missing', 0, 1)]);
      if (capabilities.rename) attempts.push(["rename('err/missing', 'err/x')", () => backend.rename!('err/missing', 'err/x')]);
      const hostPaths = [...new Set([location, await realpath(location)])];
      let errors = 0;
      for (const [name, attempt] of attempts) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined) continue; // whether it should fail is other cases' business
        errors++;
        const texts = [String(error), ...(error instanceof Error ? [error.message] : []), ...Object.values(error as object).filter((v): v is string => typeof v === 'string')];
        for (const host of hostPaths) {
          const leak = texts.find((t) => t.includes(host));
          check(leak === undefined, `${name}: the error names the host directory: ${JSON.stringify(leak?.slice(0, 300))}`);
        }
      }
      check(errors > 0, 'none of the calls that should fail did, so no message could be checked');
    },
  },
];
