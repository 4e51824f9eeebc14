#!/usr/bin/env node
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isStorageError } from '@store/backend-core';
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
  -h, --help`;

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

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      tag: { type: 'string' },
      'skip-corrupt': { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, target] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined || target === undefined || positionals.length > 2) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const warn = (e: Error): void => {
    process.stderr.write(`warning: ${e.message}\n`);
  };
  // A file of a run that is not an event file is reported and the rest is read (TensorBoard does the same).
  const onBadFile = (e: Error): void => {
    process.stderr.write(`warning: skipped, not an event file: ${e.message}\n`);
  };
  const readOptions = values['skip-corrupt'] ? { onCorrupt: 'skip' as const, onCorruptRecord: warn, onBadFile } : { onBadFile };
  const isDir = (await stat(target)).isDirectory();
  switch (command) {
    case 'inspect': {
      const runs = isDir ? await listRuns(target) : [null];
      const report: Record<string, { files: number; events: number; tags: Record<string, TagSummary> }> = {};
      let failed = false;
      for (const run of runs) {
        const source = run === null ? readEvents(target, readOptions) : readRun(path.join(target, run), readOptions);
        const files = new Set<string>();
        const tags: Record<string, TagSummary> = {};
        let events = 0;
        try {
          for await (const e of source) {
            events++;
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
          process.stderr.write(`tfevents: ${error.message}\n`);
        }
        report[run ?? target] = { files: files.size, events, tags };
      }
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const [run, r] of Object.entries(report)) {
          process.stdout.write(`run ${run}: ${r.files} file(s), ${r.events} event(s)\n`);
          for (const [tag, s] of Object.entries(r.tags)) {
            const when = `${new Date(s.firstWallTime * 1000).toISOString()} .. ${new Date(s.lastWallTime * 1000).toISOString()}`;
            process.stdout.write(`  ${tag}  ${s.kind}  count=${s.count}  steps=${s.minStep}..${s.maxStep}  ${when}\n`);
          }
        }
      }
      return failed ? 1 : 0;
    }
    case 'cat': {
      const source = isDir ? readRun(target, readOptions) : readEvents(target, readOptions);
      for await (const e of source) {
        if (values.tag !== undefined && !('tag' in e && e.tag === values.tag)) continue;
        if (!process.stdout.write(`${toJson(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
      }
      return 0;
    }
    case 'verify': {
      const files = isDir ? await allEventFiles(target) : [target];
      let failed = false;
      for (const file of files) {
        const r = await verifyFile(file);
        if (r.corrupt.length > 0) {
          failed = true;
          process.stdout.write(`CORRUPT ${file}: ${r.records} valid record(s), ${r.corrupt.length} damaged\n`);
          for (const e of r.corrupt) process.stdout.write(`  offset ${e.offset}: ${e.message}\n`);
        } else {
          process.stdout.write(`ok ${file}: ${r.records} record(s)\n`);
        }
        if (r.tornTailBytes > 0) {
          if (values.strict) failed = true;
          process.stdout.write(`  incomplete last record at offset ${r.tornTailOffset} (${r.tornTailBytes} bytes): a file still being written, or cut short\n`);
        }
      }
      return failed ? 1 : 0;
    }
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tfevents: ${isStorageError(error) ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
