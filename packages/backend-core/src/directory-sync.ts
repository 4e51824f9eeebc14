import { closeSync, fsync as fsyncCallback, openSync } from 'node:fs';
import { promisify } from 'node:util';

const fsync = promisify(fsyncCallback);

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * fsync of a directory makes a rename or unlink inside it durable. Concurrent writers
 * into one directory share fsyncs (group commit): a caller waits for the next fsync
 * that starts after it asked, never one already running, which may predate its rename.
 */
export class DirectorySync {
  readonly #queues = new Map<string, Waiter[]>();

  sync(dir: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.#queues.get(dir);
      if (queue !== undefined) {
        queue.push({ resolve, reject });
        return;
      }
      this.#queues.set(dir, []);
      void this.#run(dir, [{ resolve, reject }]);
    });
  }

  async #run(dir: string, batch: Waiter[]): Promise<void> {
    for (;;) {
      try {
        await fsyncDirectory(dir);
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
      const queued = this.#queues.get(dir) ?? [];
      if (queued.length === 0) {
        this.#queues.delete(dir);
        return;
      }
      batch = queued;
      this.#queues.set(dir, []);
    }
  }
}

/** fsync of a directory. Opening and closing it is a cheap inline syscall; the fsync goes to the pool. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsync(fd);
  } finally {
    closeSync(fd);
  }
}
