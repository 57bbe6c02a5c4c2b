// The browser end of the signaling WebSocket (same messages as media/ws-rpc.ts on the server):
//   request {id, method, data} → response {id, ok, data | error, message}; notifications {notification, data}.
// Every request has a deadline; a closed socket fails every pending request.

export class SignalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

type NotificationHandler = (method: string, data: any) => void;

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Signaling {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private notificationHandlers: NotificationHandler[] = [];
  private closeHandlers: Array<(code: number) => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.handleClose(ev.code));
  }

  /** Opens the socket (path is relative to this page's origin) within timeoutMs. */
  static connect(path: string, timeoutMs = 10_000): Promise<Signaling> {
    const url = new URL(path, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.toString());
      const timer = setTimeout(() => {
        ws.close();
        reject(new SignalingError('client_timeout', 'could not connect in time'));
      }, timeoutMs);
      ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new Signaling(ws));
      });
      ws.addEventListener('close', (ev) => {
        clearTimeout(timer);
        reject(new SignalingError(ev.code === 4401 ? 'unauthorized' : 'network', `connection closed (${ev.code})`));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  onNotification(fn: NotificationHandler): void {
    this.notificationHandlers.push(fn);
  }

  onClose(fn: (code: number) => void): void {
    this.closeHandlers.push(fn);
  }

  private handleClose(code: number): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SignalingError('disconnected', `connection closed (${code})`));
    }
    this.pending.clear();
    for (const fn of this.closeHandlers) fn(code);
  }

  request<T = any>(method: string, data: unknown = {}, timeoutMs = 10_000): Promise<T> {
    if (!this.open) return Promise.reject(new SignalingError('not_connected', 'not connected'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('client_timeout', `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  close(): void {
    this.ws.close(1000);
  }

  private onMessage(raw: unknown): void {
    let msg: any;
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (typeof msg?.notification === 'string') {
      for (const fn of this.notificationHandlers) fn(msg.notification, msg.data ?? {});
      return;
    }
    const p = this.pending.get(msg?.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.data);
    else p.reject(new SignalingError(String(msg.error ?? 'error'), String(msg.message ?? msg.error ?? 'request failed')));
  }
}
