export { readEvents, readRun, listEventFiles, listRuns } from './reader.js';
export type { ReadOptions } from './reader.js';
export type * from './types.js';
