import { CaseSkipped, given, type ConformanceCase } from '../case.js';
import { checkRejects, utf8 } from '../expect.js';

export const lifecycleCases: ConformanceCase[] = [
  {
    id: 'SB-CLOSE-01',
    title: 'calls after close() fail with ECLOSED',
    contract: 'A backend with `close()` releases its resources; calls after it fail with `ECLOSED`.',
    async run({ reopen }) {
      const backend = await reopen();
      if (typeof backend.close !== 'function') throw new CaseSkipped('backend has no close()');
      await given("writeFile('closing/file')", () => backend.writeFile('closing/file', utf8('x')));
      await backend.close();
      await checkRejects(() => backend.readFile('closing/file'), ['ECLOSED'], 'readFile after close');
      await checkRejects(() => backend.writeFile('closing/file', utf8('y')), ['ECLOSED'], 'writeFile after close');
      await checkRejects(() => backend.listFiles('closing'), ['ECLOSED'], 'listFiles after close');
      await checkRejects(() => backend.exists('closing/file'), ['ECLOSED'], 'exists after close');
      await checkRejects(() => backend.deleteFile('closing/file'), ['ECLOSED'], 'deleteFile after close');
      await checkRejects(() => backend.createDirectory('closing/dir'), ['ECLOSED'], 'createDirectory after close');
    },
  },
];
