import * as fs from 'node:fs/promises';
import path from 'node:path';
import type { FormatAdapter, ValueObject } from '@store/format-adapters';
import { writeFileAtomic } from './fs-util.js';
import { namespaceFolder } from './namespace.js';
import { pageName, versionFileName } from './page-id.js';
import type { VersionIndex } from './version-index.js';

/**
 * `.versions.<ext>` in each namespace folder tells a person which version file of each
 * page is current:
 *
 *   { namespace, commit: <seq it reflects>, pages: { page001: { file, tsn, commit } } }
 *
 * It is a view derived from the commit log (the truth), rewritten after each commit that
 * touches the namespace and by cleanup; it is never read back by the store.
 */
export async function writeVersionsFile(root: string, index: VersionIndex, adapter: FormatAdapter, ns: string): Promise<void> {
  const at = index.end;
  const file = path.join(root, namespaceFolder(ns), `.versions.${adapter.extension}`);
  if (!index.nsExists(ns, at)) {
    await fs.unlink(file).catch(() => undefined);
    return;
  }
  const pages: ValueObject = {};
  for (const page of index.pages(ns, at)) {
    const v = index.visible(ns, page, at)!;
    pages[pageName(page)] = { file: versionFileName(page, adapter.extension, v.tsn), tsn: v.tsn, commit: v.seq };
  }
  await writeFileAtomic(file, adapter.serialize({ namespace: ns, commit: at, pages }), { sync: false });
}
