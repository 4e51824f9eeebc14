import { isStorageError } from './errors.js';

/**
 * The conventions every @store command-line tool follows, in one place so that each CLI
 * only parses its own options (node:util `parseArgs`) and does its work:
 *
 * - `--help`/`-h` prints the usage on stdout, exit 0; `--version` prints the version, exit 0;
 * - a usage error (an unknown option or command, a missing or malformed argument: a
 *   `UsageError` or `parseArgs`'s own `ERR_PARSE_ARGS_*` errors) prints one line naming the
 *   problem, a blank line and the usage on stderr, exit 2;
 * - a failure prints one line (`name: CODE: message` for a `StorageError`), never a stack
 *   trace, exit 1;
 * - writing into a closed pipe (`cli … | head -1`) ends the process quietly with status 0,
 *   as `cat` does.
 */
export interface CliSpec {
  /** The command's name as typed (`eventlog`), prefixed to every error line. */
  name: string;
  /** The package version printed by `--version`. */
  version: string;
  /** The full usage text, printed by `--help` and after a usage error. */
  usage: string;
}

/** A mistake in how the command was called: exit status 2 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The process exit status: 0 success, 1 failure (or problems found), 2 usage error. */
export type ExitStatus = 0 | 1 | 2 | number;

/**
 * Runs `main(argv)` under the conventions above and sets `process.exitCode` from what it
 * returns. The process then ends when its work is done (open handles closed), so output
 * buffered in a pipe is not cut off by an early `process.exit()`.
 */
export function runCli(spec: CliSpec, main: (argv: string[]) => Promise<ExitStatus>, argv: string[] = process.argv.slice(2)): Promise<void> {
  quietOnClosedPipe();
  return (async () => {
    const flags = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
    if (flags.includes('--help') || flags.includes('-h')) {
      process.stdout.write(`${spec.usage}\n`);
      process.exitCode = 0;
      return;
    }
    if (flags.includes('--version')) {
      process.stdout.write(`${spec.version}\n`);
      process.exitCode = 0;
      return;
    }
    try {
      process.exitCode = await main(argv);
    } catch (error) {
      process.exitCode = report(spec, error);
    }
  })();
}

/** Prints one line for an error and returns the exit status it deserves. */
function report(spec: CliSpec, error: unknown): ExitStatus {
  if (isUsageError(error)) {
    process.stderr.write(`${spec.name}: ${oneLine(error.message)}\n\n${spec.usage}\n`);
    return 2;
  }
  if (isStorageError(error)) {
    const message = error.message.startsWith(`${error.code}:`) ? error.message : `${error.code}: ${error.message}`;
    process.stderr.write(`${spec.name}: ${oneLine(message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  process.stderr.write(`${spec.name}: ${typeof code === 'string' && !message.startsWith(code) ? `${code}: ` : ''}${oneLine(message)}\n`);
  return 1;
}

function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** parseArgs messages run on ("… To specify a positional argument …"): the first sentence names the problem. */
function oneLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/\. To specify a positional argument starting with a '-'.*$/, '.')
    .trim();
}

let pipeGuardInstalled = false;

/**
 * A reader that goes away (`| head -1`) makes the next write fail with EPIPE, emitted on
 * the stream: without a listener Node throws it as an uncaught exception with a stack
 * trace. The reader has all it wanted, so the command ends quietly with status 0.
 */
function quietOnClosedPipe(): void {
  if (pipeGuardInstalled) return;
  pipeGuardInstalled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

/**
 * Parses a non-negative integer option (`--from 10`), throwing a `UsageError` that names
 * the option when the text is not one.
 */
export function parseCount(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--${option} must be a non-negative integer, got '${value}'`);
  return n;
}

export { createProgress, plural, readPackageVersion, requirePath, type PathKind, type Progress, type ProgressStream } from './cli-helpers.js';
