import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { StorageBackend } from '@store/backend-core';
import type { ConformanceTarget } from './case.js';
import { formatJUnit, formatJson, formatResultLine, formatSummaryLine, summarize } from './report.js';
import { runConformance, selectCases } from './runner.js';

const USAGE = `Usage: store-conformance (--module FILE | --backend fs|memory | --url URL) [options]

Runs the StorageBackend conformance suite and reports every case.

Target (one of):
  --module FILE      a module exporting createBackend(location) (or a default function)
  --backend NAME     a built-in backend: fs (FilesystemBackend) or memory (MemoryBackend)
  --url URL          a reference server (store-server): cases run over HTTP, each
                     under its own key prefix conformance-<time>-<pid>/<case dir>

Options:
  --location DIR     where case directories are made (default: the OS temp directory)
  --token TOKEN      bearer token for --url (env STORE_TOKEN)
  --only IDS         comma-separated case ids or prefixes, e.g. SB-PATH,SB-CRASH-01
  --json             print the report as JSON instead of text
  --junit FILE       also write a JUnit XML report to FILE
  --timeout MS       per-case time limit (default 120000)
  --keep             keep case directories (for debugging)
  --list             list the cases and exit
  -h, --help         show this help

Exit status: 0 when no case failed, 1 when any failed, 2 on a usage error.`;

const BUILTIN: Record<string, string> = {
  fs: fileURLToPath(new URL('./targets/filesystem.js', import.meta.url)),
  memory: fileURLToPath(new URL('./targets/memory.js', import.meta.url)),
};

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        module: { type: 'string' },
        backend: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        location: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        junit: { type: 'string' },
        timeout: { type: 'string' },
        keep: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  if (values.list) {
    for (const c of selectCases({ only })) console.log(`${c.id.padEnd(13)} ${c.title}\n              ${c.contract}`);
    return 0;
  }
  if (selectCases({ only }).length === 0) {
    console.error(`--only ${values.only} matches no case; see --list`);
    return 2;
  }
  const chosen = [values.module, values.backend, values.url].filter((v) => v !== undefined);
  if (chosen.length !== 1) {
    console.error(`Give exactly one of --module, --backend or --url.\n\n${USAGE}`);
    return 2;
  }
  let modulePath: string;
  if (values.url !== undefined) {
    const problem = httpTargetProblem(values.url);
    if (problem !== undefined) {
      console.error(`${problem}\n\n${USAGE}`);
      return 2;
    }
    // The http target (and the crash case's child process) reads these.
    process.env.STORE_CONFORMANCE_URL = values.url;
    process.env.STORE_CONFORMANCE_PREFIX = `conformance-${Date.now()}-${process.pid}`;
    const token = values.token ?? process.env.STORE_TOKEN;
    if (token !== undefined) process.env.STORE_CONFORMANCE_TOKEN = token;
    modulePath = HTTP_TARGET;
  } else if (values.backend !== undefined) {
    const builtin = BUILTIN[values.backend];
    if (builtin === undefined) {
      console.error(`Unknown --backend '${values.backend}'; choose one of: ${Object.keys(BUILTIN).join(', ')}`);
      return 2;
    }
    modulePath = builtin;
  } else {
    modulePath = path.resolve(values.module!);
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    console.error(`--timeout must be a positive whole number of milliseconds, got '${values.timeout}'`);
    return 2;
  }

  let target: ConformanceTarget;
  try {
    target = await loadTarget(modulePath, values.url ?? values.backend ?? path.basename(modulePath));
  } catch (error) {
    console.error(`Cannot load ${modulePath}: ${(error as Error).message}`);
    return 2;
  }
  const name = target.name ?? 'backend';
  if (!values.json) console.log(`StorageBackend conformance: ${name}${values.location ? ` (cases under ${path.resolve(values.location)})` : ''}`);
  const results = await runConformance(target, {
    only,
    ...(values.location === undefined ? {} : { baseDir: values.location }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    keep: values.keep,
    onResult: values.json ? undefined : (r) => console.log(formatResultLine(r)),
  });
  if (values.json) {
    process.stdout.write(formatJson(results, name));
  } else {
    console.log(`\n${formatSummaryLine(results)}`);
  }
  if (values.junit !== undefined) await writeFile(values.junit, formatJUnit(results, name));
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
