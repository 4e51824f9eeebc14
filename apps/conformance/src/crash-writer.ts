/**
 * Child process for SB-CRASH-01. It opens the backend under test from the target's
 * module and rewrites a set of files forever, logging `W <file> <version>` before a
 * write starts and `D <file> <version>` once it resolved. The parent kills it with
 * SIGKILL at a random moment and checks every file against those lines.
 */
import { killSafeLog, openBackendFromModule } from './child-process.js';
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
const backend = await openBackendFromModule(args.module, args.location);
const random = prng(args.seed);

const say = killSafeLog(args.log);

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
