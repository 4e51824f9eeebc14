/**
 * A seam for crash tests: with the environment variable `EVENTLOG_CRASH_POINT` set to a
 * point's name, the process kills itself with SIGKILL there — a real crash at an exact
 * step of a multi-step update (e.g. between renaming a repaired segment into place and
 * updating meta.json), which a kill at a random moment would hit only by luck.
 */
export function crashPoint(name: string): void {
  if (process.env.EVENTLOG_CRASH_POINT === name) process.kill(process.pid, 'SIGKILL');
}
