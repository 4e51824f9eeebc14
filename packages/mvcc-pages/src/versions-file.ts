import { readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { FormatAdapter, ValueObject } from '@store/format-adapters';
import { writeFileAtomicSync } from './fs-util.js';
import { namespaceFolder } from './namespace.js';
import { pageName, versionFileName } from './page-id.js';
import type { VersionIndex } from './version-index.js';

/**
 * `.versions.<ext>` in each namespace folder tells a person which version file of each
 * page is current:
 *
 *   { namespace, commit: <seq it reflects>, pages: { page001: { file, tsn, commit } } }
 *
 * It is a view derived from the commit log (the truth), rewritten (temp + rename, not
 * fsynced) about 50 ms after commits that touch the namespace, on close and by cleanup;
 * `commit` says which commit it reflects. The store never reads it back.
 */
export function writeVersionsFile(root: string, index: VersionIndex, adapter: FormatAdapter, ns: string): void {
  const at = index.end;
  const file = path.join(root, namespaceFolder(ns), `.versions.${adapter.extension}`);
  if (!index.nsExists(ns, at)) {
    try {
      unlinkSync(file);
    } catch {
      // not there
    }
    return;
  }
  // Another process may have written a newer view meanwhile: never replace it with an older one.
  try {
    const current = adapter.deserialize(readFileSync(file, 'utf8')) as { commit?: unknown };
    if (typeof current.commit === 'number' && current.commit >= at) return;
  } catch {
    // missing or unreadable: write ours
  }
  const pages: ValueObject = {};
  for (const page of index.pages(ns, at)) {
    const v = index.visible(ns, page, at)!;
    pages[pageName(page)] = { file: versionFileName(page, adapter.extension, v.tsn), tsn: v.tsn, commit: v.seq };
  }
  writeFileAtomicSync(file, adapter.serialize({ namespace: ns, commit: at, pages }));
}
