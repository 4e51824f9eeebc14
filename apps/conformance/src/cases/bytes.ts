import { randomBytes } from 'node:crypto';
import { given, type ConformanceCase } from '../case.js';
import { check, checkBytes, checkEqual, checkRejects, utf8 } from '../expect.js';


export const byteCases: ConformanceCase[] = [
  {
    id: 'SB-BYTES-01',
    title: 'all 256 byte values round-trip',
    contract: 'Bytes round-trip exactly.',
    async run({ backend }) {
      const all = new Uint8Array(512);
      for (let i = 0; i < 512; i++) all[i] = i < 256 ? i : 511 - i;
      await backend.writeFile('bytes/all', all);
      checkBytes(await backend.readFile('bytes/all'), all, 'all byte values');
    },
  },
  {
    id: 'SB-BYTES-02',
    title: 'an empty file round-trips and is listed',
    contract: 'Bytes round-trip exactly, empty files included.',
    async run({ backend }) {
      await backend.writeFile('bytes/empty', new Uint8Array(0));
      checkBytes(await backend.readFile('bytes/empty'), new Uint8Array(0), 'empty file');
      check(await backend.exists('bytes/empty'), 'exists(empty file)');
      checkEqual(await backend.listFiles('bytes'), ['empty'], 'listing');
    },
  },
  {
    id: 'SB-BYTES-03',
    title: 'a 16 MiB file round-trips',
    contract: 'Bytes round-trip exactly, files of many MiB included.',
    async run({ backend }) {
      const big = randomBytes(16 * 1024 * 1024);
      await backend.writeFile('bytes/big.bin', big);
      checkBytes(await backend.readFile('bytes/big.bin'), big, '16 MiB file');
    },
  },
  {
    id: 'SB-BYTES-04',
    title: 'overwriting replaces the whole file',
    contract: '`writeFile` replaces atomically.',
    async run({ backend }) {
      await backend.writeFile('bytes/over', randomBytes(100_000));
      await backend.writeFile('bytes/over', utf8('short'));
      checkBytes(await backend.readFile('bytes/over'), utf8('short'), 'after a shorter overwrite');
      await backend.writeFile('bytes/over', new Uint8Array(0));
      checkBytes(await backend.readFile('bytes/over'), new Uint8Array(0), 'after an empty overwrite');
    },
  },
  {
    id: 'SB-BYTES-05',
    title: "stored bytes do not alias the caller's buffers",
    contract: 'Bytes round-trip exactly.',
    async run({ backend }) {
      const data = utf8('original');
      await backend.writeFile('bytes/alias', data);
      data.fill(0x21);
      const first = await backend.readFile('bytes/alias');
      checkBytes(first, utf8('original'), 'after mutating the written buffer');
      first.fill(0x22);
      checkBytes(await backend.readFile('bytes/alias'), utf8('original'), 'after mutating a read buffer');
      // Buffer#slice returns a view, not a copy: a backend that "copies" with it aliases Buffers.
      const buffer = Buffer.from('from a Buffer');
      await backend.writeFile('bytes/alias-buffer', buffer);
      buffer.fill(0x23);
      const read = await backend.readFile('bytes/alias-buffer');
      checkBytes(read, utf8('from a Buffer'), 'after mutating the written Buffer');
      read.fill(0x24);
      checkBytes(await backend.readFile('bytes/alias-buffer'), utf8('from a Buffer'), 'after mutating a read result');
    },
  },
  {
    id: 'SB-BYTES-06',
    title: 'subarray views are written as their own bytes only',
    contract: 'Bytes round-trip exactly.',
    async run({ backend }) {
      const whole = utf8('xxxxPAYLOADyyyy');
      await backend.writeFile('bytes/view', whole.subarray(4, 11));
      checkBytes(await backend.readFile('bytes/view'), utf8('PAYLOAD'), 'subarray write');
    },
  },
  {
    id: 'SB-BYTES-07',
    title: 'writeFile stores the bytes the buffer held when it was called',
    contract: 'Bytes round-trip exactly.',
    async run({ backend }) {
      // A backend that reads the caller's buffer after an await stores whatever the caller
      // put there meanwhile: the call would write bytes nobody asked it to write.
      const small = utf8('at the call');
      const pending = backend.writeFile('bytes/at-call', small);
      small.fill(0x21);
      await pending;
      checkBytes(await backend.readFile('bytes/at-call'), utf8('at the call'), 'buffer changed right after the call');
      const big = randomBytes(1024 * 1024);
      const expected = Uint8Array.from(big);
      const bigPending = backend.writeFile('bytes/at-call-big', big);
      big.fill(0x22);
      await bigPending;
      checkBytes(await backend.readFile('bytes/at-call-big'), expected, '1 MiB buffer changed right after the call');
      // The second write waits for the first: its bytes are still the ones of its call.
      const first = utf8('first');
      const second = utf8('second');
      const writes = Promise.all([backend.writeFile('bytes/at-call', first), backend.writeFile('bytes/at-call', second)]);
      first.fill(0x23);
      second.fill(0x24);
      await writes;
      checkBytes(await backend.readFile('bytes/at-call'), utf8('second'), 'two writes of one key, both buffers changed after the calls');
    },
  },
  {
    id: 'SB-READ-01',
    title: 'reading a missing file fails with ENOENT',
    contract: '`readFile` of a missing file: `ENOENT`.',
    async run({ backend }) {
      await checkRejects(() => backend.readFile('missing'), ['ENOENT'], "readFile('missing')");
      await checkRejects(() => backend.readFile('no/such/dir/file'), ['ENOENT'], "readFile('no/such/dir/file')");
      await given("writeFile('plain')", () => backend.writeFile('plain', utf8('x')));
      await checkRejects(() => backend.readFile('plain/child'), ['ENOENT', 'ENOTDIR'], "readFile('plain/child') under a file");
    },
  },
  {
    id: 'SB-READ-02',
    title: 'reading a directory fails with EISDIR',
    contract: '`readFile` of a directory: `EISDIR`.',
    async run({ backend }) {
      await given("createDirectory('a-dir')", () => backend.createDirectory('a-dir'));
      await checkRejects(() => backend.readFile('a-dir'), ['EISDIR'], "readFile('a-dir')");
      await given("writeFile('implicit/child')", () => backend.writeFile('implicit/child', utf8('x')));
      await checkRejects(() => backend.readFile('implicit'), ['EISDIR'], "readFile('implicit') (made by writeFile)");
    },
  },
  {
    id: 'SB-WRITE-01',
    title: 'writeFile creates missing parents',
    contract: '`writeFile` creates missing parents.',
    async run({ backend }) {
      await backend.writeFile('p/q/r/s/file.txt', utf8('deep'));
      checkBytes(await backend.readFile('p/q/r/s/file.txt'), utf8('deep'), 'deep file');
      for (const dir of ['p', 'p/q', 'p/q/r', 'p/q/r/s']) check(await backend.exists(dir), `exists('${dir}')`);
    },
  },
  {
    id: 'SB-WRITE-02',
    title: 'writing over a directory, or below a file, fails and changes nothing',
    contract: 'Bad input gets a clear error with a code, never silent data loss.',
    async run({ backend }) {
      await given("writeFile('dir/inner')", () => backend.writeFile('dir/inner', utf8('inner')));
      await checkRejects(() => backend.writeFile('dir', utf8('x')), ['EISDIR'], "writeFile('dir') over a directory");
      checkBytes(await backend.readFile('dir/inner'), utf8('inner'), 'file inside the directory');
      await given("writeFile('file')", () => backend.writeFile('file', utf8('file')));
      await checkRejects(() => backend.writeFile('file/below', utf8('x')), ['ENOTDIR', 'EEXIST', 'EINVAL'], "writeFile('file/below')");
      checkBytes(await backend.readFile('file'), utf8('file'), 'the file');
    },
  },
  {
    id: 'SB-WRITE-03',
    title: 'writeFile rejects data that is not bytes',
    contract: 'Bad input gets a clear error with a code, never a partially written file.',
    async run({ backend }) {
      for (const data of ['text', 42, null, [1, 2, 3], { length: 3 }] as unknown as Uint8Array[]) {
        await checkRejects(() => backend.writeFile('not-bytes', data), ['EINVAL'], `writeFile(${JSON.stringify(data)})`);
      }
      check(!(await backend.exists('not-bytes')), 'nothing was written');
    },
  },
];
