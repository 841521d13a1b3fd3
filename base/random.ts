/** A seeded pseudo-random generator, so that a failing seed can be replayed exactly. */

/**
 * mulberry32: tiny and fast, good enough to scatter failures, jitter delays and shuffle test
 * input reproducibly (not for cryptography). Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  // Folds the high bits in so that seeds beyond 2^32 do not collide with small ones.
  let a = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
