import { StorageError } from '@store/backend-core';
import { checkFiniteArray, checkShape, checkString, checkTagString } from './input.js';
import { floatTensor, type PluginValue } from './plugin-value.js';
import { MeshPluginDataType, decodeMessage, encodeMessage } from './proto/plugins.js';

/** SummaryMetadata.plugin_data.plugin_name of meshes and point clouds. */
export const PLUGIN_MESH = 'mesh';

/** MeshPluginData.ContentType (tensorboard/plugins/mesh/plugin_data.proto). */
export const MESH_VERTEX = 1;
export const MESH_FACE = 2;
export const MESH_COLOR = 3;
const CONTENT_NAMES = ['UNDEFINED', 'VERTEX', 'FACE', 'COLOR'] as const;

/** A [B, N, 3] tensor, row-major: B meshes (batch) of N 3-vectors. */
export interface MeshTensor {
  data: ArrayLike<number>;
  shape: readonly [number, number, number] | readonly number[];
}

export interface MeshOptions {
  /** [B, N, 3] RGB per vertex, 0–255. */
  colors?: MeshTensor;
  /** [B, F, 3] vertex indices of each triangle. */
  faces?: MeshTensor;
  /** three.js configuration (camera, lights, material), stored as JSON (Python's json.dumps with sort_keys). */
  configDict?: Record<string, unknown>;
  step?: number;
  wallTime?: number;
}

/**
 * JSON as Python's `json.dumps(value, sort_keys=True)` writes it (what PyTorch stores as
 * `json_config`): keys sorted, ', ' and ': ' separators, non-ASCII as \uXXXX escapes.
 * Integral numbers print without a fraction (JS cannot tell 1 from 1.0).
 */
export function pythonJson(value: unknown, field = 'configDict'): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StorageError('EINVAL', `${field} holds a non-finite number`, { field });
    return pythonFloat(value);
  }
  if (typeof value === 'string') {
    checkString(value, field);
    let out = '"';
    for (const ch of value) {
      const code = ch.codePointAt(0)!;
      if (JSON_ESCAPES[ch] !== undefined) out += JSON_ESCAPES[ch];
      else if (code >= 0x20 && code < 0x7f) out += ch;
      // ensure_ascii: everything else as \uXXXX, astral characters as a surrogate pair.
      else for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => pythonJson(v, `${field}[${i}]`)).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${pythonJson(k, `${field}.${k}`)}: ${pythonJson((value as Record<string, unknown>)[k], `${field}.${k}`)}`).join(', ')}}`;
  }
  throw new StorageError('EINVAL', `${field} must hold only JSON values`, { field });
}

const JSON_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python's repr of a float64 with integral values as ints: '1e-05', '1e+16', '0.5', '3'. */
export function pythonFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  const plain = String(v);
  if (exp >= -4 && exp < 16 && !plain.includes('e')) return plain;
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const n = Number(e);
  return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

function checkMesh(tensor: MeshTensor, field: string): { data: ArrayLike<number>; shape: [number, number, number] } {
  if (typeof tensor !== 'object' || tensor === null) throw new StorageError('EINVAL', `${field} must be { data, shape: [B, N, 3] }`, { field });
  const data = checkFiniteArray(tensor.data, `${field}.data`);
  const shape = checkShape(tensor.shape, data.length, `${field}.shape`, 3) as [number, number, number];
  if (shape[2] !== 3) throw new StorageError('EINVAL', `${field}.shape must end in 3, got [${shape.join(', ')}]`, { field: `${field}.shape` });
  return { data, shape };
}

/**
 * The Summary.Values PyTorch's `mesh` writes, in its order (vertices, faces, colors): tag
 * `<tag>_VERTEX|_FACE|_COLOR`, a DT_FLOAT [B, N, 3] tensor in `float_val`, metadata plugin
 * `mesh` with `MeshPluginData{version 0, name: tag, content_type, json_config, shape,
 * components: OR of 1 << content_type of the parts present}`.
 */
export function meshValues(tag: string, vertices: MeshTensor, options: MeshOptions = {}): PluginValue[] {
  checkTagString(tag);
  const parts: Array<[number, { data: ArrayLike<number>; shape: [number, number, number] }]> = [[MESH_VERTEX, checkMesh(vertices, 'vertices')]];
  const v = parts[0]![1];
  if (options.faces !== undefined) {
    const faces = checkMesh(options.faces, 'faces');
    if (faces.shape[0] !== v.shape[0]) throw new StorageError('EINVAL', 'faces must have the batch size of vertices', { field: 'faces.shape' });
    for (let i = 0; i < faces.data.length; i++) {
      const x = faces.data[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= v.shape[1]) throw new StorageError('EINVAL', `faces.data[${i}] = ${x} is not a vertex index in [0, ${v.shape[1]})`, { field: `faces.data[${i}]` });
    }
    parts.push([MESH_FACE, faces]);
  }
  if (options.colors !== undefined) {
    const colors = checkMesh(options.colors, 'colors');
    if (colors.shape[0] !== v.shape[0] || colors.shape[1] !== v.shape[1]) throw new StorageError('EINVAL', 'colors must have the shape of vertices', { field: 'colors.shape' });
    for (let i = 0; i < colors.data.length; i++) {
      const x = colors.data[i]!;
      if (x < 0 || x > 255) throw new StorageError('EINVAL', `colors.data[${i}] = ${x} is not in [0, 255]`, { field: `colors.data[${i}]` });
    }
    parts.push([MESH_COLOR, colors]);
  }
  const jsonConfig = options.configDict === undefined ? '{}' : pythonJson(options.configDict);
  const components = parts.reduce((mask, [type]) => mask | (1 << type), 0);
  return parts.map(([contentType, t]) => {
    const content = encodeMessage(MeshPluginDataType, { version: 0, name: tag, contentType, jsonConfig, shape: t.shape, components });
    return {
      tag: `${tag}_${CONTENT_NAMES[contentType]}`,
      metadata: { pluginData: { pluginName: PLUGIN_MESH, content } },
      data: { tensor: floatTensor(t.shape, t.data) },
    };
  });
}

export interface MeshPluginInfo {
  name: string;
  contentType: 'VERTEX' | 'FACE' | 'COLOR' | 'UNDEFINED' | string;
  components: number;
  jsonConfig: string;
  shape: number[];
}

/** Reads `MeshPluginData` content; throws (protobufjs) on bytes that are not one. */
export function decodeMeshContent(content: Uint8Array): MeshPluginInfo {
  const m = decodeMessage(MeshPluginDataType, content);
  return { name: m.name as string, contentType: m.contentType as string, components: m.components as number, jsonConfig: m.jsonConfig as string, shape: m.shape as number[] };
}
