/**
 * Child process for SB-CRASH-01. It opens the backend under test from the target's
 * module and rewrites a set of files forever, logging `W <file> <version>` before a
 * write starts and `D <file> <version>` once it resolved. The parent kills it with
 * SIGKILL at a random moment and checks every file against those lines.
 */
import { openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { StorageBackend } from '@store/backend-core';
import { prng, versionBytes } from './content.js';

interface WriterArgs {
  module: string;
  location: string;
  files: number;
  workers: number;
  seed: number;
  maxSize: number;
  firstVersion: number;
  /** File the W/D lines go to. */
  log: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as WriterArgs;
const mod = (await import(pathToFileURL(args.module).href)) as {
  createBackend?: (location: string) => StorageBackend | Promise<StorageBackend>;
  default?: (location: string) => StorageBackend | Promise<StorageBackend>;
};
const create = mod.createBackend ?? mod.default;
if (typeof create !== 'function') throw new Error(`${args.module} exports no createBackend(location)`);
const backend = await create(args.location);
const random = prng(args.seed);

// A synchronous write(2) to a file: once it returns the line is in the kernel and
// survives the SIGKILL, unlike output buffered on the way to a pipe.
const logFd = openSync(args.log, 'a');
const say = (line: string): void => void writeSync(logFd, `${line}\n`);

async function worker(first: number): Promise<never> {
  const version = new Map<number, number>();
  for (;;) {
    for (let file = first; file < args.files; file += args.workers) {
      const v = (version.get(file) ?? args.firstVersion) + 1;
      version.set(file, v);
      // The bytes first: W then marks the write itself, so the parent can kill inside writes.
      const bytes = versionBytes(file, v, 16 + Math.floor(random() * args.maxSize));
      say(`W ${file} ${v}`);
      await backend.writeFile(`crash/file-${file}`, bytes);
      say(`D ${file} ${v}`);
    }
  }
}

process.stdout.write('READY\n');
await Promise.all(Array.from({ length: args.workers }, (_, i) => worker(i)));
