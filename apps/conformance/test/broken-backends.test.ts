import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { loadTarget, runConformance } from '../dist/index.js';

const BROKEN = fileURLToPath(new URL('./fixtures/broken-backends.mjs', import.meta.url));

/** Runs the whole suite against one broken kind and returns the ids that failed. */
async function failedIds(kind: string): Promise<{ failed: string[]; passed: string[] }> {
  process.env.BROKEN_BACKEND = kind;
  const results = await runConformance(await loadTarget(BROKEN, kind));
  return {
    failed: results.filter((r) => r.status === 'failed').map((r) => r.id),
    passed: results.filter((r) => r.status === 'passed').map((r) => r.id),
  };
}

describe('the suite fails broken backends on the right cases', () => {
  afterEach(() => {
    delete process.env.BROKEN_BACKEND;
  });

  test('writes in place (no temp file + rename): atomicity and crash cases fail', async () => {
    const { failed, passed } = await failedIds('InPlaceBackend');
    expect(failed).toContain('SB-ATOMIC-01');
    expect(failed).toContain('SB-CRASH-01');
    expect(passed).toEqual(expect.arrayContaining(['SB-PATH-01', 'SB-BYTES-01', 'SB-LIST-01', 'SB-DELETE-01']));
  });

  test('lists its temp files: the in-flight listing case fails', async () => {
    const { failed, passed } = await failedIds('VisibleTempBackend');
    expect(failed).toContain('SB-CONC-02');
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-03', 'SB-READ-01']));
  });

  test('does not validate keys on read: the path cases fail', async () => {
    const { failed, passed } = await failedIds('UncheckedPathBackend');
    expect(failed).toEqual(expect.arrayContaining(['SB-PATH-02', 'SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05']));
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-01', 'SB-ATOMIC-01', 'SB-CONC-01']));
  });

  test('swallows or garbles errors: the error cases fail', async () => {
    const { failed, passed } = await failedIds('SloppyErrorsBackend');
    expect(failed).toEqual(expect.arrayContaining(['SB-READ-02', 'SB-DELETE-02']));
    expect(passed).toEqual(expect.arrayContaining(['SB-READ-01', 'SB-DELETE-01']));
  });

  test('leaves temp files behind: the overwrite case sees files pile up on disk', async () => {
    const { failed, passed } = await failedIds('LeakyTempBackend');
    expect(failed).toContain('SB-CONC-01');
    expect(passed).toEqual(expect.arrayContaining(['SB-ATOMIC-01', 'SB-BYTES-01']));
  });

  test('follows a symlink at the leaf on write: the escape case fails', async () => {
    const { failed } = await failedIds('FollowLeafBackend');
    expect(failed).toContain('SB-SAFE-01');
  });

  test('touches storage before validating a key: the path cases fail', async () => {
    const { failed, passed } = await failedIds('MkdirFirstBackend');
    expect(failed).toEqual(expect.arrayContaining(['SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05']));
    expect(passed).toEqual(expect.arrayContaining(['SB-PATH-01', 'SB-BYTES-01']));
  });

  test("stores the caller's buffers: the aliasing case fails", async () => {
    const { failed, passed } = await failedIds('AliasingBackend');
    expect(failed).toContain('SB-BYTES-05');
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-01', 'SB-READ-01']));
  });
});
