import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ServerOptions, type StoreServer } from '../src/index.js';

export const BIN = fileURLToPath(new URL('../bin/store-server.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A fresh directory under the OS temp dir; `cleanup()` removes it. */
export async function tempDir(prefix = 'store-server-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Running {
  url: string;
  server: StoreServer;
  dataDir: string;
  root: string;
  close(): Promise<void>;
}

/** An in-process server on 127.0.0.1, any free port, over a fresh data dir inside a fresh temp root. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<Running> {
  const { dir: root, cleanup } = await tempDir();
  const dataDir = options.dataDir ?? path.join(root, 'data');
  const server = await createServer({ ...options, dataDir, onError: options.onError ?? (() => undefined) });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    server,
    dataDir,
    root,
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request with the exact request target given (no URL normalisation, unlike fetch). */
export function rawRequest(url: string, method: string, target: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `store-server` as a child process with `args` and waits for its URL line. */
export function spawnServer(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve({ child, url: m[1]!, stdout: () => out, stderr: () => err, exited });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    void exited.then(({ code, signal }) => reject(new Error(`store-server exited (code ${code}, signal ${signal}) before listening: ${err}`)));
  });
}

export async function json(response: Response): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}

// Swaps two directories atomically (renameat2 RENAME_EXCHANGE; Node has no binding for it)
// for argv[3] seconds, ending as it started.
const SWAPPER = `
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
n, end = 0, time.time() + float(sys.argv[3])
while time.time() < end:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        raise OSError(ctypes.get_errno(), 'renameat2')
    n += 1
if n % 2: libc.renameat2(-100, a, -100, b, 2)
`;

/** Whether python3 with a libc renameat2 is here (tests that swap directories skip without it). */
export const HAVE_SWAPPER = spawnSync('python3', ['-c', 'import ctypes; ctypes.CDLL(None).renameat2'], { stdio: 'ignore' }).status === 0;

/**
 * Another process swapping directories `a` and `b` back and forth for `seconds`, ending as
 * they were: for races in which a directory above a file is swapped away and back (A → B → A)
 * while a read is in flight.
 */
export function swapDirectories(a: string, b: string, seconds: number): { done: Promise<number | null>; running: () => boolean } {
  const child = spawn('python3', ['-c', SWAPPER, a, b, String(seconds)], { stdio: 'inherit' });
  let running = true;
  const done = new Promise<number | null>((resolve) => child.once('exit', resolve)).finally(() => (running = false));
  return { done, running: () => running };
}
