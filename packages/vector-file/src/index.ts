export { VectorFile } from './vector-file.js';
export type { VectorFileOptions, VectorRecord, PutItem, SearchOptions, CompactOptions, CompactResult, RefreshResult, VerifyReport, VectorFileStats } from './vector-file.js';
export type { Metric, SearchHit } from './search-set.js';
export type { RecoveryReport } from './recovery.js';
export type { VectorInput } from './validate.js';
export {
  FILE_MAGIC,
  RECORD_MAGIC,
  INDEX_MAGIC,
  FORMAT_VERSION,
  DATA_TYPE_FLOAT32,
  FILE_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  VECTOR_FIELDS_SIZE,
  MAX_ID_BYTES,
  MAX_DIMENSION,
  MAX_METADATA_BYTES,
  recordSize,
} from './format.js';
