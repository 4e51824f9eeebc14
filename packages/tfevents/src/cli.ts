#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StorageError, isStorageError } from '@store/backend-core';
import { createProgress, plural, readPackageVersion, requirePath, runCli, UsageError } from '@store/backend-core/cli';
import { listEventFiles, listRuns, readEvents, readRun } from './reader.js';
import type { TfEvent } from './types.js';
import { verifyFile } from './verify.js';

const USAGE = `Usage: tfevents <command> <file|dir> [options]

Commands:
  inspect <file|dir>   tags, kinds, counts, step and time ranges (a dir: every run under it)
  cat <file|dir>       events as JSON lines (a dir: that run's files in name order)
  verify <file|dir>    check every record CRC; exit 1 if anything is corrupt

Options:
  --json               inspect: print JSON instead of a table
  --tag <tag>          cat: only events with this tag
  --skip-corrupt       inspect/cat: skip damaged records (reported on stderr) instead of failing
  --strict             verify: also fail on a torn (incomplete) last record
  -h, --help           this text
  --version            the package version

Progress is shown on stderr when it is a terminal. A path that does not exist, or a
directory without event files, is an error; nothing is ever created or changed.

Exit status: 0 ok, 1 damage found or an error, 2 usage error.`;

const COMMANDS = new Set(['inspect', 'cat', 'verify']);

interface TagSummary {
  kind: string;
  count: number;
  firstStep: number;
  lastStep: number;
  minStep: number;
  maxStep: number;
  firstWallTime: number;
  lastWallTime: number;
}

interface Values {
  json?: boolean;
  tag?: string;
  'skip-corrupt'?: boolean;
  strict?: boolean;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      tag: { type: 'string' },
      'skip-corrupt': { type: 'boolean' },
      strict: { type: 'boolean' },
    },
  });
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw new UsageError('expected a command: inspect, cat or verify');
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command '${command}'`);
  if (target === undefined) throw new UsageError(`${command} needs a file or directory`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (values.json && command !== 'inspect') throw new UsageError('--json goes with inspect');
  if (values.tag !== undefined && command !== 'cat') throw new UsageError('--tag goes with cat');
  if (values.strict && command !== 'verify') throw new UsageError('--strict goes with verify');
  if (values['skip-corrupt'] && command === 'verify') throw new UsageError('--skip-corrupt goes with inspect and cat (verify reports every damaged record anyway)');
  const { isDirectory } = requirePath(target, 'any', 'event file or log directory');
  switch (command) {
    case 'inspect':
      return inspect(target, isDirectory, values);
    case 'cat':
      return cat(target, isDirectory, values);
    default:
      return verify(target, isDirectory, values.strict === true);
  }
}

function readOptionsOf(values: Values): Parameters<typeof readEvents>[1] {
  const warn = (e: Error): void => {
    process.stderr.write(`tfevents: warning: ${e.message}\n`);
  };
  // A file of a run that is not an event file is reported and the rest is read (TensorBoard does the same).
  const onBadFile = (e: Error): void => {
    process.stderr.write(`tfevents: warning: skipped, not an event file: ${e.message}\n`);
  };
  return values['skip-corrupt'] ? { onCorrupt: 'skip' as const, onCorruptRecord: warn, onBadFile } : { onBadFile };
}

/** A directory with no event file under it is an error: a typo must not pass as "nothing wrong". */
function noEventFiles(dir: string, runs: string[] = []): StorageError {
  const hint = runs.length === 0 ? 'no event files under this directory' : `no event files in this directory; its runs: ${runs.slice(0, 5).join(', ')}${runs.length > 5 ? ', …' : ''}`;
  return new StorageError('ENOENT', hint, { path: dir });
}

async function inspect(target: string, isDirectory: boolean, values: Values): Promise<number> {
  const runs = isDirectory ? await listRuns(target) : [null];
  if (runs.length === 0) throw noEventFiles(target);
  const readOptions = readOptionsOf(values);
  const progress = createProgress();
  const report: Record<string, { files: number; events: number; tags: Record<string, TagSummary> }> = {};
  let failed = false;
  for (const [i, run] of runs.entries()) {
    const name = run ?? target;
    const source = run === null ? readEvents(target, readOptions) : readRun(path.join(target, run), readOptions);
    const files = new Set<string>();
    const tags: Record<string, TagSummary> = {};
    let events = 0;
    progress.update(`reading ${name}${runs.length > 1 ? ` (run ${i + 1} of ${runs.length})` : ''}`);
    try {
      for await (const e of source) {
        events++;
        if ((events & 0xfff) === 0) progress.update(`reading ${name}${runs.length > 1 ? ` (run ${i + 1} of ${runs.length})` : ''}: ${plural(events, 'event')}`);
        files.add(e.file);
        const tag = 'tag' in e ? e.tag : `(${e.kind})`;
        const s = (tags[tag] ??= { kind: e.kind, count: 0, firstStep: e.step, lastStep: e.step, minStep: e.step, maxStep: e.step, firstWallTime: e.wallTime, lastWallTime: e.wallTime });
        s.count++;
        s.lastStep = e.step;
        s.minStep = Math.min(s.minStep, e.step);
        s.maxStep = Math.max(s.maxStep, e.step);
        s.lastWallTime = e.wallTime;
      }
    } catch (error) {
      // What was read before the damage is still reported; the other runs are still read.
      if (!isStorageError(error)) throw error;
      failed = true;
      progress.done();
      process.stderr.write(`tfevents: ${error.message}\n`);
    }
    report[name] = { files: files.size, events, tags };
  }
  progress.done();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const [run, r] of Object.entries(report)) {
      process.stdout.write(`run ${run}: ${plural(r.files, 'file')}, ${plural(r.events, 'event')}\n`);
      for (const [tag, s] of Object.entries(r.tags)) {
        const when = `${new Date(s.firstWallTime * 1000).toISOString()} .. ${new Date(s.lastWallTime * 1000).toISOString()}`;
        process.stdout.write(`  ${tag}  ${s.kind}  count=${s.count}  steps=${s.minStep}..${s.maxStep}  ${when}\n`);
      }
    }
  }
  return failed ? 1 : 0;
}

async function cat(target: string, isDirectory: boolean, values: Values): Promise<number> {
  if (isDirectory && (await listEventFiles(target)).length === 0) throw noEventFiles(target, await listRuns(target));
  const readOptions = readOptionsOf(values);
  const source = isDirectory ? readRun(target, readOptions) : readEvents(target, readOptions);
  for await (const e of source) {
    if (values.tag !== undefined && !('tag' in e && e.tag === values.tag)) continue;
    if (!process.stdout.write(`${toJson(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
  }
  return 0;
}

/**
 * Each file gets one line whose first word is its verdict (ok, CORRUPT, TORN under
 * --strict, EMPTY), then one summary line; the exit status is 1 exactly when a verdict
 * other than ok was printed.
 */
async function verify(target: string, isDirectory: boolean, strict: boolean): Promise<number> {
  const files = isDirectory ? await allEventFiles(target) : [target];
  if (files.length === 0) throw noEventFiles(target);
  const progress = createProgress();
  let failedFiles = 0;
  let records = 0;
  for (const [i, file] of files.entries()) {
    progress.update(`verifying ${i + 1} of ${plural(files.length, 'file')}: ${file}`);
    const r = await verifyFile(file);
    progress.done();
    records += r.records;
    const torn = r.tornTailBytes > 0;
    const tornNote = `  incomplete last record at offset ${r.tornTailOffset} (${plural(r.tornTailBytes, 'byte')}): a file still being written, or cut short\n`;
    if (r.corrupt.length > 0) {
      failedFiles++;
      process.stdout.write(`CORRUPT ${file}: ${plural(r.records, 'valid record')}, ${r.corrupt.length} damaged\n`);
      for (const e of r.corrupt) process.stdout.write(`  offset ${e.offset}: ${e.message}\n`);
      if (torn) process.stdout.write(tornNote);
    } else if (r.records === 0) {
      // Every event file starts with a complete file_version record; without one this is not an event file (yet).
      failedFiles++;
      process.stdout.write(`EMPTY ${file}: no complete record in ${plural(r.tornTailBytes, 'byte')}; not an event file, or one whose first record was never finished\n`);
    } else if (torn && strict) {
      failedFiles++;
      process.stdout.write(`TORN ${file}: ${plural(r.records, 'record')} before an incomplete last record (--strict)\n${tornNote}`);
    } else {
      process.stdout.write(`ok ${file}: ${plural(r.records, 'record')}\n${torn ? tornNote : ''}`);
    }
  }
  const verdict = failedFiles === 0 ? 'all ok' : `${failedFiles} failed`;
  process.stdout.write(`${plural(files.length, 'file')}, ${plural(records, 'record')} verified: ${verdict}\n`);
  return failedFiles === 0 ? 0 : 1;
}

async function allEventFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const run of await listRuns(dir)) {
    for (const name of await listEventFiles(path.join(dir, run))) out.push(path.join(dir, run, name));
  }
  return out;
}

function toJson(event: TfEvent): string {
  return JSON.stringify(event, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  });
}

void runCli({ name: 'tfevents', version: readPackageVersion(new URL('../package.json', import.meta.url)), usage: USAGE }, main);
