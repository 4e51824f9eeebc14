#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseCount, plural, readPackageVersion, requirePath, runCli, UsageError } from '@store/backend-core/cli';
import { PageStore } from './page-store.js';
import { pageName, pageNumber } from './page-id.js';
import { parseNamespace } from './namespace.js';
import { readPeers } from './registry.js';
import { verifyStore } from './verify.js';
import path from 'node:path';

const USAGE = `usage: mvcc-pages <command> <store-dir> [arguments] [options]

commands:
  inspect <dir> [--json]                    namespaces, pages and their current versions
  page    <dir> <namespace> <page> [--at SEQ | --tsn TSN]
                                            a page's file as of a commit (default: newest)
  cleanup <dir> [--json]                    remove versions no snapshot can see and debris
  compact <dir> [--json]                    fold old commits of .mvcc/commits.log into a checkpoint
  verify  <dir>                             check the commit log and every current page file

options:
  --json        machine-readable output
  --at SEQ      the state after commit SEQ
  --tsn TSN     the state right after transaction TSN committed
  -h, --help    this text
  --version     the package version

exit codes: 0 ok, 1 problems found or an error, 2 usage error`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      at: { type: 'string' },
      tsn: { type: 'string' },
    },
  });
  const [command, dir, ...rest] = positionals;
  if (command === undefined) throw new UsageError('expected a command');
  if (!['inspect', 'page', 'cleanup', 'compact', 'verify'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  if (dir === undefined) throw new UsageError(`${command} needs a store directory`);
  const wantArgs = command === 'page' ? 2 : 0;
  if (rest.length !== wantArgs) throw new UsageError(command === 'page' ? 'page needs <namespace> <page>' : `unexpected argument '${rest[0]}'`);
  if (command !== 'page' && (values.at !== undefined || values.tsn !== undefined)) throw new UsageError('--at and --tsn go with the page command');
  requirePath(dir, 'directory', 'store directory');
  switch (command) {
    case 'inspect':
      return inspect(dir, values.json);
    case 'page':
      return page(dir, rest[0]!, rest[1]!, values.at, values.tsn);
    case 'cleanup':
      return cleanup(dir, values.json);
    case 'compact':
      return compact(dir, values.json);
    default:
      return verify(dir);
  }
}

function out(text: string): void {
  process.stdout.write(text);
}

async function inspect(dir: string, json: boolean): Promise<number> {
  await using store = await PageStore.open(dir, { readOnly: true });
  const index = store.index;
  const at = index.end;
  const namespaces = index.namespaces(at).map((ns) => ({
    namespace: ns,
    pages: index.pages(ns, at).map((p) => {
      const v = index.visible(ns, p, at)!;
      return { page: pageName(p), tsn: v.tsn, commit: v.seq, file: path.relative(store.root, store.versionFile(ns, p, v.tsn)), versions: index.history(ns, p).length };
    }),
  }));
  const processes = readPeers(path.join(store.root, '.mvcc', 'procs')).map((p) => ({ pid: p.owner.pid, host: p.owner.hostname, alive: p.alive, horizon: p.horizon }));
  if (json) {
    out(`${JSON.stringify({ root: store.root, format: store.config.format, durability: store.config.durability, commits: at, namespaces, processes }, null, 2)}\n`);
    return 0;
  }
  const lines = [`store       ${store.root}`, `format      ${store.config.format} (durability ${store.config.durability})`, `commits     ${at}`, `namespaces  ${namespaces.length}`];
  for (const n of namespaces) {
    lines.push(`  ${n.namespace}  (${n.pages.length} pages)`);
    for (const p of n.pages) lines.push(`    ${p.page}  tsn ${p.tsn}  commit ${p.commit}  ${p.file}${p.versions > 1 ? `  (${p.versions} versions committed)` : ''}`);
  }
  for (const p of processes) lines.push(`process     pid ${p.pid} on ${p.host}: ${p.alive ? 'open' : 'dead (cleanup removes it)'}`);
  out(`${lines.join('\n')}\n`);
  return 0;
}

async function page(dir: string, ns: string, pageId: string, atText: string | undefined, tsnText: string | undefined): Promise<number> {
  if (atText !== undefined && tsnText !== undefined) throw new UsageError('give --at or --tsn, not both');
  try {
    parseNamespace(ns);
    pageNumber(pageId);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^EINVAL: /, ''));
  }
  const atArg = atText === undefined ? undefined : parseCount(atText, 'at');
  const tsnArg = tsnText === undefined ? undefined : parseCount(tsnText, 'tsn');
  await using store = await PageStore.open(dir, { readOnly: true });
  const index = store.index;
  let at = atArg ?? index.end;
  if (tsnArg !== undefined) {
    const seq = index.commitSeqOf(tsnArg);
    if (seq === undefined) throw new Error(`transaction ${tsnArg} did not commit`);
    at = seq;
  }
  if (at > index.end) throw new Error(`commit ${at} does not exist (newest is ${index.end})`);
  const p = pageNumber(pageId);
  const v = index.visible(ns, p, at);
  if (v === undefined) throw new Error(`${ns}/${pageName(p)} does not exist at commit ${at}`);
  out(await store.versionText(ns, p, v)); // checked against the commit's CRC32C
  return 0;
}

async function cleanup(dir: string, json: boolean): Promise<number> {
  // Only an existing store is cleaned: opening it read-only first fails on anything else.
  await (await PageStore.open(dir, { readOnly: true })).close();
  await using store = await PageStore.open(dir);
  const stats = await store.cleanup();
  if (json) out(`${JSON.stringify(stats, null, 2)}\n`);
  else out(`removed ${stats.versionsRemoved} old versions, ${stats.debrisRemoved} uncommitted versions, ${stats.tempFilesRemoved} temp files, ${stats.foldersRemoved} folders; ${stats.bytesReclaimed} bytes reclaimed; ${stats.deadProcesses} dead processes forgotten; ${stats.failures} failures\n`);
  return stats.failures === 0 ? 0 : 1;
}

async function compact(dir: string, json: boolean): Promise<number> {
  await (await PageStore.open(dir, { readOnly: true })).close();
  await using store = await PageStore.open(dir);
  const stats = await store.compactLog();
  if (json) out(`${JSON.stringify(stats, null, 2)}\n`);
  else if (stats.compacted) out(`commits up to ${stats.checkpoint} folded into a checkpoint: log ${stats.bytesBefore} → ${stats.bytesAfter} bytes, ${stats.filesSynced} page files fsynced\n`);
  else out(`nothing to compact: the log starts after commit ${stats.checkpoint} and an open snapshot or the newest commit is not past it\n`);
  return 0;
}

async function verify(dir: string): Promise<number> {
  await using store = await PageStore.open(dir, { readOnly: true });
  const report = await verifyStore(store);
  for (const p of report.problems) out(`PROBLEM ${p.where}: ${p.problem}\n`);
  out(`${plural(report.commits, 'commit')}, ${plural(report.pagesChecked, 'current page')} checked, ${report.restorable} restorable from the log, ${plural(report.problems.length, 'problem')}\n`);
  return report.problems.length === 0 ? 0 : 1;
}

void runCli({ name: 'mvcc-pages', version: readPackageVersion(new URL('../package.json', import.meta.url)), usage: USAGE }, main);
