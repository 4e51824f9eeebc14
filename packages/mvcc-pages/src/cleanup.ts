import { readdirSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import type { FormatAdapter } from '@store/format-adapters';
import { TEMP_MARK } from './fs-util.js';
import { parseNamespace } from './namespace.js';
import { parseVersionFileName } from './page-id.js';
import { forgetPeer, readPeers } from './registry.js';
import { readCounter } from './tsn-allocator.js';
import type { VersionIndex } from './version-index.js';
import { writeVersionsFile } from './versions-file.js';

export interface CleanupStats {
  /** Committed versions no live or future snapshot can see, removed. */
  versionsRemoved: number;
  /** Version files of transactions that never committed (rolled back, or their process died), removed. */
  debrisRemoved: number;
  /** Orphaned temp files removed. */
  tempFilesRemoved: number;
  /** Folders of deleted namespaces removed once empty. */
  foldersRemoved: number;
  /** Bytes of all files removed. */
  bytesReclaimed: number;
  /** Registrations of dead processes removed. */
  deadProcesses: number;
  /** Files that could not be removed (logged). */
  failures: number;
  /** Every open store's snapshots were listed or at or above this commit seq. */
  horizon: number;
  /** Whether this run also compacted the commit log (it had reached `compactLogBytes`). */
  logCompacted: boolean;
}

export interface CleanupContext {
  store: { readonly index: VersionIndex; readonly config: { format: string } };
  root: string;
  meta: string;
  adapter: FormatAdapter;
  registryToken: string;
  /** Snapshots of this store's open transactions. */
  snapshots: () => number[];
  activeTsns: () => Set<number>;
  log: (message: string) => void;
}

/** Temp files younger than this may belong to a write in flight. */
const TEMP_MIN_AGE_MS = 60_000;

/**
 * One cleanup pass. Safe beside running transactions in any process: a committed version
 * (visible from its commit until the next change of its page or namespace) is removed
 * only if that change is at or below every store's published horizon and no listed
 * snapshot falls inside its lifetime; an uncommitted one only if its TSN was handed out (below the counter, read before
 * the registrations) to no live store and the log, re-read afterwards, does not have it.
 */
export async function runCleanup(ctx: CleanupContext): Promise<CleanupStats> {
  const stats: CleanupStats = { versionsRemoved: 0, debrisRemoved: 0, tempFilesRemoved: 0, foldersRemoved: 0, bytesReclaimed: 0, deadProcesses: 0, failures: 0, horizon: 0, logCompacted: false };
  let index = ctx.store.index;
  const counter = readCounter(ctx.meta);
  const peers = readPeers(path.join(ctx.meta, 'procs'));
  // Snapshots that may be open: each live store's listed ones, and any at or above its horizon.
  let horizon = index.end;
  const snapshots = [...ctx.snapshots()];
  for (const p of peers) {
    if (!p.alive || p.token === ctx.registryToken) continue;
    horizon = Math.min(horizon, p.horizon);
    snapshots.push(...(p.snapshots ?? []));
  }
  stats.horizon = horizon;
  /** A version live from commit `from` until the change at `until` is seen by no possible snapshot. */
  const hidden = (from: number, until: number | undefined): boolean => until !== undefined && until <= horizon && !snapshots.some((s) => s >= from && s < until);
  const ownBlocks = peers.find((p) => p.token === ctx.registryToken)?.blocks ?? [];
  const liveBlocks = peers.filter((p) => p.alive && p.token !== ctx.registryToken).flatMap((p) => p.blocks);
  const active = ctx.activeTsns();
  const inBlocks = (tsn: number, blocks: [number, number][]): boolean => blocks.some(([a, b]) => tsn >= a && tsn < b);

  const remove = async (file: string, kind: 'versionsRemoved' | 'debrisRemoved' | 'tempFilesRemoved'): Promise<void> => {
    try {
      const size = statSync(file).size;
      await fs.unlink(file);
      stats[kind] += 1;
      stats.bytesReclaimed += size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      stats.failures += 1;
      ctx.log(`cleanup could not remove ${path.relative(ctx.root, file)}: ${(error as Error).message}`);
    }
  };

  const suspects: { file: string; tsn: number }[] = [];
  const folders: { dir: string; ns: string }[] = [];
  for (const { dir, ns } of namespaceFolders(ctx.root)) {
    folders.push({ dir, ns });
    for (const name of safeList(dir)) {
      const file = path.join(dir, name);
      if (name.startsWith(TEMP_MARK)) {
        const age = Date.now() - (safeStat(file)?.mtimeMs ?? Date.now());
        if (age > TEMP_MIN_AGE_MS) await remove(file, 'tempFilesRemoved');
        continue;
      }
      const parsed = parseVersionFileName(name);
      if (parsed === undefined || parsed.ext !== ctx.store.config.format) continue;
      const seq = index.commitSeqOf(parsed.tsn);
      if (seq !== undefined) {
        const v = index.history(ns, parsed.page).find((x) => x.tsn === parsed.tsn);
        if (v === undefined) await remove(file, 'debrisRemoved');
        else if (hidden(v.seq, index.nextChange(ns, parsed.page, v))) await remove(file, 'versionsRemoved');
        continue;
      }
      if (parsed.tsn >= counter) continue; // handed out after we read the registrations
      if (inBlocks(parsed.tsn, ownBlocks) ? active.has(parsed.tsn) : inBlocks(parsed.tsn, liveBlocks)) continue;
      suspects.push({ file, tsn: parsed.tsn });
    }
  }
  // Owners of the suspects are dead or done; whatever they committed is in the log by now.
  index = ctx.store.index;
  for (const s of suspects) if (index.commitSeqOf(s.tsn) === undefined) await remove(s.file, 'debrisRemoved');

  for (const p of peers) {
    if (p.alive) continue;
    forgetPeer(p);
    stats.deadProcesses += 1;
  }

  for (const { dir, ns } of folders.reverse()) {
    if (index.nsExists(ns, index.end)) {
      try {
        writeVersionsFile(ctx.root, index, ctx.adapter, ns);
      } catch (error) {
        ctx.log(`cleanup could not write .versions of ${ns}: ${String(error)}`);
      }
      continue;
    }
    // Folder of a deleted (or never committed) namespace: remove once nothing is left in it.
    // A writer makes the folder of a new namespace and then, a few awaits later (fsyncs),
    // creates its version file in it, so a young empty folder of a namespace the log has
    // never named may be one a transaction is about to write into: it waits a minute. (A
    // writer whose folder is removed anyway makes it again.)
    const left = safeList(dir).filter((n) => !n.startsWith('.versions.'));
    if (left.length > 0 || index.allNamespaces().some((n) => n.startsWith(`${ns}.`) && index.nsExists(n, index.end))) continue;
    const young = Date.now() - (safeStat(dir)?.mtimeMs ?? Date.now()) <= TEMP_MIN_AGE_MS;
    if (young && !index.allNamespaces().includes(ns)) continue;
    try {
      for (const n of safeList(dir)) await fs.unlink(path.join(dir, n));
      await fs.rmdir(dir);
      stats.foldersRemoved += 1;
    } catch {
      // a transaction started using it again; fine
    }
  }
  return stats;
}

/** Every folder below `root` that could be a namespace, deepest last; `.mvcc` and dot-folders skipped. */
function namespaceFolders(root: string): { dir: string; ns: string }[] {
  const out: { dir: string; ns: string }[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const ns = prefix === '' ? e.name : `${prefix}.${e.name}`;
      try {
        if (parseNamespace(e.name).length !== 1) continue; // a dotted name is no namespace segment
        parseNamespace(ns);
      } catch {
        continue;
      }
      const sub = path.join(dir, e.name);
      out.push({ dir: sub, ns });
      walk(sub, ns);
    }
  };
  walk(root, '');
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeStat(file: string): { mtimeMs: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
