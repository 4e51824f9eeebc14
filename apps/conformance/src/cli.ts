import { constants, existsSync } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { StorageError, type StorageBackend } from '@store/backend-core';
import { readPackageVersion, requirePath, runCli, UsageError } from '@store/backend-core/cli';
import type { ConformanceTarget } from './case.js';
import { formatJUnit, formatJson, formatResultLine, formatSummaryLine, summarize } from './report.js';
import { runConformance, selectCases, unknownIds } from './runner.js';

const USAGE = `Usage: store-conformance (--module FILE | --backend fs|memory | --url URL) [options]

Runs the StorageBackend conformance suite and reports every case.

Target (one of):
  --module FILE      a module exporting createBackend(location) (or a default function)
  --backend NAME     a built-in backend: fs (FilesystemBackend) or memory (MemoryBackend)
  --url URL          a reference server (store-server): cases run over HTTP, each
                     under its own key prefix conformance-<time>-<pid>/<case dir>

Options:
  --name NAME        the target's name in reports (default: the module path or backend name)
  --location DIR     where case directories are made (default: the OS temp directory)
  --token TOKEN      bearer token for --url (env STORE_TOKEN)
  --only IDS         comma-separated case ids or prefixes, e.g. SB-PATH,SB-CRASH-01
  --json             print the report (or --list) as JSON instead of text
  --junit FILE       also write a JUnit XML report to FILE
  --timeout MS       per-case time limit (default 120000)
  --keep             keep case directories (for debugging)
  --list             list the cases and exit
  -h, --help         show this help
  --version          print the version

Exit status: 0 when no case failed (inconclusive cases do not fail a run), 1 when any
failed, 2 on a usage error.`;

const BUILTIN: Record<string, string> = {
  fs: fileURLToPath(new URL('./targets/filesystem.js', import.meta.url)),
  memory: fileURLToPath(new URL('./targets/memory.js', import.meta.url)),
};

const OPTIONS = {
  module: { type: 'string' },
  backend: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  name: { type: 'string' },
  location: { type: 'string' },
  only: { type: 'string' },
  json: { type: 'boolean', default: false },
  junit: { type: 'string' },
  timeout: { type: 'string' },
  keep: { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>['values'];

/**
 * The one place where options become the backend under test. Each target source is one
 * entry: a new source (e.g. a server URL) adds its option to OPTIONS and USAGE and one
 * branch here returning a ConformanceTarget; nothing else in the CLI knows about sources.
 */
async function targetFromOptions(values: Values): Promise<ConformanceTarget> {
  const sources = (['module', 'backend', 'url'] as const).filter((k) => values[k] !== undefined);
  if (sources.length !== 1) throw new UsageError('Give exactly one of --module, --backend or --url.');
  let modulePath: string;
  let defaultName: string;
  if (values.url !== undefined) {
    const problem = httpTargetProblem(values.url);
    if (problem !== undefined) throw new UsageError(problem);
    // The http target (and the crash case's child process) reads these.
    process.env.STORE_CONFORMANCE_URL = values.url;
    process.env.STORE_CONFORMANCE_PREFIX = `conformance-${Date.now()}-${process.pid}`;
    const token = values.token ?? process.env.STORE_TOKEN;
    if (token !== undefined) process.env.STORE_CONFORMANCE_TOKEN = token;
    if (!(await serverCanRename(values.url, process.env.STORE_CONFORMANCE_PREFIX, token))) process.env.STORE_CONFORMANCE_RENAME = '0';
    modulePath = HTTP_TARGET;
    defaultName = values.url;
  } else if (values.backend !== undefined) {
    const builtin = BUILTIN[values.backend];
    if (builtin === undefined) throw new UsageError(`Unknown --backend '${values.backend}'; choose one of: ${Object.keys(BUILTIN).join(', ')}`);
    modulePath = builtin;
    defaultName = values.backend;
  } else {
    requirePath(values.module!, 'file', 'module file (--module)');
    modulePath = path.resolve(values.module!);
    defaultName = path.relative(process.cwd(), modulePath) || modulePath;
  }
  try {
    return await loadTarget(modulePath, values.name ?? defaultName);
  } catch (error) {
    throw new Error(`Cannot load ${modulePath}: ${oneLine(error)}`);
  }
}

/**
 * Asks the server whether its backend renames: a rename of a key that does not exist is
 * 404 on a server that can (nothing changes) and 501 on one that cannot (a server on S3).
 * Unreachable servers count as able; the cases then report the connection error.
 */
async function serverCanRename(url: string, prefix: string, token: string | undefined): Promise<boolean> {
  const base = `${url.replace(/\/+$/, '')}/v1/files/${prefix}`;
  try {
    const response = await fetch(`${base}/rename-probe?to=${encodeURIComponent(`${prefix}/rename-probe-to`)}`, {
      method: 'POST',
      headers: token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    await response.body?.cancel();
    return response.status !== 501;
  } catch {
    return true;
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** Runs a check of the command line; a StorageError from it becomes a usage error (exit 2) that keeps its code and path. */
async function asUsageError<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof StorageError) throw new UsageError(error.message);
    throw error;
  }
}

/** Refuses, before any case runs, an output file that cannot be written, naming the path and the code. */
async function checkOutputPath(file: string, option: string): Promise<string> {
  const resolved = path.resolve(file);
  const parent = path.dirname(resolved);
  requirePath(parent, 'directory', `directory for ${option} ${file}`);
  if (isDirectory(resolved)) throw new StorageError('EISDIR', `${option}: is a directory`, { path: file });
  try {
    await access(parent, constants.W_OK);
  } catch {
    throw new StorageError('EACCES', `${option}: the directory ${parent} is not writable`, { path: file });
  }
  return resolved;
}

function isDirectory(p: string): boolean {
  try {
    return requirePath(p).isDirectory;
  } catch {
    return false;
  }
}

function parseOnly(values: Values): string[] | undefined {
  if (values.only === undefined) return undefined;
  const only = values.only.split(',').map((s) => s.trim());
  const unknown = unknownIds(only);
  if (only.every((s) => s === '')) throw new UsageError('--only needs at least one case id or prefix; see --list');
  if (unknown.length > 0) throw new UsageError(`--only: no case matches ${unknown.map((u) => (u === '' ? "''" : u)).join(', ')}; see --list`);
  return only;
}

/**
 * Runs the CLI under the shared conventions (`@store/backend-core/cli`): --help and
 * --version, usage errors exit 2 with the usage, failures one line exit 1, quiet on a
 * closed pipe. The process exit status is set when it resolves.
 */
export function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  return runCli({ name: 'store-conformance', version: readPackageVersion(new URL('../package.json', import.meta.url)), usage: USAGE }, run, argv);
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  const only = parseOnly(values);
  if (values.list) {
    const cases = selectCases({ only });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(cases.map((c) => ({ id: c.id, title: c.title, contract: c.contract, requires: c.requires ?? [], needsModule: c.needsModule === true })), null, 2)}\n`);
    } else {
      for (const c of cases) console.log(`${c.id.padEnd(13)} ${c.title}\n              ${c.contract}`);
    }
    return 0;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new UsageError(`--timeout must be a positive whole number of milliseconds, got '${values.timeout}'`);
  }
  // Every check of the command line comes before the first case runs.
  // An output path that cannot be used is a mistake in the command line (issue 11): exit 2,
  // one line with the code and the path, and nothing run.
  const junit = values.junit === undefined ? undefined : await asUsageError(() => checkOutputPath(values.junit!, '--junit'));
  // A missing --location is made (cases are written there); a file in its place is refused here.
  if (values.location !== undefined && existsSync(values.location)) await asUsageError(async () => requirePath(values.location!, 'directory', 'directory for --location'));
  const target = await targetFromOptions(values);
  const name = target.name ?? 'backend';
  if (!values.json) console.log(`StorageBackend conformance: ${name}${values.location ? ` (cases under ${path.resolve(values.location)})` : ''}`);
  const results = await runConformance(target, {
    ...(only === undefined ? {} : { only }),
    ...(values.location === undefined ? {} : { baseDir: values.location }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    keep: values.keep,
    onResult: values.json ? undefined : (r) => console.log(formatResultLine(r)),
  });
  if (values.json) process.stdout.write(formatJson(results, name));
  else console.log(`\n${formatSummaryLine(results)}`);
  if (junit !== undefined) await writeFile(junit, formatJUnit(results, name));
  return summarize(results).failed > 0 ? 1 : 0;
}

const HTTP_TARGET = fileURLToPath(new URL('./targets/http.js', import.meta.url));

function httpTargetProblem(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : `--url must be an http(s) URL, got '${url}'`;
  } catch {
    return `--url is not a URL: '${url}'`;
  }
}

export async function loadTarget(modulePath: string, name: string): Promise<ConformanceTarget> {
  type Factory = (location: string) => StorageBackend | Promise<StorageBackend>;
  const mod = (await import(pathToFileURL(modulePath).href)) as { createBackend?: Factory; default?: Factory };
  const create = mod.createBackend ?? mod.default;
  if (typeof create !== 'function') throw new Error('the module exports neither createBackend(location) nor a default function');
  return { name, create, module: modulePath };
}
