// A TCP session with a device that answers one command at a time (Tesira TTP, Shure command strings): the
// connect and the set-up bounded by timeoutMs, one command in flight whose answer is awaited for timeoutMs,
// a keepalive for an idle session, and an end that happens once — socket closed, reply timed out, set-up
// failed, or stop() — failing the command in flight and telling the driver (onEnd). Sessions are not reused:
// a reconnect makes a new one, so per-session protocol state lives in a subclass.
import net from 'node:net';
import type { HealthTracker } from '../core/health.js';
import { bounded } from '../core/timeout.js';
import { DeviceError } from '../types.js';

/** The command in flight; the driver settles it with take()!.resolve(answer) when the answer arrives. */
export interface InFlight<A> {
  what: string;
  resolve(answer: A): void;
  reject(err: DeviceError): void;
}

export interface TcpSessionOptions {
  host: string;
  port: number;
  /** How messages name the device: 'Tesira' → "Tesira 10.0.0.5:23 closed the connection". */
  name: string;
  /** Bound on the connect, on each set-up step and on each reply. */
  timeoutMs: number;
  /** Counts socket losses, reply timeouts and set-up failures; its lastReplyAt drives the keepalive. */
  health: HealthTracker;
  /** What a command gets when the session has already ended. */
  unreachable(): DeviceError;
  onData(data: Buffer): void;
  /** The session ended (called once, after the command in flight failed and the socket was destroyed). */
  onEnd(err: DeviceError): void;
}

export class TcpSession<A, P extends InFlight<A> = InFlight<A>> {
  readonly socket = new net.Socket();
  /** Set-up finished: queued commands may go. */
  usable = false;
  /** Undecodable replies seen on this session. */
  badReplies = 0;
  private ended = false;
  private inFlight: P | null = null;
  private replyTimer: NodeJS.Timeout | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private readonly whenEnded: Promise<never>;
  private markEnded!: (err: DeviceError) => void;

  constructor(private readonly options: TcpSessionOptions) {
    const { socket } = this;
    const { host, port, name } = options;
    socket.setNoDelay(true);
    this.whenEnded = new Promise<never>((_, reject) => (this.markEnded = reject));
    this.whenEnded.catch(() => {});
    let socketError: string | null = null;
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('data', (data) => {
      if (!this.ended) options.onData(data);
    });
    socket.on('error', (err) => (socketError = err.message));
    socket.on('close', () => {
      if (this.ended) return;
      const what = socket.connecting || !connected ? 'cannot be reached' : 'closed the connection';
      const err = new DeviceError('unreachable', `${name} ${host}:${port} ${what}${socketError ? ` (${socketError})` : ''}`);
      options.health.noteError(err.message);
      this.end(err);
    });
  }

  /** True once the session ended. */
  get gone(): boolean {
    return this.ended;
  }

  /** The command waiting for its answer, if any. */
  get pending(): P | null {
    return this.inFlight;
  }

  /**
   * Connects and runs `setup` (greeting, subscriptions, first reads); any failure ends the session and is
   * counted. True when the session is still alive afterwards.
   */
  async establish(setup: () => Promise<void>): Promise<boolean> {
    const { host, port, timeoutMs, name } = this.options;
    try {
      await this.bound(new Promise<void>((resolve) => this.socket.connect(port, host, resolve)), () => `TCP connect to ${host}:${port} did not complete within ${timeoutMs} ms`);
      await setup();
    } catch (err) {
      // A closed socket was already counted by its 'close' handler, and a reply timeout by request().
      if (!this.ended) {
        const e = err instanceof DeviceError ? err : new DeviceError('unreachable', String((err as Error)?.message ?? err));
        this.options.health.noteError(`${name} ${host}:${port}: ${e.message}`);
        this.end(e);
      }
      return false;
    }
    return !this.ended;
  }

  /** `p`, unless the session ends first or timeoutMs pass (DeviceError('timeout', message())). */
  bound<T>(p: Promise<T>, message: () => string): Promise<T> {
    return bounded(Promise.race([p, this.whenEnded]), this.options.timeoutMs, message);
  }

  /**
   * Writes one command and waits for its answer, which the driver hands over with take()!.resolve(). No
   * answer within timeoutMs → DeviceError('timeout') and the session ends (a late answer would otherwise be
   * taken for the next command's) — unless `onSilence` settles the command itself and returns true.
   */
  request(data: string | Buffer, what: string, extra: Omit<P, keyof InFlight<A>>, onSilence?: (p: P) => boolean): Promise<A> {
    if (this.ended) return Promise.reject(this.options.unreachable());
    if (this.inFlight) return Promise.reject(new Error(`internal: two ${this.options.name} commands in flight`));
    const timeoutMs = this.options.timeoutMs;
    return new Promise<A>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.inFlight;
        if (!p || this.replyTimer !== timer) return;
        if (onSilence?.(p)) return;
        this.take();
        const err = new DeviceError('timeout', `${this.options.name} did not answer ${what} within ${timeoutMs} ms`);
        this.options.health.noteError(err.message);
        reject(err);
        this.end(err);
      }, timeoutMs);
      timer.unref();
      this.replyTimer = timer;
      this.inFlight = { ...extra, what, resolve, reject } as P;
      this.socket.write(data);
    });
  }

  /** Takes the command in flight off the session (its reply timer stops); the caller settles it. */
  take(): P | null {
    const p = this.inFlight;
    this.inFlight = null;
    if (this.replyTimer) clearTimeout(this.replyTimer);
    this.replyTimer = null;
    if (p) this.released(p);
    return p;
  }

  /** A subclass's own timers of the command in flight stop here. */
  protected released(_p: P): void {}

  /**
   * Every ms/2: when the session is idle (`idle()`) and nothing was received for ms, runs `probe` — a dead peer
   * that sent no FIN (cable cut, power loss) is only noticed when a command times out. 0 = off.
   */
  keepAlive(ms: number, idle: () => boolean, probe: () => void): void {
    if (!ms) return;
    this.keepalive = setInterval(() => {
      if (this.ended || !idle()) return;
      if (Date.now() - (this.options.health.lastReplyAt ?? 0) < ms) return;
      probe();
    }, Math.max(10, Math.floor(ms / 2)));
    this.keepalive.unref();
  }

  /** Ends the session once: fails the command in flight, destroys the socket, calls onEnd. */
  end(err: DeviceError): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.markEnded(err);
    const p = this.take();
    if (p) p.reject(err.code === 'closed' ? err : new DeviceError(err.code, `${err.message} while ${p.what} was waiting for its reply`));
    this.socket.destroy();
    this.options.onEnd(err);
  }

  /** Resolves once the socket has closed. */
  async closed(): Promise<void> {
    if (!this.socket.closed) await new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
  }
}
