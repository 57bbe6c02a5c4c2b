// Request/response and notifications over one WebSocket, mediasoup-demo style, used by central's
// participant and box endpoints, the box's display endpoint and the box's connection to central:
//   request      {id, method, data}
//   response     {id, ok: true, data} | {id, ok: false, error: '<stable_code>', message}
//   notification {notification, data}
// Every request the other side does not answer in time fails with `timeout`; a closed socket fails every
// pending request with `disconnected`.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from 'pino';

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export type RequestHandler = (method: string, data: any) => Promise<unknown> | unknown;

export interface WsRpcOptions {
  onRequest?: RequestHandler;
  timeoutMs?: number;
  log?: Logger;
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WsRpc extends EventEmitter<{ notification: [string, any]; close: [number, string] }> {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private closed = false;
  /** The close code once the socket closed (e.g. 4401 when central refused the box token). */
  closeCode: number | null = null;
  /** Resolves with the close code. The socket stops being usable (CLOSING) a moment before it is known. */
  readonly whenClosed: Promise<number>;
  private resolveClosed!: (code: number) => void;

  constructor(
    readonly ws: WebSocket,
    private readonly opts: WsRpcOptions = {},
  ) {
    super();
    this.whenClosed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.on('message', (raw: WebSocket.RawData, isBinary: boolean) => this.onMessage(raw, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason.toString()));
    ws.on('error', (err: Error) => opts.log?.debug({ err }, 'websocket error'));
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  request<T = any>(method: string, data: unknown = {}, timeoutMs = this.opts.timeoutMs ?? 10_000): Promise<T> {
    if (!this.open) return Promise.reject(new RpcError('disconnected', 'the connection is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError('timeout', `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  notify(notification: string, data: unknown = {}): void {
    if (this.open) this.ws.send(JSON.stringify({ notification, data }));
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
    // A peer that never completes the closing handshake must not keep the socket (and our state) alive.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private onMessage(raw: WebSocket.RawData, isBinary: boolean): void {
    let msg: any;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(raw.toString());
      if (!msg || typeof msg !== 'object') throw new Error('not an object');
    } catch {
      this.opts.log?.warn('ignoring a message that is not a JSON object');
      return;
    }
    if (typeof msg.notification === 'string') {
      this.emit('notification', msg.notification, msg.data ?? {});
    } else if (typeof msg.method === 'string' && (typeof msg.id === 'number' || typeof msg.id === 'string')) {
      void this.answer(msg.id, msg.method, msg.data ?? {});
    } else if (msg.id !== undefined && typeof msg.ok === 'boolean') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.data);
      else p.reject(new RpcError(String(msg.error ?? 'error'), String(msg.message ?? msg.error ?? 'request failed')));
    }
  }

  private async answer(id: number | string, method: string, data: unknown): Promise<void> {
    const reply = (m: object) => {
      if (this.open) this.ws.send(JSON.stringify({ id, ...m }));
    };
    if (!this.opts.onRequest) return reply({ ok: false, error: 'unknown_method', message: `unknown method ${method}` });
    try {
      const result = await this.opts.onRequest(method, data);
      reply({ ok: true, data: result ?? {} });
    } catch (err) {
      if (err instanceof RpcError) return reply({ ok: false, error: err.code, message: err.message });
      // mediasoup's own errors (bad RTP parameters, closed transport…) are the client's problem to see,
      // but never with a stack.
      this.opts.log?.warn({ err, method }, 'signaling request failed');
      reply({ ok: false, error: 'request_failed', message: (err as Error)?.message ?? String(err) });
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.resolveClosed(code);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RpcError('disconnected', `connection closed (${code}${reason ? ` ${reason}` : ''})`));
    }
    this.pending.clear();
    this.emit('close', code, reason);
  }
}
