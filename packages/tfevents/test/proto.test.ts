import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventType, HParamsPluginDataType, SummaryValueType, TensorProtoType } from '../src/proto/index.js';
import { PACKAGE_ROOT } from './helpers.js';

describe('our .proto files', () => {
  it('src/proto/descriptor.ts is what pbjs generates from proto/**/*.proto', async () => {
    const { generate } = (await import(path.join(PACKAGE_ROOT, 'scripts/gen-proto.mjs'))) as { generate: () => string };
    expect(readFileSync(path.join(PACKAGE_ROOT, 'src/proto/descriptor.ts'), 'utf8')).toBe(generate());
  });

  it("uses TensorBoard's field numbers", () => {
    const ids = (t: { fieldsArray: Array<{ name: string; id: number }> }) => Object.fromEntries(t.fieldsArray.map((f) => [f.name, f.id]));
    expect(ids(EventType)).toEqual({ wallTime: 1, step: 2, fileVersion: 3, graphDef: 4, summary: 5, logMessage: 6, sessionLog: 7, taggedRunMetadata: 8, metaGraphDef: 9, sourceMetadata: 10 });
    expect(ids(SummaryValueType)).toEqual({ nodeName: 7, tag: 1, metadata: 9, simpleValue: 2, obsoleteOldStyleHistogram: 3, image: 4, histo: 5, audio: 6, tensor: 8 });
    expect(ids(TensorProtoType)).toMatchObject({ dtype: 1, tensorShape: 2, versionNumber: 3, tensorContent: 4, halfVal: 13, floatVal: 5, doubleVal: 6, intVal: 7, stringVal: 8, int64Val: 10, boolVal: 11, uint64Val: 17 });
    expect(ids(HParamsPluginDataType)).toEqual({ version: 1, experiment: 2, sessionStartInfo: 3, sessionEndInfo: 4 });
  });
});
