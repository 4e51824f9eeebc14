/**
 * "A process that exits normally loses nothing queued." Writers buffer events in memory
 * between background writes, so every open writer registers here:
 * - `beforeExit` (the event loop ran dry): start an asynchronous flush; Node keeps running
 *   until it is done and then exits as usual;
 * - `exit` (e.g. `process.exit()`): write whatever is still pending synchronously, at the
 *   file positions it was assigned, so it cannot interleave with an in-flight write.
 */
export interface ExitFlushable {
  hasPending(): boolean;
  flushInBackground(): void;
  flushSync(): void;
}

const live = new Set<ExitFlushable>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', () => {
    for (const writer of live) if (writer.hasPending()) writer.flushInBackground();
  });
  process.on('exit', () => {
    for (const writer of live) {
      try {
        writer.flushSync();
      } catch {
        // Nothing can be reported while the process exits; the reader treats a short tail as torn.
      }
    }
  });
}

export function registerForExit(writer: ExitFlushable): void {
  install();
  live.add(writer);
}

export function unregisterForExit(writer: ExitFlushable): void {
  live.delete(writer);
}
