#!/usr/bin/env node
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StorageError } from '@store/backend-core';
import { createProgress, parseCount, plural, readPackageVersion, requirePath, runCli, UsageError } from '@store/backend-core/cli';
import { EventLog } from './event-log.js';
import { META_FILE, parseSegmentFileName } from './format.js';

const USAGE = `usage: eventlog <command> <directory> [options]

commands:
  stats   <dir> [--json]                 segments, events, ids, recovery findings
  cat     <dir> [--from N] [--to M]      events with from <= id < to, one per line
                [--format text|json|hex|base64] [--follow]
  verify  <dir>                          check every record; exit 1 if anything is wrong
  repair  <dir>                          cut torn tails, drop damaged records, rebuild indexes

options:
  -h, --help     this text
  --version      the package version

Every command needs an existing log: a missing directory is an error and nothing is
created. Progress is shown on stderr when it is a terminal.

exit codes: 0 ok, 1 problems found or an error, 2 usage error`;

type Format = 'text' | 'json' | 'hex' | 'base64';

const COMMANDS = new Set(['stats', 'cat', 'verify', 'repair']);
const FORMATS = new Set(['text', 'json', 'hex', 'base64']);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      follow: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, dir, ...extra] = positionals;
  if (command === undefined) throw new UsageError('expected a command: stats, cat, verify or repair');
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command '${command}'`);
  if (dir === undefined) throw new UsageError(`${command} needs a log directory`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (command !== 'cat' && (values.from !== undefined || values.to !== undefined || values.format !== undefined || values.follow)) {
    throw new UsageError('--from, --to, --format and --follow go with cat');
  }
  if (values.json && command !== 'stats') throw new UsageError('--json goes with stats');
  const from = values.from === undefined ? 0 : parseCount(values.from, 'from');
  const to = values.to === undefined ? Number.POSITIVE_INFINITY : parseCount(values.to, 'to');
  const format = values.format ?? 'text';
  if (!FORMATS.has(format)) throw new UsageError(`unknown --format '${format}'; choose text, json, hex or base64`);
  requireLog(dir);
  switch (command) {
    case 'stats':
      return stats(dir, values.json);
    case 'cat':
      return cat(dir, from, to, format as Format, values.follow);
    case 'verify':
      return verify(dir);
    default:
      return repair(dir);
  }
}

/**
 * An existing directory holding a log (a segment or meta.json), checked before anything
 * is opened: `repair` opens for writing, which would otherwise start a new, empty log.
 */
function requireLog(dir: string): void {
  requirePath(dir, 'directory', 'log directory');
  const names = readdirSync(dir);
  if (!names.includes(META_FILE) && names.every((n) => parseSegmentFileName(n) === undefined)) {
    throw new StorageError('ENOENT', 'no event log here (no meta.json, no segment files)', { path: dir });
  }
}

async function stats(dir: string, json: boolean): Promise<number> {
  await using log = await EventLog.open(dir, { readOnly: true });
  const s = await log.stats();
  if (json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `directory      ${s.directory}`,
    `segments       ${s.segments} (${s.localSegments} local, ${s.archivedSegments} archived)`,
    `events         ${s.events}`,
    `bytes          ${s.bytes}`,
    `oldest id      ${s.oldestEventId ?? '-'}`,
    `newest id      ${s.newestEventId ?? '-'}`,
    `next id        ${s.nextId}`,
  ];
  for (const d of s.damaged) lines.push(`damaged        ${d.segment} at offset ${d.offset}: ${d.reason}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function cat(dir: string, from: number, to: number, format: Format, follow: boolean): Promise<number> {
  await using log = await EventLog.open(dir, { readOnly: true });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const out: string[] = [];
  const flush = (): void => {
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  };
  try {
    for await (const batch of log.iterBatches(from, to, { follow, signal: controller.signal })) {
      for (const e of batch) out.push(formatEvent(e.id, e.data, format));
      flush();
    }
  } catch (error) {
    if (controller.signal.aborted) return 0;
    throw error;
  }
  flush();
  return 0;
}

// ignoreBOM: a leading U+FEFF is part of the event's data, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function formatEvent(id: number, data: Uint8Array, format: Format): string {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (format) {
    case 'hex':
      return `${id}\t${bytes.toString('hex')}`;
    case 'base64':
      return `${id}\t${bytes.toString('base64')}`;
    case 'json': {
      try {
        return JSON.stringify({ id, data: utf8.decode(bytes) });
      } catch {
        return JSON.stringify({ id, base64: bytes.toString('base64') });
      }
    }
    case 'text':
      return `${id}\t${bytes.toString('utf8')}`;
  }
}

async function verify(dir: string): Promise<number> {
  await using log = await EventLog.open(dir, { readOnly: true });
  const progress = createProgress();
  const report = await log.verify({ onProgress: (done, total) => progress.update(`verifying ${dir}: segment ${done + 1} of ${total}`) });
  progress.done();
  for (const p of report.problems) process.stdout.write(`PROBLEM ${p.segment} offset ${p.offset}: ${p.reason}\n`);
  process.stdout.write(`${plural(report.segmentsChecked, 'segment')}, ${plural(report.recordsChecked, 'record')} checked, ${plural(report.problems.length, 'problem')}\n`);
  return report.problems.length === 0 ? 0 : 1;
}

async function repair(dir: string): Promise<number> {
  const progress = createProgress();
  progress.update(`repairing ${dir}: reading every segment`);
  await using log = await EventLog.open(dir, { repair: true }).finally(() => progress.done());
  const { recovery, events, segments } = await log.stats();
  for (const t of recovery.truncated) process.stdout.write(`truncated ${t.segment} at ${t.offset} (${plural(t.droppedBytes, 'byte')} of torn tail)\n`);
  for (const p of recovery.repaired) process.stdout.write(`${p.action} ${p.segment} at ${p.offset} (${plural(p.droppedBytes, 'byte')}): ${p.reason}\n`);
  for (const name of recovery.rebuiltIndexes) process.stdout.write(`rebuilt index ${name}\n`);
  const fixed = recovery.truncated.length + recovery.repaired.length;
  process.stdout.write(`${plural(segments, 'segment')}, ${plural(events, 'event')}, ${fixed === 0 ? 'nothing to repair' : `${plural(fixed, 'problem')} fixed`}\n`);
  return 0;
}

void runCli({ name: 'eventlog', version: readPackageVersion(new URL('../package.json', import.meta.url)), usage: USAGE }, main);
