// A serial port (RS-232/RS-422 through a USB adapter, or a pty) as a byte stream, through `serialport`.
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs';
import { SerialPort } from 'serialport';
import { DeviceError } from '../types.js';
import { StreamError, type ByteStream, type ByteStreamEvents } from './byte-stream.js';
import type { LinkErrors } from './reply-link.js';

/** How often an open port's device node is checked (see SerialByteStream). */
const PRESENCE_CHECK_MS = 200;

/** How an open port was lost. */
export type SerialLoss =
  /** serialport closed it; `error.disconnected` when the device went away under it. */
  | { kind: 'closed'; error?: Error & { disconnected?: boolean } }
  /** an 'error' while the port was not open (any more). */
  | { kind: 'error'; error: Error }
  /** the device node is gone. */
  | { kind: 'vanished' }
  /** the device node now is another device. */
  | { kind: 'replaced' };

export interface SerialByteStreamOptions {
  /** write() resolves once the bytes have left (tcdrain), not once they are queued. */
  drain?: boolean;
  /** The 'lost' reason for a loss; the default words it as the VISCA drivers report it. */
  describeLoss?: (loss: SerialLoss, path: string) => string;
}

/** "serial port disconnected (…; adapter unplugged?)", "serial device /dev/ttyUSB0 disappeared (adapter unplugged?)", … */
export function describeSerialLoss(loss: SerialLoss, path: string): string {
  switch (loss.kind) {
    case 'closed':
      return loss.error?.disconnected ? `serial port disconnected (${loss.error.message}; adapter unplugged?)` : 'serial port closed';
    case 'error':
      return `serial port error: ${loss.error.message}`;
    case 'vanished':
      return `serial device ${path} disappeared (adapter unplugged?)`;
    case 'replaced':
      return `serial device ${path} was replaced by another device (re-plugged?)`;
  }
}

/**
 * A serial port as a byte stream, 8N1 without flow control. A new SerialPort per open, so a port that
 * vanished is never reused.
 *
 * Unplugging is not always reported: on Linux a hung-up tty (USB adapter pulled, pty master gone) reads as
 * end-of-file, which serialport's reader retries forever instead of closing; only the next write fails
 * (EIO). So while the port is open its device node is checked every PRESENCE_CHECK_MS: gone, or replaced
 * by another device (re-plugged, new pty), means the port was lost.
 */
export class SerialByteStream extends EventEmitter<ByteStreamEvents> implements ByteStream {
  private port: SerialPort | null = null;
  private presence: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    private readonly options: SerialByteStreamOptions = {},
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
      else this.lost(port, { kind: 'error', error: err });
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new StreamError(`cannot open serial port ${this.path}: ${err.message}`, 'failed', { cause: err })) : resolve())),
    );
    // Whatever arrived while nobody listened answers nothing we will ask.
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    const device = await new Promise<number | null>((resolve) => stat(this.path, (err, st) => resolve(err ? null : st.rdev)));
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.emit('data', chunk);
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.port !== port) return;
      this.lost(port, { kind: 'closed', error: err });
    });
    this.port = port;
    this.presence = setInterval(() => this.checkPresence(port, device), PRESENCE_CHECK_MS);
    this.presence.unref();
  }

  private checkPresence(port: SerialPort, device: number | null): void {
    stat(this.path, (err, st) => {
      if (this.port !== port) return;
      if (err) this.lost(port, { kind: 'vanished' });
      else if (device !== null && st.rdev !== device) this.lost(port, { kind: 'replaced' });
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) return Promise.reject(new StreamError(`serial port ${this.path} is not open`, 'not-open'));
    const failed = (err: Error) => new StreamError(err.message, 'failed', { cause: err });
    return new Promise((resolve, reject) =>
      port.write(data, (err) => {
        if (err) return reject(failed(err));
        if (!this.options.drain) return resolve();
        port.drain((e) => (e ? reject(failed(e)) : resolve()));
      }),
    );
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

  private lost(port: SerialPort, loss: SerialLoss): void {
    this.port = null;
    this.stopPresenceCheck();
    if (port.isOpen) port.close(() => {});
    this.emit('lost', (this.options.describeLoss ?? describeSerialLoss)(loss, this.path));
  }
}

// ---------------------------------------------------------------------------------------------
// How the display drivers (Samsung MDC, LG) word serial failures
// ---------------------------------------------------------------------------------------------

/** "Cannot open serial port …: …", "Serial port … is closed", "Write to … failed: …" (all 'unreachable'). */
export function serialDisplayErrors(path: string): LinkErrors {
  return {
    open: (err) => new DeviceError('unreachable', `Cannot open serial port ${path}: ${err.systemError.message}`),
    write: (err) => new DeviceError('unreachable', err.reason === 'not-open' ? `Serial port ${path} is closed` : `Write to ${path} failed: ${err.message}`),
  };
}

/** "serial port closed", "serial port closed: <why>" (the port's error, or how the device went away). */
export function describeSerialClose(loss: SerialLoss, path: string): string {
  if (loss.kind === 'closed') return loss.error ? `serial port closed: ${loss.error.message}` : 'serial port closed';
  return `serial port closed: ${describeSerialLoss(loss, path)}`;
}
