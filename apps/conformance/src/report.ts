import { XMLBuilder } from 'fast-xml-parser';
import type { CaseResult } from './case.js';

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  inconclusive: number;
  durationMs: number;
}

export function summarize(results: readonly CaseResult[]): Summary {
  const count = (status: CaseResult['status']): number => results.filter((r) => r.status === status).length;
  return {
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    inconclusive: count('inconclusive'),
    durationMs: results.reduce((sum, r) => sum + r.durationMs, 0),
  };
}

const MARK = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP', inconclusive: 'INCONCLUSIVE' } as const;

export function formatResultLine(r: CaseResult): string {
  const head = `${MARK[r.status]} ${r.id.padEnd(13)} ${r.title} (${r.durationMs} ms)`;
  return r.reason === undefined ? head : `${head}\n     ${r.status === 'failed' ? 'reason' : 'why'}: ${r.reason}\n     contract: ${r.contract}`;
}

/** The closing line, in the plain `N passed, N failed` form CI log readers understand. */
export function formatSummaryLine(results: readonly CaseResult[]): string {
  const s = summarize(results);
  return `conformance: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.inconclusive > 0 ? `, ${s.inconclusive} inconclusive` : ''}`;
}

export function formatText(results: readonly CaseResult[], targetName: string): string {
  return [`StorageBackend conformance: ${targetName}`, ...results.map(formatResultLine), '', formatSummaryLine(results)].join('\n');
}

export function formatJson(results: readonly CaseResult[], targetName: string): string {
  return `${JSON.stringify({ target: targetName, summary: summarize(results), results }, null, 2)}\n`;
}

/** Characters XML 1.0 cannot carry at all (a backend's error may echo a NUL key back). */
const NOT_XML = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function xmlSafe(text: string): string {
  return text.replace(NOT_XML, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** JUnit XML, the format CI systems ingest: one testsuite, one testcase per case. */
export function formatJUnit(results: readonly CaseResult[], targetName: string): string {
  const s = summarize(results);
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true });
  const testcase = results.map((r) => ({
    '@_classname': `conformance.${targetName}`,
    '@_name': `${r.id} ${r.title}`,
    '@_time': (r.durationMs / 1000).toFixed(3),
    ...(r.status === 'failed' ? { failure: { '@_message': xmlSafe(r.reason ?? 'failed'), '#text': `contract: ${r.contract}` } } : {}),
    ...(r.status === 'skipped' ? { skipped: { '@_message': xmlSafe(r.reason ?? 'skipped') } } : {}),
    // JUnit has no "inconclusive": a skip whose message says so, so CI neither fails nor counts it passed.
    ...(r.status === 'inconclusive' ? { skipped: { '@_message': xmlSafe(`inconclusive: ${r.reason ?? ''}`) } } : {}),
  }));
  const xml = builder.build({
    testsuites: {
      testsuite: {
        '@_name': `StorageBackend conformance: ${targetName}`,
        '@_tests': results.length,
        '@_failures': s.failed,
        '@_skipped': s.skipped + s.inconclusive,
        '@_errors': 0,
        '@_time': (s.durationMs / 1000).toFixed(3),
        testcase,
      },
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}
