// A benchmark worker process: on each "go N" message runs N read-update-commit
// transactions on its own object and answers "done". argv: engine, path, object index.
import { openPages, openSqlite } from './workload.mjs';

const [engine, where, indexText] = process.argv.slice(2);
const index = Number(indexText);
const pageId = `page${String(index + 1).padStart(3, '0')}`;
const target = engine === 'sqlite' ? openSqlite(where) : await openPages(where, engine.split(':')[1]);
process.on('message', async (msg) => {
  if (msg.cmd === 'go') {
    for (let i = 0; i < msg.n; i++) {
      if (engine === 'sqlite') target.step(index);
      else await target.step(pageId);
    }
    process.send({ done: msg.n });
  } else if (msg.cmd === 'exit') {
    await target.close();
    process.exit(0);
  }
});
process.send({ ready: true });
