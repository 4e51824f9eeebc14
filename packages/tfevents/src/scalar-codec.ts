import { DATA_CLASS_SCALAR, HEADER_BYTES, PLUGIN_SCALARS, RECORD_OVERHEAD } from './format.js';
import { encodeSummaryMetadata } from './proto/index.js';
import { frameInPlace } from './record.js';

/**
 * Hand-written encoder for the one message the writer emits millions of times:
 *
 *   Event   { wall_time (1, double), step (2, varint), summary (5) }   (proto3: zeros omitted)
 *   Summary { value (1) }
 *   Value   { tag (1), simple_value (2, float32), metadata (9, only on a tag's first value per file) }
 *
 * Field order and encoding are those of protobufjs's reflection encoder; a test checks the
 * bytes against `Event.encode` for random inputs. Reflection costs ~1 µs per scalar event,
 * which alone would miss the 1M events/s target.
 */
/** Metadata on a scalar tag's first value in each file: plugin 'scalars', DATA_CLASS_SCALAR. */
export const SCALAR_METADATA_FIELDS = { pluginData: { pluginName: PLUGIN_SCALARS }, dataClass: DATA_CLASS_SCALAR };
export const SCALAR_METADATA: Uint8Array = encodeSummaryMetadata(SCALAR_METADATA_FIELDS);

function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      buf[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[pos++] = Number(v);
    return pos;
  }
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

function valueSize(tagLength: number, withMetadata: boolean): number {
  return 1 + varintSize(tagLength) + tagLength + 5 + (withMetadata ? 1 + varintSize(SCALAR_METADATA.length) + SCALAR_METADATA.length : 0);
}

/** Size of the whole framed record. */
export function scalarRecordSize(tagLength: number, step: number, withMetadata: boolean, wallTime = 1): number {
  const value = valueSize(tagLength, withMetadata);
  const summary = 1 + varintSize(value) + value;
  const event = (Object.is(wallTime, 0) ? 0 : 9) + (step !== 0 ? 1 + varintSize(step) : 0) + 1 + varintSize(summary) + summary;
  return event + RECORD_OVERHEAD;
}

/** Writes the framed record at `buf[start..]`; returns the end position. */
export function writeScalarRecord(
  buf: Buffer,
  start: number,
  tag: Uint8Array,
  value: number,
  step: number,
  wallTime: number,
  withMetadata: boolean,
): number {
  const valueLen = valueSize(tag.length, withMetadata);
  const summaryLen = 1 + varintSize(valueLen) + valueLen;
  let p = start + HEADER_BYTES;
  if (!Object.is(wallTime, 0)) {
    buf[p++] = 0x09;
    buf.writeDoubleLE(wallTime, p);
    p += 8;
  }
  if (step !== 0) {
    buf[p++] = 0x10;
    p = writeVarint(buf, p, step);
  }
  buf[p++] = 0x2a;
  p = writeVarint(buf, p, summaryLen);
  buf[p++] = 0x0a;
  p = writeVarint(buf, p, valueLen);
  buf[p++] = 0x0a;
  p = writeVarint(buf, p, tag.length);
  buf.set(tag, p);
  p += tag.length;
  buf[p++] = 0x15;
  buf.writeFloatLE(value, p);
  p += 4;
  if (withMetadata) {
    buf[p++] = 0x4a;
    p = writeVarint(buf, p, SCALAR_METADATA.length);
    buf.set(SCALAR_METADATA, p);
    p += SCALAR_METADATA.length;
  }
  return frameInPlace(buf, start, p - start - HEADER_BYTES);
}
