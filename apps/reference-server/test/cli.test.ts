import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnServer, tempDir } from './helpers.js';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('store-server CLI', () => {
  it('--help and --version exit 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: store-server/);
    expect(help.out).toContain('--data DIR');
    for (const flag of ['--s3-bucket NAME', '--s3-endpoint URL', '--s3-prefix PREFIX', 'STORE_S3_BUCKET', 'STORE_S3_ENDPOINT']) expect(help.out).toContain(flag);
    const version = await run(['--version']);
    expect([version.code, version.out.trim()]).toEqual([0, '0.1.0']);
  });

  it('usage errors exit 2 with one line and the usage', async () => {
    const s3Usage = [['--s3-endpoint', 'http://127.0.0.1:1'], ['--s3-prefix', 'p'], ['--s3-bucket', 'b', '--s3-endpoint', 'not a url'], ['--s3-bucket', 'b', '--s3-endpoint', 'ftp://x']];
    for (const args of [['--bogus'], ['--port', 'x'], ['--port', '70000'], ['--max-body', '0'], ['--read-cache', '-1'], ['--read-cache', '1MB'], ['extra'], ...s3Usage]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^store-server: /);
      expect(r.err).toContain('Usage: store-server');
    }
  });

  it('--port 0 prints the URL it got, the data directory (created) and the logdir; STORE_DATA and STORE_TOKEN work', async () => {
    const t = await tempDir();
    try {
      const dataDir = path.join(t.dir, 'nested', 'data');
      const server = await spawnServer([], { STORE_DATA: dataDir, STORE_TOKEN: 'tok' });
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url.endsWith(':0')).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
      expect(server.stdout()).toContain(`data directory: ${dataDir}`);
      expect(server.stdout()).toContain(`tensorboard logdir: ${path.join(dataDir, 'runs')}`);
      expect(existsSync(dataDir)).toBe(true);
      expect((await fetch(`${server.url}/v1/files/`)).status).toBe(401);
      expect((await fetch(`${server.url}/v1/files/`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
      server.child.kill('SIGINT');
      expect((await server.exited).code).toBe(0);
    } finally {
      await t.cleanup();
    }
  });

  it('a port in use is a one-line error and exit 1', async () => {
    const t = await tempDir();
    try {
      const first = await spawnServer(['--data', path.join(t.dir, 'a')]);
      const port = new URL(first.url).port;
      const second = await run(['--data', path.join(t.dir, 'b'), '--port', port]);
      expect(second.code).toBe(1);
      expect(second.err.trim()).toMatch(/^store-server: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/);
      first.child.kill('SIGTERM');
      await first.exited;
    } finally {
      await t.cleanup();
    }
  });
});
