import { createHash } from 'node:crypto';

/** Self-describing file content: a header line naming key, version, length and SHA-256 of the payload, then the payload. */
export function versionContent(key: string, version: number, size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + version * 7 + key.length) & 0xff;
  const header = `${key}|${version}|${size}|${createHash('sha256').update(payload).digest('hex')}\n`;
  return Buffer.concat([Buffer.from(header), payload]);
}

/** The version a content holds, or undefined when it is not one whole version of `key` (a torn or foreign file). */
export function identifyContent(key: string, bytes: Uint8Array): number | undefined {
  const buf = Buffer.from(bytes);
  const nl = buf.indexOf(0x0a);
  if (nl === -1) return undefined;
  const [k, v, size, hash] = buf.subarray(0, nl).toString().split('|');
  const payload = buf.subarray(nl + 1);
  if (k !== key || Number(size) !== payload.length) return undefined;
  if (createHash('sha256').update(payload).digest('hex') !== hash) return undefined;
  return Number(v);
}

/** A deterministic pseudo-random generator (mulberry32), so a failing run can be repeated. */
export { rng as prng } from '@store/test-helpers';
