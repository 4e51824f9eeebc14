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
