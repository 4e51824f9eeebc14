import { describe, expect, it } from 'vitest';
import { KILLS, crashRounds } from './crash-harness.js';

describe('SIGKILL during puts and deletes', () => {
  it(`keeps every acknowledged vector bit-exact across ${KILLS} kills (durability none and fsync)`, async () => {
    const { acked } = await crashRounds('puts', 11, (round) => (round % 2 === 0 ? 'none' : 'fsync'), 60);
    expect(acked).toBeGreaterThan(KILLS); // the children really wrote
  }, 300_000);
});
