// A benchmark worker process: on each "go N" message runs N read-update-commit
// transactions and answers "done". argv: engine, path, object index, and "contended" to
// work on object 0 (shared by every worker) instead of its own. mvcc-pages retries a
// transaction that fails with ECONFLICT (SQLite's BEGIN IMMEDIATE waits instead), after a
// bounded randomized exponential backoff; the retries are reported on exit.
import { setTimeout as sleep } from 'node:timers/promises';
import { openPages, openSqlite } from './workload.mjs';

/**
 * Backoff before retry number `attempt` (1, 2, …): uniformly random in [0, min(CAP,
 * BASE·2^attempt)) ms. Random, so the writers that collided do not collide again in step;
 * growing, so a crowd spreads out; capped, so a writer never sleeps long.
 */
const BASE_MS = 0.5;
const CAP_MS = 16;
/** BENCH_BACKOFF=0 retries at once, to compare. */
const backoffMs = process.env.BENCH_BACKOFF === '0' ? () => 0 : (attempt) => Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);

const [engine, where, indexText, mode] = process.argv.slice(2);
const index = mode === 'contended' ? 0 : Number(indexText);
const pageId = `page${String(index + 1).padStart(3, '0')}`;
const target = engine === 'sqlite' ? openSqlite(where) : await openPages(where, engine.split(':')[1]);
let conflicts = 0;
let commits = 0;
process.on('message', async (msg) => {
  if (msg.cmd === 'go') {
    for (let i = 0; i < msg.n; i++) {
      if (engine === 'sqlite') target.step(index);
      else {
        for (let attempt = 1; ; attempt++) {
          try {
            await target.step(pageId);
            commits++;
            break;
          } catch (error) {
            if (error?.code !== 'ECONFLICT') throw error;
            conflicts++;
            const ms = backoffMs(attempt);
            if (ms > 0) await sleep(ms);
          }
        }
      }
    }
    process.send({ done: msg.n });
  } else if (msg.cmd === 'exit') {
    await target.close();
    process.send({ conflicts, commits }, () => process.exit(0));
  }
});
process.send({ ready: true });
