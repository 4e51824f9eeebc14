import path from 'node:path';
import { HttpBackend } from '@store/backend-http';

/**
 * Target for `store-conformance --url`: an HttpBackend on the reference server named by
 * STORE_CONFORMANCE_URL (and STORE_CONFORMANCE_TOKEN). The CLI sets both; the crash case's
 * child process imports this module and reads them from its inherited environment. Each
 * case runs under its own key prefix, `<STORE_CONFORMANCE_PREFIX>/<run dir>/<case id>/data`:
 * the last three segments of the case's location, which are unique per case and run (the
 * last one alone is always `data`). STORE_CONFORMANCE_RENAME=0 (set by the CLI when the
 * server answers a rename with 501) declares the backend without `rename`.
 */
export function createBackend(location: string): HttpBackend {
  const url = process.env.STORE_CONFORMANCE_URL;
  if (url === undefined || url === '') throw new Error('STORE_CONFORMANCE_URL is not set');
  const token = process.env.STORE_CONFORMANCE_TOKEN;
  const prefix = `${process.env.STORE_CONFORMANCE_PREFIX ?? 'conformance'}/${location.split(path.sep).slice(-3).join('/')}`;
  return new HttpBackend({ url, prefix, rename: process.env.STORE_CONFORMANCE_RENAME !== '0', ...(token === undefined || token === '' ? {} : { token }) });
}
