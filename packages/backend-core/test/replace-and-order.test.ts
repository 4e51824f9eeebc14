import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemBackend, MemoryBackend, isStorageError, type StorageBackend } from '../src/index.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'fs-replace-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString();
const modeOf = (file: string): number => statSync(file).mode & 0o7777;
const BIG = 200 * 1024; // over the 64 KiB inline-write threshold: the asynchronous path

describe('an atomic replace keeps the mode and owner of the file it replaces', () => {
  test.each([
    ['small', 10],
    ['large', BIG],
  ])('%s writes keep 0600 and 0755 (not the default 0644)', async (_name, size) => {
    const backend = new FilesystemBackend(root);
    for (const mode of [0o600, 0o755, 0o640, 0o444]) {
      const key = `m/${mode.toString(8)}`;
      await backend.writeFile(key, bytes('first'));
      chmodSync(path.join(root, key), mode);
      await backend.writeFile(key, new Uint8Array(size).fill(7));
      expect(modeOf(path.join(root, key)).toString(8)).toBe(mode.toString(8));
      expect((await backend.readFile(key)).byteLength).toBe(size);
    }
  });

  test('a new file gets fileMode less the umask, as before', async () => {
    const backend = new FilesystemBackend(root, { fileMode: 0o600 });
    await backend.writeFile('fresh', bytes('x'));
    expect(modeOf(path.join(root, 'fresh'))).toBe(0o600);
  });

  test.each([
    ['small', 10],
    ['large', BIG],
  ])('%s writes keep the owner (run as root: uid/gid 1234)', async (_name, size) => {
    if (process.getuid?.() !== 0) {
      console.warn('skipped: changing a file owner needs root; this run is not root');
      return;
    }
    const backend = new FilesystemBackend(root);
    await backend.writeFile('owned', bytes('first'));
    chownSync(path.join(root, 'owned'), 1234, 1234);
    chmodSync(path.join(root, 'owned'), 0o4750); // set-uid survives too: chmod after chown
    await backend.writeFile('owned', new Uint8Array(size).fill(1));
    const st = statSync(path.join(root, 'owned'));
    expect([st.uid, st.gid]).toEqual([1234, 1234]);
    expect((st.mode & 0o7777).toString(8)).toBe('4750');
  });

  test('rename moves a file with its own mode and owner, replacing the destination', async () => {
    const backend = new FilesystemBackend(root);
    await backend.writeFile('src', bytes('S'));
    await backend.writeFile('dst', bytes('D'));
    chmodSync(path.join(root, 'src'), 0o600);
    chmodSync(path.join(root, 'dst'), 0o755);
    if (process.getuid?.() === 0) chownSync(path.join(root, 'src'), 1234, 1234);
    await backend.rename('src', 'dst');
    const st = statSync(path.join(root, 'dst'));
    expect(st.mode & 0o7777).toBe(0o600);
    if (process.getuid?.() === 0) expect([st.uid, st.gid]).toEqual([1234, 1234]);
    expect(text(await backend.readFile('dst'))).toBe('S');
  });
});

describe.each<[string, () => StorageBackend]>([
  ['FilesystemBackend', () => new FilesystemBackend(root)],
  ['FilesystemBackend (durability none)', () => new FilesystemBackend(root, { durability: 'none' })],
  ['MemoryBackend', () => new MemoryBackend()],
])('%s: mutations of one key take effect in call order', (_name, make) => {
  test('an 8 MiB write called first never lands after a 1-byte write called second (10 of 10)', async () => {
    const backend = make();
    const big = new Uint8Array(8 * 1024 * 1024).fill(0x41);
    for (let i = 0; i < 10; i++) {
      const first = backend.writeFile(`k${i}`, big);
      const second = backend.writeFile(`k${i}`, bytes('B'));
      await Promise.all([first, second]);
      expect(text(await backend.readFile(`k${i}`))).toBe('B');
    }
  });

  test('write then delete leaves nothing; delete then write leaves the bytes', async () => {
    const backend = make();
    const big = new Uint8Array(1024 * 1024).fill(1);
    for (let i = 0; i < 5; i++) {
      await Promise.all([backend.writeFile(`w-d/${i}`, big), backend.deleteFile(`w-d/${i}`)]);
      expect(await backend.exists(`w-d/${i}`)).toBe(false);
      await backend.writeFile(`d-w/${i}`, bytes('old'));
      await Promise.all([backend.deleteFile(`d-w/${i}`), backend.writeFile(`d-w/${i}`, big)]);
      expect((await backend.readFile(`d-w/${i}`)).byteLength).toBe(big.byteLength);
    }
  });

  test('a rename waits for the write before it; a write after it lands after it', async () => {
    const backend = make();
    const big = new Uint8Array(2 * 1024 * 1024).fill(2);
    await Promise.all([backend.writeFile('r/a', big), backend.rename!('r/a', 'r/b'), backend.writeFile('r/b', bytes('last'))]);
    expect(await backend.exists('r/a')).toBe(false);
    expect(text(await backend.readFile('r/b'))).toBe('last');
  });

  test('a rename of a file onto itself resolves, keeps the bytes, and does not hold up the calls after it', async () => {
    const backend = make();
    await backend.writeFile('self/f', bytes('same'));
    await backend.rename!('self/f', 'self/f');
    await Promise.all([backend.rename!('self/f', 'self/f'), backend.writeFile('self/f', bytes('after'))]);
    expect(text(await backend.readFile('self/f'))).toBe('after');
    expect(await backend.listFiles('self')).toEqual(['f']);
  });

  test('a failed call does not hold up the calls after it', async () => {
    const backend = make();
    await backend.createDirectory('dir');
    const results = await Promise.allSettled([backend.writeFile('dir', bytes('x')), backend.deleteFile('dir'), backend.writeFile('dir/f', bytes('ok'))]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : isStorageError(r.reason) ? r.reason.code : 'other'))).toEqual(['EISDIR', 'EISDIR', 'ok']);
    expect(text(await backend.readFile('dir/f'))).toBe('ok');
  });
});
