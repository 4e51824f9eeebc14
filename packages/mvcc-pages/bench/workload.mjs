// The benchmark's one workload, shared by the in-process cases and the worker processes:
// read a 1 KiB object, change it, commit durably.
import Database from 'better-sqlite3';
import { PageStore } from '../dist/index.js';

export const OBJECT = { id: 0, counter: 0, payload: 'p'.repeat(1024 - 40) };

/** SQLite in WAL mode with synchronous=FULL; one table of JSON text rows. */
export function openSqlite(file) {
  const db = new Database(file, { timeout: 60_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS obj (id INTEGER PRIMARY KEY, data TEXT NOT NULL)');
  const select = db.prepare('SELECT data FROM obj WHERE id = ?');
  const update = db.prepare('UPDATE obj SET data = ? WHERE id = ?');
  const insert = db.prepare('INSERT OR REPLACE INTO obj (id, data) VALUES (?, ?)');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  return {
    db,
    select,
    seed(id) {
      insert.run(id, JSON.stringify({ ...OBJECT, id }));
    },
    /** One transaction: read, change, write, commit. */
    step(id) {
      begin.run();
      const o = JSON.parse(select.get(id).data);
      o.counter += 1;
      update.run(JSON.stringify(o), id);
      commit.run();
    },
    close() {
      db.close();
    },
  };
}

export async function openPages(dir, durability) {
  const store = await PageStore.open(dir, { durability, forceOneObjectPerPage: true });
  return {
    store,
    async seed(count) {
      const txn = await store.begin();
      const ids = [];
      for (let i = 0; i < count; i++) ids.push(await store.insertObject(txn, 'bench', { ...OBJECT, id: i }));
      await store.commit(txn);
      return ids;
    },
    async step(pageId) {
      const txn = await store.begin();
      const [o] = await store.readPage(txn, 'bench', pageId);
      o.counter += 1;
      await store.updatePage(txn, 'bench', pageId, [o]);
      await store.commit(txn);
    },
    close: () => store.close(),
  };
}
