// The Sony ENQ:network discovery codec (protocols.md §1.9): round trip and fuzz.
import { describe, it, expect } from 'vitest';
import { ENQ_NETWORK, decodeNetworkReply, encodeNetworkReply, ViscaDiscoveryDecodeError } from '../../drivers/visca/discovery.js';

// A small seeded PRNG (mulberry32) so a failing input can be reproduced.
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('C5 VISCA ENQ:network codec', () => {
  it('the probe is exactly 02 "ENQ:network" FF 03', () => {
    expect(ENQ_NETWORK.toString('hex')).toBe('02454e513a6e6574776f726bff03');
  });

  it('round-trips a camera answer', () => {
    const fields = { MAC: '08-00-46-11-22-33', IPADR: '192.168.0.100', MASK: '255.255.255.0', NAME: 'CAM1' };
    const buf = encodeNetworkReply(fields);
    expect(buf[0]).toBe(0x02);
    expect(buf.at(-1)).toBe(0x03);
    expect(decodeNetworkReply(buf)).toEqual(fields);
  });

  it('decodes 100 000 random and mutated inputs, throwing only its typed error', () => {
    const rnd = prng(20261123);
    const valid = encodeNetworkReply({ MAC: '08-00-46-11-22-33', IPADR: '10.0.0.9', NAME: 'X' });
    let ok = 0;
    for (let i = 0; i < 100_000; i++) {
      let buf: Buffer;
      if (i % 2) {
        buf = Buffer.from(valid);
        for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      } else buf = Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
      try {
        decodeNetworkReply(buf);
        ok++;
      } catch (err) {
        expect(err).toBeInstanceOf(ViscaDiscoveryDecodeError);
      }
    }
    expect(ok).toBeGreaterThan(100);
  });
});
