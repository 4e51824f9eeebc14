/**
 * A seeded pseudo-random generator (mulberry32, Tommy Ettinger's 32-bit generator): the
 * same seed gives the same sequence, so a failing randomized test is repeated from its
 * seed. Returns numbers in [0, 1), like Math.random. Not for anything secret.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
