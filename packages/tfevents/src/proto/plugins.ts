import protobuf from 'protobufjs';
import { pluginDescriptor } from './plugin-descriptor.js';

/**
 * Plugin payloads (SummaryMetadata.plugin_data.content and custom scalars' layout), from the
 * plugins' own .proto files in proto/tensorboard/plugins (see scripts/gen-plugin-proto.mjs).
 */
const pluginRoot = protobuf.Root.fromJSON(pluginDescriptor as unknown as protobuf.INamespace);

export const PrCurvePluginDataType = pluginRoot.lookupType('tensorboard.PrCurvePluginData');
export const LayoutType = pluginRoot.lookupType('tensorboard.Layout');
export const MeshPluginDataType = pluginRoot.lookupType('tensorboard.mesh.MeshPluginData');

export function encodeMessage(type: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

/** Decodes `bytes` as `type` into a plain object (enums as names, 64-bit as numbers, defaults filled). */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, defaults: true, arrays: true }) as Record<string, unknown>;
}
