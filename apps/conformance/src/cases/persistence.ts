import { given, type ConformanceCase } from '../case.js';
import { check, checkBytes, checkEqual, utf8 } from '../expect.js';

const FILES: Array<[string, Uint8Array]> = [
  ['keep/a.txt', utf8('alpha')],
  ['keep/deep/b.bin', new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff)],
  ['keep/empty', new Uint8Array(0)],
];

export const persistenceCases: ConformanceCase[] = [
  {
    id: 'SB-PERSIST-01',
    title: 'data written before close() is there after a reopen',
    contract: 'Capability `persistent`: data outlives the backend instance; one opened later over the same location sees it.',
    requires: ['persistent'],
    async run({ backend, reopen }) {
      for (const [key, data] of FILES) await given(`writeFile('${key}')`, () => backend.writeFile(key, data));
      await backend.close?.();
      const again = await reopen();
      for (const [key, data] of FILES) checkBytes(await again.readFile(key), data, `readFile('${key}') after a reopen`);
      checkEqual(await again.listFiles('keep'), ['a.txt', 'empty'], "listFiles('keep') after a reopen");
    },
  },
  {
    id: 'SB-CAP-02',
    title: 'the persistence claims match what the backend does',
    contract:
      'A backend declares what it supports: `persistent` exactly when data survives a reopen, and `crashSafe` only with `persistent` (so a claim cannot switch off the checks of what it does).',
    async run({ backend, reopen, capabilities }) {
      check(!capabilities.crashSafe || capabilities.persistent, "declares 'crashSafe' without 'persistent': crash safety of data that does not outlive the process means nothing");
      await given("writeFile('probe/kept')", () => backend.writeFile('probe/kept', utf8('kept?')));
      await given('close()', async () => backend.close?.());
      const again = await given('reopen', () => reopen());
      const kept = await again.readFile('probe/kept').then(
        () => true,
        () => false,
      );
      if (capabilities.persistent) check(kept, "declares 'persistent', but a reopened backend does not have the file written before close()");
      else {
        check(
          !kept,
          "keeps data across a reopen but declares 'persistent: false', which would switch off the checks of that data (SB-PERSIST-01, SB-CRASH-01); declare 'persistent' (and 'crashSafe: false' if a killed writer can tear files)",
        );
      }
    },
  },
];
