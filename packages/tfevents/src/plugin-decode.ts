import { PLUGIN_CUSTOM_SCALARS, decodeLayout } from './custom-scalars.js';
import { PLUGIN_MESH, decodeMeshContent } from './mesh.js';
import { PLUGIN_PR_CURVES, decodePrCurveContent } from './pr-curve.js';
import type { SummaryMetadataInfo, Tensor, TfEvent } from './types.js';

type Base = { tag: string; wallTime: number; step: number; file: string; offset: number; metadata?: SummaryMetadataInfo };

/**
 * Typed events of the pr_curves, custom_scalars and mesh plugins. Returns false (pushing
 * nothing) when the tensor does not have the plugin's form, so the caller keeps it as a plain
 * tensor event: bad plugin content is never turned into wrong values.
 */
export function convertPluginTensor(tensor: Tensor, pluginName: string, metadata: SummaryMetadataInfo | undefined, base: Base, out: TfEvent[]): boolean {
  const { shape, values } = tensor;
  const numeric = values.every((v) => typeof v === 'number');
  if (pluginName === PLUGIN_PR_CURVES && shape.length === 2 && shape[0] === 6 && numeric && values.length === 6 * shape[1]!) {
    const k = shape[1]!;
    const nums = values as number[];
    const row = (r: number): number[] => nums.slice(r * k, (r + 1) * k);
    const content = metadata === undefined ? undefined : decodePrCurveContent(metadata.pluginContent);
    out.push({
      kind: 'prCurve',
      numThresholds: content?.numThresholds || k,
      truePositives: row(0),
      falsePositives: row(1),
      trueNegatives: row(2),
      falseNegatives: row(3),
      precision: row(4),
      recall: row(5),
      ...base,
    });
    return true;
  }
  if (pluginName === PLUGIN_CUSTOM_SCALARS && tensor.dtype === 'DT_STRING' && values.length === 1) {
    let layout;
    try {
      layout = decodeLayout(values[0] as Uint8Array);
    } catch {
      return false;
    }
    out.push({ kind: 'customScalars', layout, ...base });
    return true;
  }
  if (pluginName === PLUGIN_MESH && metadata !== undefined && numeric && shape.length === 3) {
    let info;
    try {
      info = decodeMeshContent(metadata.pluginContent);
    } catch {
      return false;
    }
    out.push({ kind: 'mesh', name: info.name, contentType: info.contentType, components: info.components, jsonConfig: info.jsonConfig, shape, values: values as number[], ...base });
    return true;
  }
  return false;
}
