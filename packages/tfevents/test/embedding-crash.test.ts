import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEmbeddings } from '../src/index.js';
import { PACKAGE_ROOT, tempDir } from './helpers.js';

const CHILD = path.join(PACKAGE_ROOT, 'test/fixtures/embedding-writer.mjs');

beforeAll(async () => {
  // The child imports dist/; the root test command builds it first.
  await import(path.join(PACKAGE_ROOT, 'dist/index.js'));
});

/** Runs the child until it has reported `count` embeddings, then SIGKILLs it mid-write. */
function runUntil(dir: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let done = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      done = out.split('\n').filter((l) => l.startsWith('wrote ')).length;
      if (done >= count) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(done) : reject(new Error(`child exited without being killed (${signal})`))));
  });
}

describe('addEmbedding under SIGKILL (real child process)', () => {
  for (const count of [3]) {
    it(`every embedding reported before the kill reads back whole; no projector file is partial (killed after ${count})`, async () => {
      await using tmp = await tempDir();
      const confirmed = await runUntil(tmp.dir, count);
      const embeddings = await readEmbeddings(tmp.dir);
      const names = embeddings.map((e) => e.tensorName);
      for (let step = 0; step < confirmed; step++) expect(names).toContain(`features:${String(step).padStart(5, '0')}`);
      for (const e of embeddings) {
        expect(e.shape).toEqual([300, 50]);
        expect(e.metadata).toHaveLength(300);
      }
      // Files under their final names are complete (temp files may be left by the kill).
      for (const dir of readdirSync(tmp.dir).filter((d) => /^\d{5}$/.test(d))) {
        for (const file of readdirSync(path.join(tmp.dir, dir, 'features')).filter((f) => !f.endsWith('.tmp'))) {
          expect(readFileSync(path.join(tmp.dir, dir, 'features', file), 'utf8').split('\n')).toHaveLength(file === 'tensors.tsv' || file === 'metadata.tsv' ? 301 : 0);
        }
      }
    });
  }
});
