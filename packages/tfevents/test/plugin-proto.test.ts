import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LayoutType, MeshPluginDataType, PrCurvePluginDataType, encodeMessage } from '../src/proto/plugins.js';
import { PACKAGE_ROOT } from './helpers.js';

describe('the plugin .proto files', () => {
  it('src/proto/plugin-descriptor.ts is what pbjs generates from proto/tensorboard/plugins', async () => {
    const { generate } = (await import(path.join(PACKAGE_ROOT, 'scripts/gen-plugin-proto.mjs'))) as { generate: () => string };
    expect(readFileSync(path.join(PACKAGE_ROOT, 'src/proto/plugin-descriptor.ts'), 'utf8')).toBe(generate());
  });

  it("uses TensorBoard's field numbers (from its generated plugin_data_pb2 / layout_pb2 descriptors)", () => {
    const ids = (t: { fieldsArray: Array<{ name: string; id: number }> }) => Object.fromEntries(t.fieldsArray.map((f) => [f.name, f.id]));
    expect(ids(PrCurvePluginDataType)).toEqual({ version: 1, numThresholds: 2 });
    expect(ids(MeshPluginDataType)).toEqual({ version: 1, name: 2, contentType: 3, jsonConfig: 5, shape: 6, components: 7 });
    expect(ids(LayoutType)).toEqual({ version: 1, category: 2 });
    expect(ids(LayoutType.lookupType('Category'))).toEqual({ title: 1, chart: 2, closed: 3 });
    expect(ids(LayoutType.lookupType('Chart'))).toEqual({ title: 1, multiline: 2, margin: 3 });
    expect(ids(LayoutType.lookupType('MarginChartContent.Series'))).toEqual({ value: 1, lower: 2, upper: 3 });
    // PyTorch's fixture holds exactly these two bytes for num_thresholds 127.
    expect(Buffer.from(encodeMessage(PrCurvePluginDataType, { version: 0, numThresholds: 127 })).toString('hex')).toBe('107f');
  });
});
