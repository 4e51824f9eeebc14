import protobuf from 'protobufjs';
import { descriptor } from './descriptor.js';

/**
 * The protobufjs reflection root built from our .proto files (see proto/ and
 * scripts/gen-proto.mjs). Reflection handles every message except the scalar hot path,
 * which is hand-encoded in `scalar-codec.ts` and tested byte-for-byte against these types.
 */
export const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);

export const EventType = root.lookupType('tensorboard.Event');
export const SummaryType = root.lookupType('tensorboard.Summary');
export const SummaryValueType = root.lookupType('tensorboard.Summary.Value');
export const SummaryMetadataType = root.lookupType('tensorboard.SummaryMetadata');
export const HistogramProtoType = root.lookupType('tensorboard.HistogramProto');
export const TensorProtoType = root.lookupType('tensorboard.TensorProto');
export const HParamsPluginDataType = root.lookupType('tensorboard.hparams.HParamsPluginData');
export const DataTypeEnum = root.lookupEnum('tensorboard.DataType');
export const SessionStatusEnum = root.lookupEnum('tensorboard.SessionLog.SessionStatus');
export const LogLevelEnum = root.lookupEnum('tensorboard.LogMessage.Level');

/** Serializes a plain object (camelCase field names) as a `tensorboard.Event`. */
export function encodeEvent(event: Record<string, unknown>): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** Serializes a plain object as a `tensorboard.SummaryMetadata`. */
export function encodeSummaryMetadata(metadata: Record<string, unknown>): Uint8Array {
  return SummaryMetadataType.encode(SummaryMetadataType.fromObject(metadata)).finish();
}

export function encodeHParamsPluginData(data: Record<string, unknown>): Uint8Array {
  return HParamsPluginDataType.encode(HParamsPluginDataType.fromObject(data)).finish();
}

export function dataTypeName(value: number): string {
  return DataTypeEnum.valuesById[value] ?? `DT_UNKNOWN_${value}`;
}

export function dataTypeValue(name: string): number {
  const value = DataTypeEnum.values[name];
  if (value === undefined) throw new TypeError(`unknown DataType ${name}`);
  return value;
}
