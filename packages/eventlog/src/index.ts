// Public declarations mention Node types (Buffer): consumers get them through this
// reference and the @types/node dependency, whatever their tsconfig "types" says.
/// <reference types="node" preserve="true" />
export { EventLog } from './event-log.js';
export type { ArchiveReport, Durability, EventLogOptions, LogStats, RepairReport, VerifyReport } from './event-log.js';
export type { LogEvent, RangeOptions } from './range-iterator.js';
export type { RecoveryReport } from './recovery.js';
export type { RepairProblem } from './repair.js';
export type { ArchiveLocation } from './segment.js';
export {
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_WRITE_BUFFER_SIZE,
  DEFAULT_INDEX_INTERVAL,
  FORMAT_VERSION,
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  segmentFileName,
} from './format.js';
