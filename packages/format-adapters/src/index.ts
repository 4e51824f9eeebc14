import { JsonAdapter } from './json.js';
import { FormatRegistry } from './registry.js';
import { XmlAdapter } from './xml.js';
import { YamlAdapter } from './yaml.js';
import type { FormatAdapter } from './adapter.js';

export type { Value, ValueObject } from './value.js';
export type { FormatAdapter } from './adapter.js';
export type { Limits } from './limits.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_LENGTH, MAX_DEPTH_CEILING } from './limits.js';
export { FormatError } from './errors.js';
export { formatPath } from './path.js';
export { JsonAdapter, JSON_TAGS } from './json.js';
export { XmlAdapter } from './xml.js';
export { YamlAdapter, YAML_TAGS } from './yaml.js';
export { FormatRegistry } from './registry.js';
export { SchemaValidator, schemas, type CompiledSchema, type JsonSchema, type SchemaIssue, type SchemaValidatorOptions } from './schema.js';

/** Built-in adapters with the default limits. */
export const json = new JsonAdapter();
export const xml = new XmlAdapter();
export const yaml = new YamlAdapter();

/** The default registry behind `adapterFor`; `formats.register(…)` adds your own. */
export const formats = new FormatRegistry([json, xml, yaml]);

/** `adapterFor('yaml')`, `adapterFor('.yml')`, `adapterFor('storage.xml')`, `adapterFor('application/json')`. */
export function adapterFor(extensionOrName: string): FormatAdapter {
  return formats.get(extensionOrName);
}
