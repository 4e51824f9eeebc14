import { dataTypeValue } from './proto/index.js';

/**
 * One Summary.Value as the writer's `addValues` takes it: the tag, the SummaryMetadata (put on
 * the first value of the tag in each file) and the member of the `value` oneof.
 */
export interface PluginValue {
  tag: string;
  metadata?: Record<string, unknown>;
  data: Record<string, unknown>;
}

/** A DT_FLOAT TensorProto with its values in `float_val` (what PyTorch writes for plugin tensors). */
export function floatTensor(shape: readonly number[], values: ArrayLike<number>): Record<string, unknown> {
  return { dtype: dataTypeValue('DT_FLOAT'), tensorShape: { dim: shape.map((size) => ({ size })) }, floatVal: Array.from(values) };
}

/** SummaryMetadata with plugin name and content only (data_class unset, as PyTorch writes it). */
export function pluginOnlyMetadata(pluginName: string, content?: Uint8Array): Record<string, unknown> {
  return { pluginData: content === undefined ? { pluginName } : { pluginName, content } };
}
