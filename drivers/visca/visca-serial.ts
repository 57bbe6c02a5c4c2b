// A PTZ camera on a VISCA serial line (RS-232/RS-422, protocols.md §1.1–1.8): 9600 or 38400 bps 8N1, no
// flow control, through `serialport`. At start the driver sends the broadcast Address Set and IF_Clear; an
// unplugged USB adapter ('close'/'error' on the port) makes the camera offline and the port is re-opened with
// back-off; `z0 38 FF` (Network Change) makes the driver Address Set again. The command/reply semantics are
// shared with the other VISCA drivers (ViscaStreamDriver → ViscaCameraCore).
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs';
import { SerialPort } from 'serialport';
import { VISCA_CORE_DEFAULTS, type ViscaCoreConnection } from './camera-core.js';
import { ViscaStreamDriver, type ViscaByteStream, type ViscaByteStreamEvents } from './visca-stream.js';

export interface ViscaSerialConnection extends ViscaCoreConnection {
  /** Serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/… */
  path: string;
  baudRate: number;
}

export const VISCA_SERIAL_DEFAULTS: Omit<ViscaSerialConnection, 'path'> = {
  ...VISCA_CORE_DEFAULTS,
  baudRate: 9600,
};

/** Baud rates VISCA cameras offer (FCB block cameras also 19200). */
export const VISCA_BAUD_RATES = [9600, 19200, 38400] as const;

/** How often an open port's device node is checked (see SerialByteStream). */
const PRESENCE_CHECK_MS = 200;

/**
 * A serial port as a byte stream. A new SerialPort per open, so a port that vanished is never reused.
 *
 * Unplugging is not always reported: on Linux a hung-up tty (USB adapter pulled, pty master gone) reads as
 * end-of-file, which serialport's reader retries forever instead of closing; only the next write fails
 * (EIO). So while the port is open its device node is checked every PRESENCE_CHECK_MS: gone, or replaced
 * by another device (re-plugged, new pty), means the port was lost.
 */
export class SerialByteStream extends EventEmitter<ViscaByteStreamEvents> implements ViscaByteStream {
  private port: SerialPort | null = null;
  private presence: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    readonly baudRate: number,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.port !== null && this.port.isOpen;
  }

  async open(): Promise<void> {
    if (this.port) return;
    // 8N1, no RTS/CTS, no XON/XOFF (Sony: no flow control).
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, dataBits: 8, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, autoOpen: false });
    port.on('error', (err) => {
      if (this.port !== port) return;
      if (port.isOpen) this.emit('error', err);
      else this.lost(port, `serial port error: ${err.message}`);
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new Error(`cannot open serial port ${this.path}: ${err.message}`)) : resolve())),
    );
    // Whatever arrived while nobody listened answers nothing we will ask.
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    const device = await new Promise<number | null>((resolve) => stat(this.path, (err, st) => resolve(err ? null : st.rdev)));
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.emit('data', chunk);
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.port !== port) return;
      this.lost(port, err?.disconnected ? `serial port disconnected (${err.message}; adapter unplugged?)` : 'serial port closed');
    });
    this.port = port;
    this.presence = setInterval(() => this.checkPresence(port, device), PRESENCE_CHECK_MS);
    this.presence.unref();
  }

  private checkPresence(port: SerialPort, device: number | null): void {
    stat(this.path, (err, st) => {
      if (this.port !== port) return;
      if (err) this.lost(port, `serial device ${this.path} disappeared (adapter unplugged?)`);
      else if (device !== null && st.rdev !== device) this.lost(port, `serial device ${this.path} was replaced by another device (re-plugged?)`);
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) return Promise.reject(new Error(`serial port ${this.path} is not open`));
    return new Promise((resolve, reject) => port.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.stopPresenceCheck();
    if (!port || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private stopPresenceCheck(): void {
    if (this.presence) clearInterval(this.presence);
    this.presence = null;
  }

  private lost(port: SerialPort, reason: string): void {
    this.port = null;
    this.stopPresenceCheck();
    if (port.isOpen) port.close(() => {});
    this.emit('lost', reason);
  }
}

export class ViscaSerialDriver extends ViscaStreamDriver<ViscaSerialConnection> {
  readonly driver = 'visca-serial';

  constructor(connection: Partial<ViscaSerialConnection> & { path: string }) {
    const c: ViscaSerialConnection = { ...VISCA_SERIAL_DEFAULTS, ...connection };
    super(c, new SerialByteStream(c.path, c.baudRate), 'address-set');
  }

  protected describe(): string {
    return `Camera ${this.connection.address} on ${this.connection.path}`;
  }
}
