// A TCP connection to one device as a byte stream.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { StreamError, type ByteStream, type ByteStreamEvents } from './byte-stream.js';

export interface TcpByteStreamOptions {
  /** TCP keepalive probes after this idle time; 0 = off. Default 5000. */
  keepAliveMs?: number;
  /** The 'lost' reason when the peer closes; `error` is the socket's last error. Default as the VISCA TCP driver words it. */
  describeLoss?: (error: Error | null) => string;
}

const describeTcpLoss = (error: Error | null) => (error ? `connection lost (${error.message})` : 'connection closed by the camera');

/** A TCP connection as a byte stream; the connect attempt is bounded by `connectTimeoutMs`. */
export class TcpByteStream extends EventEmitter<ByteStreamEvents> implements ByteStream {
  private socket: net.Socket | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly connectTimeoutMs: number,
    private readonly options: TcpByteStreamOptions = {},
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  async open(): Promise<void> {
    if (this.socket) return;
    const socket = net.createConnection({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string, reason: 'timeout' | 'failed', cause?: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new StreamError(`cannot connect to ${this.host}:${this.port}: ${why}`, reason, { cause }));
      };
      const timer = setTimeout(() => fail(`no answer within ${this.connectTimeoutMs} ms`, 'timeout'), this.connectTimeoutMs);
      timer.unref();
      socket.once('error', (err) => fail(err.message, 'failed', err));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
    });
    const keepAliveMs = this.options.keepAliveMs ?? 5000;
    if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
    let lastError: Error | null = null;
    socket.on('error', (err) => (lastError = err));
    socket.on('data', (chunk) => {
      if (this.socket === socket) this.emit('data', chunk);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.emit('lost', (this.options.describeLoss ?? describeTcpLoss)(lastError));
    });
    this.socket = socket;
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new StreamError(`not connected to ${this.host}:${this.port}`, 'not-open'));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(new StreamError(err.message, 'failed', { cause: err })) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}
