// Public declarations mention Node types (Buffer): consumers get them through this
// reference and the @types/node dependency, whatever their tsconfig "types" says.
/// <reference types="node" preserve="true" />
export { SummaryWriter } from './writer.js';
export type { SummaryWriterOptions, HistogramOptions, ImageOptions, HparamsOptions, ProfilingMeasurement, HparamValue } from './writer.js';
export { histogramFromValues } from './histogram.js';
export type { Bins, HistogramSpec } from './histogram.js';
export { readEvents, readRun, readEventBatches, readRunBatches, listEventFiles, listRuns } from './reader.js';
export type { ReadOptions } from './reader.js';
export { encodeRecord } from './record.js';
export type * from './types.js';
export * as format from './format.js';
export { TfEventsStore } from './store.js';
export type { TfEventsStoreOptions, StoreEvent, StoredEvent, EventFilter } from './store.js';
export { verifyFile } from './verify.js';
export type { VerifyReport } from './verify.js';
export { computePrCurve, PLUGIN_PR_CURVES } from './pr-curve.js';
export type { PrCurveOptions, PrCurveData } from './pr-curve.js';
export { CUSTOM_SCALARS_TAG, PLUGIN_CUSTOM_SCALARS, decodeLayout } from './custom-scalars.js';
export type { CustomScalarsLayout, CustomScalarChart, CustomScalarsLayoutData } from './custom-scalars.js';
export { writeEmbedding, readEmbeddings, PROJECTOR_CONFIG_FILE } from './embedding.js';
export type { EmbeddingOptions, EmbeddingMatrix, EmbeddingInfo } from './embedding.js';
export { encodeWav, decodeWav } from './audio.js';
export type { AudioOptions } from './audio.js';
export type { PixelImage } from './image-encode.js';
export type { VideoTensor, VideoOptions } from './video.js';
export { PLUGIN_MESH } from './mesh.js';
export type { MeshTensor, MeshOptions } from './mesh.js';
