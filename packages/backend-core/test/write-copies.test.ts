import { describe, expect, it } from 'vitest';
import { WriteCopies } from '../src/index.js';

describe('WriteCopies (the bytes of a write, copied at the call)', () => {
  it('a copy keeps the bytes of the call whatever the caller does next; a handed-back buffer serves the next copy of its size', () => {
    const copies = new WriteCopies(8 * 1024 * 1024);
    const data = new Uint8Array(3 * 1024 * 1024).fill(1);
    const first = copies.copy(data);
    data.fill(2);
    expect(first.body.byteLength).toBe(3 * 1024 * 1024);
    expect(first.body.every((b) => b === 1)).toBe(true);
    const buffer = first.body.buffer;
    first.release();
    first.release(); // a second release does not hand the buffer out twice
    const second = copies.copy(data);
    const third = copies.copy(data);
    expect(second.body.buffer).toBe(buffer); // reused: no fresh pages to fault in
    expect(third.body.buffer).not.toBe(buffer);
    expect(second.body.every((b) => b === 2) && third.body.every((b) => b === 2)).toBe(true);
    second.release();
    third.release();
  });

  it('keeps at most maxBytes of buffers; small bodies get plain copies', () => {
    const copies = new WriteCopies(4 * 1024 * 1024);
    const a = copies.copy(new Uint8Array(3 * 1024 * 1024));
    const b = copies.copy(new Uint8Array(3 * 1024 * 1024));
    a.release();
    b.release(); // over the 4 MiB budget: dropped
    const c = copies.copy(new Uint8Array(3 * 1024 * 1024));
    const d = copies.copy(new Uint8Array(3 * 1024 * 1024));
    expect(c.body.buffer).toBe(a.body.buffer);
    expect(d.body.buffer).not.toBe(b.body.buffer);
    const small = new Uint8Array([1, 2, 3]);
    const s = copies.copy(small);
    small[0] = 9;
    expect([...s.body]).toEqual([1, 2, 3]);
    expect(s.body.buffer.byteLength).toBe(3);
  });
});
