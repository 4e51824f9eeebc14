import { readFileSync, statSync } from 'node:fs';
import { StorageError } from './errors.js';

/**
 * Small pieces every @store CLI needs besides `runCli`: its package version, a path that
 * must already exist (read-only commands create nothing), a counted noun, and progress
 * that only a person at a terminal sees.
 */

/**
 * The `version` field of a package.json, read synchronously (a CLI needs it before it does
 * anything). Pass `new URL('../package.json', import.meta.url)` from a file in `dist/`.
 */
export function readPackageVersion(packageJson: URL): string {
  const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new StorageError('EINVAL', 'package.json has no version', { path: packageJson.pathname, field: 'version' });
  return pkg.version;
}

/** What an existing path must be: `any` accepts a file or a directory. */
export type PathKind = 'file' | 'directory' | 'any';

/**
 * Checks, without creating anything, that `target` exists and is of `kind`; returns
 * whether it is a directory. Throws a `StorageError` naming the path as typed: `ENOENT`
 * (missing), `ENOTDIR` (a file where a directory is wanted), `EISDIR` (the reverse).
 */
export function requirePath(target: string, kind: PathKind = 'any', what = kind === 'any' ? 'file or directory' : kind): { isDirectory: boolean } {
  let st;
  try {
    st = statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StorageError('ENOENT', `no such ${what}`, { path: target });
    if (code === 'ENOTDIR') throw new StorageError('ENOTDIR', `a part of the path is not a directory`, { path: target });
    if (code === 'EACCES' || code === 'EPERM') throw new StorageError('EACCES', `permission denied`, { path: target });
    throw new StorageError('EIO', `cannot stat: ${(error as Error).message}`, { path: target, cause: error });
  }
  const isDirectory = st.isDirectory();
  if (kind === 'directory' && !isDirectory) throw new StorageError('ENOTDIR', `not a directory (expected a ${what})`, { path: target });
  if (kind === 'file' && isDirectory) throw new StorageError('EISDIR', `is a directory (expected a ${what})`, { path: target });
  return { isDirectory };
}

/** `plural(1, 'segment')` → "1 segment", `plural(2, 'segment')` → "2 segments". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** A one-line progress display on stderr; every method does nothing when stderr is not a TTY. */
export interface Progress {
  /** Replaces the line with `text`; callers call it at a human rate (per file, per thousands of records). */
  update(text: string): void;
  /** Clears the line, so the next output starts clean. */
  done(): void;
}

/**
 * Where progress goes: the part of a `tty.WriteStream` (process.stderr) it uses. Declared
 * here so the public types need no `@types/node`.
 */
export interface ProgressStream {
  /** True only on a terminal. */
  isTTY?: boolean;
  /** Terminal width in characters (80 assumed when unknown). */
  columns?: number;
  write(text: string): unknown;
}

/**
 * Progress for long work (verify, repair, inspect of large inputs). Shown only when the
 * stream is a terminal: in a pipe, a log file or CI it would be noise mixed into output
 * meant for programs, so there nothing is written at all.
 */
export function createProgress(stream: ProgressStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update(text) {
      shown = true;
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
