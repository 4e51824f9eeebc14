#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isStorageError } from '@store/backend-core';
import { EventLog } from './event-log.js';

const USAGE = `usage: eventlog <command> <directory> [options]

commands:
  stats   <dir> [--json]                 segments, events, ids, recovery findings
  cat     <dir> [--from N] [--to M]      events with from <= id < to, one per line
                [--format text|json|hex|base64] [--follow]
  verify  <dir>                          check every record; exit 1 if anything is wrong
  repair  <dir>                          cut torn tails, drop damaged records, rebuild indexes

exit codes: 0 ok, 1 problems found or an error, 2 usage error`;

type Format = 'text' | 'json' | 'hex' | 'base64';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'text' },
      follow: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, dir] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined || dir === undefined || positionals.length > 2) return usage('expected a command and a directory');
  switch (command) {
    case 'stats':
      return stats(dir, values.json);
    case 'cat': {
      const from = parseId(values.from, 'from', 0);
      const to = parseId(values.to, 'to', Number.POSITIVE_INFINITY);
      const format = values.format as Format;
      if (from === undefined || to === undefined) return 2;
      if (!['text', 'json', 'hex', 'base64'].includes(format)) return usage(`unknown format '${format}'`);
      return cat(dir, from, to, format, values.follow);
    }
    case 'verify':
      return verify(dir);
    case 'repair':
      return repair(dir);
    default:
      return usage(`unknown command '${command}'`);
  }
}

function usage(problem: string): number {
  process.stderr.write(`eventlog: ${problem}\n\n${USAGE}\n`);
  return 2;
}

function parseId(value: string | undefined, name: string, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    usage(`--${name} must be a non-negative integer, got '${value}'`);
    return undefined;
  }
  return n;
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  const report = await log.verify();
  for (const p of report.problems) process.stdout.write(`PROBLEM ${p.segment} offset ${p.offset}: ${p.reason}\n`);
  process.stdout.write(`${report.segmentsChecked} segments, ${report.recordsChecked} records checked, ${report.problems.length} problems\n`);
  return report.problems.length === 0 ? 0 : 1;
}

async function repair(dir: string): Promise<number> {
  await using log = await EventLog.open(dir, { repair: true });
  const { recovery, events, segments } = await log.stats();
  for (const t of recovery.truncated) process.stdout.write(`truncated ${t.segment} at ${t.offset} (${t.droppedBytes} bytes of torn tail)\n`);
  for (const p of recovery.repaired) process.stdout.write(`${p.action} ${p.segment} at ${p.offset} (${p.droppedBytes} bytes): ${p.reason}\n`);
  for (const name of recovery.rebuiltIndexes) process.stdout.write(`rebuilt index ${name}\n`);
  process.stdout.write(`${segments} segments, ${events} events, ${recovery.truncated.length + recovery.repaired.length} problems fixed\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`eventlog: ${isStorageError(error) ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
