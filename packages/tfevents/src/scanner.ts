import type { FileHandle } from 'node:fs/promises';
import { StorageError, fromNodeError, isStorageError } from '@store/backend-core';
import { HEADER_BYTES } from './format.js';
import { RECORD_BAD_DATA, RECORD_BAD_LENGTH, RECORD_INCOMPLETE, RECORD_OK, parseRecord, validHeaderAt, type RecordSpan } from './record.js';

export type RecordSink = (buf: Buffer, payloadStart: number, payloadEnd: number, offset: number) => void;
export type CorruptSink = (error: StorageError) => void;

/** `next()` stopped because it emitted `limit` records. */
export const SCAN_BATCH = 0;
/** `next()` consumed everything the file holds right now (maybe leaving a partial record). */
export const SCAN_END = 1;

const DEFAULT_CHUNK = 1 << 20;

/**
 * Walks the TFRecords of one file through a reusable read buffer. It can be called again
 * after reaching the end, and then continues from the first unconsumed byte: this is how
 * follow mode waits on a torn last record instead of failing on it.
 */
export class RecordScanner {
  private buf: Buffer;
  /** File offset of buf[0]. */
  private bufOffset: number;
  private dataEnd = 0;
  private pos = 0;
  private resyncing = false;
  private readonly span: RecordSpan = { payloadStart: 0, payloadEnd: 0, next: 0, needed: 0 };

  constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    startOffset = 0,
    chunkSize = DEFAULT_CHUNK,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.bufOffset = startOffset;
  }

  /** File offset of the first byte not yet consumed. */
  get offset(): number {
    return this.bufOffset + this.pos;
  }

  /** File offset just past the last byte read from the file. */
  get readUpTo(): number {
    return this.bufOffset + this.dataEnd;
  }

  /** Bytes after `offset` that do not (yet) form a complete record. */
  get pendingBytes(): number {
    return this.dataEnd - this.pos;
  }

  /** True while skipping a damaged region in search of the next valid record. */
  get inCorruptRegion(): boolean {
    return this.resyncing;
  }

  async next(onRecord: RecordSink, onCorrupt: CorruptSink, limit: number): Promise<number> {
    const span = this.span;
    let emitted = 0;
    for (;;) {
      if (this.resyncing && !this.resync()) {
        if (!(await this.readMore(HEADER_BYTES))) return SCAN_END;
        continue;
      }
      const status = parseRecord(this.buf, this.pos, this.dataEnd, span);
      if (status === RECORD_OK) {
        const offset = this.bufOffset + this.pos;
        this.pos = span.next;
        try {
          onRecord(this.buf, span.payloadStart, span.payloadEnd, offset);
        } catch (error) {
          if (!isStorageError(error, 'ECORRUPT')) throw error;
          onCorrupt(error);
        }
        if (++emitted >= limit) return SCAN_BATCH;
      } else if (status === RECORD_INCOMPLETE) {
        if (!(await this.readMore(span.needed))) return SCAN_END;
      } else if (status === RECORD_BAD_DATA) {
        const offset = this.bufOffset + this.pos;
        this.pos = span.next;
        onCorrupt(new StorageError('ECORRUPT', "payload CRC mismatch", { path: this.path, offset }));
      } else if (status === RECORD_BAD_LENGTH) {
        const offset = this.bufOffset + this.pos;
        this.resyncing = true;
        this.pos++;
        onCorrupt(new StorageError('ECORRUPT', "record length CRC mismatch", { path: this.path, offset }));
      }
    }
  }

  /**
   * Searches forward for a position where a whole valid record starts. Returns false when
   * more data is needed to decide (`pos` is left at the first undecided candidate).
   */
  private resync(): boolean {
    const span = this.span;
    while (this.dataEnd - this.pos >= HEADER_BYTES) {
      if (validHeaderAt(this.buf, this.pos, this.dataEnd)) {
        const status = parseRecord(this.buf, this.pos, this.dataEnd, span);
        if (status === RECORD_OK) {
          this.resyncing = false;
          return true;
        }
        if (status === RECORD_INCOMPLETE) return false;
      }
      this.pos++;
    }
    return false;
  }

  /** Makes room for at least `needed` bytes from `pos` and reads; false at end of file. */
  private async readMore(needed: number): Promise<boolean> {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.dataEnd);
      this.bufOffset += this.pos;
      this.dataEnd -= this.pos;
      this.pos = 0;
    }
    if (needed > this.buf.length || this.dataEnd === this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.dataEnd);
      this.buf = grown;
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.handle.read(this.buf, this.dataEnd, this.buf.length - this.dataEnd, this.bufOffset + this.dataEnd));
    } catch (error) {
      throw fromNodeError(error, this.path, 'read');
    }
    this.dataEnd += bytesRead;
    return bytesRead > 0;
  }
}
