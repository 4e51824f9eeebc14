export type { Value, ValueObject } from './value.js';
export type { FormatAdapter } from './adapter.js';
export type { Limits } from './limits.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_LENGTH } from './limits.js';
export { FormatError } from './errors.js';
export { formatPath } from './path.js';
export { JsonAdapter, JSON_TAGS } from './json.js';
export { XmlAdapter } from './xml.js';
export { YamlAdapter, YAML_TAGS } from './yaml.js';
