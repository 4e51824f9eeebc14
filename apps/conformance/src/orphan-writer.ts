/**
 * Child process for SB-CRASH-02. It opens the backend under test from the target's module
 * and writes large files one after another (`orphans/big-<n>`), logging `W <n>` before a
 * write starts and `D <n>` once it resolved, until the parent kills it with SIGKILL in the
 * middle of one — leaving that write's temp file behind as an orphan.
 */
import { killSafeLog, openBackendFromModule } from './child-process.js';
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
const backend = await openBackendFromModule(args.module, args.location);
// One self-describing version for every file: a completed file reads back as exactly it.
const bytes = versionBytes(0, 1, args.size);

const say = killSafeLog(args.log);

process.stdout.write('READY\n');
for (let n = 0; ; n++) {
  say(`W ${n}`);
  await backend.writeFile(`orphans/big-${n}`, bytes);
  say(`D ${n}`);
}
