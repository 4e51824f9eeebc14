// Helpers shared by the tests (and benchmarks) of every @store package. Private: it is a
// dev dependency only, and depends on no @store package, so dependencies point one way.
// The root entry imports no vitest (child processes and benchmarks load it); helpers that
// assert are subpaths: `/follower`, `/s3`.
export { collect, drain } from './collect.js';
export { killAfterCue, type KillAfterCueOptions, type KilledChild } from './kill-child.js';
export { rng } from './rng.js';
export { PROGRESS_LOG_ENV, progressLog, readProgressLog } from './progress-log.js';
export { HAVE_TTY_RUNNER, runNode, runNodeOnTty, type NodeRun, type RunNodeOptions } from './run-node.js';
export { tempDir, type TempDir } from './temp-dir.js';
