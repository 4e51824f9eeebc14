import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes committed version files after their commit, off the commit path (durability
 * 'commit'). The commit record, fsynced before `commit` resolves, holds each page's text,
 * so the file is a copy for people and for fast reads: a file that is not written yet
 * (or was lost in a crash) is read from the log and rewritten by whoever needs it
 * (`PageStore.versionText`). Files are created exclusively (`wx`): a version's text is
 * fixed by its TSN, so an existing file was written by a reader that restored it from the
 * log, whole (temp + rename), and is left alone. Not fsynced — a crash loses at most
 * files the log can rebuild.
 */
export interface PendingVersion {
  file: string;
  text: string;
  /** False once a newer commit hid it: nobody current needs the file, so it is skipped. */
  stillCurrent: () => boolean;
}

/** Queue length at which superseded entries are dropped (then twice the live ones). */
const PRUNE_AT = 1024;

export class VersionWriter {
  readonly #pending: PendingVersion[] = [];
  readonly #onError: (message: string) => void;
  #pruneAt = PRUNE_AT;
  #running: Promise<void> = Promise.resolve();

  constructor(onError: (message: string) => void) {
    this.#onError = onError;
  }

  add(version: PendingVersion): void {
    this.#pending.push(version);
    // Commits that sync inline never yield to the event loop, so a tight loop of them keeps
    // the flush timer from firing: drop what a newer commit hid (it would be skipped
    // anyway), so the queue holds at most about one entry per live page.
    if (this.#pending.length >= this.#pruneAt) {
      const live = this.#pending.filter((v) => v.stillCurrent());
      this.#pending.length = 0;
      for (const v of live) this.#pending.push(v);
      this.#pruneAt = Math.max(PRUNE_AT, 2 * live.length);
    }
  }

  /** Writes every pending version file; resolves when they (and earlier flushes) are done. Never rejects. */
  flush(): Promise<void> {
    const batch = this.#pending.splice(0);
    this.#running = this.#running.then(() => Promise.all(batch.map((v) => this.#write(v))).then(() => undefined));
    return this.#running;
  }

  async #write(v: PendingVersion): Promise<void> {
    if (!v.stillCurrent()) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await writeFile(v.file, v.text, { flag: 'wx' });
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return; // restored by a reader meanwhile
        // ENOENT: cleanup (any process) removed the folder of a namespace with no committed
        // file yet while the transaction ran; make it again, once.
        if (code === 'ENOENT' && attempt === 1 && v.stillCurrent()) {
          await mkdir(path.dirname(v.file), { recursive: true }).catch(() => undefined);
          continue;
        }
        if (code !== 'ENOENT') this.#onError(`could not write ${v.file}: ${String(error)}`);
        return;
      }
    }
  }
}
