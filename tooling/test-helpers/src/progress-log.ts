import { openSync, readFileSync, writeSync } from 'node:fs';

/** The environment variable through which a test tells its child where the progress log goes. */
export const PROGRESS_LOG_ENV = 'STORE_PROGRESS_LOG';

/**
 * Child side of a crash test: a line logger whose lines survive the SIGKILL that ends the
 * child. A pipe to the parent is no place for such lines: Node writes to pipes
 * asynchronously on POSIX (what the pipe cannot take at once waits in the child's memory),
 * so when the parent is slow to read, the last lines before a kill are lost, and a test that
 * trusts them checks less or fails on data it never heard of. One write(2) per line to a
 * file is in the kernel once it returns. The file is `file`, else `$STORE_PROGRESS_LOG`.
 */
export function progressLog(file: string | undefined = process.env[PROGRESS_LOG_ENV]): (line: string) => void {
  if (file === undefined || file === '') throw new Error(`progressLog: no file given and ${PROGRESS_LOG_ENV} is not set`);
  const fd = openSync(file, 'a');
  return (line) => void writeSync(fd, `${line}\n`);
}

/** Parent side: the whole lines of a progress log (none when the child never opened it). */
export function readProgressLog(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline: empty, or a line cut short by the kill
  return lines;
}
