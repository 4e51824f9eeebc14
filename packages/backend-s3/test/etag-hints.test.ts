import type { S3Client } from '@aws-sdk/client-s3';
import { isStorageError } from '@store/backend-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3Backend } from '../src/index.js';
import { allKeys, describeS3, rawClient, testBucket } from '@store/test-helpers/s3';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const code = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (e: unknown) => (isStorageError(e) ? e.code : `not a StorageError: ${String(e)}`),
  );

interface Sent {
  command: string;
  ifMatch?: string;
}

describeS3('ETag hints: replacing a known file is one PUT with If-Match; a stale hint is refused by the store', (s) => {
  const clients: S3Client[] = [];
  let bucket: string;
  let remove: () => Promise<void>;
  let n = 0;

  /**
   * A backend on its own real client whose requests are recorded on the way out (command
   * name and If-Match), so a test can tell how many round trips a call took.
   */
  const recorded = (prefix: string, options: Partial<ConstructorParameters<typeof S3Backend>[0]> = {}): { backend: S3Backend; sent: Sent[] } => {
    const client = rawClient(s);
    clients.push(client);
    const sent: Sent[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IfMatch?: string };
        sent.push({ command: context.commandName ?? '?', ...(input.IfMatch === undefined ? {} : { ifMatch: input.IfMatch }) });
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    return { backend: new S3Backend({ client, bucket, prefix, ...options }), sent };
  };
  const names = (sent: Sent[]): string[] => sent.map((x) => x.command).sort();

  beforeAll(async () => {
    const client = rawClient(s);
    clients.push(client);
    ({ name: bucket, remove } = await testBucket(client, 'hints'));
  });
  afterAll(async () => {
    await remove();
    for (const c of clients) c.destroy();
  });

  it('the first write of a key checks the tree; later writes, and writes after a read or stat, are one PUT with If-Match', async () => {
    const prefix = `h${++n}`;
    const { backend: a, sent } = recorded(prefix);
    await a.writeFile('dir/doc', utf8('v1'));
    // HEAD of the parent and a one-key LIST (in parallel), then the PUT.
    expect(names(sent)).toEqual(['HeadObjectCommand', 'ListObjectsV2Command', 'PutObjectCommand']);
    const etag1 = (await a.stat('dir/doc')).etag;
    sent.length = 0;
    await a.writeFile('dir/doc', utf8('v2'));
    expect(sent).toEqual([{ command: 'PutObjectCommand', ifMatch: etag1 }]);
    expect(text(await a.readFile('dir/doc'))).toBe('v2');

    // Another instance learns the ETag from a read, and from a stat.
    const { backend: b, sent: bSent } = recorded(prefix);
    const { etag } = await b.readFileWithEtag('dir/doc');
    bSent.length = 0;
    await b.writeFile('dir/doc', utf8('v3'));
    expect(bSent).toEqual([{ command: 'PutObjectCommand', ifMatch: etag }]);
    const { backend: c, sent: cSent } = recorded(prefix);
    await c.stat('dir/doc');
    cSent.length = 0;
    await c.writeFile('dir/doc', utf8('v4'));
    expect(names(cSent)).toEqual(['PutObjectCommand']);

    // A caller's ifMatch proves a file is there as well: no checks.
    const current = await c.readFileWithEtag('dir/doc');
    cSent.length = 0;
    await c.writeFileIf('dir/doc', utf8('v5'), { ifMatch: current.etag });
    expect(names(cSent)).toEqual(['PutObjectCommand']);
    expect(text(await a.readFile('dir/doc'))).toBe('v5');

    // etagHints: 0 (or directoryChecks: false, which needs no hints) keeps the old paths.
    const { backend: off, sent: offSent } = recorded(prefix, { etagHints: 0 });
    await off.readFile('dir/doc');
    offSent.length = 0;
    await off.writeFile('dir/doc', utf8('v6'));
    expect(names(offSent)).toEqual(['HeadObjectCommand', 'ListObjectsV2Command', 'PutObjectCommand']);
    await a.close();
    await b.close();
    await c.close();
    await off.close();
  });

  it('a hint made stale by another client never breaks the directory rules: EISDIR and ENOTDIR still hold, nothing is written', async () => {
    const prefix = `h${++n}`;
    const { backend: a, sent } = recorded(prefix);
    const { backend: other } = recorded(prefix);

    // The file `x` a knows becomes a directory behind its back.
    await a.writeFile('x', utf8('file'));
    await other.deleteFile('x');
    await other.writeFile('x/inner', utf8('inner'));
    sent.length = 0;
    expect(await code(a.writeFile('x', utf8('over the directory')))).toBe('EISDIR');
    // The PUT with the stale ETag was refused (412), then the checks found the directory.
    expect(sent[0]?.command).toBe('PutObjectCommand');
    expect(sent[0]?.ifMatch).toBeDefined();
    expect(sent.filter((x) => x.command === 'PutObjectCommand')).toHaveLength(1);
    expect(text(await a.readFile('x/inner'))).toBe('inner');

    // The file `p/f` a knows is deleted and its parent becomes a file.
    await a.writeFile('p/f', utf8('f'));
    await other.deleteFile('p/f');
    await other.writeFile('p', utf8('now a file'));
    expect(await code(a.writeFile('p/f', utf8('below a file')))).toBe('ENOTDIR');

    // Replaced by another writer (other bytes, other ETag): the write still lands, after the checks.
    await a.writeFile('r/k', utf8('mine'));
    await other.writeFile('r/k', utf8('theirs'));
    await a.writeFile('r/k', utf8('mine again'));
    expect(text(await other.readFile('r/k'))).toBe('mine again');
    // Deleted by another writer: written again as a new file.
    await other.deleteFile('r/k');
    await a.writeFile('r/k', utf8('back'));
    expect(text(await other.readFile('r/k'))).toBe('back');

    expect((await allKeys(clients[0]!, bucket, `${prefix}/`)).sort()).toEqual([`${prefix}/p`, `${prefix}/r/k`, `${prefix}/x/inner`]);
    await a.close();
    await other.close();
  });

  it('8 instances replacing one key with hints leave exactly one writer’s bytes, in every round', async () => {
    const prefix = `h${++n}`;
    const writers = Array.from({ length: 8 }, () => recorded(prefix).backend);
    await writers[0]!.writeFile('shared', utf8('seed'));
    // Every writer learns the current ETag, so all 8 race with the same If-Match.
    for (let round = 0; round < 3; round++) {
      await Promise.all(writers.map((w) => w.readFile('shared')));
      await Promise.all(writers.map((w, i) => w.writeFile('shared', utf8(`round ${round} writer ${i}`))));
      const final = text(await writers[0]!.readFile('shared'));
      expect(final).toMatch(new RegExp(`^round ${round} writer \\d$`));
      expect(await allKeys(clients[0]!, bucket, `${prefix}/`)).toEqual([`${prefix}/shared`]);
    }
    await Promise.all(writers.map((w) => w.close()));
  });
});
