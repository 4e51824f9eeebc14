import { describe, expect, it } from 'vitest';
import { KILLS, crashRounds } from './crash-harness.js';

describe('SIGKILL during compaction', () => {
  it(`keeps every acknowledged vector bit-exact across ${KILLS} kills, most of them inside compact()`, async () => {
    const { acked, compactions, killedInCompaction } = await crashRounds('compact', 13, () => 'none', 120);
    expect(acked).toBeGreaterThan(KILLS);
    expect(compactions).toBeGreaterThan(0);
    // The child spends most of its time compacting; the kills that land there are the point.
    expect(killedInCompaction, `${killedInCompaction} of ${KILLS} kills landed during a compaction`).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
