#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createProgress, plural, readPackageVersion, requirePath, runCli, UsageError } from '@store/backend-core/cli';
import { VectorFile } from './vector-file.js';

const USAGE = `usage: vector-file <command> <file> [args] [options]

commands:
  stats    <file> [--json]       vectors, dimension, bytes, what opening found
  get      <file> <id>           the vector stored under <id> as one JSON line
  verify   <file>                check every record's checksum; exit 1 if anything is wrong
  compact  <file>                rewrite the file with only its live vectors (takes the writer lock)

options:
  -h, --help     this text
  -v, --version  the package version

exit codes: 0 ok, 1 problems found or an error, 2 usage error`;

const COMMANDS: Record<string, number> = { stats: 0, get: 1, verify: 0, compact: 0 };

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      // runCli answers --version; -v is this CLI's own short form of it.
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command === undefined) throw new UsageError('expected a command');
  const extra = COMMANDS[command];
  if (extra === undefined) throw new UsageError(`unknown command '${command}'`);
  if (file === undefined) throw new UsageError(`${command} needs a file`);
  if (rest.length !== extra) throw new UsageError(extra === 0 ? `${command} takes only a file` : `${command} takes a file and an id`);
  if (values.json && command !== 'stats') throw new UsageError('--json applies to stats only');
  requirePath(file, 'file', 'vector file');
  switch (command) {
    case 'stats':
      return stats(file, values.json);
    case 'get':
      return get(file, rest[0]!);
    case 'verify':
      return verify(file);
    default:
      return compact(file);
  }
}

async function stats(file: string, json: boolean): Promise<number> {
  await using vf = await VectorFile.open(file, { readOnly: true });
  const s = await vf.stats();
  if (json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const r = s.recovery;
  const lines = [
    `file        ${s.path}`,
    `vectors     ${s.count}`,
    `dimension   ${s.dimension}`,
    `bytes       ${s.fileBytes}`,
    `index       ${r.index}${r.indexProblem === undefined ? '' : ` (${r.indexProblem})`}`,
  ];
  if (r.tornTail !== undefined) lines.push(`torn tail   ${r.tornTail.bytes} bytes at offset ${r.tornTail.offset}: ${r.tornTail.reason}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function get(file: string, id: string): Promise<number> {
  await using vf = await VectorFile.open(file, { readOnly: true });
  const r = await vf.get(id);
  if (r === undefined) {
    process.stderr.write(`vector-file: no vector with id '${id}'\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify({ ...r, vector: Array.from(r.vector) })}\n`);
  return 0;
}

async function verify(file: string): Promise<number> {
  await using vf = await VectorFile.open(file, { readOnly: true, repair: true });
  const report = await vf.verify();
  for (const p of report.problems) process.stdout.write(`PROBLEM offset ${p.offset}: ${p.reason}\n`);
  process.stdout.write(`${plural(report.records, 'record')} (${plural(report.live, 'live vector')}), ${plural(report.bytes, 'byte')} checked, ${plural(report.problems.length, 'problem')}\n`);
  return report.problems.length === 0 ? 0 : 1;
}

async function compact(file: string): Promise<number> {
  await using vf = await VectorFile.open(file);
  const progress = createProgress();
  const result = await vf.compact({
    onProgress: (done, total) => progress.update(`compacting ${file}: ${total === 0 ? 100 : Math.floor((100 * done) / total)}%`),
  });
  progress.done();
  process.stdout.write(`${plural(result.vectors, 'vector')}, ${result.bytesBefore} -> ${plural(result.bytesAfter, 'byte')}\n`);
  return 0;
}

const VERSION = readPackageVersion(new URL('../package.json', import.meta.url));

void runCli({ name: 'vector-file', version: VERSION, usage: USAGE }, main);
