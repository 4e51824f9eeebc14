import path from 'node:path';
import { tempDir as sharedTempDir, type TempDir } from '@store/test-helpers';

export { collect, rng } from '@store/test-helpers';

/** A fresh temp directory per test with a vector file path in it, removed afterwards. */
export async function tempDir(): Promise<TempDir & { file: string }> {
  const t = await sharedTempDir('vector-file-test-');
  return { ...t, file: path.join(t.dir, 'vectors.jdbv') };
}

export function randomVector(random: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = random() * 2 - 1;
  return v;
}

export function bytesOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
