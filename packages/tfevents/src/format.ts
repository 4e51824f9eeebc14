/**
 * Every on-disk constant of the TensorBoard event-file format, in one place.
 *
 * An event file is a sequence of TFRecords:
 *
 *   offset  size  field
 *   0       8     payload length n, unsigned 64-bit little-endian
 *   8       4     masked CRC32C of the 8 length bytes, u32 little-endian
 *   12      n     payload: one serialized `tensorboard.Event` protobuf
 *   12+n    4     masked CRC32C of the payload, u32 little-endian
 *
 * masked(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8  (mod 2^32)
 */
export const LENGTH_BYTES = 8;
export const LENGTH_CRC_BYTES = 4;
export const HEADER_BYTES = LENGTH_BYTES + LENGTH_CRC_BYTES;
export const FOOTER_BYTES = 4;
export const RECORD_OVERHEAD = HEADER_BYTES + FOOTER_BYTES;

/**
 * Largest payload the reader accepts. A length above this is treated as corruption even when
 * its CRC matches, so a damaged file can never make the reader allocate gigabytes.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024;

/** `file_version` of the first event in every file written by a current TensorFlow/TensorBoard writer. */
export const FILE_VERSION = 'brain.Event:2';

/** Name prefix of event files; TensorBoard picks up any file whose name contains `tfevents`. */
export const FILE_NAME_PREFIX = 'events.out.tfevents.';
export const FILE_NAME_MARKER = 'tfevents';

/** Writer defaults (PyTorch's SummaryWriter: max_queue=10, flush_secs=120). */
export const DEFAULT_MAX_QUEUE = 10;
export const DEFAULT_FLUSH_MS = 120_000;
export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

/** Plugin names TensorBoard dispatches on (SummaryMetadata.plugin_data.plugin_name). */
export const PLUGIN_SCALARS = 'scalars';
export const PLUGIN_HISTOGRAMS = 'histograms';
export const PLUGIN_IMAGES = 'images';
export const PLUGIN_TEXT = 'text';
export const PLUGIN_HPARAMS = 'hparams';

/** SummaryMetadata.data_class values. */
export const DATA_CLASS_UNKNOWN = 0;
export const DATA_CLASS_SCALAR = 1;
export const DATA_CLASS_TENSOR = 2;
export const DATA_CLASS_BLOB_SEQUENCE = 3;

/** Tags the hparams plugin looks for. */
export const HPARAMS_EXPERIMENT_TAG = '_hparams_/experiment';
export const HPARAMS_SESSION_START_TAG = '_hparams_/session_start_info';
export const HPARAMS_SESSION_END_TAG = '_hparams_/session_end_info';

/** Tag prefix of profiling measurements (named durations and counters). */
export const PROFILING_PREFIX = 'profiling/';
