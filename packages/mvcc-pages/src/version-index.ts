import { StorageError } from '@store/backend-core';
import type { Checkpoint, LoggedRecord } from './commit-log.js';

/**
 * What the commit log says, indexed for reads: per namespace, its create/delete events
 * and per page the committed versions in commit order. Built by replaying the log and
 * kept current by reading what other processes appended. Snapshots are commit sequence
 * numbers: snapshot S sees exactly the commits with seq ≤ S.
 */
export interface Version {
  seq: number;
  tsn: number;
  crc: string;
  /** Offset of the commit record holding this version's text; -1 once compacted into a checkpoint (the file was fsynced then). */
  logOffset: number;
}

interface NsEvent {
  seq: number;
  exists: boolean;
}

interface NsEntry {
  events: NsEvent[];
  pages: Map<number, Version[]>;
}

export class VersionIndex {
  readonly #ns = new Map<string, NsEntry>();
  #end = 0;
  #base = 0;
  /** tsn → commit seq, for telling committed TSNs from debris. */
  readonly #committedTsn = new Map<number, number>();

  /** Seq of the last commit applied. */
  get end(): number {
    return this.#end;
  }

  /** Oldest snapshot the index can answer for: the checkpoint it was built from (0 if none). */
  get base(): number {
    return this.#base;
  }

  /** Forgets everything and starts from a checkpoint (or empty): the log was compacted. */
  reset(checkpoint: Checkpoint | undefined): void {
    this.#ns.clear();
    this.#committedTsn.clear();
    this.#base = checkpoint?.checkpoint ?? 0;
    this.#end = this.#base;
    if (checkpoint === undefined) return;
    for (const n of checkpoint.namespaces) this.#entry(n.ns).events.push({ seq: n.seq, exists: n.exists });
    for (const p of checkpoint.pages) {
      this.#entry(p.ns).pages.set(p.page, [{ seq: p.seq, tsn: p.tsn, crc: p.crc, logOffset: -1 }]);
      this.#committedTsn.set(p.tsn, p.seq);
    }
  }

  /**
   * The state after commit `at` as a checkpoint: each namespace's last event, each visible
   * page's version. Versions committed after `at` are not in it (they stay in the log).
   */
  checkpointAt(at: number): Checkpoint {
    this.#check(at);
    const namespaces: Checkpoint['namespaces'] = [];
    const pages: Checkpoint['pages'] = [];
    for (const [ns, entry] of [...this.#ns].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const ev = lastAtOrBefore(entry.events, at);
      if (ev === undefined) continue;
      namespaces.push({ ns, seq: ev.seq, exists: ev.exists });
      if (!ev.exists) continue;
      for (const page of [...entry.pages.keys()].sort((a, b) => a - b)) {
        const v = this.visible(ns, page, at);
        if (v !== undefined) pages.push({ ns, page, seq: v.seq, tsn: v.tsn, crc: v.crc });
      }
    }
    return { checkpoint: at, time: new Date().toISOString(), namespaces, pages };
  }

  /** Snapshots older than the checkpoint cannot be answered: the versions they saw are gone from the log. */
  #check(at: number): void {
    if (at < this.#base) throw new StorageError('ECONFLICT', `snapshot ${at} is older than the compacted commit log (it starts after commit ${this.#base})`, { field: 'snapshot' });
  }

  apply(record: LoggedRecord): void {
    const { seq } = record;
    for (const ns of record.deletes) this.#entry(ns).events.push({ seq, exists: false });
    for (const ns of record.creates) this.#entry(ns).events.push({ seq, exists: true });
    for (const w of record.writes) {
      const entry = this.#entry(w.ns);
      let list = entry.pages.get(w.page);
      if (list === undefined) entry.pages.set(w.page, (list = []));
      list.push({ seq, tsn: record.tsn, crc: w.crc, logOffset: record.offset });
    }
    this.#committedTsn.set(record.tsn, seq);
    this.#end = seq;
  }

  commitSeqOf(tsn: number): number | undefined {
    return this.#committedTsn.get(tsn);
  }

  /** Seq of the namespace's last create/delete at or before `at`, 0 if none. */
  nsState(ns: string, at: number): number {
    this.#check(at);
    const ev = lastAtOrBefore(this.#ns.get(ns)?.events, at);
    return ev?.seq ?? 0;
  }

  nsExists(ns: string, at: number): boolean {
    this.#check(at);
    return lastAtOrBefore(this.#ns.get(ns)?.events, at)?.exists === true;
  }

  /** Namespaces that exist at `at`, sorted. */
  namespaces(at: number): string[] {
    this.#check(at);
    const out: string[] = [];
    for (const [name, entry] of this.#ns) if (lastAtOrBefore(entry.events, at)?.exists === true) out.push(name);
    return out.sort();
  }

  /** Every namespace ever mentioned (for cleanup and verify). */
  allNamespaces(): string[] {
    return [...this.#ns.keys()].sort();
  }

  /** The version of a page visible at `at`, or undefined. */
  visible(ns: string, page: number, at: number): Version | undefined {
    this.#check(at);
    const entry = this.#ns.get(ns);
    if (entry === undefined) return undefined;
    const ev = lastAtOrBefore(entry.events, at);
    if (ev === undefined || !ev.exists) return undefined;
    const v = lastAtOrBefore(entry.pages.get(page), at);
    return v !== undefined && v.seq >= ev.seq ? v : undefined;
  }

  /** Page numbers visible at `at`, ascending. */
  pages(ns: string, at: number): number[] {
    this.#check(at);
    const entry = this.#ns.get(ns);
    if (entry === undefined) return [];
    const out: number[] = [];
    for (const page of entry.pages.keys()) if (this.visible(ns, page, at) !== undefined) out.push(page);
    return out.sort((a, b) => a - b);
  }

  /** Every committed version of a page, oldest first. */
  history(ns: string, page: number): readonly Version[] {
    return this.#ns.get(ns)?.pages.get(page) ?? [];
  }

  /** Every page number a namespace ever had. */
  allPages(ns: string): number[] {
    return [...(this.#ns.get(ns)?.pages.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * Seq of the first commit after `v` that hides it (a newer version of the page, or a
   * delete or re-create of its namespace), or undefined while it is current.
   */
  nextChange(ns: string, page: number, v: Version): number | undefined {
    const entry = this.#ns.get(ns);
    if (entry === undefined) return undefined;
    let next: number | undefined;
    for (const o of entry.pages.get(page) ?? []) if (o.seq > v.seq) next = Math.min(next ?? o.seq, o.seq);
    for (const e of entry.events) if (e.seq > v.seq) next = Math.min(next ?? e.seq, e.seq);
    return next;
  }

  #entry(ns: string): NsEntry {
    let entry = this.#ns.get(ns);
    if (entry === undefined) this.#ns.set(ns, (entry = { events: [], pages: new Map() }));
    return entry;
  }
}

/** The last element with seq ≤ at (lists are in seq order; usually the last one). */
function lastAtOrBefore<T extends { seq: number }>(list: readonly T[] | undefined, at: number): T | undefined {
  if (list === undefined) return undefined;
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.seq <= at) return list[i];
  return undefined;
}
