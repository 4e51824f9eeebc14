import { mkdir, readdir, readFile as readHostFile, rm, symlink, writeFile as writeHostFile } from 'node:fs/promises';
import path from 'node:path';
import { given, type ConformanceCase } from '../case.js';
import { check, checkBytes, checkEqual, checkRejects, utf8 } from '../expect.js';


export const capabilityCases: ConformanceCase[] = [
  {
    id: 'SB-CAP-01',
    title: 'every declared capability has its method',
    contract: 'A backend declares what it supports.',
    async run({ backend, capabilities }) {
      for (const name of ['stat', 'readRange', 'rename'] as const) {
        if (capabilities[name]) check(typeof backend[name] === 'function', `declares '${name}' but has no ${name}() method`);
      }
      if (capabilities.tempRecovery) check(typeof backend.recover === 'function', "declares 'tempRecovery' but has no recover() method");
      for (const [name, value] of Object.entries(capabilities)) {
        check(typeof value === 'boolean', `capability '${name}' is ${JSON.stringify(value)}, not a boolean`);
      }
    },
  },
  {
    id: 'SB-STAT-01',
    title: 'stat reports size and kind',
    contract: 'Optional capability: `stat`.',
    requires: ['stat'],
    async run({ backend }) {
      await given("writeFile('s/file')", () => backend.writeFile('s/file', utf8('12345')));
      const file = await backend.stat!('s/file');
      checkEqual([file.size, file.isDirectory], [5, false], 'stat of a 5-byte file');
      check(Number.isFinite(file.mtimeMs), 'mtimeMs is a number');
      const dir = await backend.stat!('s');
      check(dir.isDirectory, 'stat of a directory says isDirectory');
      await checkRejects(() => backend.stat!('s/missing'), ['ENOENT'], "stat('s/missing')");
      await checkRejects(() => backend.stat!('s/../x'), ['EINVAL'], "stat('s/../x')");
    },
  },
  {
    id: 'SB-RANGE-01',
    title: 'readRange returns the requested slice, short at end of file',
    contract: 'Optional capability: `readRange`.',
    requires: ['readRange'],
    async run({ backend }) {
      const data = new Uint8Array(1000).map((_, i) => i % 251);
      await given("writeFile('r/file')", () => backend.writeFile('r/file', data));
      checkBytes(await backend.readRange!('r/file', 0, 10), data.subarray(0, 10), 'range [0,10)');
      checkBytes(await backend.readRange!('r/file', 500, 100), data.subarray(500, 600), 'range [500,600)');
      checkBytes(await backend.readRange!('r/file', 990, 100), data.subarray(990), 'range past the end');
      checkBytes(await backend.readRange!('r/file', 1000, 5), new Uint8Array(0), 'range at the end');
      checkBytes(await backend.readRange!('r/file', 5000, 5), new Uint8Array(0), 'range beyond the end');
      await checkRejects(() => backend.readRange!('r/missing', 0, 1), ['ENOENT'], "readRange('r/missing')");
      await checkRejects(() => backend.readRange!('r/file', -1, 1), ['EINVAL'], 'negative offset');
    },
  },
  {
    id: 'SB-RENAME-01',
    title: 'rename moves a file and replaces the destination',
    contract: 'Optional capability: `rename`.',
    requires: ['rename'],
    async run({ backend }) {
      await given("writeFile('mv/a')", () => backend.writeFile('mv/a', utf8('A')));
      await backend.rename!('mv/a', 'mv/new/b');
      check(!(await backend.exists('mv/a')), 'source still exists after rename');
      checkBytes(await backend.readFile('mv/new/b'), utf8('A'), 'renamed file');
      await given("writeFile('mv/c')", () => backend.writeFile('mv/c', utf8('C')));
      await backend.rename!('mv/c', 'mv/new/b');
      checkBytes(await backend.readFile('mv/new/b'), utf8('C'), 'destination after rename over it');
      await checkRejects(() => backend.rename!('mv/missing', 'mv/x'), ['ENOENT'], 'rename of a missing file');
      await checkRejects(() => backend.rename!('mv/new/b', '../x'), ['EINVAL'], 'rename to an invalid key');
    },
  },
  {
    id: 'SB-SAFE-01',
    title: 'symlinks planted in the storage directory cannot reach outside it',
    contract: 'Nothing can escape the root (symlinks included, for the filesystem backend).',
    async run({ backend, location, workDir, capabilities }) {
      const outside = path.join(workDir, 'outside');
      await mkdir(outside, { recursive: true });
      try {
        await writeHostFile(path.join(outside, 'secret'), 'SECRET');
        await mkdir(location, { recursive: true });
        await symlink(outside, path.join(location, 'link-dir'));
        await symlink(path.join(outside, 'secret'), path.join(location, 'link-file'));
        await symlink(path.join(outside, 'not-yet'), path.join(location, 'dangling'));
        const secret = utf8('SECRET');
        const leaks = (data: Uint8Array | undefined): boolean => data !== undefined && Buffer.from(data).includes(Buffer.from(secret));
        for (const key of ['link-dir/secret', 'link-file']) {
          check(!leaks(await backend.readFile(key).catch(() => undefined)), `readFile('${key}') returned a file outside the root`);
          if (capabilities.readRange) {
            check(!leaks(await backend.readRange!(key, 0, 100).catch(() => undefined)), `readRange('${key}') returned a file outside the root`);
          }
          if (capabilities.stat) {
            const st = await backend.stat!(key).catch(() => undefined);
            check(st === undefined || st.size !== secret.byteLength, `stat('${key}') described a file outside the root`);
          }
        }
        const listed = await backend.listFiles('link-dir').catch((): string[] => []);
        check(!listed.includes('secret'), "listFiles('link-dir') listed a file outside the root");
        check(!(await backend.exists('link-dir/secret').catch(() => false)), "exists('link-dir/secret') saw a file outside the root");
        // Writes, deletes and directories through every kind of link must land inside the root or fail.
        await backend.writeFile('link-dir/planted', utf8('x')).catch(() => undefined);
        await backend.writeFile('link-file', utf8('PWNED')).catch(() => undefined);
        await backend.writeFile('dangling/x', utf8('x')).catch(() => undefined);
        await backend.createDirectory('dangling').catch(() => undefined);
        await backend.createDirectory('link-dir/made').catch(() => undefined);
        await backend.deleteFile('link-dir/secret').catch(() => undefined);
        if (capabilities.rename) {
          await backend.rename!('link-dir/secret', 'stolen').catch(() => undefined);
          await backend.writeFile('inside', utf8('x'));
          await backend.rename!('inside', 'link-dir/moved').catch(() => undefined);
        }
        checkEqual((await readdir(outside)).sort(), ['secret'], 'files outside the root after writes, deletes and renames through symlinks');
        checkEqual(await readHostFile(path.join(outside, 'secret'), 'utf8'), 'SECRET', 'the outside file');
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    },
  },
];
