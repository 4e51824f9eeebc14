import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fromNodeError, isStorageError } from '@store/backend-core';
import { PREALLOC_BYTES, encodeLine, type CommitLog } from './commit-log.js';
import { fdatasync, fsyncDir } from './fs-util.js';
import { readPeers } from './registry.js';
import type { Version, VersionIndex } from './version-index.js';

export interface CompactStats {
  /** False when there was nothing to fold (no commit below every open snapshot beyond the last checkpoint), or another process switched the log first. */
  compacted: boolean;
  /** Seq of the last commit folded into the checkpoint (the new file's first line). */
  checkpoint: number;
  /** Valid bytes of the log before and after (preallocated zeros not counted). */
  bytesBefore: number;
  bytesAfter: number;
  /** Version files that were CRC-checked and fsynced because the log no longer holds their text. */
  filesSynced: number;
}

export interface CompactionContext {
  root: string;
  meta: string;
  log: CommitLog;
  /** Reads new log lines (following a switch) and returns the index. */
  refresh: () => VersionIndex;
  registryToken: string;
  /** Snapshots of this store's open transactions. */
  snapshots: () => number[];
  /** The version's text checked against its CRC, restored from the log (and the file rewritten) if damaged. */
  versionText: (ns: string, page: number, v: Version) => Promise<string>;
  versionFile: (ns: string, page: number, tsn: number) => string;
  /** Takes the commit lock; resolves to its release. */
  lock: () => Promise<() => Promise<void>>;
}

/** Name of the next generation while it is written; a leftover of a killed compaction is overwritten by the next one. */
export const NEXT_LOG = 'commits.log.next';

/**
 * Compacts `.mvcc/commits.log` into a new generation:
 *
 * 1. Without the lock: B = the lowest snapshot any live store has or may still open (its
 *    published horizon and listed snapshots, this store's own) and at most the newest
 *    commit. Every page version visible at B whose text only the log holds is read back,
 *    checked against its CRC (restored from the log if damaged), fdatasynced, and its
 *    folder and every folder above it fsynced: from now on the file is the only copy.
 * 2. Under the commit lock (no commit can append meanwhile): if the log is still the file
 *    step 1 looked at, write `commits.log.next` = checkpoint line (state after B) + the
 *    exact bytes of the records after B + preallocated zeros, fdatasync it, rename it over
 *    `commits.log`, fsync `.mvcc`. Only then is the lock released, so every later commit
 *    appends to a file whose name is durable.
 *
 * A SIGKILL anywhere leaves either the old log (plus a stray `commits.log.next`) or the new
 * one, each complete: the rename is the switch. Readers in other processes notice the path
 * naming a new inode on their next read and start over from the checkpoint; their open
 * snapshots are all ≥ B, so nothing they can still read was dropped.
 */
export async function compactLog(ctx: CompactionContext): Promise<CompactStats> {
  let index = ctx.refresh();
  const { log } = ctx;
  const bytesBefore = log.size;
  let at = index.end;
  for (const s of ctx.snapshots()) at = Math.min(at, s);
  for (const p of readPeers(path.join(ctx.meta, 'procs'))) {
    if (!p.alive || p.token === ctx.registryToken) continue;
    at = Math.min(at, p.horizon, ...(p.snapshots ?? []));
  }
  const none: CompactStats = { compacted: false, checkpoint: log.base, bytesBefore, bytesAfter: bytesBefore, filesSynced: 0 };
  if (at <= log.base) return none;
  const inode = log.inode;
  const checkpoint = index.checkpointAt(at);

  // 1. Make every folded version's file durable and correct; the log's copy goes away.
  let filesSynced = 0;
  const dirs = new Set<string>();
  for (const p of checkpoint.pages) {
    if (log.inode !== inode) return none; // switched by another process meanwhile
    const v = index.visible(p.ns, p.page, at)!;
    if (v.logOffset === -1) continue; // folded by an earlier compaction, fsynced then
    const file = ctx.versionFile(p.ns, p.page, v.tsn);
    if (!(await makeDurable(ctx, p.ns, p.page, v, file))) continue;
    filesSynced += 1;
    for (let d = path.dirname(file); d.length > ctx.root.length; d = path.dirname(d)) dirs.add(d);
  }
  for (const d of dirs) await fsyncDir(d);
  if (dirs.size > 0) await fsyncDir(ctx.root);

  // 2. Switch under the lock.
  const release = await ctx.lock();
  try {
    index = ctx.refresh();
    if (log.inode !== inode) return none;
    log.cutTornTail();
    const tail = log.bytesFrom(log.lineStart(at + 1) ?? log.size);
    const header = encodeLine(checkpoint);
    const next = path.join(ctx.meta, NEXT_LOG);
    writeWhole(next, [header, tail, Buffer.alloc(PREALLOC_BYTES)]);
    await syncFile(next, path.relative(ctx.root, next));
    try {
      renameSync(next, log.file);
    } catch (error) {
      throw fromNodeError(error, log.file, 'switch commit log');
    }
    await fsyncDir(ctx.meta);
    index = ctx.refresh(); // follows the switch: the index restarts from the checkpoint
    return { compacted: true, checkpoint: at, bytesBefore, bytesAfter: log.size, filesSynced };
  } finally {
    await release();
  }
}

function writeWhole(file: string, parts: Buffer[]): void {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o644);
  } catch (error) {
    throw fromNodeError(error, file, 'create');
  }
  try {
    let pos = 0;
    for (const part of parts) {
      let done = 0;
      while (done < part.length) done += writeSync(fd, part, done, part.length - done, pos + done);
      pos += part.length;
    }
  } catch (error) {
    throw fromNodeError(error, file, 'write');
  } finally {
    closeSync(fd);
  }
}

/**
 * Step 1 for one version: its text checked (or restored from the log) and its file fdatasynced.
 * A cleanup — of this process or another — may remove the file between the two: it removes
 * only versions no open snapshot can see, so the file is written again from the log and
 * synced; when that keeps failing and a newer commit has hidden the version, nothing can
 * read it any more and it needs no file (false). Errors name paths relative to the store.
 */
async function makeDurable(ctx: CompactionContext, ns: string, page: number, v: Version, file: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    await ctx.versionText(ns, page, v);
    try {
      await syncFile(file, path.relative(ctx.root, file));
      return true;
    } catch (error) {
      if (!isStorageError(error, 'ENOENT')) throw error;
      const index = ctx.refresh();
      if (index.visible(ns, page, index.end)?.tsn !== v.tsn) return false;
      if (attempt === 3) throw error;
    }
  }
}

async function syncFile(file: string, shown: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw fromNodeError(error, shown, 'open');
  }
  try {
    await fdatasync(fd);
  } catch (error) {
    throw fromNodeError(error, shown, 'fsync');
  } finally {
    closeSync(fd);
  }
}
