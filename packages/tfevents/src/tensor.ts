import { dataTypeName } from './proto/index.js';
import type { Tensor, TensorValues } from './types.js';

/** Fields of a decoded protobufjs TensorProto that we read. */
export interface TensorProtoLike {
  dtype?: number;
  tensorShape?: { dim?: Array<{ size?: number | LongLike }>; unknownRank?: boolean } | null;
  tensorContent?: Uint8Array;
  halfVal?: number[];
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  stringVal?: Uint8Array[];
  scomplexVal?: number[];
  int64Val?: Array<number | LongLike>;
  boolVal?: boolean[];
  dcomplexVal?: number[];
  uint32Val?: number[];
  uint64Val?: Array<number | LongLike>;
}

export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}

export function longToNumber(value: number | LongLike | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function longToBigInt(value: number | LongLike, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const big = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned ? big : BigInt.asIntN(64, big);
}

// DataType numbers (tensorboard/compat/proto/types.proto).
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_UINT8 = 4;
const DT_INT16 = 5;
const DT_INT8 = 6;
const DT_STRING = 7;
const DT_COMPLEX64 = 8;
const DT_INT64 = 9;
const DT_BOOL = 10;
const DT_QINT8 = 11;
const DT_QUINT8 = 12;
const DT_QINT32 = 13;
const DT_BFLOAT16 = 14;
const DT_QINT16 = 15;
const DT_QUINT16 = 16;
const DT_UINT16 = 17;
const DT_COMPLEX128 = 18;
const DT_HALF = 19;
const DT_UINT32 = 22;
const DT_UINT64 = 23;

export function tensorShape(proto: TensorProtoLike): number[] {
  return (proto.tensorShape?.dim ?? []).map((d) => longToNumber(d.size));
}

/**
 * Flattens a TensorProto the way TensorBoard's `make_ndarray` does: `tensor_content` when
 * present, else the typed list; a single list element fills the whole shape (version 0 rule).
 */
export function decodeTensor(proto: TensorProtoLike): Tensor {
  const dtype = proto.dtype ?? 0;
  const shape = tensorShape(proto);
  const count = shape.reduce((a, b) => a * Math.max(b, 0), 1);
  const content = proto.tensorContent && proto.tensorContent.length > 0 ? proto.tensorContent : undefined;
  let values: TensorValues;
  switch (dtype) {
    case DT_FLOAT:
      values = content ? readContent(content, 4, (v, o) => v.getFloat32(o, true)) : [...(proto.floatVal ?? [])];
      break;
    case DT_DOUBLE:
      values = content ? readContent(content, 8, (v, o) => v.getFloat64(o, true)) : [...(proto.doubleVal ?? [])];
      break;
    case DT_INT32:
    case DT_QINT32:
      values = content ? readContent(content, 4, (v, o) => v.getInt32(o, true)) : [...(proto.intVal ?? [])];
      break;
    case DT_INT16:
    case DT_QINT16:
      values = content ? readContent(content, 2, (v, o) => v.getInt16(o, true)) : [...(proto.intVal ?? [])];
      break;
    case DT_UINT16:
    case DT_QUINT16:
      values = content ? readContent(content, 2, (v, o) => v.getUint16(o, true)) : [...(proto.intVal ?? [])];
      break;
    case DT_INT8:
    case DT_QINT8:
      values = content ? readContent(content, 1, (v, o) => v.getInt8(o)) : [...(proto.intVal ?? [])];
      break;
    case DT_UINT8:
    case DT_QUINT8:
      values = content ? readContent(content, 1, (v, o) => v.getUint8(o)) : [...(proto.intVal ?? [])];
      break;
    case DT_UINT32:
      values = content ? readContent(content, 4, (v, o) => v.getUint32(o, true)) : [...(proto.uint32Val ?? [])];
      break;
    case DT_INT64:
      values = content ? readContent(content, 8, (v, o) => v.getBigInt64(o, true)) : (proto.int64Val ?? []).map((x) => longToBigInt(x, false));
      break;
    case DT_UINT64:
      values = content ? readContent(content, 8, (v, o) => v.getBigUint64(o, true)) : (proto.uint64Val ?? []).map((x) => longToBigInt(x, true));
      break;
    case DT_BOOL:
      values = content ? readContent(content, 1, (v, o) => v.getUint8(o) !== 0) : [...(proto.boolVal ?? [])];
      break;
    case DT_HALF:
      values = content ? readContent(content, 2, (v, o) => halfToNumber(v.getUint16(o, true))) : (proto.halfVal ?? []).map(halfToNumber);
      break;
    case DT_BFLOAT16:
      values = content ? readContent(content, 2, (v, o) => bfloat16ToNumber(v.getUint16(o, true))) : (proto.halfVal ?? []).map(bfloat16ToNumber);
      break;
    case DT_COMPLEX64:
      values = content ? readContent(content, 4, (v, o) => v.getFloat32(o, true)) : [...(proto.scomplexVal ?? [])];
      break;
    case DT_COMPLEX128:
      values = content ? readContent(content, 8, (v, o) => v.getFloat64(o, true)) : [...(proto.dcomplexVal ?? [])];
      break;
    case DT_STRING:
      values = (proto.stringVal ?? []).map((b) => new Uint8Array(b));
      break;
    default:
      values = [];
  }
  const perElement = dtype === DT_COMPLEX64 || dtype === DT_COMPLEX128 ? 2 : 1;
  if (!content && values.length === perElement && count > 1) values = fill(values as unknown[], count * perElement) as TensorValues;
  return { dtype: dataTypeName(dtype), shape, values };
}

function readContent<T>(content: Uint8Array, size: number, get: (view: DataView, offset: number) => T): T[] {
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const n = Math.floor(content.byteLength / size);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = get(view, i * size);
  return out;
}

function fill<T>(values: T[], total: number): T[] {
  const out = new Array<T>(total);
  for (let i = 0; i < total; i++) out[i] = values[i % values.length]!;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bfloat16ToNumber(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

function halfToNumber(bits: number): number {
  const h = bits & 0xffff;
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
