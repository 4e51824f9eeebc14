import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../src/index.js';
import { payload } from './fixtures/payload.mjs';
import { tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => path.join(here, 'fixtures', name);
const run = promisify(execFile);

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('several processes', () => {
  it('a second writer in another process gets ELOCKED; after close it can open', async () => {
    const log = await EventLog.open(dir);
    await log.append(payload(0));
    const { stdout } = await run(process.execPath, [fixture('open-writer.mjs'), dir]);
    expect(stdout.trim()).toBe('ELOCKED');
    await log.close();
    const again = await run(process.execPath, [fixture('open-writer.mjs'), dir]);
    expect(again.stdout.trim()).toBe('OPENED');
  });

  it('a reader in another process tails the log across rotations while it is written', async () => {
    const total = 5000;
    const log = await EventLog.open(dir, { maxFileSize: 16 * 1024 });
    await log.append(payload(0));
    await log.flush();
    const child = spawn(process.execPath, [fixture('tail-reader.mjs'), dir, String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (c: string) => ((out += c), out.includes('READY') && resolve())));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await ready;
    for (let id = 1; id < total; id++) {
      await log.append(payload(id));
      if (id % 250 === 0) await new Promise((r) => setTimeout(r, 3)); // let the writer's idle flush run
    }
    await log.flush();
    expect(await exited).toBe(0);
    expect(out).toContain(`OK ${total}`);
    expect((await log.stats()).segments).toBeGreaterThan(5);
    await log.close();
  });
});
