import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { StorageError } from '@store/backend-core';
import type { PageStore, Transaction } from '@store/mvcc-pages';
import type { RouteFamily } from './family.js';
import { errorResponses } from './schemas.js';

const txnParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'Transaction id from POST /v1/mvcc/transactions' } },
} as const;
const pageParams = {
  type: 'object',
  required: ['id', 'namespace', 'page'],
  properties: {
    ...txnParams.properties,
    namespace: { type: 'string', minLength: 1, description: 'Dotted namespace, e.g. animals_db.cats' },
    page: { type: 'string', pattern: '^page[0-9]{3,}$', description: 'Page id, e.g. page001' },
  },
} as const;
const objectsBody = { type: 'array', description: 'The page objects (JSON values)' } as const;

interface Open {
  txn: Transaction;
  timer: NodeJS.Timeout;
}

/**
 * MVCC page-store transactions (@store/mvcc-pages) over the store in `<data>/mvcc/`:
 * begin, read a page, update it (after reading it), insert, match by namespace pattern,
 * commit (409 ECONFLICT when something read changed), rollback. A transaction idle for
 * `limits.idleCloseMs` is rolled back; its id then answers 404.
 */
const mvcc: RouteFamily = {
  name: 'mvcc',
  prefix: '/v1/mvcc',
  async plugin(app, { ctx }) {
    ctx.reserveDirectory('mvcc');
    let opening: Promise<PageStore> | undefined;
    const store = (): Promise<PageStore> =>
      (opening ??= import('@store/mvcc-pages').then(({ PageStore }) => PageStore.open(path.join(ctx.dataDir, 'mvcc'), { durability: 'commit' })));
    const open = new Map<string, Open>();
    const idleMs = ctx.limits.idleCloseMs;

    const expire = (id: string): void => {
      const entry = open.get(id);
      if (entry === undefined) return;
      open.delete(id);
      void store().then((s) => s.rollback(entry.txn)).catch(() => undefined);
    };
    const arm = (id: string, txn: Transaction): void => {
      clearTimeout(open.get(id)?.timer);
      const timer = setTimeout(() => expire(id), idleMs);
      timer.unref();
      open.set(id, { txn, timer });
    };
    /** The open transaction `id` (its idle timer restarted), or 404. */
    const take = (id: string): Transaction => {
      const entry = open.get(id);
      if (entry === undefined) throw new StorageError('ENOENT', 'no such transaction (it ended, or was rolled back after being idle)', { path: `transactions/${id}` });
      arm(id, entry.txn);
      return entry.txn;
    };
    const end = (id: string): void => {
      clearTimeout(open.get(id)?.timer);
      open.delete(id);
    };
    ctx.onShutdown(async () => {
      for (const id of [...open.keys()]) expire(id);
      if (opening !== undefined) await (await opening).close();
    });

    const tags = ['mvcc'];
    app.post(
      '/transactions',
      { schema: { tags, summary: 'Begin a transaction at the newest committed snapshot', response: { 201: { type: 'object', required: ['id', 'tsn', 'snapshot'], properties: { id: { type: 'string' }, tsn: { type: 'integer' }, snapshot: { type: 'integer' } } }, ...errorResponses } } },
      async (_req, reply) => {
        const txn = await (await store()).begin();
        const id = randomBytes(16).toString('hex');
        arm(id, txn);
        return reply.code(201).send({ id, tsn: txn.tsn, snapshot: txn.snapshot });
      },
    );
    app.get<{ Params: { id: string; namespace: string; page: string } }>(
      '/transactions/:id/pages/:namespace/:page',
      { schema: { tags, summary: "A page's objects at the transaction's snapshot", params: pageParams, response: { 200: { type: 'object', required: ['objects'], properties: { objects: objectsBody } }, ...errorResponses } } },
      async (req) => ({ objects: await (await store()).readPage(take(req.params.id), req.params.namespace, req.params.page) }),
    );
    app.put<{ Params: { id: string; namespace: string; page: string }; Body: { objects: unknown[] } }>(
      '/transactions/:id/pages/:namespace/:page',
      { schema: { tags, summary: 'Replace a page read in this transaction', params: pageParams, body: { type: 'object', required: ['objects'], additionalProperties: false, properties: { objects: objectsBody } }, response: { 204: { type: 'null' }, ...errorResponses } } },
      async (req, reply) => {
        await (await store()).updatePage(take(req.params.id), req.params.namespace, req.params.page, req.body.objects as never);
        return reply.code(204).send();
      },
    );
    app.post<{ Params: { id: string; namespace: string }; Body: { object: unknown } }>(
      '/transactions/:id/objects/:namespace',
      { schema: { tags, summary: 'Insert an object (into the last page or a new one)', params: { type: 'object', required: ['id', 'namespace'], properties: { id: txnParams.properties.id, namespace: pageParams.properties.namespace } }, body: { type: 'object', required: ['object'], additionalProperties: false, properties: { object: {} } }, response: { 201: { type: 'object', required: ['pageId'], properties: { pageId: { type: 'string' } } }, ...errorResponses } } },
      async (req, reply) => reply.code(201).send({ pageId: await (await store()).insertObject(take(req.params.id), req.params.namespace, req.body.object as never) }),
    );
    app.post<{ Params: { id: string }; Body: { pattern: string; regex?: boolean } }>(
      '/transactions/:id/match',
      { schema: { tags, summary: 'Every object of the namespaces matching a pattern (* and ? wildcards, or a regex)', params: txnParams, body: { type: 'object', required: ['pattern'], additionalProperties: false, properties: { pattern: { type: 'string', minLength: 1 }, regex: { type: 'boolean' } } }, response: { 200: { type: 'object', required: ['objects'], properties: { objects: { type: 'array', items: { type: 'object', properties: { namespace: { type: 'string' }, pageId: { type: 'string' }, index: { type: 'integer' }, object: {} } } } } }, ...errorResponses } } },
      async (req) => {
        let pattern: string | RegExp = req.body.pattern;
        if (req.body.regex === true) {
          try {
            pattern = new RegExp(req.body.pattern);
          } catch (error) {
            throw new StorageError('EINVAL', `bad regex: ${(error as Error).message}`, { field: 'pattern' });
          }
        }
        return { objects: await (await store()).getMatchingObjects(take(req.params.id), pattern) };
      },
    );
    app.post<{ Params: { id: string } }>(
      '/transactions/:id/commit',
      { schema: { tags, summary: 'Commit: 409 ECONFLICT if anything read changed (the transaction is then rolled back)', params: txnParams, response: { 200: { type: 'object', required: ['tsn', 'seq', 'readOnly'], properties: { tsn: { type: 'integer' }, seq: { type: 'integer' }, readOnly: { type: 'boolean' } } }, ...errorResponses } } },
      async (req) => {
        const txn = take(req.params.id);
        end(req.params.id);
        return (await store()).commit(txn);
      },
    );
    app.post<{ Params: { id: string } }>(
      '/transactions/:id/rollback',
      { schema: { tags, summary: 'Roll back and forget the transaction', params: txnParams, response: { 204: { type: 'null' }, ...errorResponses } } },
      async (req, reply) => {
        const txn = take(req.params.id);
        end(req.params.id);
        await (await store()).rollback(txn);
        return reply.code(204).send();
      },
    );
  },
};
export default mvcc;
