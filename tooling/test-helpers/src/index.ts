// Helpers shared by the tests (and benchmarks) of every @store package. Private: it is a
// dev dependency only, and depends on no @store package, so dependencies point one way.
export { collect } from './collect.js';
export { expectFollowerSettles } from './follower.js';
export { rng } from './rng.js';
export { HAVE_TTY_RUNNER, runNode, runNodeOnTty, type NodeRun, type RunNodeOptions } from './run-node.js';
export { tempDir, type TempDir } from './temp-dir.js';
