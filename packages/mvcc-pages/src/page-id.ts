import { StorageError } from '@store/backend-core';

/**
 * Pages are numbered from 1 and named `page001`, `page002`, … (three digits at least,
 * more once past 999), so a folder listing sorts them in order up to page999.
 */
export type PageId = string;

export function pageName(n: number): PageId {
  return `page${String(n).padStart(3, '0')}`;
}

/** `page007` or 7 → 7; anything else is `EINVAL`. */
export function pageNumber(id: PageId | number): number {
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && id >= 1) return id;
  } else if (typeof id === 'string') {
    const m = /^page(\d{3,})$/.exec(id);
    if (m !== null) {
      const n = Number(m[1]);
      if (Number.isSafeInteger(n) && n >= 1 && pageName(n) === id) return n;
    }
  }
  throw new StorageError('EINVAL', `not a page id: ${JSON.stringify(id)} (expected 'page001', 'page002', …)`);
}

/** `page001.json.v17` → { page: 1, ext: 'json', tsn: 17 }, or undefined for other names. */
export function parseVersionFileName(name: string): { page: number; ext: string; tsn: number } | undefined {
  const m = /^page(\d{3,})\.([a-z0-9]+)\.v(\d+)$/.exec(name);
  if (m === null) return undefined;
  const page = Number(m[1]);
  const tsn = Number(m[3]);
  if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(tsn) || pageName(page) !== `page${m[1]}`) return undefined;
  return { page, ext: m[2]!, tsn };
}

export function versionFileName(page: number, ext: string, tsn: number): string {
  return `${pageName(page)}.${ext}.v${tsn}`;
}
