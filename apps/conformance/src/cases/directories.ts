import { given, type ConformanceCase } from '../case.js';
import { check, checkBytes, checkEqual, checkRejects, utf8 } from '../expect.js';


export const directoryCases: ConformanceCase[] = [
  {
    id: 'SB-DIR-01',
    title: 'createDirectory creates parents and is idempotent',
    contract: '`createDirectory`: creates parents, idempotent.',
    async run({ backend }) {
      await backend.createDirectory('d1/d2/d3');
      for (const dir of ['d1', 'd1/d2', 'd1/d2/d3']) check(await backend.exists(dir), `exists('${dir}')`);
      await backend.createDirectory('d1/d2/d3');
      await backend.createDirectory('/d1/d2');
      await backend.createDirectory('');
      checkEqual(await backend.listFiles('d1/d2/d3'), [], 'listing of the new directory');
      await backend.writeFile('d1/d2/d3/f', utf8('x'));
      await backend.createDirectory('d1/d2/d3');
      checkBytes(await backend.readFile('d1/d2/d3/f'), utf8('x'), 'file kept by a repeated createDirectory');
    },
  },
  {
    id: 'SB-DIR-02',
    title: 'createDirectory over a file fails and keeps the file',
    contract: 'Bad input gets a clear error with a code, never silent data loss.',
    async run({ backend }) {
      await given("writeFile('occupied')", () => backend.writeFile('occupied', utf8('data')));
      await checkRejects(() => backend.createDirectory('occupied'), ['EEXIST', 'ENOTDIR'], "createDirectory('occupied')");
      await checkRejects(() => backend.createDirectory('occupied/below'), ['ENOTDIR', 'EEXIST'], "createDirectory('occupied/below')");
      checkBytes(await backend.readFile('occupied'), utf8('data'), 'the file');
    },
  },
  {
    id: 'SB-EXISTS-01',
    title: 'exists is true for files and directories, false otherwise',
    contract: '`exists`: true for a file or a directory.',
    async run({ backend }) {
      await given("writeFile('e/file')", () => backend.writeFile('e/file', utf8('x')));
      await given("createDirectory('e/dir')", () => backend.createDirectory('e/dir'));
      check(await backend.exists('e/file'), "exists('e/file')");
      check(await backend.exists('e/dir'), "exists('e/dir')");
      check(await backend.exists('e'), "exists('e')");
      check(await backend.exists(''), "exists('') (the root)");
      check(!(await backend.exists('e/none')), "exists('e/none') should be false");
      check(!(await backend.exists('none/deeper')), "exists('none/deeper') should be false");
      check(!(await backend.exists('e/file/below')), "exists('e/file/below') should be false");
    },
  },
  {
    id: 'SB-DELETE-01',
    title: 'deleteFile removes a file and is idempotent on a missing one',
    contract: '`deleteFile`: idempotent on a missing file.',
    async run({ backend }) {
      await given("writeFile('del/a')", () => backend.writeFile('del/a', utf8('a')));
      await given("writeFile('del/b')", () => backend.writeFile('del/b', utf8('b')));
      await backend.deleteFile('del/a');
      check(!(await backend.exists('del/a')), 'deleted file still exists');
      await checkRejects(() => backend.readFile('del/a'), ['ENOENT'], 'readFile after delete');
      checkEqual(await backend.listFiles('del'), ['b'], 'listing after delete');
      await backend.deleteFile('del/a');
      await backend.deleteFile('never/existed');
      checkBytes(await backend.readFile('del/b'), utf8('b'), 'sibling file');
    },
  },
  {
    id: 'SB-DELETE-02',
    title: 'deleteFile of a directory fails with EISDIR',
    contract: '`deleteFile`: `EISDIR` on a directory.',
    async run({ backend }) {
      await given("writeFile('keep/inside')", () => backend.writeFile('keep/inside', utf8('x')));
      await checkRejects(() => backend.deleteFile('keep'), ['EISDIR'], "deleteFile('keep')");
      await given("createDirectory('empty-dir')", () => backend.createDirectory('empty-dir'));
      await checkRejects(() => backend.deleteFile('empty-dir'), ['EISDIR'], "deleteFile('empty-dir')");
      checkBytes(await backend.readFile('keep/inside'), utf8('x'), 'file inside the directory');
    },
  },
];
