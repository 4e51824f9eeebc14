/**
 * Child process for SB-CRASH-01. It opens the backend under test from the target's
 * module and rewrites a set of files forever, printing `W <file> <version>` before a
 * write starts and `D <file> <version>` once it resolved. The parent kills it with
 * SIGKILL at a random moment and checks every file against those lines.
 */
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

// Lines go straight to fd 1: on Linux a pipe write is synchronous, so what the parent
// reads is exactly what happened before the kill.
const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function worker(first: number): Promise<never> {
  const version = new Map<number, number>();
  for (;;) {
    for (let file = first; file < args.files; file += args.workers) {
      const v = (version.get(file) ?? args.firstVersion) + 1;
      version.set(file, v);
      say(`W ${file} ${v}`);
      await backend.writeFile(`crash/file-${file}`, versionBytes(file, v, 16 + Math.floor(random() * args.maxSize)));
      say(`D ${file} ${v}`);
    }
  }
}

say('READY');
await Promise.all(Array.from({ length: args.workers }, (_, i) => worker(i)));
