import type { StorageBackend } from '@store/backend-core';
import { given, type ConformanceCase } from '../case.js';
import { hostTree } from '../host.js';
import { check, checkBytes, checkEqual, checkRejects, utf8 } from '../expect.js';


/** Every call that takes a key, so each invalid form is tried against all of them. */
const CALLS: Array<[string, (b: StorageBackend, key: string) => Promise<unknown>]> = [
  ['writeFile', (b, k) => b.writeFile(k, utf8('x'))],
  ['readFile', (b, k) => b.readFile(k)],
  ['listFiles', (b, k) => b.listFiles(k)],
  ['createDirectory', (b, k) => b.createDirectory(k)],
  ['exists', (b, k) => b.exists(k)],
  ['deleteFile', (b, k) => b.deleteFile(k)],
];

const FILE_CALLS = CALLS.filter(([name]) => name === 'writeFile' || name === 'readFile' || name === 'deleteFile');

function invalidKeysCase(id: string, title: string, contract: string, keys: string[], fileOnlyKeys: string[] = []): ConformanceCase {
  return {
    id,
    title,
    contract,
    async run({ backend, location }) {
      const before = await hostTree(location);
      for (const key of keys) {
        for (const [name, call] of CALLS) {
          await checkRejects(() => call(backend, key), ['EINVAL'], `${name}(${JSON.stringify(key)})`);
        }
      }
      // The empty key names the root: fine for directory calls, never a file.
      for (const key of fileOnlyKeys) {
        for (const [name, call] of FILE_CALLS) {
          await checkRejects(() => call(backend, key), ['EINVAL'], `${name}(${JSON.stringify(key)})`);
        }
      }
      const left = await backend.listFiles('', backend.supports?.recursiveList ? { recursive: true } : undefined);
      checkEqual(left, [], 'files after rejected calls');
      // "Before touching storage": not even a directory may appear on disk.
      checkEqual(await hostTree(location), before, 'what is on disk after rejected calls');
    },
  };
}

export const pathCases: ConformanceCase[] = [
  {
    id: 'SB-PATH-01',
    title: 'a leading slash is ignored',
    contract: 'Paths are `/`-separated keys relative to the backend root; a leading `/` is ignored.',
    async run({ backend }) {
      await backend.writeFile('/lead/a.txt', utf8('one'));
      checkBytes(await backend.readFile('lead/a.txt'), utf8('one'), "readFile('lead/a.txt')");
      await backend.writeFile('lead/b.txt', utf8('two'));
      checkBytes(await backend.readFile('/lead/b.txt'), utf8('two'), "readFile('/lead/b.txt')");
      checkEqual(await backend.listFiles('/lead'), ['a.txt', 'b.txt'], "listFiles('/lead')");
      check(await backend.exists('/lead/a.txt'), "exists('/lead/a.txt')");
    },
  },
  invalidKeysCase(
    'SB-PATH-02',
    'empty segments are rejected',
    'Empty segments are rejected with `EINVAL` before touching storage.',
    ['a//b', 'a/', '//a', 'dir/', 'a///'],
    ['', '/'],
  ),
  invalidKeysCase('SB-PATH-03', "'.' and '..' segments are rejected", '`.`/`..` segments are rejected with `EINVAL` before touching storage.', [
    '.',
    '..',
    'a/./b',
    'a/../b',
    '../outside',
    'a/..',
    '/..',
  ]),
  invalidKeysCase('SB-PATH-04', 'NUL bytes are rejected', 'NUL is rejected with `EINVAL` before touching storage.', ['a\0b', '\0', 'dir/\0x']),
  invalidKeysCase('SB-PATH-05', 'backslashes are rejected', 'Backslash is rejected with `EINVAL` before touching storage.', [
    'a\\b',
    '\\',
    '..\\outside',
    'dir/x\\y',
  ]),
  {
    id: 'SB-PATH-06',
    title: 'segments over 255 UTF-8 bytes are rejected, 255 are accepted',
    contract: 'Segments over 255 UTF-8 bytes are rejected with `EINVAL` before touching storage.',
    async run({ backend }) {
      const max = `${'é'.repeat(127)}a`; // 254 + 1 = 255 bytes
      await backend.writeFile(`long/${max}`, utf8('ok'));
      checkBytes(await backend.readFile(`long/${max}`), utf8('ok'), '255-byte name');
      checkEqual(await backend.listFiles('long'), [max], 'listing of the 255-byte name');
      for (const key of [`long/${'é'.repeat(128)}`, 'x'.repeat(256), `${'a'.repeat(256)}/f`, `${'😀'.repeat(64)}`]) {
        for (const [name, call] of CALLS) {
          await checkRejects(() => call(backend, key), ['EINVAL'], `${name}(<${new TextEncoder().encode(key.split('/')[0]!).length}-byte segment>)`);
        }
      }
    },
  },
  {
    id: 'SB-PATH-07',
    title: 'non-string keys are rejected',
    contract: 'Paths are `/`-separated keys; anything else is rejected with `EINVAL` before touching storage.',
    async run({ backend, location }) {
      const before = await hostTree(location);
      for (const key of [undefined, null, 42, {}, ['a']] as unknown as string[]) {
        for (const [name, call] of CALLS) {
          await checkRejects(() => call(backend, key), ['EINVAL'], `${name}(${JSON.stringify(key) ?? String(key)})`);
        }
      }
      checkEqual(await hostTree(location), before, 'what is on disk after rejected calls');
    },
  },
  {
    id: 'SB-PATH-08',
    title: 'unicode and odd names round-trip exactly',
    contract: 'Unicode names round-trip exactly.',
    async run({ backend }) {
      const names = [
        'café', // NFC
        'cafe\u0301', // NFD: a different name, must stay distinct
        '日本語のファイル',
        'עברית',
        '😀🚀',
        'with space',
        ' leading-space',
        'trailing-space ',
        '.hidden',
        '...dots',
        '#hash%percent?query&amp',
        "quote'\"",
        'semi;colon:colon',
        '[brackets]{braces}(parens)',
        'UPPER',
        'upper',
        '-dash',
        '~tilde',
        'tab\there',
        'new\nline',
        '\u200bzero-width',
      ];
      for (const name of names) await backend.writeFile(`odd/${name}`, utf8(name));
      for (const name of names) checkBytes(await backend.readFile(`odd/${name}`), utf8(name), `readFile(${JSON.stringify(name)})`);
      const expected = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      checkEqual(await backend.listFiles('odd'), expected, 'listing of odd names');
      await backend.writeFile('ünï/çødé/file', utf8('deep'));
      checkEqual(await backend.listFiles('ünï/çødé'), ['file'], 'listing of a unicode directory');
    },
  },
  {
    id: 'SB-PATH-09',
    title: 'keys with unpaired surrogates are rejected or kept distinct',
    contract: 'Unicode names round-trip exactly: keys holding unpaired UTF-16 surrogates are rejected with `EINVAL`, or stored as distinct keys that read and list back exactly (never merged).',
    async run({ backend }) {
      const keys = ['k\ud800', 'k\udc00', 'k\udfff\ud800', 'k\ufffd'];
      const stored: string[] = [];
      for (const [i, key] of keys.entries()) {
        const error = await backend.writeFile(`sur/${key}`, utf8(`value ${i}`)).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined) stored.push(key);
        else if (key !== 'k\ufffd') await checkRejects(() => Promise.reject(error), ['EINVAL'], `writeFile(${JSON.stringify(`sur/${key}`)})`);
        else throw error; // U+FFFD is an ordinary character
      }
      for (const key of stored) checkBytes(await backend.readFile(`sur/${key}`), utf8(`value ${keys.indexOf(key)}`), `readFile(${JSON.stringify(`sur/${key}`)}) (two surrogate keys merged into one file?)`);
      checkEqual(await backend.listFiles('sur'), [...stored].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "listFiles('sur')");
    },
  },
  {
    id: 'SB-PATH-10',
    title: 'a key can never be taken for a temp file',
    contract: 'Temp files are never listed and are removed by recovery; a user key with the reserved temp-file prefix (`.~tmp.`) is rejected with `EINVAL`, or stored, listed and kept like any other key.',
    async run({ backend }) {
      for (const key of ['.~tmp.user', 'tmpdir/.~tmp.abc.1']) {
        const error = await backend.writeFile(key, utf8(key)).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error !== undefined) {
          await checkRejects(() => Promise.reject(error), ['EINVAL'], `writeFile(${JSON.stringify(key)})`);
          await checkRejects(() => backend.readFile(key), ['EINVAL', 'ENOENT'], `readFile(${JSON.stringify(key)})`);
          continue;
        }
        const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
        const name = key.slice(key.lastIndexOf('/') + 1);
        check((await backend.listFiles(dir)).includes(name), `'${key}' was stored but is not listed (hidden as a temp file)`);
        checkBytes(await backend.readFile(key), utf8(key), `readFile(${JSON.stringify(key)}) after a listing (swept as an orphaned temp file?)`);
      }
      await given("writeFile('tmpdir/plain')", () => backend.writeFile('tmpdir/plain', utf8('x')));
      check((await backend.listFiles('tmpdir')).includes('plain'), 'an ordinary file beside them is listed');
    },
  },
];
