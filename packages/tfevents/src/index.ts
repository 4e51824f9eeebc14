export { SummaryWriter } from './writer.js';
export type { SummaryWriterOptions, HistogramOptions, ImageOptions, HparamsOptions, ProfilingMeasurement, HparamValue } from './writer.js';
export { histogramFromValues } from './histogram.js';
export type { Bins, HistogramSpec } from './histogram.js';
export { readEvents, readRun, listEventFiles, listRuns } from './reader.js';
export type { ReadOptions } from './reader.js';
export { encodeRecord } from './record.js';
export type * from './types.js';
export * as format from './format.js';
