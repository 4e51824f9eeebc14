import { StorageError } from '@store/backend-core';
import {
  PLUGIN_HISTOGRAMS,
  PLUGIN_HPARAMS,
  PLUGIN_IMAGES,
  PLUGIN_SCALARS,
  PLUGIN_TEXT,
} from './format.js';
import { EventType, HParamsPluginDataType, LogLevelEnum, SessionStatusEnum, SummaryMetadataType, SummaryValueType } from './proto/index.js';
import { decodeTensor, longToNumber, type LongLike, type TensorProtoLike } from './tensor.js';
import { TagCache } from './tag-cache.js';
import { convertPluginTensor } from './plugin-decode.js';
import type { HParamValue, HParamsData, SummaryMetadataInfo, Tensor, TfEvent } from './types.js';

/**
 * Turns Event payloads into typed events. Scalar events (the bulk of every real file) are
 * parsed by hand from the wire format; anything else goes through protobufjs reflection.
 * One decoder per run: like TensorBoard, it remembers the first metadata seen for each tag
 * and uses it to interpret later values of that tag that carry none.
 */
export class EventDecoder {
  readonly tagMetadata = new Map<string, SummaryMetadataInfo>();
  /**
   * Set by a reader in skip mode once a damaged record was skipped: a tag first seen after
   * that without metadata may have lost it with the damaged record.
   */
  damageSeen = false;
  /** Tags seen without any metadata: true if first seen after damage (their plugin is unknown). */
  private readonly bareTags = new Map<string, boolean>();
  private readonly tags = new TagCache();
  /** ignoreBOM: a leading U+FEFF is part of the text (Python's 'utf-8' codec, which TensorBoard uses, keeps it). */
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  /** Appends the events of one record payload `buf[start, end)` to `out`. */
  decode(buf: Buffer, start: number, end: number, file: string, offset: number, out: TfEvent[]): void {
    const mark = out.length;
    try {
      if (!this.decodeFast(buf, start, end, file, offset, out)) {
        out.length = mark;
        this.decodeSlow(buf.subarray(start, end), file, offset, out);
      }
    } catch (error) {
      out.length = mark;
      if (error instanceof StorageError) throw error;
      throw new StorageError('ECORRUPT', `invalid Event protobuf: ${(error as Error).message}`, {
        path: file,
        offset,
        cause: error,
      });
    }
  }

  /** Returns false (having pushed nothing that matters) when the record needs the general path. */
  private decodeFast(buf: Buffer, start: number, end: number, file: string, offset: number, out: TfEvent[]): boolean {
    let p = start;
    let wallTime = 0;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    let fileVersion: string | undefined;
    while (p < end) {
      const key = buf[p++]!;
      if (key === 0x09) {
        if (p + 8 > end) return false;
        wallTime = buf.readDoubleLE(p);
        p += 8;
      } else if (key === 0x10) {
        // Step: a varint; the common small, non-negative case inline.
        let b = buf[p++]!;
        if (b < 0x80) step = b;
        else {
          let value = b & 0x7f;
          let scale = 0x80;
          let n = 1;
          do {
            if (p >= end || n >= 8) return false;
            b = buf[p++]!;
            value += (b & 0x7f) * scale;
            scale *= 0x80;
            n++;
          } while (b >= 0x80);
          step = value;
        }
      } else if (key === 0x1a || key === 0x2a) {
        let len = buf[p++]!;
        if (len >= 0x80) {
          const b2 = buf[p++]!;
          if (b2 >= 0x80) return false;
          len = (len & 0x7f) | (b2 << 7);
        }
        if (p + len > end) return false;
        if (key === 0x1a) {
          if (summaryStart >= 0) return false;
          fileVersion = buf.toString('utf8', p, p + len);
        } else {
          if (fileVersion !== undefined || summaryStart >= 0) return false;
          summaryStart = p;
          summaryEnd = p + len;
        }
        p += len;
      } else {
        return false;
      }
    }
    if (p !== end) return false;
    if (fileVersion !== undefined) {
      out.push({ kind: 'fileVersion', version: fileVersion, wallTime, step, file, offset });
      return true;
    }
    if (summaryStart < 0) return false;
    p = summaryStart;
    while (p < summaryEnd) {
      if (buf[p++] !== 0x0a) return false;
      let len = buf[p++]!;
      if (len >= 0x80) {
        let shift = 7;
        len &= 0x7f;
        let b: number;
        do {
          if (p >= summaryEnd || shift > 28) return false;
          b = buf[p++]!;
          len += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b >= 0x80);
      }
      const valueEnd = p + len;
      if (valueEnd > summaryEnd) return false;
      if (!this.decodeScalarValue(buf, p, valueEnd, wallTime, step, file, offset, out)) {
        this.convertValue(SummaryValueType.decode(buf.subarray(p, valueEnd)) as unknown as ValueLike, wallTime, step, file, offset, out);
      }
      p = valueEnd;
    }
    return p === summaryEnd;
  }

  /** A Summary.Value holding tag, simple_value and optionally metadata/node_name. */
  private decodeScalarValue(buf: Buffer, start: number, end: number, wallTime: number, step: number, file: string, offset: number, out: TfEvent[]): boolean {
    let p = start;
    let tag = '';
    let value = 0;
    let hasValue = false;
    let metadata: SummaryMetadataInfo | undefined;
    while (p < end) {
      const key = buf[p++]!;
      if (key === 0x15) {
        if (p + 4 > end) return false;
        value = buf.readFloatLE(p);
        hasValue = true;
        p += 4;
      } else if (key === 0x0a || key === 0x3a || key === 0x4a) {
        let len = buf[p++]!;
        if (len >= 0x80) {
          const b2 = buf[p++]!;
          if (b2 >= 0x80) return false;
          len = (len & 0x7f) | (b2 << 7);
        }
        if (p + len > end) return false;
        if (key === 0x0a) tag = this.tags.get(buf, p, p + len);
        else if (key === 0x4a) metadata = metadataInfo(SummaryMetadataType.decode(buf.subarray(p, p + len)) as unknown as MetadataLike);
        p += len;
      } else {
        return false;
      }
    }
    if (!hasValue || p !== end) return false;
    if (metadata !== undefined) {
      if (!this.tagMetadata.has(tag)) this.tagMetadata.set(tag, metadata);
      out.push({ kind: 'scalar', tag, value, dtype: 'DT_FLOAT', wallTime, step, file, offset, metadata });
    } else {
      out.push({ kind: 'scalar', tag, value, dtype: 'DT_FLOAT', wallTime, step, file, offset });
    }
    return true;
  }

  private decodeSlow(payload: Buffer, file: string, offset: number, out: TfEvent[]): void {
    const event = EventType.decode(payload) as unknown as EventLike;
    const wallTime = event.wallTime ?? 0;
    const step = longToNumber(event.step);
    const base = { wallTime, step, file, offset };
    // protobufjs exposes the member set in a oneof by name; unset proto3 fields read as defaults.
    switch (event.what) {
      case 'fileVersion': {
        const sourceWriter = event.sourceMetadata?.writer;
        out.push(sourceWriter ? { kind: 'fileVersion', version: event.fileVersion!, sourceWriter, ...base } : { kind: 'fileVersion', version: event.fileVersion!, ...base });
        break;
      }
      case 'summary':
        for (const value of event.summary!.value ?? []) this.convertValue(value, wallTime, step, file, offset, out);
        break;
      case 'graphDef':
        out.push({ kind: 'graph', bytes: new Uint8Array(event.graphDef!), ...base });
        break;
      case 'metaGraphDef':
        out.push({ kind: 'metaGraph', bytes: new Uint8Array(event.metaGraphDef!), ...base });
        break;
      case 'taggedRunMetadata':
        out.push({ kind: 'runMetadata', tag: event.taggedRunMetadata!.tag ?? '', bytes: new Uint8Array(event.taggedRunMetadata!.runMetadata ?? []), ...base });
        break;
      case 'sessionLog': {
        const s = event.sessionLog!;
        out.push({ kind: 'sessionLog', status: SessionStatusEnum.valuesById[s.status ?? 0] ?? String(s.status), checkpointPath: s.checkpointPath ?? '', msg: s.msg ?? '', ...base });
        break;
      }
      case 'logMessage': {
        const m = event.logMessage!;
        out.push({ kind: 'logMessage', level: LogLevelEnum.valuesById[m.level ?? 0] ?? String(m.level), message: m.message ?? '', ...base });
        break;
      }
      default:
        out.push({ kind: 'event', event: EventType.toObject(event as never, { longs: Number, bytes: Array }) as Record<string, unknown>, ...base });
    }
  }

  private convertValue(value: ValueLike, wallTime: number, step: number, file: string, offset: number, out: TfEvent[]): void {
    const tag = value.tag ?? '';
    const own = value.metadata ? metadataInfo(value.metadata) : undefined;
    if (own !== undefined && !this.tagMetadata.has(tag)) this.tagMetadata.set(tag, own);
    const effective = own ?? this.tagMetadata.get(tag);
    const pluginName = effective?.pluginName ?? '';
    const base = own !== undefined ? { tag, wallTime, step, file, offset, metadata: own } : { tag, wallTime, step, file, offset };
    let lost = false;
    if (effective === undefined) {
      lost = this.bareTags.get(tag) ?? this.damageSeen;
      if (!this.bareTags.has(tag)) this.bareTags.set(tag, lost);
    }

    const which = value.value;
    if (which === 'simpleValue') {
      out.push({ kind: 'scalar', value: value.simpleValue!, dtype: 'DT_FLOAT', ...base });
    } else if (which === 'histo') {
      const h = value.histo!;
      out.push({
        kind: 'histogram',
        histogram: {
          format: 'proto',
          min: h.min ?? 0,
          max: h.max ?? 0,
          num: h.num ?? 0,
          sum: h.sum ?? 0,
          sumSquares: h.sumSquares ?? 0,
          bucketLimits: [...(h.bucketLimit ?? [])],
          bucketCounts: [...(h.bucket ?? [])],
        },
        ...base,
      });
    } else if (which === 'image') {
      const im = value.image!;
      out.push({ kind: 'image', width: im.width ?? 0, height: im.height ?? 0, colorspace: im.colorspace ?? 0, images: [new Uint8Array(im.encodedImageString ?? [])], ...base });
    } else if (which === 'audio') {
      const a = value.audio!;
      out.push({
        kind: 'audio',
        sampleRate: a.sampleRate ?? 0,
        numChannels: longToNumber(a.numChannels),
        lengthFrames: longToNumber(a.lengthFrames),
        contentType: a.contentType ?? '',
        audio: new Uint8Array(a.encodedAudioString ?? []),
        ...base,
      });
    } else if (which === 'tensor') {
      const tensor = decodeTensor(value.tensor!);
      this.convertTensor(tensor, pluginName, effective, base, out, lost);
    } else if (pluginName === PLUGIN_HPARAMS && effective !== undefined) {
      out.push({ kind: 'hparams', data: decodeHParams(effective.pluginContent), ...base });
    } else {
      out.push(lost ? { kind: 'tensor', pluginName, tensor: null, metadataLost: true, ...base } : { kind: 'tensor', pluginName, tensor: null, ...base });
    }
  }

  private convertTensor(
    tensor: Tensor,
    pluginName: string,
    metadata: SummaryMetadataInfo | undefined,
    base: { tag: string; wallTime: number; step: number; file: string; offset: number; metadata?: SummaryMetadataInfo },
    out: TfEvent[],
    lost: boolean,
  ): void {
    const { values, shape } = tensor;
    if (convertPluginTensor(tensor, pluginName, metadata, base, out)) return;
    if (pluginName === PLUGIN_SCALARS && values.length === 1 && typeof values[0] === 'number') {
      out.push({ kind: 'scalar', value: values[0], dtype: tensor.dtype, ...base });
      return;
    }
    if (pluginName === PLUGIN_HISTOGRAMS && shape.length === 2 && shape[1] === 3 && values.every((v) => typeof v === 'number')) {
      const nums = values as number[];
      const buckets: Array<{ left: number; right: number; count: number }> = [];
      for (let i = 0; i + 2 < nums.length; i += 3) buckets.push({ left: nums[i]!, right: nums[i + 1]!, count: nums[i + 2]! });
      out.push({ kind: 'histogram', histogram: { format: 'tensor', buckets }, ...base });
      return;
    }
    if (tensor.dtype === 'DT_STRING') {
      const strings = values as Uint8Array[];
      if (pluginName === PLUGIN_IMAGES && strings.length >= 2) {
        out.push({
          kind: 'image',
          width: Number.parseInt(this.utf8.decode(strings[0]), 10) || 0,
          height: Number.parseInt(this.utf8.decode(strings[1]), 10) || 0,
          colorspace: 0,
          images: strings.slice(2),
          ...base,
        });
        return;
      }
      if (pluginName === PLUGIN_TEXT) {
        const texts = strings.map((s) => this.utf8.decode(s));
        out.push({ kind: 'text', text: texts[0] ?? '', values: texts, shape, ...base });
        return;
      }
    }
    if (pluginName === PLUGIN_HPARAMS && metadata !== undefined) {
      out.push({ kind: 'hparams', data: decodeHParams(metadata.pluginContent), ...base });
      return;
    }
    // Like TensorBoard's data_compat, a tensor without metadata is not guessed into a plugin;
    // when its metadata may have been in a skipped damaged record, it says so.
    out.push(lost ? { kind: 'tensor', pluginName, tensor, metadataLost: true, ...base } : { kind: 'tensor', pluginName, tensor, ...base });
  }
}

interface MetadataLike {
  pluginData?: { pluginName?: string; content?: Uint8Array } | null;
  displayName?: string;
  summaryDescription?: string;
  dataClass?: number;
}

interface ValueLike {
  /** Name of the member of the `value` oneof that is set. */
  value?: string;
  tag?: string;
  metadata?: MetadataLike | null;
  simpleValue?: number | null;
  histo?: { min?: number; max?: number; num?: number; sum?: number; sumSquares?: number; bucketLimit?: number[]; bucket?: number[] } | null;
  image?: { height?: number; width?: number; colorspace?: number; encodedImageString?: Uint8Array } | null;
  audio?: { sampleRate?: number; numChannels?: number | LongLike; lengthFrames?: number | LongLike; encodedAudioString?: Uint8Array; contentType?: string } | null;
  tensor?: TensorProtoLike | null;
}

interface EventLike {
  /** Name of the member of the `what` oneof that is set. */
  what?: string;
  wallTime?: number;
  step?: number | LongLike;
  fileVersion?: string | null;
  graphDef?: Uint8Array | null;
  summary?: { value?: ValueLike[] } | null;
  logMessage?: { level?: number; message?: string } | null;
  sessionLog?: { status?: number; checkpointPath?: string; msg?: string } | null;
  taggedRunMetadata?: { tag?: string; runMetadata?: Uint8Array } | null;
  metaGraphDef?: Uint8Array | null;
  sourceMetadata?: { writer?: string } | null;
}

function metadataInfo(m: MetadataLike): SummaryMetadataInfo {
  return {
    pluginName: m.pluginData?.pluginName ?? '',
    pluginContent: new Uint8Array(m.pluginData?.content ?? []),
    displayName: m.displayName ?? '',
    description: m.summaryDescription ?? '',
    dataClass: m.dataClass ?? 0,
  };
}

/** Decodes hparams plugin content; bad content is corruption of the record. */
export function decodeHParams(content: Uint8Array): HParamsData {
  const message = HParamsPluginDataType.decode(content);
  const obj = HParamsPluginDataType.toObject(message, { enums: String, longs: Number, defaults: false, arrays: true }) as Record<string, unknown>;
  const data: HParamsData = { version: (obj.version as number | undefined) ?? 0 };
  if (obj.experiment) {
    const exp = obj.experiment as Record<string, unknown>;
    const infos = (exp.hparamInfos as Array<Record<string, unknown>> | undefined)?.map((info) => {
      const { domainDiscrete, ...rest } = info;
      return domainDiscrete ? { ...rest, domainDiscrete: listToJs(domainDiscrete) } : rest;
    });
    data.experiment = { ...exp, ...(infos ? { hparamInfos: infos } : {}) } as HParamsData['experiment'];
  }
  if (obj.sessionStartInfo) {
    const start = obj.sessionStartInfo as Record<string, unknown>;
    const hparams: Record<string, HParamValue> = {};
    for (const [name, v] of Object.entries((start.hparams as Record<string, unknown> | undefined) ?? {})) hparams[name] = valueToJs(v);
    data.sessionStartInfo = { ...start, hparams } as HParamsData['sessionStartInfo'];
  }
  if (obj.sessionEndInfo) data.sessionEndInfo = obj.sessionEndInfo as HParamsData['sessionEndInfo'];
  return data;
}

function listToJs(list: unknown): HParamValue[] {
  const values = (list as { values?: unknown[] } | undefined)?.values ?? [];
  return values.map(valueToJs);
}

/** google.protobuf.Value (as a protobufjs plain object) to a JS value. */
function valueToJs(v: unknown): HParamValue {
  const value = v as Record<string, unknown>;
  if ('numberValue' in value) return value.numberValue as number;
  if ('stringValue' in value) return value.stringValue as string;
  if ('boolValue' in value) return value.boolValue as boolean;
  if ('listValue' in value) return listToJs(value.listValue);
  if ('structValue' in value) {
    const out: Record<string, HParamValue> = {};
    const fields = ((value.structValue as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}) as Record<string, unknown>;
    for (const [k, x] of Object.entries(fields)) out[k] = valueToJs(x);
    return out;
  }
  return null;
}
