import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadTarget, runConformance } from '../dist/index.js';

const BROKEN = fileURLToPath(new URL('./fixtures/broken-backends.mjs', import.meta.url));

let base: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'conformance-broken-'));
});
afterEach(() => {
  delete process.env.BROKEN_BACKEND;
  // Every case owns what it starts: once a run is over, nothing of it is left, even from
  // backends that write beside their location ('a/..' temp files) or fail mid-case.
  const left = readdirSync(base);
  rmSync(base, { recursive: true, force: true });
  expect(left, 'left behind in the base directory').toEqual([]);
});

/** Runs the suite (or the `only` cases) against one broken kind and returns the ids per outcome. */
async function outcomes(kind: string, only?: string[]): Promise<{ failed: string[]; passed: string[]; reasons: Record<string, string> }> {
  process.env.BROKEN_BACKEND = kind;
  const results = await runConformance(await loadTarget(BROKEN, kind), { baseDir: base, ...(only === undefined ? {} : { only }) });
  return {
    failed: results.filter((r) => r.status === 'failed').map((r) => r.id),
    passed: results.filter((r) => r.status === 'passed').map((r) => r.id),
    reasons: Object.fromEntries(results.map((r) => [r.id, r.reason ?? ''])),
  };
}

describe('the suite fails broken backends on the right cases', () => {
  test('writes in place (no temp file + rename): atomicity and crash cases fail', async () => {
    const { failed, passed } = await outcomes('InPlaceBackend');
    expect(failed).toContain('SB-ATOMIC-01');
    expect(failed).toContain('SB-CRASH-01');
    expect(passed).toEqual(expect.arrayContaining(['SB-PATH-01', 'SB-BYTES-01', 'SB-LIST-01', 'SB-DELETE-01', 'SB-MODE-01', 'SB-PERSIST-01']));
  });

  test('lists its temp files: the in-flight listing case fails', async () => {
    const { failed, passed } = await outcomes('VisibleTempBackend', ['SB-CONC-02', 'SB-BYTES-03', 'SB-READ-01', 'SB-PATH-03']);
    expect(failed).toContain('SB-CONC-02');
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-03', 'SB-READ-01']));
  });

  test('orphaned temp files of a killed writer: listed, recovered too eagerly, or never recovered — the orphan case fails each', async () => {
    const listed = await outcomes('ListsTempFilesBackend', ['SB-CRASH-02']);
    expect(listed.failed).toEqual(['SB-CRASH-02']);
    expect(listed.reasons['SB-CRASH-02']).toMatch(/orphaned temp file '.*' is listed/);
    const eager = await outcomes('EagerRecoveryBackend', ['SB-CRASH-02']);
    expect(eager.failed).toEqual(['SB-CRASH-02']);
    expect(eager.reasons['SB-CRASH-02']).toMatch(/removed '.*', a temp file only moments old/);
    const none = await outcomes('NoRecoveryBackend', ['SB-CRASH-02']);
    expect(none.failed).toEqual(['SB-CRASH-02']);
    expect(none.reasons['SB-CRASH-02']).toMatch(/orphans still on disk/);
  });

  test('does not validate keys on read: the path cases fail', async () => {
    const { failed, passed } = await outcomes('UncheckedPathBackend', ['SB-PATH', 'SB-BYTES-01', 'SB-ATOMIC-01', 'SB-CONC-01']);
    expect(failed).toEqual(expect.arrayContaining(['SB-PATH-02', 'SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05']));
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-01', 'SB-ATOMIC-01', 'SB-CONC-01']));
  });

  test('swallows or garbles errors: the error cases fail', async () => {
    const { failed, passed } = await outcomes('SloppyErrorsBackend', ['SB-READ', 'SB-DELETE']);
    expect(failed).toEqual(expect.arrayContaining(['SB-READ-02', 'SB-DELETE-02']));
    expect(passed).toEqual(expect.arrayContaining(['SB-READ-01', 'SB-DELETE-01']));
  });

  test('leaves temp files behind: the overwrite case sees files pile up on disk', async () => {
    const { failed, passed } = await outcomes('LeakyTempBackend', ['SB-CONC-01', 'SB-ATOMIC-01', 'SB-BYTES-01']);
    expect(failed).toContain('SB-CONC-01');
    expect(passed).toEqual(expect.arrayContaining(['SB-ATOMIC-01', 'SB-BYTES-01']));
  });

  test('follows a symlink at the leaf on write: the escape case fails', async () => {
    const { failed } = await outcomes('FollowLeafBackend', ['SB-SAFE-01']);
    expect(failed).toContain('SB-SAFE-01');
  });

  test('touches storage before validating a key: the path cases fail', async () => {
    const { failed, passed } = await outcomes('MkdirFirstBackend', ['SB-PATH', 'SB-BYTES-01']);
    expect(failed).toEqual(expect.arrayContaining(['SB-PATH-03', 'SB-PATH-04', 'SB-PATH-05']));
    expect(passed).toEqual(expect.arrayContaining(['SB-PATH-01', 'SB-BYTES-01']));
  });

  test("stores the caller's buffers: the aliasing case fails", async () => {
    const { failed, passed } = await outcomes('AliasingBackend', ['SB-BYTES', 'SB-READ-01']);
    expect(failed).toContain('SB-BYTES-05');
    expect(passed).toEqual(expect.arrayContaining(['SB-BYTES-01', 'SB-READ-01']));
  });

  test('replaces with a default-mode temp file: the mode case fails (0600 became 0644)', async () => {
    const { failed, passed, reasons } = await outcomes('ModeWideningBackend', ['SB-MODE-01', 'SB-BYTES-04']);
    expect(failed).toEqual(['SB-MODE-01']);
    expect(reasons['SB-MODE-01']).toMatch(/chmod 600 .* mode 644/);
    expect(passed).toEqual(['SB-BYTES-04']);
  });

  test('does not order calls on one key: a 4 MiB write called first lands last, and the order case fails', async () => {
    const { failed, passed } = await outcomes('UnorderedBackend', ['SB-ORDER-01', 'SB-BYTES-01']);
    expect(failed).toEqual(['SB-ORDER-01']);
    expect(passed).toEqual(['SB-BYTES-01']);
  });

  test('opens a FIFO with a blocking read: the special-file case fails instead of hanging', async () => {
    const { failed, reasons } = await outcomes('BlockingReadBackend', ['SB-SPECIAL-01']);
    expect(failed).toEqual(['SB-SPECIAL-01']);
    expect(reasons['SB-SPECIAL-01']).toMatch(/blocked|succeeded/);
  });

  test('puts host paths into error messages: the message case fails', async () => {
    const { failed } = await outcomes('HostPathErrorsBackend', ['SB-ERR-01']);
    expect(failed).toEqual(['SB-ERR-01']);
  });

  test('merges keys with unpaired surrogates (as unstorage does): the surrogate case fails', async () => {
    const { failed, passed } = await outcomes('MergingSurrogatesBackend', ['SB-PATH-08', 'SB-PATH-09']);
    expect(failed).toEqual(['SB-PATH-09']);
    expect(passed).toEqual(['SB-PATH-08']);
  });

  test('accepts keys with the temp prefix and then hides them: the reserved-prefix case fails', async () => {
    const { failed } = await outcomes('HidesTempPrefixBackend', ['SB-PATH-10']);
    expect(failed).toEqual(['SB-PATH-10']);
  });

  test('a failing setup call is reported as "setup failed: <call>", not as the case’s own check', async () => {
    const { failed, reasons } = await outcomes('BrokenMkdirBackend', ['SB-READ-02', 'SB-DELETE-02', 'SB-READ-01']);
    expect(failed).toEqual(['SB-READ-02', 'SB-DELETE-02']);
    expect(reasons['SB-READ-02']).toMatch(/^setup failed: createDirectory\('a-dir'\): EIO: createDirectory is broken/);
  });
});

describe('an in-place writer (fs.writeFile over the target) cannot pass', () => {
  test.each(['PlainWriteBackend', 'SerialInPlaceBackend'])('SB-CONC-01 catches %s on every one of 5 runs', async (kind) => {
    for (let run = 0; run < 5; run++) {
      const { failed } = await outcomes(kind, ['SB-CONC-01']);
      expect(failed, `run ${run}`).toEqual(['SB-CONC-01']);
    }
  });

  test('declaring persistent: false does not switch the on-disk checks off: it fails, not certifies green', async () => {
    const { failed } = await outcomes('LyingPlainWriteBackend');
    expect(failed).toEqual(expect.arrayContaining(['SB-CAP-02', 'SB-CONC-01']));
  });
});
