/** Typed events produced by the reader. One TFRecord becomes one or more of these. */
import type { CustomScalarsLayoutData } from './custom-scalars.js';

/** Where an event came from: the file and the byte offset of its TFRecord. */
export interface EventBase {
  /** Seconds since the Unix epoch (float64, as stored). */
  wallTime: number;
  step: number;
  file: string;
  offset: number;
}

/** SummaryMetadata as stored on a value (writers put it on the first value of each tag). */
export interface SummaryMetadataInfo {
  pluginName: string;
  pluginContent: Uint8Array;
  displayName: string;
  description: string;
  /** 0 unknown, 1 scalar, 2 tensor, 3 blob sequence. */
  dataClass: number;
}

interface ValueBase extends EventBase {
  tag: string;
  /** Present when this value itself carried SummaryMetadata. */
  metadata?: SummaryMetadataInfo;
}

/**
 * A scalar. `value` is exactly what the file holds: a float32 (`simple_value` or a DT_FLOAT
 * tensor) widened to a JS number without rounding, or a float64 for a DT_DOUBLE scalar tensor.
 */
export interface ScalarEvent extends ValueBase {
  kind: 'scalar';
  value: number;
  dtype: 'DT_FLOAT' | 'DT_DOUBLE' | string;
}

/** `HistogramProto` fields: what `addHistogram` / `addHistogramRaw` write. */
export interface HistogramSpec {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket; bucket 0 starts at -DBL_MAX. */
  bucketLimits: number[];
  bucketCounts: number[];
}

/** A legacy `HistogramProto` (what PyTorch and TF1 write, and what `addHistogram` writes). */
export interface HistogramProtoData extends HistogramSpec {
  format: 'proto';
}

/** A TF2 histogram tensor: k buckets of [left, right, count]. */
export interface HistogramTensorData {
  format: 'tensor';
  buckets: Array<{ left: number; right: number; count: number }>;
}

export interface HistogramEvent extends ValueBase {
  kind: 'histogram';
  histogram: HistogramProtoData | HistogramTensorData;
}

export interface ImageEvent extends ValueBase {
  kind: 'image';
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; 0 when the (TF2 tensor) form does not record it. */
  colorspace: number;
  /** Encoded images (PNG/JPEG bytes); one for the legacy form, one or more for the tensor form. */
  images: Uint8Array[];
}

export interface AudioEvent extends ValueBase {
  kind: 'audio';
  sampleRate: number;
  numChannels: number;
  lengthFrames: number;
  contentType: string;
  audio: Uint8Array;
}

export interface TextEvent extends ValueBase {
  kind: 'text';
  /** The first (for a rank-0 tensor: the only) string. */
  text: string;
  values: string[];
  shape: number[];
}

export type TensorValues = number[] | bigint[] | boolean[] | Uint8Array[];

export interface Tensor {
  dtype: string;
  shape: number[];
  /** Flattened, row-major. int64/uint64 as bigint, strings as bytes, complex interleaved. */
  values: TensorValues;
}

export interface TensorEvent extends ValueBase {
  kind: 'tensor';
  /** Plugin from this value's metadata or, failing that, the tag's first metadata. '' if none. */
  pluginName: string;
  /** null when the value carried only metadata and no data. */
  tensor: Tensor | null;
  /**
   * Set (skip mode only) when no metadata was ever seen for this tag and a damaged record
   * was skipped before its first value: that record may have carried the tag's plugin
   * metadata, so this value may really be text, an image, a TF2 scalar… It is returned as
   * a plain tensor (as TensorBoard's data_compat would: it never guesses a plugin), flagged.
   */
  metadataLost?: true;
}

/** Decoded `HParamsPluginData` (hparams plugin); hparam values are plain JS values. */
export interface HParamsData {
  version: number;
  experiment?: {
    name?: string;
    description?: string;
    user?: string;
    timeCreatedSecs?: number;
    hparamInfos?: Array<{ name: string; displayName?: string; description?: string; type?: string; domainDiscrete?: unknown[]; domainInterval?: { minValue?: number; maxValue?: number } }>;
    metricInfos?: Array<{ name?: { group?: string; tag?: string }; displayName?: string; description?: string; datasetType?: string }>;
  };
  sessionStartInfo?: { hparams: Record<string, HParamValue>; modelUri?: string; monitorUrl?: string; groupName?: string; startTimeSecs?: number };
  sessionEndInfo?: { status?: string; endTimeSecs?: number };
}

export type HParamValue = number | string | boolean | null | HParamValue[] | { [key: string]: HParamValue };

export interface HParamsEvent extends ValueBase {
  kind: 'hparams';
  data: HParamsData;
}

/** A pr_curves tensor [6, k]: one entry per threshold in each row (float32 values widened). */
export interface PrCurveEvent extends ValueBase {
  kind: 'prCurve';
  /** From the PrCurvePluginData metadata (k when absent). */
  numThresholds: number;
  truePositives: number[];
  falsePositives: number[];
  trueNegatives: number[];
  falseNegatives: number[];
  precision: number[];
  recall: number[];
}

/** The custom scalars dashboard layout (`custom_scalars__config__`). */
export interface CustomScalarsEvent extends ValueBase {
  kind: 'customScalars';
  layout: CustomScalarsLayoutData;
}

/** One part (vertices, faces or colors) of a mesh summary; the tag is `<name>_<contentType>`. */
export interface MeshEvent extends ValueBase {
  kind: 'mesh';
  /** The mesh's name (the tag given to addMesh). */
  name: string;
  contentType: 'VERTEX' | 'FACE' | 'COLOR' | string;
  /** Bitmask of the parts present in the whole mesh: 1 << content type. */
  components: number;
  jsonConfig: string;
  /** [B, N, 3] */
  shape: number[];
  values: number[];
}

export interface FileVersionEvent extends EventBase {
  kind: 'fileVersion';
  version: string;
  sourceWriter?: string;
}

export interface GraphEvent extends EventBase {
  kind: 'graph';
  /** Serialized GraphDef. */
  bytes: Uint8Array;
}

export interface MetaGraphEvent extends EventBase {
  kind: 'metaGraph';
  /** Serialized MetaGraphDef. */
  bytes: Uint8Array;
}

export interface RunMetadataEvent extends EventBase {
  kind: 'runMetadata';
  tag: string;
  /** Serialized RunMetadata. */
  bytes: Uint8Array;
}

export interface SessionLogEvent extends EventBase {
  kind: 'sessionLog';
  status: 'STATUS_UNSPECIFIED' | 'START' | 'STOP' | 'CHECKPOINT' | string;
  checkpointPath: string;
  msg: string;
}

export interface LogMessageEvent extends EventBase {
  kind: 'logMessage';
  level: string;
  message: string;
}

/** An Event with none of the known payloads set (kept so nothing is silently dropped). */
export interface RawEvent extends EventBase {
  kind: 'event';
  event: Record<string, unknown>;
}

export type TfEvent =
  | ScalarEvent
  | HistogramEvent
  | ImageEvent
  | AudioEvent
  | TextEvent
  | TensorEvent
  | HParamsEvent
  | PrCurveEvent
  | CustomScalarsEvent
  | MeshEvent
  | FileVersionEvent
  | GraphEvent
  | MetaGraphEvent
  | RunMetadataEvent
  | SessionLogEvent
  | LogMessageEvent
  | RawEvent;

export type TfEventKind = TfEvent['kind'];
