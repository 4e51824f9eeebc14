import type { instantiateCrc as InstantiateCrc } from './wasm-crc.js';

/** Defined in the thread beside this function by eval-worker.ts. */
declare const instantiateCrc: typeof InstantiateCrc;

/**
 * Layout of the memory the appender and the seal thread share (see seal-pipeline.ts):
 * Int32 control words, then each slot's length (Int32), then the write buffers, one per slot.
 */
export const SEAL_LAYOUT = {
  /** Buffers handed over so far (the appender increments it). */
  SUBMITTED: 0,
  /** Buffers sealed so far (the thread increments it). */
  COMPLETED: 1,
  /** 1 once the thread runs. */
  READY: 2,
  /** 1 once the thread has stopped (or failed): nothing more will be sealed. */
  FAILED: 3,
  /** Where the slot lengths start (Int32 index). */
  LENGTHS: 8,
  CONTROL_BYTES: 64,
  /** Buffers in the ring: the appender fills one while the thread works through the others. */
  SLOTS: 4,
  BUFFERS_AT: 64,
  /** A submitted length meaning "stop". */
  STOP: -1,
} as const;

export interface SealSetup {
  module: object;
  tables: Int32Array;
  dataOffset: number;
  shared: SharedArrayBuffer;
  bufferSize: number;
  layout: typeof SEAL_LAYOUT;
}

/**
 * The seal thread's whole program: for each buffer the appender hands over, fill in every
 * record's checksum (the appender then writes it). It blocks in Atomics.wait between
 * buffers — it is a thread of its own, and the appender hands over with a store and a
 * notify, no message per buffer.
 */
export function sealWorkerMain(): void {
  const { workerData } = process.getBuiltinModule('node:worker_threads');
  const setup = workerData as SealSetup;
  const L = setup.layout;
  const wasm = instantiateCrc(setup.module, setup.tables);
  const grow = setup.dataOffset + setup.bufferSize - wasm.memory.buffer.byteLength;
  if (grow > 0) wasm.memory.grow(Math.ceil(grow / 65536));
  const scratch = new Uint8Array(wasm.memory.buffer, setup.dataOffset, setup.bufferSize);
  const control = new Int32Array(setup.shared, 0, L.CONTROL_BYTES / 4);
  const buffers = Array.from({ length: L.SLOTS }, (_, i) => new Uint8Array(setup.shared, L.BUFFERS_AT + i * setup.bufferSize, setup.bufferSize));

  Atomics.store(control, L.READY, 1);
  Atomics.notify(control, L.READY);
  try {
    for (;;) {
      const done = Atomics.load(control, L.COMPLETED);
      while (Atomics.load(control, L.SUBMITTED) === done) Atomics.wait(control, L.SUBMITTED, done);
      const slot = done % L.SLOTS;
      const length = control[L.LENGTHS + slot]!;
      if (length === L.STOP) return;
      // The checksum runs in this thread's own WebAssembly memory: copy in, seal, copy back.
      const buffer = buffers[slot]!.subarray(0, length);
      scratch.set(buffer);
      wasm.sealRecords(setup.dataOffset, setup.dataOffset + length);
      buffer.set(scratch.subarray(0, length));
      Atomics.add(control, L.COMPLETED, 1);
      Atomics.notify(control, L.COMPLETED);
    }
  } finally {
    // However the loop ends, nobody may be left waiting for this thread.
    Atomics.store(control, L.FAILED, 1);
    Atomics.notify(control, L.COMPLETED);
  }
}
