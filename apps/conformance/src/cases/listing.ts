import { given, type ConformanceCase } from '../case.js';
import { check, checkEqual, checkRejects, utf8 } from '../expect.js';

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const listingCases: ConformanceCase[] = [
  {
    id: 'SB-LIST-01',
    title: 'listFiles returns names sorted by code unit',
    contract: '`listFiles(dir)`: names (not paths) of files directly in `dir`, sorted by code unit.',
    async run({ backend }) {
      const names = ['b', 'B', 'a', '_', 'Z', '10', '9', 'ä', 'z', '😀', 'ｚ', 'a.b', 'a-b', 'A'];
      for (const name of names) await given(`writeFile('list/${name}')`, () => backend.writeFile(`list/${name}`, utf8(name)));
      checkEqual(await backend.listFiles('list'), [...names].sort(byCodeUnit), "listFiles('list')");
      checkEqual(await backend.listFiles('/list'), [...names].sort(byCodeUnit), "listFiles('/list')");
    },
  },
  {
    id: 'SB-LIST-02',
    title: 'listFiles leaves out sub-directories and their files',
    contract: '`listFiles(dir)`: files directly in `dir`, without sub-directories.',
    async run({ backend }) {
      await given("writeFile('tree/top.txt')", () => backend.writeFile('tree/top.txt', utf8('1')));
      await given("writeFile('tree/sub/inner.txt')", () => backend.writeFile('tree/sub/inner.txt', utf8('2')));
      await given("createDirectory('tree/empty-sub')", () => backend.createDirectory('tree/empty-sub'));
      checkEqual(await backend.listFiles('tree'), ['top.txt'], "listFiles('tree')");
      checkEqual(await backend.listFiles('tree/sub'), ['inner.txt'], "listFiles('tree/sub')");
      checkEqual(await backend.listFiles('tree/empty-sub'), [], "listFiles('tree/empty-sub')");
      const root = await backend.listFiles('');
      check(!root.includes('tree'), `root listing includes the directory 'tree': ${JSON.stringify(root)}`);
    },
  },
  {
    id: 'SB-LIST-03',
    title: 'a missing directory lists as empty',
    contract: '`listFiles`: a missing directory lists `[]`.',
    async run({ backend }) {
      checkEqual(await backend.listFiles('never/made'), [], "listFiles('never/made')");
      checkEqual(await backend.listFiles(''), [], 'listing of an empty root');
    },
  },
  {
    id: 'SB-LIST-04',
    title: 'listFiles of a file is an error',
    contract: 'Bad input gets a clear error with a code.',
    async run({ backend }) {
      await given("writeFile('just-a-file')", () => backend.writeFile('just-a-file', utf8('x')));
      await checkRejects(() => backend.listFiles('just-a-file'), ['ENOTDIR', 'EINVAL'], "listFiles('just-a-file')");
    },
  },
  {
    id: 'SB-LIST-05',
    title: 'recursive listing returns relative paths of every file below',
    contract: 'Optional capability: recursive listing.',
    requires: ['recursiveList'],
    async run({ backend }) {
      await given("writeFile('r/a')", () => backend.writeFile('r/a', utf8('1')));
      await given("writeFile('r/sub/b')", () => backend.writeFile('r/sub/b', utf8('2')));
      await given("writeFile('r/sub/deeper/c')", () => backend.writeFile('r/sub/deeper/c', utf8('3')));
      await given("createDirectory('r/empty')", () => backend.createDirectory('r/empty'));
      checkEqual(await backend.listFiles('r', { recursive: true }), ['a', 'sub/b', 'sub/deeper/c'], "listFiles('r', { recursive: true })");
      checkEqual(await backend.listFiles('r/sub', { recursive: true }), ['b', 'deeper/c'], "listFiles('r/sub', { recursive: true })");
    },
  },
];
