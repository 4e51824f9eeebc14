import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The ```js examples, run as written (address replaced as above) from a file inside this
 * package, so its imports resolve. The first one of each README is the one that talks to a
 * server; later ones need none and are run by tooling/repo-tests against the packed packages.
 */
function jsBlocks(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/```js[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README JavaScript examples', () => {
  it.each([
    ['apps/reference-server/README.md', /^http:\/\/127\.0\.0\.1:\d+\n$/],
    ['packages/backend-http/README.md', /^\{"theme":"dark"\}\n\[ 'settings\.json' \]\n/],
  ] as const)('%s', async (readme, expected) => {
    const blocks = jsBlocks(path.join(REPO_ROOT, readme));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const server = await spawnServer(['--data', path.join(t.dir, 'server-data')]);
    servers.push(server);
    const file = path.join(REPO_ROOT, 'apps/reference-server', `.readme-example-${process.pid}-${readme.split('/')[1]}.mjs`);
    writeFileSync(file, blocks[0]!.replaceAll('127.0.0.1:8787', new URL(server.url).host));
    try {
      const { stdout } = await run(process.execPath, [file], { cwd: t.dir });
      expect(stdout).toMatch(expected);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
