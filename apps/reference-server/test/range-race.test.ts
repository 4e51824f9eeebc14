import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FilesystemBackend } from '@store/backend-core';
import { afterEach, describe, expect, it } from 'vitest';
import { HAVE_SWAPPER, startServer, swapDirectories, tempDir, type Running } from './helpers.js';

/**
 * A real FilesystemBackend on which another writer replaces the file at the worst moment:
 * after the range request's `stat`, before its `readRange` (the interleaving is injected;
 * the files, the backend and the server are real).
 */
class ReplacedBeforeRead extends FilesystemBackend {
  replacements: Uint8Array[] = [];

  override async readRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const next = this.replacements.shift();
    if (next !== undefined) await this.writeFile(key, next);
    return super.readRange(key, offset, length);
  }

  // What the server calls on a FilesystemBackend: the same injection.
  override async readRangeWithStat(key: string, offset: number, length: number): ReturnType<FilesystemBackend['readRangeWithStat']> {
    const next = this.replacements.shift();
    if (next !== undefined) await this.writeFile(key, next);
    return super.readRangeWithStat(key, offset, length);
  }
}

let running: Running | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await running?.close();
  await cleanup?.();
  running = undefined;
  cleanup = undefined;
});

async function serve(): Promise<{ backend: ReplacedBeforeRead; url: string }> {
  const dir = await tempDir('range-race-');
  cleanup = dir.cleanup;
  const backend = new ReplacedBeforeRead(dir.dir);
  running = await startServer({ backend });
  return { backend, url: running.url };
}

describe('a Range GET while another writer replaces the file', () => {
  it('answers bytes and total size of one and the same file (here: the new one)', async () => {
    const { backend, url } = await serve();
    await backend.writeFile('f', Buffer.from('aaaaaaaaaa'));
    backend.replacements.push(Buffer.from('bbbbbbbbbbbbbbbbbbbb'));
    const r = await fetch(`${url}/v1/files/f`, { headers: { range: 'bytes=0-4' } });
    expect(r.status).toBe(206);
    expect(await r.text()).toBe('bbbbb');
    expect(r.headers.get('content-range')).toBe('bytes 0-4/20');
  });

  it('a range the new file no longer has is 416 with the new size, not an empty 206', async () => {
    const { backend, url } = await serve();
    await backend.writeFile('f', Buffer.from('aaaaaaaaaa'));
    backend.replacements.push(Buffer.from('ccc'));
    const r = await fetch(`${url}/v1/files/f`, { headers: { range: 'bytes=5-9' } });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */3');
  });

  it('a file that changes at every attempt is answered from one whole read', async () => {
    const { backend, url } = await serve();
    await backend.writeFile('f', Buffer.from('0123456789'));
    for (let i = 0; i < 5; i++) backend.replacements.push(Buffer.from(`v${i}-${'x'.repeat(10 + i)}`));
    const r = await fetch(`${url}/v1/files/f`, { headers: { range: 'bytes=0-1' } });
    const body = await r.text();
    const total = Number(/\/(\d+)$/.exec(r.headers.get('content-range') ?? '')?.[1]);
    // Whatever file was read last, the slice and the total are that file's.
    const whole = await backend.readFile('f');
    expect(r.status).toBe(206);
    expect(body).toBe(Buffer.from(whole).toString('latin1').slice(0, 2));
    expect(total).toBe(whole.byteLength);
  });
});

describe('a Range GET while another process swaps a directory above the file away and back', () => {
  it.skipIf(!HAVE_SWAPPER)('never pairs one file\'s bytes with the other\'s size in Content-Range', async () => {
    running = await startServer();
    const data = running.dataDir;
    // Two files told apart by their bytes and their sizes.
    mkdirSync(path.join(data, 'd'));
    mkdirSync(path.join(data, 'e'));
    writeFileSync(path.join(data, 'd', 'f'), Buffer.alloc(60 * 1024, 'A'));
    writeFileSync(path.join(data, 'e', 'f'), Buffer.alloc(50 * 1024, 'B'));
    const sizeOf: Record<string, number> = { A: 60 * 1024, B: 50 * 1024 };
    const swapper = swapDirectories(path.join(data, 'd'), path.join(data, 'e'), 3);
    const mismatches: string[] = [];
    let answers = 0;
    while (swapper.running()) {
      const r = await fetch(`${running.url}/v1/files/d/f`, { headers: { range: 'bytes=0-99' } });
      const body = Buffer.from(await r.arrayBuffer());
      if (r.status !== 206) continue; // a whole read (after changed attempts) is consistent by itself
      answers++;
      const total = Number(r.headers.get('content-range')!.split('/')[1]);
      const file = String.fromCharCode(body[0]!);
      if (sizeOf[file] !== total) mismatches.push(`${file} bytes with total ${total}`);
    }
    expect(await swapper.done).toBe(0);
    expect(answers).toBeGreaterThan(0);
    expect(mismatches).toEqual([]);
  }, 30_000);
});
