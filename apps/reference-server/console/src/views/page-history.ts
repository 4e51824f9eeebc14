/**
 * A page's version history with a line diff between two versions. The mvcc routes have no
 * history call, but the store's commit log is the truth about what committed and carries
 * every committed version's full text (mvcc-pages README, "Commit log"): it is read
 * through the files API (`mvcc/.mvcc/commits.log`, read-only there) in Range chunks up to
 * its end (the first NUL: the file is kept preallocated with zeros). A line without its
 * checksum field is a torn tail of a commit in progress and is left out. The diff is
 * jsdiff's line diff of the version files' text (deterministic, pretty-printed JSON).
 */
import { diffLines } from 'diff';
import { ApiError, errorText, request } from '../api.js';
import { h, labelled, message, replace, select } from '../dom.js';

const LOG = '/v1/files/mvcc/.mvcc/commits.log';
const CHUNK = 256 * 1024;

export interface Version {
  seq: number;
  tsn: number;
  time: string;
  /** The version file's text; '' when the entry is the namespace's deletion. */
  text: string;
  deleted: boolean;
}

interface LogLine {
  seq: number;
  tsn: number;
  time: string;
  deletes?: string[];
  writes?: Array<{ ns: string; page: number; text: string }>;
}

/** The commit log's text up to its first NUL, read a chunk at a time; '' when there is no log yet. */
async function readLog(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (let at = 0; ; at += CHUNK) {
    let res: Response;
    try {
      res = await request(LOG, { headers: { range: `bytes=${at}-${at + CHUNK - 1}` } });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 416)) break;
      throw e;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const nul = bytes.indexOf(0);
    chunks.push(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    if (nul >= 0 || bytes.length < CHUNK || res.status === 200) break;
  }
  return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

/** The committed versions of `ns`/`page`, oldest first, from the commit log's text. */
export function versionsOf(log: string, ns: string, page: string): Version[] {
  const pageNo = Number(page.slice(4));
  const out: Version[] = [];
  for (const raw of log.split('\n')) {
    const tab = raw.lastIndexOf('\t');
    if (tab < 0 || !/^[0-9a-f]{8}$/.test(raw.slice(tab + 1))) continue;
    let line: LogLine;
    try {
      line = JSON.parse(raw.slice(0, tab)) as LogLine;
    } catch {
      continue;
    }
    // Deletes apply before writes within a line (mvcc-pages README).
    if ((line.deletes ?? []).some((d) => ns === d || ns.startsWith(`${d}.`))) out.push({ seq: line.seq, tsn: line.tsn, time: line.time, text: '', deleted: true });
    for (const w of line.writes ?? []) if (w.ns === ns && w.page === pageNo) out.push({ seq: line.seq, tsn: line.tsn, time: line.time, text: w.text, deleted: false });
  }
  return out;
}

const label = (v: Version): string => `seq ${v.seq} (tsn ${v.tsn})${v.deleted ? ', namespace deleted' : ''}`;

/** The diff of two texts as lines marked `+`/`-`/` ` inside <ins>/<del> (so it reads without colour too). */
function renderDiff(from: string, to: string): HTMLElement {
  const pre = h('pre', { class: 'diff', 'aria-label': 'Diff' });
  for (const part of diffLines(from, to)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    const mark = part.added ? '+ ' : part.removed ? '- ' : '  ';
    const text = lines.map((l) => mark + l).join('\n') + '\n';
    pre.append(part.added ? h('ins', {}, text) : part.removed ? h('del', {}, text) : h('span', { class: 'same' }, text));
  }
  return pre;
}

/** The History panel of one page: its versions, and the diff between two chosen ones. */
export function historyPanel(ns: string, page: string): { element: HTMLElement; reload: () => Promise<void> } {
  const body = h('div', { 'aria-live': 'polite' }, message('Loading…'));
  const reload = async (): Promise<void> => {
    try {
      const versions = versionsOf(await readLog(), ns, page);
      if (versions.length === 0) {
        replace(body, message('No committed version of this page.'));
        return;
      }
      const options = versions.map((v, i): [string, string] => [String(i), label(v)]);
      let from = Math.max(0, versions.length - 2);
      let to = versions.length - 1;
      const diffBox = h('div', {});
      const show = (): void => {
        const a = versions[from]!;
        const b = versions[to]!;
        replace(diffBox, from === to ? h('pre', { class: 'diff', 'aria-label': 'Diff' }, b.text) : renderDiff(a.text, b.text));
      };
      const fromSelect = select(options, String(from), (v) => ((from = Number(v)), show()));
      const toSelect = select(options, String(to), (v) => ((to = Number(v)), show()));
      fromSelect.setAttribute('aria-label', 'From version');
      toSelect.setAttribute('aria-label', 'To version');
      replace(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table', 'aria-label': 'Versions' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'commit seq'), h('th', { scope: 'col', class: 'num' }, 'tsn'), h('th', { scope: 'col' }, 'committed'), h('th', { scope: 'col' }, 'change'))),
            h(
              'tbody',
              {},
              ...versions.map((v, i) =>
                h('tr', {}, h('td', { class: 'num' }, v.seq), h('td', { class: 'num' }, v.tsn), h('td', { class: 'mono' }, v.time), h('td', {}, v.deleted ? 'namespace deleted' : i === 0 || versions[i - 1]!.deleted ? 'created' : 'updated')),
              ),
            ),
          ),
        ),
        h('div', { class: 'toolbar' }, labelled('Compare', fromSelect), labelled('with', toSelect)),
        diffBox,
      );
      show();
    } catch (e) {
      replace(body, message(`Could not read the history: ${errorText(e)}`, 'error'));
    }
  };
  return { element: h('section', { class: 'panel', 'aria-labelledby': 'history-h' }, h('h3', { id: 'history-h' }, 'History'), body), reload };
}
