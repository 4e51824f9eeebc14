import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { enc, tempDir } from './helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  const log = await EventLog.open(dir, { maxFileSize: 4096 });
  for (let i = 0; i < 300; i++) await log.append(enc(`hello ${i}`));
  await log.close();
});
afterEach(async () => cleanup());

describe('eventlog CLI', () => {
  it('stats prints the shape of the log, --json parses', () => {
    const text = run('stats', dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/events\s+300/);
    const json = JSON.parse(run('stats', dir, '--json').out) as { events: number; newestEventId: number };
    expect(json).toMatchObject({ events: 300, newestEventId: 299 });
  });

  it('cat prints a range in each format', () => {
    expect(run('cat', dir, '--from', '10', '--to', '13').out).toBe('10\thello 10\n11\thello 11\n12\thello 12\n');
    expect(run('cat', dir, '--from', '5', '--to', '6', '--format', 'hex').out).toBe(`5\t${Buffer.from('hello 5').toString('hex')}\n`);
    expect(JSON.parse(run('cat', dir, '--from', '7', '--to', '8', '--format', 'json').out)).toEqual({ id: 7, data: 'hello 7' });
    expect(run('cat', dir, '--from', 'x').code).toBe(2);
    expect(run('nonsense', dir).code).toBe(2);
  });

  it('cat --format json keeps every byte of UTF-8 data, a leading byte order mark too', async () => {
    // TextDecoder drops a leading U+FEFF unless told not to; the event's data starts with one.
    const log = await EventLog.open(dir);
    const id = await log.append(enc('\uFEFFx'));
    await log.close();
    const out = run('cat', dir, '--from', String(id), '--to', String(id + 1), '--format', 'json').out;
    const line = JSON.parse(out) as { id: number; data: string };
    expect(line).toEqual({ id, data: '\uFEFFx' });
    expect(Buffer.from(line.data, 'utf8')).toEqual(Buffer.from([0xef, 0xbb, 0xbf, 0x78]));
  });

  it('verify finds damage (exit 1), repair fixes it, verify is clean again', async () => {
    expect(run('verify', dir).code).toBe(0);
    const file = path.join(dir, 'events-00000001.log');
    const bytes = await readFile(file);
    bytes[60]! ^= 0x08;
    await writeFile(file, bytes);
    const bad = run('verify', dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('PROBLEM events-00000001.log offset');
    const fixed = run('repair', dir);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('skipped events-00000001.log');
    expect(run('verify', dir).code).toBe(0);
    expect(run('stats', dir).out).toMatch(/events\s+299/);
  });

  it('errors name the problem and exit 1', () => {
    const r = run('stats', path.join(dir, 'missing'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('ENOENT');
  });
});
