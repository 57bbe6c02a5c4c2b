// Sony VISCA-over-IP camera discovery (protocols.md §1.9): a UDP datagram `02 'ENQ:network' FF 03` to port
// 52380 (broadcast on a real network); each camera answers `02 KEY:value FF KEY:value FF … 03` listing
// MAC, IPADR, MASK, NAME and more. Pure codec functions plus one bounded probe.
import dgram from 'node:dgram';

export const VISCA_DISCOVERY_PORT = 52380;
export const ENQ_NETWORK = Buffer.concat([Buffer.from([0x02]), Buffer.from('ENQ:network', 'ascii'), Buffer.from([0xff, 0x03])]);

export class ViscaDiscoveryDecodeError extends Error {
  name = 'ViscaDiscoveryDecodeError';
}

/** `02 K:V FF K:V FF … 03` → {K: V}. */
export function decodeNetworkReply(buf: Buffer): Record<string, string> {
  if (buf.length < 3 || buf[0] !== 0x02 || buf[buf.length - 1] !== 0x03) throw new ViscaDiscoveryDecodeError('not an ENQ:network reply (02 … 03)');
  const out: Record<string, string> = {};
  for (const part of buf.subarray(1, -1).toString('latin1').split('\xff')) {
    if (!part) continue;
    const i = part.indexOf(':');
    if (i <= 0) throw new ViscaDiscoveryDecodeError(`field without a key: ${JSON.stringify(part)}`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  if (!out.MAC && !out.IPADR) throw new ViscaDiscoveryDecodeError('reply names neither MAC nor IPADR');
  return out;
}

export function encodeNetworkReply(fields: Record<string, string>): Buffer {
  const body = Object.entries(fields).map(([k, v]) => Buffer.concat([Buffer.from(`${k}:${v}`, 'latin1'), Buffer.from([0xff])]));
  return Buffer.concat([Buffer.from([0x02]), ...body, Buffer.from([0x03])]);
}

export interface ViscaDiscovered {
  address: string; // where the answer came from
  ip: string;
  mac: string;
  name: string;
  model?: string;
}

/** Sends ENQ:network and collects answers for timeoutMs (bounded to 10–30 000 ms). */
export async function discoverVisca(opts: { address?: string; port?: number; timeoutMs?: number } = {}): Promise<ViscaDiscovered[]> {
  const timeoutMs = Math.min(30_000, Math.max(10, opts.timeoutMs ?? 1000));
  const address = opts.address ?? '255.255.255.255';
  const socket = dgram.createSocket('udp4');
  const found = new Map<string, ViscaDiscovered>();
  socket.on('message', (msg, rinfo) => {
    try {
      const f = decodeNetworkReply(msg);
      const ip = f.IPADR ?? rinfo.address;
      found.set(f.MAC ?? ip, { address: rinfo.address, ip, mac: f.MAC ?? '', name: f.NAME ?? '', model: f.MODEL });
    } catch {
      /* someone else's datagram on this port */
    }
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, () => resolve()));
  socket.setBroadcast(true);
  await new Promise<void>((resolve) => socket.send(ENQ_NETWORK, opts.port ?? VISCA_DISCOVERY_PORT, address, () => resolve()));
  await new Promise((r) => setTimeout(r, timeoutMs));
  socket.close();
  return [...found.values()];
}
