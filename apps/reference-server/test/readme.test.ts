import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnServer, tempDir, type ServerProcess } from './helpers.js';

/**
 * Every curl example of the root README and of this app's README, run as written (with
 * the documented address 127.0.0.1:8787 replaced by the test server's, since tests never
 * bind a fixed port) in order against a fresh server. A trailing `# → text` is the exact
 * output the line must print.
 */
const run = promisify(execFile);
const READMES = [path.join(REPO_ROOT, 'README.md'), path.join(REPO_ROOT, 'apps/reference-server/README.md')];

function curlLines(file: string): Array<{ command: string; expected: string | undefined }> {
  const text = readFileSync(file, 'utf8');
  const lines: Array<{ command: string; expected: string | undefined }> = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (!/(^|\|\s*)curl /.test(line) || line.includes('8787') === false) continue;
      const arrow = line.indexOf('# → ');
      lines.push({ command: line, expected: arrow === -1 ? undefined : line.slice(arrow + 4).trim() });
    }
  }
  return lines;
}

const cleanups: Array<() => Promise<void>> = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.child.kill('SIGTERM');
    await s.exited;
  }
  for (const c of cleanups) await c();
});

describe('README curl examples', () => {
  it.each(READMES.map((f) => [path.relative(REPO_ROOT, f), f]))('%s', async (_name, file) => {
    const examples = curlLines(file);
    expect(examples.length, `${file} has curl examples`).toBeGreaterThanOrEqual(3);
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const server = await spawnServer(['--data', path.join(t.dir, 'data')]);
    servers.push(server);
    const address = new URL(server.url).host;
    for (const { command, expected } of examples) {
      const { stdout } = await run('sh', ['-c', command.replaceAll('127.0.0.1:8787', address)], { cwd: t.dir });
      if (expected !== undefined) expect(stdout.trim(), command).toBe(expected);
    }
  });
});
