/**
 * A serializability checker over a recorded history (Adya's direct serialization graph).
 * Each committed transaction lists the version (writer TSN, 0 = the initial absent
 * version) of every page it read and the pages it wrote. The version order of a page is
 * the commit order of its writers. Edges: ww (a writer to the next writer of a page),
 * wr (the writer of a version to its readers), rw (a reader of a version to the writer
 * of the next version). The history is serializable iff the graph has no cycle.
 */
export interface HistoryTxn {
  tsn: number;
  /** Commit order. */
  seq: number;
  /** page key → TSN of the version read (0 = read as absent). */
  reads: Record<string, number>;
  writes: string[];
}

export interface CheckResult {
  edges: number;
  /** TSNs along a cycle, if one was found. */
  cycle: number[] | undefined;
  /** Reads of versions no committed transaction wrote (dirty or aborted reads). */
  badReads: string[];
}

export function checkHistory(txns: HistoryTxn[]): CheckResult {
  const byTsn = new Map(txns.map((t) => [t.tsn, t]));
  const order = new Map<string, number[]>(); // key → writer tsns in commit order
  for (const t of [...txns].sort((a, b) => a.seq - b.seq)) {
    for (const k of t.writes) {
      let list = order.get(k);
      if (list === undefined) order.set(k, (list = []));
      list.push(t.tsn);
    }
  }
  const adj = new Map<number, Set<number>>(txns.map((t) => [t.tsn, new Set<number>()]));
  let edges = 0;
  const edge = (from: number, to: number): void => {
    if (from === to) return;
    const set = adj.get(from)!;
    if (!set.has(to)) {
      set.add(to);
      edges += 1;
    }
  };
  for (const list of order.values()) for (let i = 1; i < list.length; i++) edge(list[i - 1]!, list[i]!);
  const badReads: string[] = [];
  for (const t of txns) {
    for (const [k, readTsn] of Object.entries(t.reads)) {
      const list = order.get(k) ?? [];
      let next: number | undefined;
      if (readTsn === 0) {
        next = list[0];
      } else {
        const i = list.indexOf(readTsn);
        if (i === -1 || !byTsn.has(readTsn)) {
          badReads.push(`${t.tsn} read ${k}@${readTsn}`);
          continue;
        }
        edge(readTsn, t.tsn);
        next = list[i + 1];
      }
      if (next !== undefined) edge(t.tsn, next);
    }
  }
  return { edges, cycle: findCycle(adj), badReads };
}

/** Iterative DFS; returns the nodes of one cycle or undefined. */
function findCycle(adj: Map<number, Set<number>>): number[] | undefined {
  const state = new Map<number, 1 | 2>(); // 1 on stack, 2 done
  for (const start of adj.keys()) {
    if (state.has(start)) continue;
    const stack: { node: number; it: Iterator<number> }[] = [{ node: start, it: adj.get(start)!.values() }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const step = top.it.next();
      if (step.done) {
        state.set(top.node, 2);
        stack.pop();
        continue;
      }
      const n = step.value;
      const s = state.get(n);
      if (s === 1) {
        const from = stack.findIndex((f) => f.node === n);
        return stack.slice(from).map((f) => f.node);
      }
      if (s === undefined) {
        state.set(n, 1);
        stack.push({ node: n, it: adj.get(n)!.values() });
      }
    }
  }
  return undefined;
}
