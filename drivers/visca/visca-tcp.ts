// A PTZ camera speaking raw VISCA over TCP (PTZOptics, Avonic, AViPAS and other OEM cameras: port 5678, the
// serial packets with no 8-byte header; protocols.md §1.10). The connection is a UART in all but name: the
// stream driver reassembles packets and matches replies exactly as on a serial line. A connection that closes
// makes the camera offline; it is re-opened with back-off. Semantics shared with the other VISCA drivers.
import { TcpByteStream } from '../transports/tcp.js';
import { VISCA_CORE_DEFAULTS, type ViscaCoreConnection } from './camera-core.js';
import { ViscaStreamDriver } from './visca-stream.js';

/** The TCP byte stream lives in drivers/transports/ (shared with the display drivers); re-exported here. */
export { TcpByteStream } from '../transports/tcp.js';

export interface ViscaTcpConnection extends ViscaCoreConnection {
  host: string;
  port: number;
}

export const VISCA_TCP_PORT = 5678;

export const VISCA_TCP_DEFAULTS: Omit<ViscaTcpConnection, 'host'> = {
  ...VISCA_CORE_DEFAULTS,
  port: VISCA_TCP_PORT,
};

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
