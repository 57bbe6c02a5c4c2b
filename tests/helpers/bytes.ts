// Byte helpers of the byte-exact and fuzz tests.

/** "aa 11 00 00 11" */
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').match(/../g)?.join(' ') ?? '';

/** "aa 11 00 00 11" → its bytes. */
export const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** mulberry32: small, seeded, reproducible (a failing input can be found again). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
