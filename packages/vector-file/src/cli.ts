#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isStorageError } from '@store/backend-core';
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
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command === undefined) return usage('expected a command');
  const extra = COMMANDS[command];
  if (extra === undefined) return usage(`unknown command '${command}'`);
  if (file === undefined) return usage(`${command} needs a file`);
  if (rest.length !== extra) return usage(extra === 0 ? `${command} takes only a file` : `${command} takes a file and an id`);
  if (values.json && command !== 'stats') return usage('--json applies to stats only');
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

function usage(problem: string): number {
  process.stderr.write(`vector-file: ${problem}\n\n${USAGE}\n`);
  return 2;
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
  process.stdout.write(`${report.records} records (${report.live} live vectors), ${report.bytes} bytes checked, ${report.problems.length} problems\n`);
  return report.problems.length === 0 ? 0 : 1;
}

async function compact(file: string): Promise<number> {
  await using vf = await VectorFile.open(file);
  const tty = process.stderr.isTTY === true;
  const result = await vf.compact({
    onProgress: tty ? (done, total) => process.stderr.write(`\rcompacting ${file}: ${total === 0 ? 100 : Math.floor((100 * done) / total)}%`) : undefined,
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${result.vectors} vectors, ${result.bytesBefore} -> ${result.bytesAfter} bytes\n`);
  return 0;
}

// A closed pipe (`vector-file get … | head -c1`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`vector-file: ${isStorageError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
