/**
 * "A process that exits normally loses nothing acknowledged." With `durability: 'none'` an
 * append is acknowledged once it is in the write buffer, which reaches the file at the end
 * of the event-loop turn — but `process.exit()` ends the process before that turn ends.
 * Every open writer registers here, and the `exit` handler hands its buffer to the OS
 * synchronously (the same way @store/tfevents' writers do). A natural exit runs the
 * end-of-turn flush as usual; SIGKILL and crashes are what `sync()` is for.
 */
const live = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const flush of live) {
      try {
        flush();
      } catch {
        // Nothing can be reported while the process exits; recovery cuts a torn tail.
      }
    }
  });
}

/** Calls `flush` (synchronously) when the process exits; returns the function that unregisters it. */
export function flushOnExit(flush: () => void): () => void {
  install();
  live.add(flush);
  return () => {
    live.delete(flush);
  };
}
