/**
 * Child process for SB-CRASH-02. It opens the backend under test from the target's module
 * and writes large files one after another (`orphans/big-<n>`), logging `W <n>` before a
 * write starts and `D <n>` once it resolved, until the parent kills it with SIGKILL in the
 * middle of one — leaving that write's temp file behind as an orphan.
 */
import { openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { StorageBackend } from '@store/backend-core';
import { versionBytes } from './content.js';

interface OrphanWriterArgs {
  module: string;
  location: string;
  /** Bytes per file: large, so that a kill finds a write in progress. */
  size: number;
  /** File the W/D lines go to. */
  log: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as OrphanWriterArgs;
const mod = (await import(pathToFileURL(args.module).href)) as {
  createBackend?: (location: string) => StorageBackend | Promise<StorageBackend>;
  default?: (location: string) => StorageBackend | Promise<StorageBackend>;
};
const create = mod.createBackend ?? mod.default;
if (typeof create !== 'function') throw new Error(`${args.module} exports no createBackend(location)`);
const backend = await create(args.location);
// One self-describing version for every file: a completed file reads back as exactly it.
const bytes = versionBytes(0, 1, args.size);

// A synchronous write(2): once it returns the line is in the kernel and survives SIGKILL.
const logFd = openSync(args.log, 'a');
const say = (line: string): void => void writeSync(logFd, `${line}\n`);

process.stdout.write('READY\n');
for (let n = 0; ; n++) {
  say(`W ${n}`);
  await backend.writeFile(`orphans/big-${n}`, bytes);
  say(`D ${n}`);
}
