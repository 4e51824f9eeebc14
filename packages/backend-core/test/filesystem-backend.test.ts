import { spawn } from 'node:child_process';
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemBackend, isStorageError, MemoryBackend, TEMP_PREFIX, type StorageBackend } from '../src/index.js';

const BIG_WRITER = fileURLToPath(new URL('./fixtures/big-writer.mjs', import.meta.url));
let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'fs-backend-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isStorageError(error) ? error.code : `not a StorageError: ${String(error)}`;
  }
}

function plantTemp(dir: string, ageMs: number): string {
  const name = `${TEMP_PREFIX}deadbeef.${Math.random().toString(36).slice(2)}`;
  const file = path.join(dir, name);
  writeFileSync(file, 'partial');
  const when = (Date.now() - ageMs) / 1000;
  utimesSync(file, when, when);
  return name;
}

describe('FilesystemBackend recovery of orphaned temp files', () => {
  test('recover() removes temp files past the age threshold and keeps young ones', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('a/b/file', bytes('kept'));
    const old1 = plantTemp(root, 60 * 60 * 1000);
    const old2 = plantTemp(path.join(root, 'a', 'b'), 60 * 60 * 1000);
    const young = plantTemp(path.join(root, 'a'), 1000);
    expect(await backend.recover()).toBe(2);
    expect(readdirSync(root)).not.toContain(old1);
    expect(readdirSync(path.join(root, 'a', 'b'))).toEqual(['file']);
    expect(readdirSync(path.join(root, 'a'))).toContain(young);
    expect(old2).toMatch(/^\.~tmp\./);
    expect(await backend.recover({ maxAgeMs: 0 })).toBe(1);
    expect(Buffer.from(await backend.readFile('a/b/file')).toString()).toBe('kept');
  });

  test('listFiles never lists temp files and sweeps old ones lazily', async () => {
    const backend = new FilesystemBackend(root, { tempMaxAgeMs: 10_000 });
    await backend.writeFile('d/real', bytes('x'));
    const old = plantTemp(path.join(root, 'd'), 60_000);
    const young = plantTemp(path.join(root, 'd'), 0);
    expect(await backend.listFiles('d')).toEqual(['real']);
    expect(await backend.listFiles('', { recursive: true })).toEqual(['d/real']);
    const left = readdirSync(path.join(root, 'd'));
    expect(left).not.toContain(old);
    expect(left).toContain(young);
  });

  test('a writer killed mid-write leaves the old file and an unlisted temp that recovery removes', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('big.bin', bytes('old version'));
    const child = spawn(process.execPath, [BIG_WRITER, root, '256'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => c.toString().includes('START') && resolve()));
    // Kill as soon as the temp file exists, i.e. while the 256 MiB write is in flight.
    for (let i = 0; i < 2000 && !readdirSync(root).some((n) => n.startsWith(TEMP_PREFIX)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const temps = readdirSync(root).filter((n) => n.startsWith(TEMP_PREFIX));
    expect(temps.length).toBe(1);
    const content = Buffer.from(await backend.readFile('big.bin'));
    // Old bytes, or (if the first write completed before the kill) exactly the new ones.
    expect(content.toString() === 'old version' || (content.length === 256 * 1024 * 1024 && content.every((b) => b === 0x5a))).toBe(true);
    expect(await backend.listFiles('')).toEqual(['big.bin']);
    expect(await backend.recover({ maxAgeMs: 0 })).toBe(1);
    expect(readdirSync(root)).toEqual(['big.bin']);
  });
});

describe('FilesystemBackend details', () => {
  test('readFileWithStat and readRangeWithStat: the bytes and the fstat of the descriptor they were read from', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('d/f', bytes('A-bytes'));
    await backend.writeFile('e/f', bytes('B-bytes'));
    const a = statSync(path.join(root, 'd/f'), { bigint: true });
    const first = await backend.readFileWithStat('d/f');
    expect(Buffer.from(first.data).toString()).toBe('A-bytes');
    expect([first.stat.dev, first.stat.ino, first.stat.size, first.stat.mtimeNs, first.stat.ctimeNs]).toEqual([a.dev, a.ino, a.size, a.mtimeNs, a.ctimeNs]);
    // The directory above swapped for another: the stat names the inode actually read (B's), so a
    // cache that compares it with the path's earlier stat (A's) sees the difference; a stat of the
    // path after a swap back could not.
    renameSync(path.join(root, 'd'), path.join(root, 'tmp'));
    renameSync(path.join(root, 'e'), path.join(root, 'd'));
    const swapped = await backend.readFileWithStat('d/f');
    const swappedRange = await backend.readRangeWithStat('d/f', 2, 3);
    renameSync(path.join(root, 'd'), path.join(root, 'e'));
    renameSync(path.join(root, 'tmp'), path.join(root, 'd'));
    expect(Buffer.from(swapped.data).toString()).toBe('B-bytes');
    expect(swapped.stat.ino).toBe(statSync(path.join(root, 'e/f'), { bigint: true }).ino);
    expect(swapped.stat.ino).not.toBe(statSync(path.join(root, 'd/f'), { bigint: true }).ino);
    // readRangeWithStat: the slice and the stat of the same descriptor.
    expect(Buffer.from(swappedRange.data).toString()).toBe('byt');
    expect(swappedRange.stat.ino).toBe(swapped.stat.ino);
    const range = await backend.readRangeWithStat('d/f', 5, 100);
    expect([Buffer.from(range.data).toString(), range.stat.ino, range.stat.size]).toEqual(['es', a.ino, a.size]);
    expect(await codeOf(backend.readRangeWithStat('missing', 0, 1))).toBe('ENOENT');
    expect(await codeOf(backend.readFileWithStat('missing'))).toBe('ENOENT');
    expect(await codeOf(backend.readFileWithStat('d'))).toBe('EISDIR');
  });

  test('openReadStream: size and bytes from one descriptor; a replacement during the read is not mixed in; readFile errors', async () => {
    const backend = new FilesystemBackend(root);
    const old = Buffer.alloc(3 * 1024 * 1024 + 5, 'o');
    await backend.writeFile('big', old);
    const { size, stream } = await backend.openReadStream('big');
    expect(size).toBe(old.length);
    const chunks: Buffer[] = [];
    let replaced = false;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (!replaced) {
        // Replaced (rename) after the first chunk: the stream keeps reading the inode it opened.
        await backend.writeFile('big', Buffer.alloc(old.length, 'n'));
        replaced = true;
      }
    }
    expect(Buffer.concat(chunks).equals(old)).toBe(true);
    const empty = await backend.openReadStream(await backend.writeFile('empty', new Uint8Array(0)).then(() => 'empty'));
    expect(empty.size).toBe(0);
    const got: unknown[] = [];
    for await (const c of empty.stream) got.push(c);
    expect(got).toEqual([]);
    expect(await codeOf(backend.openReadStream('missing'))).toBe('ENOENT');
    await backend.createDirectory('dir');
    expect(await codeOf(backend.openReadStream('dir'))).toBe('EISDIR');
    writeFileSync(path.join(path.dirname(root), `${path.basename(root)}-outside`), 'secret');
    symlinkSync(path.join(path.dirname(root), `${path.basename(root)}-outside`), path.join(root, 'link'));
    expect(await codeOf(backend.openReadStream('link'))).toBe('EACCES');
    rmSync(path.join(path.dirname(root), `${path.basename(root)}-outside`));
  });

  test('readFile of a file larger than one Buffer can hold is EINVAL naming readRange, and readRange still reads it', async () => {
    // A sparse file (no disk blocks) one byte over buffer.constants.MAX_LENGTH, placed from outside the backend.
    const size = bufferConstants.MAX_LENGTH + 1;
    const fd = openSync(path.join(root, 'huge'), 'w');
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    const backend = new FilesystemBackend(root);
    const error = await backend.readFile('huge').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageError', code: 'EINVAL', path: 'huge' });
    expect((error as Error).message).toContain('readRange');
    expect((error as Error).message).not.toContain(root);
    expect([...(await backend.readRange('huge', size - 2, 8))]).toEqual([0, 0]);
    expect((await backend.stat('huge')).size).toBe(size);
  });

  test('error messages name the key, never the host directory', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('f', bytes('x'));
    for (const attempt of [() => backend.readFile('missing/x'), () => backend.writeFile('f/under', bytes('x')), () => backend.readFile('')]) {
      const error = await attempt().catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain(root);
    }
  });

  test('durability defaults to fsync and can be relaxed', () => {
    expect(new FilesystemBackend(root).durability).toBe('fsync');
    expect(new FilesystemBackend(root, { durability: 'none' }).durability).toBe('none');
  });

  test('the root is created on first use, and a relative root resolves against the cwd', async () => {
    const nested = path.join(root, 'not', 'yet');
    const backend = new FilesystemBackend(nested);
    expect(await backend.listFiles('')).toEqual([]);
    await backend.writeFile('x', bytes('1'));
    expect(readFileSync(path.join(nested, 'x'), 'utf8')).toBe('1');
    expect(new FilesystemBackend('rel').root).toBe(path.resolve('rel'));
  });

  test('files over the inline-write threshold take the streaming path and round-trip', async () => {
    const backend = new FilesystemBackend(root);
    const data = new Uint8Array(64 * 1024 + 1).map((_, i) => (i * 7) & 0xff);
    await backend.writeFile('edge/big', data);
    await backend.writeFile('edge/at', data.subarray(0, 64 * 1024));
    expect(Buffer.from(await backend.readFile('edge/big')).equals(Buffer.from(data))).toBe(true);
    expect((await backend.readFile('edge/at')).byteLength).toBe(64 * 1024);
  });

  test('readFile round-trips every size on both sides of the 64 KiB inline-read threshold, files written by others too', async () => {
    const backend = new FilesystemBackend(root);
    for (const size of [0, 1, 4095, 65_535, 65_536, 65_537, 3 * 1024 * 1024 + 7]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      await backend.writeFile(`sizes/${size}`, data);
      writeFileSync(path.join(root, `sizes/plain-${size}`), data);
      for (const key of [`sizes/${size}`, `sizes/plain-${size}`]) {
        const read = await backend.readFile(key);
        expect(read.byteLength, key).toBe(size);
        expect(Buffer.compare(Buffer.from(read), Buffer.from(data)), key).toBe(0);
      }
    }
    // Many reads at once, small and large, each gets its own bytes.
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => backend.readFile(`sizes/${[1, 65_537, 4095, 0][i % 4]}`)));
    expect(reads.map((r) => r.byteLength)).toEqual(Array.from({ length: 40 }, (_, i) => [1, 65_537, 4095, 0][i % 4]));
    expect(await codeOf(backend.readFile('sizes'))).toBe('EISDIR');
    expect(await codeOf(backend.readFile('sizes/missing'))).toBe('ENOENT');
    expect(await codeOf(backend.readFile('sizes/1/below'))).toBe('ENOENT');
  });

  test('readFile through symlinks: inside the root they are followed (directory or file), out of it refused', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('real/dir/f', bytes('inside'));
    symlinkSync(path.join(root, 'real/dir'), path.join(root, 'dirlink'));
    symlinkSync(path.join(root, 'real/dir/f'), path.join(root, 'filelink'));
    symlinkSync('dir/f', path.join(root, 'real/rel'));
    for (const key of ['dirlink/f', 'filelink', 'real/rel']) expect(Buffer.from(await backend.readFile(key)).toString(), key).toBe('inside');
    const outside = mkdtempSync(path.join(tmpdir(), 'fs-backend-outside-'));
    try {
      writeFileSync(path.join(outside, 'secret'), 'secret');
      symlinkSync(outside, path.join(root, 'out'));
      symlinkSync(path.join(outside, 'secret'), path.join(root, 'outfile'));
      for (const key of ['out/secret', 'outfile']) expect(await codeOf(backend.readFile(key)), key).toBe('EACCES');
      expect(await codeOf(backend.readFile('out/missing'))).toBe('ENOENT');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a dangling symlink on the way is refused at once, not followed round and round', async () => {
    const backend = new FilesystemBackend(root);
    symlinkSync(path.join(root, '..', 'nowhere-at-all'), path.join(root, 'dangling'));
    expect(await codeOf(backend.writeFile('dangling/x', bytes('1')))).toBe('EACCES');
    expect(await codeOf(backend.createDirectory('dangling'))).toBe('EACCES');
    expect(await codeOf(backend.createDirectory('dangling/deeper'))).toBe('EACCES');
  });

  test('concurrent writers into a new directory all succeed and it is made once', async () => {
    const backend = new FilesystemBackend(root);
    await Promise.all(Array.from({ length: 20 }, (_, i) => backend.writeFile(`fresh/sub/f${i}`, bytes(String(i)))));
    expect(await backend.listFiles('fresh/sub')).toHaveLength(20);
  });

  test('stat, readRange and rename refuse directories where a file is needed', async () => {
    const backend = new FilesystemBackend(root);
    await backend.createDirectory('dir');
    expect(await codeOf(backend.readRange('dir', 0, 1))).toBe('EISDIR');
    expect(await codeOf(backend.rename('dir', 'other'))).toBe('EISDIR');
    expect(await codeOf(backend.readRange('missing', 0, 1))).toBe('ENOENT');
    expect(await codeOf(backend.readRange('dir', 0, -1))).toBe('EINVAL');
  });
});

describe.each<[string, () => StorageBackend]>([
  ['FilesystemBackend', () => new FilesystemBackend(root)],
  ['MemoryBackend', () => new MemoryBackend()],
])('%s after close()', (_name, make) => {
  test('every call fails with ECLOSED', async () => {
    const backend = make();
    await backend.writeFile('x', bytes('1'));
    await backend.close!();
    for (const call of [
      () => backend.readFile('x'),
      () => backend.writeFile('x', bytes('2')),
      () => backend.listFiles(''),
      () => backend.exists('x'),
      () => backend.deleteFile('x'),
      () => backend.createDirectory('d'),
    ]) {
      expect(await codeOf(call())).toBe('ECLOSED');
    }
  });
});
