import type { instantiateCrc as InstantiateCrc } from './wasm-crc.js';

/** Defined in the thread beside this function by eval-worker.ts. */
declare const instantiateCrc: typeof InstantiateCrc;

/**
 * The read-ahead thread's whole program (see read-ahead.ts for the other side). It runs
 * from its source text (eval-worker.ts explains why): only globals and `instantiateCrc`
 * exist in there.
 *
 * Messages in:  { op: 'open', id, file, identity, start, limit, credit } · { op: 'more', id } · { op: 'close', id }
 * Messages out: { id, buffer, position, length, last } — `buffer` (transferred) holds
 * `length` bytes of the file from `position`: whole records, every checksum verified. Chunks
 * of one stream are contiguous. The stream stops (`last`) at `limit`, at the first record
 * that is incomplete at the limit or fails its check, on any I/O error, and at once if the
 * file at that path is not the one the reader has open (`identity`: device and inode — a
 * repair may have renamed a rewritten segment over it); the reader then reads the rest
 * itself and reports what it finds there.
 */
export interface ReadAheadSetup {
  /** The compiled CRC module of wasm-crc.ts and its slicing-by-8 tables (2048 entries). */
  module: object;
  table: Int32Array;
  dataOffset: number;
  chunkSize: number;
  maxRecordData: number;
  recordHeaderSize: number;
}

export function readAheadWorkerMain(): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const { closeSync, fstatSync, openSync, readSync } = process.getBuiltinModule('node:fs');
  const setup = workerData as ReadAheadSetup;
  const { dataOffset, chunkSize, maxRecordData, recordHeaderSize } = setup;

  const wasm = instantiateCrc(setup.module, setup.table);

  interface Stream {
    fd: number;
    pos: number;
    limit: number;
    credit: number;
  }
  const streams = new Map<number, Stream>();
  const port = parentPort!;

  /**
   * A module instance with room for `length` bytes. Records longer than a chunk get a
   * second instance, dropped again at the next ordinary chunk: WebAssembly memory never
   * shrinks, and one huge record must not keep its size for the life of the thread.
   */
  let big: typeof wasm | undefined;
  const instanceFor = (length: number): typeof wasm => {
    if (length <= chunkSize) big = undefined;
    else big ??= instantiateCrc(setup.module, setup.table);
    const instance = big ?? wasm;
    const need = dataOffset + length;
    const have = instance.memory.buffer.byteLength;
    if (have < need) instance.memory.grow(Math.ceil((need - have) / 65536));
    return instance;
  };

  const readAt = (fd: number, into: Uint8Array, position: number): number => {
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  };

  /** The next verified run of whole records, or an empty one where the stream must stop. */
  const nextChunk = (s: Stream): { bytes: Uint8Array<ArrayBuffer>; position: number } => {
    let want = Math.min(s.limit - s.pos, chunkSize);
    for (;;) {
      const instance = instanceFor(want);
      const memory = new Uint8Array(instance.memory.buffer, dataOffset, want);
      const n = readAt(s.fd, memory, s.pos);
      const verified = instance.verifyRecords(dataOffset, dataOffset + n, maxRecordData) - dataOffset;
      if (verified === 0 && n === want && n >= recordHeaderSize) {
        // The first record may just be longer than one chunk: read it whole, if it fits.
        const total = recordHeaderSize + new DataView(memory.buffer, dataOffset).getUint32(8);
        if (total > want && total <= s.limit - s.pos && total - recordHeaderSize <= maxRecordData) {
          want = total;
          continue;
        }
      }
      const bytes = memory.slice(0, verified);
      const position = s.pos;
      s.pos += verified;
      return { bytes, position };
    }
  };

  const close = (id: number): void => {
    const s = streams.get(id);
    if (s === undefined) return;
    streams.delete(id);
    try {
      closeSync(s.fd);
    } catch {
      // Nothing to do: the stream is gone either way.
    }
  };

  const pump = (id: number): void => {
    const s = streams.get(id);
    while (s !== undefined && s.credit > 0) {
      s.credit--;
      let chunk: { bytes: Uint8Array<ArrayBuffer>; position: number } = { bytes: new Uint8Array(0), position: s.pos };
      try {
        chunk = nextChunk(s);
      } catch {
        // An I/O error: stop here; the reader's own read reports it with context.
      }
      const last = chunk.bytes.length === 0 || s.pos >= s.limit;
      port.postMessage({ id, buffer: chunk.bytes.buffer, position: chunk.position, length: chunk.bytes.length, last }, [chunk.bytes.buffer]);
      if (last) {
        close(id);
        return;
      }
    }
  };

  port.on('message', (m: { op: 'open'; id: number; file: string; identity: string; start: number; limit: number; credit: number } | { op: 'more' | 'close'; id: number }) => {
    if (m.op === 'open') {
      let fd = -1;
      try {
        fd = openSync(m.file, 'r');
        const st = fstatSync(fd, { bigint: true });
        if (`${st.dev}:${st.ino}` !== m.identity) throw new Error('another file');
      } catch {
        if (fd >= 0) closeSync(fd);
        port.postMessage({ id: m.id, buffer: new ArrayBuffer(0), position: m.start, length: 0, last: true });
        return;
      }
      streams.set(m.id, { fd, pos: m.start, limit: m.limit, credit: m.credit });
      pump(m.id);
    } else if (m.op === 'more') {
      const s = streams.get(m.id);
      if (s !== undefined) {
        s.credit++;
        pump(m.id);
      }
    } else {
      close(m.id);
    }
  });
}
