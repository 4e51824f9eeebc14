/**
 * Client of the reference server's public HTTP API, the only thing the console talks to
 * (same origin). The bearer token, when the server asks for one (401), is asked for once
 * and kept in sessionStorage, so it lasts for the tab and is forgotten when it closes.
 */
import { askToken } from './auth.js';

const TOKEN_KEY = 'store-console-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Whether this tab holds a token (the header shows "Forget token" only then). */
export function hasToken(): boolean {
  return token() !== null;
}

/** Fired on window when a token is stored. */
export const TOKEN_EVENT = 'store-console-token';

let pendingToken: Promise<string | null> | null = null;

/** fetch with the token; on 401 asks for a token (once for all concurrent requests) and retries. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers);
    const t = token();
    if (t) headers.set('authorization', `Bearer ${t}`);
    const res = await fetch(path, { ...init, headers });
    if (res.status !== 401 || attempt >= 3 || init.body instanceof ReadableStream) {
      if (!res.ok && res.status !== 304) throw await toError(res);
      return res;
    }
    await res.body?.cancel();
    pendingToken ??= askToken(t !== null).finally(() => (pendingToken = null));
    const entered = await pendingToken;
    if (entered === null) throw new ApiError(401, 'EACCES', 'a token is needed to use this server');
    sessionStorage.setItem(TOKEN_KEY, entered);
    window.dispatchEvent(new Event(TOKEN_EVENT));
  }
}

/** An error as the console shows it: the API's code first (`ECONFLICT: …`), then its message. */
export function errorText(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  // StorageError messages already start with their code.
  return e.message.startsWith(`${e.code}:`) ? e.message : `${e.code}: ${e.message}`;
}

async function toError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) return new ApiError(res.status, body.error.code ?? String(res.status), body.error.message ?? res.statusText);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(res.status, String(res.status), `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, { signal: signal ?? null });
  return (await res.json()) as T;
}

export async function sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
  const res = await request(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Percent-encodes each segment of a slash-separated path (names may hold any character). */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Reads an NDJSON response line by line as it arrives (the follow stream never ends on its
 * own; abort the signal to stop). Lines are parsed as JSON; a partial last line waits.
 */
export async function readNdjson<T>(res: Response, onItem: (item: T) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onItem(JSON.parse(line) as T);
    }
  }
  if (buffered.trim()) onItem(JSON.parse(buffered) as T);
}
