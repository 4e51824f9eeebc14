import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { FilesystemBackend, type FileReadStream, type StorageBackend } from '@store/backend-core';

/** Files over this size are streamed by GET instead of read whole into memory. */
export const STREAM_ABOVE = 16 * 1024 * 1024;

/**
 * Large files of a FilesystemBackend for `GET`/`HEAD` without `Range`: a whole-file read
 * holds the file in memory (one Buffer per request), so a few readers of a multi-GiB file
 * (a vector file, an event-log segment, anything put there from outside) could exhaust the
 * server's memory. Such files are streamed from one descriptor
 * (`FilesystemBackend.openReadStream`: the backend's path checks, one version of the
 * file). They carry no ETag: it is a hash of the content, which would need a second pass.
 * Other backends read whole (their files come through PUT, bounded by `--max-body`).
 */
export class LargeFiles {
  readonly #backend: FilesystemBackend;
  /** The real root with a trailing separator. */
  readonly #prefix: string;

  private constructor(backend: FilesystemBackend, root: string) {
    this.#backend = backend;
    this.#prefix = root.endsWith(path.sep) ? root : root + path.sep;
  }

  static for(backend: StorageBackend): LargeFiles | undefined {
    if (!(backend instanceof FilesystemBackend)) return undefined;
    try {
      return new LargeFiles(backend, realpathSync.native(backend.root));
    } catch {
      return undefined;
    }
  }

  /**
   * The size of `key` (checked by the path rules) when it is a file over STREAM_ABOVE, else
   * undefined. Only a hint for choosing the way to read: the read itself makes the checks.
   */
  sizeIfLarge(key: string): number | undefined {
    let size: number;
    try {
      const st = statSync(this.#prefix + key, { throwIfNoEntry: false });
      if (st === undefined || !st.isFile()) return undefined;
      size = st.size;
    } catch {
      return undefined;
    }
    return size > STREAM_ABOVE ? size : undefined;
  }

  /** The file's size and a stream of its bytes (errors as `readFile`'s). */
  open(key: string): Promise<{ size: number; stream: FileReadStream }> {
    return this.#backend.openReadStream(key);
  }
}
