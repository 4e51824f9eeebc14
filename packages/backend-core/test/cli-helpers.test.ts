import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProgress, plural, readPackageVersion, requirePath } from '../src/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'backend-core-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('CLI helpers', () => {
  it('requirePath: a missing path, a file for a directory and a directory for a file are StorageErrors naming the path as typed; nothing is created', () => {
    const missing = path.join(dir, 'nope', 'deeper');
    expect(() => requirePath(missing, 'directory', 'log directory')).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing, message: `ENOENT: no such log directory (path '${missing}')` }));
    expect(existsSync(path.join(dir, 'nope'))).toBe(false);
    const file = path.join(dir, 'file.txt');
    writeFileSync(file, 'x');
    mkdirSync(path.join(dir, 'sub'));
    expect(() => requirePath(file, 'directory')).toThrow(expect.objectContaining({ code: 'ENOTDIR', path: file }));
    expect(() => requirePath(path.join(dir, 'sub'), 'file')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => requirePath(path.join(file, 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(requirePath(file)).toEqual({ isDirectory: false });
    expect(requirePath(path.join(dir, 'sub'), 'directory')).toEqual({ isDirectory: true });
  });

  it('plural: one is singular, everything else plural', () => {
    expect([0, 1, 2].map((n) => plural(n, 'segment'))).toEqual(['0 segments', '1 segment', '2 segments']);
    expect(plural(2, 'index', 'indexes')).toBe('2 indexes');
  });

  it('createProgress writes nothing to a stream that is not a terminal', async () => {
    const file = path.join(dir, 'stderr.txt');
    const stream = createWriteStream(file) as unknown as NodeJS.WriteStream;
    const progress = createProgress(stream);
    progress.update('verifying 1 of 2');
    progress.done();
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('readPackageVersion reads the version field', () => {
    const pkg = path.join(dir, 'package.json');
    writeFileSync(pkg, JSON.stringify({ name: 'x', version: '3.2.1' }));
    expect(readPackageVersion(new URL(`file://${pkg}`))).toBe('3.2.1');
    writeFileSync(pkg, JSON.stringify({ name: 'x' }));
    expect(() => readPackageVersion(new URL(`file://${pkg}`))).toThrow(expect.objectContaining({ code: 'EINVAL', field: 'version' }));
  });
});
