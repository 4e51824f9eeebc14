import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { HttpBackend } from '@store/backend-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir, type ServerProcess } from './helpers.js';

const require = createRequire(import.meta.url);
const CONFORMANCE_BIN = path.join(path.dirname(require.resolve('@store/conformance/package.json')), 'bin/store-conformance.js');

let server: ServerProcess;
let cleanup: () => Promise<void>;
let dataDir: string;
beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, 'data');
  server = await spawnServer(['--data', dataDir, '--token', 'conformance-token']);
});
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await cleanup();
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CONFORMANCE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('store-conformance --url against a running store-server', () => {
  it('passes every case (rename skipped: not offered over HTTP; file-mode and special-file cases: no local files; orphan recovery: server-side)', async () => {
    const { code, out, err } = await run(['--url', server.url, '--token', 'conformance-token', '--json']);
    const report = JSON.parse(out) as { summary: { passed: number; failed: number; skipped: number }; results: Array<{ id: string; status: string; reason?: string }> };
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed, err).toEqual([]);
    expect(code).toBe(0);
    // Rename has no route; SB-MODE-01 and SB-SPECIAL-01 look at the files under the case's
    // location, which an HTTP client does not keep (the server's data directory does).
    expect(report.results.filter((r) => r.status === 'skipped').map((r) => r.id)).toEqual(['SB-RENAME-01', 'SB-MODE-01', 'SB-SPECIAL-01', 'SB-CRASH-02']);
    // Temp files live on the server, whose own recovery removes them: nothing for a client to claim.
    expect(report.results.find((r) => r.id === 'SB-CRASH-02')?.reason).toMatch(/tempRecovery/);
    expect(report.results.find((r) => r.id === 'SB-CRASH-01')?.status).toBe('passed');
    expect(report.results.length).toBeGreaterThanOrEqual(39);
  });

  it('a wrong token fails the cases with EACCES instead of passing them', async () => {
    const { code, out } = await run(['--url', server.url, '--token', 'wrong', '--only', 'SB-BYTES-01']);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL SB-BYTES-01/);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['--url', 'ftp://x'])).code).toBe(2);
    expect((await run(['--url', 'not a url'])).code).toBe(2);
  });
});

describe('HttpBackend', () => {
  it('checks keys before any request, maps server errors to StorageError codes, and closes', async () => {
    const backend = new HttpBackend({ url: server.url, token: 'conformance-token', prefix: 'direct' });
    await backend.writeFile('a/b', new Uint8Array([1, 2, 3]));
    expect(await backend.readFile('/a/b')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await backend.readRange('a/b', 1, 10)).toEqual(new Uint8Array([2, 3]));
    expect(await backend.readRange('a/b', 5, 10)).toEqual(new Uint8Array(0));
    expect(await backend.listFiles('a')).toEqual(['b']);
    await expect(backend.readFile('a/../b')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(backend.readFile('a/missing')).rejects.toMatchObject({ code: 'ENOENT', path: 'a/missing' });
    await expect(backend.readFile('a')).rejects.toMatchObject({ code: 'EISDIR' });
    await backend.close();
    await expect(backend.readFile('a/b')).rejects.toMatchObject({ code: 'ECLOSED' });
    const unauthorized = new HttpBackend({ url: server.url, prefix: 'direct' });
    await expect(unauthorized.readFile('a/b')).rejects.toMatchObject({ code: 'EACCES' });
  });
});
