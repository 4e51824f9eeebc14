import { open } from 'node:fs/promises';
import { StorageError, fromNodeError } from '@store/backend-core';
import { EventDecoder } from './decode.js';
import { RecordScanner, SCAN_END } from './scanner.js';
import type { TfEvent } from './types.js';

export interface VerifyReport {
  file: string;
  /** Records whose CRCs and Event protobuf are valid. */
  records: number;
  /** One entry per damaged record or damaged region (StorageError ECORRUPT with offset). */
  corrupt: StorageError[];
  /** Bytes after the last complete record that do not form a record (a torn tail), or 0. */
  tornTailBytes: number;
  tornTailOffset: number;
}

/** Checks every CRC of a file and decodes every Event; never throws for bad content. */
export async function verifyFile(file: string, signal?: AbortSignal): Promise<VerifyReport> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw fromNodeError(error, file, 'open event file');
  }
  try {
    const scanner = new RecordScanner(handle, file);
    const decoder = new EventDecoder();
    const corrupt: StorageError[] = [];
    const sink: TfEvent[] = [];
    let records = 0;
    for (;;) {
      signal?.throwIfAborted();
      const status = await scanner.next(
        (buf, s, e, offset) => {
          decoder.decode(buf, s, e, file, offset, sink);
          sink.length = 0;
          records++;
        },
        (error) => corrupt.push(error),
        4096,
      );
      if (status === SCAN_END) break;
    }
    const inCorrupt = scanner.inCorruptRegion;
    return { file, records, corrupt, tornTailBytes: inCorrupt ? 0 : scanner.pendingBytes, tornTailOffset: scanner.offset };
  } finally {
    await handle.close();
  }
}
