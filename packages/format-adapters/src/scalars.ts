/**
 * Canonical text forms of the scalars JSON lacks. Every adapter writes exactly these
 * strings and accepts only them back, so a value has one spelling per format and a
 * hand edit that is not canonical is reported instead of guessed at.
 */

/** `2024-05-01T12:00:00.000Z`, or `+275760-…`/`-000001-…` for extended years. */
export function formatDate(date: Date): string {
  return date.toISOString();
}

const ISO_DATE = /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function parseDate(text: string): Date | undefined {
  if (!ISO_DATE.test(text)) return undefined;
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text ? date : undefined;
}

const BIGINT = /^-?(?:0|[1-9]\d*)$/;

export function parseBigInt(text: string): bigint | undefined {
  return BIGINT.test(text) ? BigInt(text) : undefined;
}

/** Shortest round-trip decimal; `-0` keeps its sign (String(-0) would drop it). */
export function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Standard base64 with padding (RFC 4648 §4). */
export function formatBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function parseBytes(text: string): Uint8Array | undefined {
  const buf = Buffer.from(text, 'base64');
  // Buffer's decoder skips junk; re-encoding and comparing accepts only the canonical form.
  if (buf.toString('base64') !== text) return undefined;
  return new Uint8Array(buf);
}
