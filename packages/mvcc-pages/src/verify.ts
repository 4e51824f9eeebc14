import { readFileSync } from 'node:fs';
import { crc32c } from '@store/backend-core';
import { hex8 } from './commit-log.js';
import path from 'node:path';
import { isStorageError } from '@store/backend-core';
import type { PageStore } from './page-store.js';
import { pageName } from './page-id.js';

export interface VerifyProblem {
  /** `namespace/pageNNN` or a file. */
  where: string;
  problem: string;
}

export interface VerifyReport {
  commits: number;
  pagesChecked: number;
  /** Current versions whose file was missing or damaged but whose commit record holds them (restored unless read-only). */
  restorable: number;
  problems: VerifyProblem[];
}

/**
 * Checks a store: the commit log parses end to end (checksums, sequence), and the current
 * version of every page of every namespace has its file with the checksum its commit
 * recorded (or can be rewritten from the commit record). Reads only.
 */
export async function verifyStore(store: PageStore): Promise<VerifyReport> {
  const report: VerifyReport = { commits: 0, pagesChecked: 0, restorable: 0, problems: [] };
  const index = store.index;
  report.commits = index.end;
  for (const ns of index.namespaces(index.end)) {
    for (const page of index.pages(ns, index.end)) {
      const v = index.visible(ns, page, index.end)!;
      report.pagesChecked += 1;
      const file = store.versionFile(ns, page, v.tsn);
      let intact = false;
      try {
        intact = hex8(crc32c(readFileSync(file))) === v.crc;
      } catch {
        intact = false;
      }
      try {
        await store.versionText(ns, page, v);
        if (!intact) report.restorable += 1;
      } catch (error) {
        report.problems.push({
          where: `${ns}/${pageName(page)} (${path.relative(store.root, file)})`,
          problem: isStorageError(error) ? error.message : String(error),
        });
      }
    }
  }
  return report;
}
