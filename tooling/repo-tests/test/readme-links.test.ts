import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, trackedFiles } from './repo-files.js';

// Every relative link in a Markdown file must lead to a file in the repository: a README
// that cites a document we do not ship sends a newcomer nowhere (issue 12, item 4).
const markdown = trackedFiles().filter((f) => f.endsWith('.md') && !f.startsWith('.changeset/') && !f.endsWith('CHANGELOG.md'));

/** `[text](target)` and `![alt](target)` outside code fences and inline code. */
function relativeLinks(text: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      links.push({ target, line: i + 1 });
    }
  });
  return links;
}

/** True for an existing path inside the repository (`../shared` is not shipped with a clone). */
function insideRepo(resolved: string): boolean {
  return (resolved === repoRoot || resolved.startsWith(repoRoot + path.sep)) && existsSync(resolved);
}

/**
 * Documents named in prose or inline code (`DESIGN.md`, `docs/x.md`), outside code fences.
 * CHANGELOG.md is generated at release time and exempt.
 */
function namedDocuments(text: string): { name: string; line: number }[] {
  const names: { name: string; line: number }[] = [];
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) return;
    for (const m of line.matchAll(/(?<![\w/.-])([\w./-]*[\w-]\.md)\b/g)) {
      const name = m[1]!;
      // A document is named in capitals (DESIGN.md) or by a path; `notes.tfevents.md` in
      // prose is an example file name, not a reference.
      const isDocument = /^[A-Z][A-Z0-9_-]*\.md$/.test(path.basename(name)) || name.includes('/');
      if (isDocument && path.basename(name) !== 'CHANGELOG.md' && !/^https?:/.test(name)) names.push({ name, line: i + 1 });
    }
  });
  return names;
}

describe('Markdown links', () => {
  it('finds the Markdown files', () => {
    expect(markdown).toContain('README.md');
    expect(markdown.length).toBeGreaterThan(4);
  });

  it.each(markdown)('%s: every relative link resolves inside the repository', (file) => {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    const broken = relativeLinks(text)
      .filter(({ target }) => {
        return !insideRepo(path.resolve(repoRoot, path.dirname(file), decodeURIComponent(target.split('#')[0]!)));
      })
      .map(({ target, line }) => `${file}:${line} → ${target}`);
    expect(broken).toEqual([]);
  });

  it.each(markdown)('%s: every document it names (*.md) is in the repository', (file) => {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    const missing = namedDocuments(text)
      .filter(({ name }) => ![path.dirname(file), '.'].some((dir) => insideRepo(path.resolve(repoRoot, dir, name))))
      .map(({ name, line }) => `${file}:${line} names ${name}`);
    expect(missing).toEqual([]);
  });

  it('catches a link to a missing file (self-check)', () => {
    expect(relativeLinks('see [design](DESIGN.md) and [x](#anchor) and `[y](z.md)`')).toEqual([{ target: 'DESIGN.md', line: 1 }]);
    expect(namedDocuments('as DESIGN.md says, and `../x/PROVENANCE.md`, not notes.tfevents.md\n```\nREADME.md\n```')).toEqual([
      { name: 'DESIGN.md', line: 1 },
      { name: '../x/PROVENANCE.md', line: 1 },
    ]);
  });
});
