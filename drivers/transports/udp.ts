// A UDP socket aimed at one device. Not connect()ed: some cameras answer from another source port, and an
// unconnected socket on Linux ignores ICMP port-unreachable, so a vanished device shows up as timeouts.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';

export interface UdpTransportOptions {
  host: string;
  port: number;
  /** 0 = any free port. Some cameras reply only to 52381 (Avonic), so it can be pinned. */
  localPort?: number;
  localAddress?: string;
}

export interface UdpTransportEvents {
  message: [Buffer, dgram.RemoteInfo];
  error: [Error];
}

export class UdpTransport extends EventEmitter<UdpTransportEvents> {
  private socket: dgram.Socket | null = null;

  constructor(readonly options: UdpTransportOptions) {
    super();
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  /** The bound local port (useful when localPort is 0). */
  get localPort(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  async open(): Promise<void> {
    if (this.socket) return;
    const family = isIP(this.options.host) === 6 ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type: family, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.options.localPort ?? 0, address: this.options.localAddress }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Only datagrams from the device's address count; a hostname cannot be compared cheaply, so it is not filtered.
    const expected = isIP(this.options.host) ? this.options.host : null;
    socket.on('message', (msg, rinfo) => {
      if (expected && rinfo.address !== expected) return;
      this.emit('message', msg, rinfo);
    });
    // Without a listener an 'error' would crash the process; the owner decides what an error means.
    socket.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    this.socket = socket;
  }

  send(buf: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('UDP transport is not open'));
    return new Promise((resolve, reject) => socket.send(buf, this.options.port, this.options.host, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
