// A PTZ camera speaking raw VISCA over TCP (PTZOptics, Avonic, AViPAS and other OEM cameras: port 5678, the
// serial packets with no 8-byte header; protocols.md §1.10). The connection is a UART in all but name: the
// stream driver reassembles packets and matches replies exactly as on a serial line. A connection that closes
// makes the camera offline; it is re-opened with back-off. Semantics shared with the other VISCA drivers.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { VISCA_CORE_DEFAULTS, type ViscaCoreConnection } from './camera-core.js';
import { ViscaStreamDriver, type ViscaByteStream, type ViscaByteStreamEvents } from './visca-stream.js';

export interface ViscaTcpConnection extends ViscaCoreConnection {
  host: string;
  port: number;
}

export const VISCA_TCP_PORT = 5678;

export const VISCA_TCP_DEFAULTS: Omit<ViscaTcpConnection, 'host'> = {
  ...VISCA_CORE_DEFAULTS,
  port: VISCA_TCP_PORT,
};

/** A TCP connection as a byte stream; the connect attempt is bounded by `connectTimeoutMs`. */
export class TcpByteStream extends EventEmitter<ViscaByteStreamEvents> implements ViscaByteStream {
  private socket: net.Socket | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly connectTimeoutMs: number,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  async open(): Promise<void> {
    if (this.socket) return;
    const socket = net.createConnection({ host: this.host, port: this.port });
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`cannot connect to ${this.host}:${this.port}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${this.connectTimeoutMs} ms`), this.connectTimeoutMs);
      socket.once('error', (err) => fail(err.message));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    let lastError: Error | null = null;
    socket.on('error', (err) => (lastError = err));
    socket.on('data', (chunk) => {
      if (this.socket === socket) this.emit('data', chunk);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.emit('lost', lastError ? `connection lost (${lastError.message})` : 'connection closed by the camera');
    });
    this.socket = socket;
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error(`not connected to ${this.host}:${this.port}`));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}

export class ViscaTcpDriver extends ViscaStreamDriver<ViscaTcpConnection> {
  readonly driver = 'visca-tcp';

  constructor(connection: Partial<ViscaTcpConnection> & { host: string }) {
    const c: ViscaTcpConnection = { ...VISCA_TCP_DEFAULTS, ...connection };
    super(c, new TcpByteStream(c.host, c.port, c.timeoutMs), 'if-clear');
  }

  protected describe(): string {
    return `Camera ${this.connection.host}:${this.connection.port}`;
  }
}
