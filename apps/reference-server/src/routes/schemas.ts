/** Schema fragments shared by the route families. */

/** Every 4xx/5xx answer: `{ "error": { "code", "message" } }`. */
export const errorResponses = {
  '4xx': { description: 'Client error', $ref: 'ErrorBody#' },
  '5xx': { description: 'Server error', $ref: 'ErrorBody#' },
} as const;

export const binaryResponse = {
  description: 'Raw bytes',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
} as const;

/** A query flag: `1`/`true` turn it on, `0`/`false`/empty off (HTML-form and curl friendly). */
export const flag = (description: string) => ({ type: 'string', enum: ['1', '0', 'true', 'false', ''], description }) as const;

export const isOn = (value: string | undefined): boolean => value === '1' || value === 'true';

const acceptAll = (): true => true;

/**
 * A route's `validatorCompiler` for request parts (params, headers) whose schema only
 * documents string values that can never fail: the wildcard param is always a string, and
 * Node gives every header but `set-cookie` as one string. The schema stays on the route
 * (the OpenAPI document is generated from it); only the per-request validator call is
 * skipped, which showed in the PUT profile. Refuses, at start-up, any schema that could
 * fail (a `required` list, a constraint, a non-string property), so a later edit cannot
 * silently lose its validation.
 */
export function unfailingStrings({ schema, httpPart }: { schema: unknown; httpPart?: string | undefined }): (data: unknown) => true {
  const s = schema as { type?: unknown; properties?: Record<string, Record<string, unknown>>; [k: string]: unknown };
  const ok =
    (httpPart === 'params' || httpPart === 'headers') &&
    s.type === 'object' &&
    Object.keys(s).every((k) => k === 'type' || k === 'properties') &&
    Object.values(s.properties ?? {}).every((p) => p.type === 'string' && Object.keys(p).every((k) => k === 'type' || k === 'description'));
  if (!ok) throw new Error(`unfailingStrings: the ${httpPart ?? 'request'} schema can fail; validate it with ajv instead`);
  return acceptAll;
}
