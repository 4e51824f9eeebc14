// A benchmark worker process: on each "go N" message runs N read-update-commit
// transactions and answers "done". argv: engine, path, object index, and "contended" to
// work on object 0 (shared by every worker) instead of its own. mvcc-pages retries a
// transaction that fails with ECONFLICT (SQLite's BEGIN IMMEDIATE waits instead); the
// retries are reported on exit.
import { openPages, openSqlite } from './workload.mjs';

const [engine, where, indexText, mode] = process.argv.slice(2);
const index = mode === 'contended' ? 0 : Number(indexText);
const pageId = `page${String(index + 1).padStart(3, '0')}`;
const target = engine === 'sqlite' ? openSqlite(where) : await openPages(where, engine.split(':')[1]);
let conflicts = 0;
process.on('message', async (msg) => {
  if (msg.cmd === 'go') {
    for (let i = 0; i < msg.n; i++) {
      if (engine === 'sqlite') target.step(index);
      else {
        for (;;) {
          try {
            await target.step(pageId);
            break;
          } catch (error) {
            if (error?.code !== 'ECONFLICT') throw error;
            conflicts++;
          }
        }
      }
    }
    process.send({ done: msg.n });
  } else if (msg.cmd === 'exit') {
    await target.close();
    process.send({ conflicts }, () => process.exit(0));
  }
});
process.send({ ready: true });
