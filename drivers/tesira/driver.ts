// A Biamp Tesira DSP block over the Tesira Text Protocol on Telnet (TCP 23), protocols.md §4.3.
//
// Session: connect, refuse every Telnet option the server proposes (DO → WONT, WILL → DONT), wait for
// "Welcome to the Tesira Text Protocol Server", re-create the level subscription (subscriptions live and die with
// the session), read mute and level, then go online. Commands are one line each, one in flight at a time; a
// reply is the next `+OK`/`-ERR` line, while `!` publications (subscriptions) may arrive before, between or after
// replies and go to state().levels.
//
// Faults: a closed socket fails the command in flight at once ('unreachable'); no reply within timeoutMs fails it
// with 'timeout' and drops the session (a late reply would otherwise be taken for the next command's). Either
// way the driver goes offline, fails fast, and reconnects in the background with back-off.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { DeviceError, type DeviceHealth, type DeviceStatus, type Driver, type DriverEvents, type Level, type Levels, type Mute, type RawConsole } from '../types.js';
import {
  BANNER_PATTERN,
  TelnetParser,
  TesiraDecodeError,
  TtpLineSplitter,
  decodeReply,
  encodeCommand,
  getCommand,
  refusalFor,
  setCommand,
  subscribeCommand,
  unsubscribeCommand,
  type TtpReply,
  type TtpValue,
} from './codec.js';

export interface TesiraConnection {
  host: string;
  port: number;
  /** Instance tag of the Level (or Mute) block, exactly as in the Tesira design file (case-sensitive). */
  instance: string;
  /** Channel (index) inside the block, 1-based. */
  channel: number;
  /** Block whose `level` attribute is subscribed for metering; defaults to `instance`. */
  meterInstance?: string;
  /** Bound on the TCP connect, on the wait for the banner, and on each command's reply. */
  timeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** When nothing was received for this long, send `SESSION get verbose` to prove the DSP is there (0 = never). */
  keepaliveMs: number;
}

export const TESIRA_DEFAULTS = {
  port: 23,
  channel: 1,
  timeoutMs: 2000,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
  keepaliveMs: 30_000,
} satisfies Partial<TesiraConnection>;

export interface TesiraState {
  mute: boolean | null;
  /** Gain in dB of the block's channel. */
  level: number | null;
  /** Latest published readings by channel ("1": -23.5), from subscribeLevels(). */
  levels: Record<string, number>;
  [key: string]: unknown;
}

type LineReply = Extract<TtpReply, { type: 'ok' } | { type: 'error' }>;
interface Answer {
  line: string;
  reply: LineReply | null; // null when the line could not be decoded
  decodeError: string | null;
}

interface Session {
  socket: net.Socket;
  telnet: TelnetParser;
  lines: TtpLineSplitter;
  bannerSeen: boolean;
  usable: boolean; // set-up finished: queued commands may go
  badReplies: number; // undecodable lines seen on this session
  gone: boolean;
  pending: { what: string; resolve(a: Answer): void; reject(e: DeviceError): void; timer: NodeJS.Timeout } | null;
  onBanner: (() => void) | null;
  onGone: ((e: DeviceError) => void) | null;
  keepalive: NodeJS.Timeout | null;
}

interface Job {
  line: string;
  what: string;
  resolve(a: Answer): void;
  reject(e: unknown): void;
}

interface Subscription {
  instance: string;
  channel: number;
  token: string;
  intervalMs: number;
}

const MAX_INTERVAL_MS = 3_600_000;

export class TesiraDriver extends EventEmitter<DriverEvents> implements Driver, Mute, Level, Levels, RawConsole {
  readonly driver = 'tesira';
  readonly kind = 'audio' as const;
  readonly connection: TesiraConnection;

  private status: DeviceStatus = 'connecting';
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private dsp: TesiraState = { mute: null, level: null, levels: {} };

  private session: Session | null = null;
  private queue: Job[] = [];
  private busy = false;
  private subscription: Subscription | null = null;
  private started = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(connection: Partial<TesiraConnection> & { host: string; instance: string }) {
    super();
    this.connection = { ...TESIRA_DEFAULTS, ...connection };
    this.backoffMs = this.connection.reconnectMinMs;
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects once (negotiation, banner, state read); resolves when that attempt ran, online or not. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    await this.connect();
  }

  /** Closes the session; pending and queued commands fail with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const closed = new DeviceError('closed', 'The Tesira driver was stopped');
    this.failQueue(closed);
    const s = this.session;
    if (s) {
      this.session = null;
      this.lose(s, closed);
      if (!s.socket.closed) await new Promise<void>((resolve) => s.socket.once('close', () => resolve()));
    }
    this.setStatus('offline');
  }

  health(): DeviceHealth {
    return { status: this.status, lastReplyAt: this.lastReplyAt, errorCount: this.errorCount, lastError: this.lastError };
  }

  state(): Record<string, unknown> {
    return { ...this.dsp, levels: { ...this.dsp.levels } };
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** `<instance> set mute <channel> true|false` */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    const c = this.connection;
    await this.command(encodeCommand(setCommand(c.instance, 'mute', [c.channel], on)), `${c.instance} mute ${on ? 'on' : 'off'}`);
    this.patchState({ mute: on });
  }

  /** `<instance> set level <channel> <db>` */
  async setLevel(db: number): Promise<void> {
    if (typeof db !== 'number' || !Number.isFinite(db) || db < -100 || db > 12) throw new DeviceError('invalid_argument', 'level must be a number of dB in [-100, 12]');
    const c = this.connection;
    const rounded = Math.round(db * 1000) / 1000;
    await this.command(encodeCommand(setCommand(c.instance, 'level', [c.channel], rounded)), `${c.instance} level ${rounded} dB`);
    this.patchState({ level: rounded });
  }

  /**
   * `<meterInstance> subscribe level <channel> <token> <ms>`: the DSP then publishes `!` lines every intervalMs,
   * which land in state().levels. 0 unsubscribes. Re-sent automatically after every reconnect.
   */
  async subscribeLevels(intervalMs: number): Promise<void> {
    if (!Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > MAX_INTERVAL_MS)
      throw new DeviceError('invalid_argument', `intervalMs must be an integer in 0..${MAX_INTERVAL_MS} (0 stops the subscription)`);
    const c = this.connection;
    const instance = c.meterInstance ?? c.instance;
    const token = levelToken(c.channel);
    if (intervalMs === 0) {
      const had = this.subscription;
      this.subscription = null;
      if (had) await this.command(encodeCommand(unsubscribeCommand(had.instance, 'level', [had.channel], had.token)), `${had.instance} unsubscribe level`);
      this.patchState({ levels: {} });
      return;
    }
    // Known before the command goes out: the DSP publishes the first value before its +OK.
    const previous = this.subscription;
    this.subscription = { instance, channel: c.channel, token, intervalMs };
    try {
      await this.command(encodeCommand(subscribeCommand(instance, 'level', [c.channel], token, intervalMs)), `${instance} subscribe level every ${intervalMs} ms`);
    } catch (err) {
      this.subscription = previous;
      throw err;
    }
  }

  /**
   * One TTP line for the technician console; returns the device's reply line (`+OK …` or `-ERR …`) as text.
   * Device errors are answers here, not exceptions.
   */
  async raw(request: string): Promise<string> {
    if (typeof request !== 'string') throw new DeviceError('invalid_argument', 'request must be a string');
    const line = request.replace(/\r?\n$/, '');
    if (line.trim().length === 0 || line.length > 4096) throw new DeviceError('invalid_argument', 'request must be one TTP line of 1..4096 characters');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw new DeviceError('invalid_argument', 'request must be a single line without control characters');
    const answer = await this.enqueue(`${line}\n`, `raw "${abbreviate(line)}"`);
    return answer.line;
  }

  /** Reads mute and level of the configured channel into state(). */
  async refreshState(): Promise<void> {
    const c = this.connection;
    const mute = await this.command(encodeCommand(getCommand(c.instance, 'mute', [c.channel])), `${c.instance} get mute`);
    if (typeof mute.value === 'boolean') this.patchState({ mute: mute.value });
    const level = await this.command(encodeCommand(getCommand(c.instance, 'level', [c.channel])), `${c.instance} get level`);
    if (typeof level.value === 'number') this.patchState({ level: level.value });
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  /** A command that must succeed: `-ERR` and undecodable replies become DeviceErrors. */
  private async command(line: string, what: string): Promise<Extract<TtpReply, { type: 'ok' }>> {
    const answer = await this.enqueue(line, what);
    return this.okOrThrow(answer, what);
  }

  private okOrThrow(answer: Answer, what: string): Extract<TtpReply, { type: 'ok' }> {
    const r = answer.reply;
    if (!r) throw new DeviceError('bad_reply', `Tesira sent an undecodable answer to ${what}: ${answer.decodeError}`);
    if (r.type === 'ok') return r;
    const err = errorFor(r, what, this.connection);
    this.noteError(err.message);
    throw err;
  }

  private enqueue(line: string, what: string): Promise<Answer> {
    if (this.stopped || !this.started) return Promise.reject(new DeviceError('closed', this.stopped ? 'The Tesira driver was stopped' : 'The Tesira driver is not started'));
    if (this.status === 'offline') return Promise.reject(this.unreachable());
    return new Promise<Answer>((resolve, reject) => {
      this.queue.push({ line, what, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const s = this.session;
    if (this.busy || !s || !s.usable) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    this.exchange(s, job.line, job.what)
      .then(job.resolve, job.reject)
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  /** Writes one line and waits for the next +OK/-ERR line, bounded by timeoutMs. */
  private exchange(s: Session, line: string, what: string): Promise<Answer> {
    if (s.gone) return Promise.reject(this.unreachable());
    if (s.pending) return Promise.reject(new Error('internal: two Tesira commands in flight'));
    const timeoutMs = this.connection.timeoutMs;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (s.pending?.timer !== timer) return;
        s.pending = null;
        const err = new DeviceError('timeout', `Tesira did not answer ${what} within ${timeoutMs} ms`);
        this.noteError(err.message);
        reject(err);
        // A late reply would be read as the answer to the next command: start a fresh session instead.
        this.lose(s, err);
      }, timeoutMs);
      timer.unref();
      s.pending = { what, resolve, reject, timer };
      s.socket.write(line);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Session
  // -------------------------------------------------------------------------------------------

  private async connect(): Promise<boolean> {
    if (this.stopped) return false;
    const c = this.connection;
    const socket = new net.Socket();
    socket.setNoDelay(true);
    const s: Session = { socket, telnet: new TelnetParser(), lines: new TtpLineSplitter(), bannerSeen: false, usable: false, badReplies: 0, gone: false, pending: null, onBanner: null, onGone: null, keepalive: null };
    this.session = s;
    const gone = new Promise<never>((_, reject) => (s.onGone = reject));
    gone.catch(() => {});
    let socketError: string | null = null;
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('data', (buf) => this.onData(s, buf));
    socket.on('error', (err) => (socketError = err.message));
    socket.on('close', () => {
      if (s.gone) return;
      const what = socket.connecting || !connected ? 'cannot be reached' : 'closed the connection';
      const err = new DeviceError('unreachable', `Tesira ${c.host}:${c.port} ${what}${socketError ? ` (${socketError})` : ''}`);
      this.noteError(err.message);
      this.lose(s, err);
    });

    try {
      await bounded(
        Promise.race([new Promise<void>((resolve) => socket.connect(c.port, c.host, resolve)), gone]),
        c.timeoutMs,
        () => `TCP connect to ${c.host}:${c.port} did not complete within ${c.timeoutMs} ms`,
      );
      await bounded(
        Promise.race([new Promise<void>((resolve) => (s.bannerSeen ? resolve() : (s.onBanner = resolve))), gone]),
        c.timeoutMs,
        () => `no "Welcome to the Tesira Text Protocol Server" banner within ${c.timeoutMs} ms of connecting`,
      );
      // Subscriptions are per session: a new session has none.
      const sub = this.subscription;
      if (sub) {
        const what = `${sub.instance} re-subscribe level`;
        const a = await this.exchange(s, encodeCommand(subscribeCommand(sub.instance, 'level', [sub.channel], sub.token, sub.intervalMs)), what);
        // A refusal is a configuration problem, not a reason to drop the session: report it and carry on.
        if (a.reply?.type !== 'ok') this.noteError(a.reply ? errorFor(a.reply, what, c).message : `undecodable answer to ${what}: ${a.decodeError}`);
      }
      await this.readInitialState(s);
    } catch (err) {
      // A closed socket was already counted by its 'close' handler, and a command timeout by exchange().
      if (!s.gone) {
        const e = err instanceof DeviceError ? err : new DeviceError('unreachable', String((err as Error)?.message ?? err));
        this.noteError(`Tesira ${c.host}:${c.port}: ${e.message}`);
        this.lose(s, e);
      }
      return false;
    }
    if (s.gone || this.stopped) return false;
    s.usable = true;
    this.backoffMs = c.reconnectMinMs;
    this.setStatus(s.badReplies > 0 ? 'degraded' : 'online');
    this.startKeepalive(s);
    this.pump();
    return true;
  }

  /**
   * A dead peer that sent no FIN (cable cut, power loss) is only noticed when a command times out; an idle
   * session is therefore probed. Publications and replies count as signs of life.
   */
  private startKeepalive(s: Session): void {
    const ms = this.connection.keepaliveMs;
    if (!ms) return;
    s.keepalive = setInterval(() => {
      if (s.gone || this.busy || this.queue.length > 0) return;
      if (Date.now() - (this.lastReplyAt ?? 0) < ms) return;
      this.enqueue(encodeCommand({ instance: 'SESSION', command: 'get', attribute: 'verbose', args: [] }), 'keepalive (SESSION get verbose)').catch(() => {});
    }, Math.max(10, Math.floor(ms / 2)));
    s.keepalive.unref();
  }

  /** Best effort: a missing instance tag is reported in health() but does not keep the session from starting. */
  private async readInitialState(s: Session): Promise<void> {
    const c = this.connection;
    for (const attribute of ['mute', 'level'] as const) {
      const what = `${c.instance} get ${attribute}`;
      const a = await this.exchange(s, encodeCommand(getCommand(c.instance, attribute, [c.channel])), what);
      if (a.reply?.type === 'ok') {
        const v = a.reply.value;
        if (attribute === 'mute' && typeof v === 'boolean') this.patchState({ mute: v });
        if (attribute === 'level' && typeof v === 'number') this.patchState({ level: v });
      } else if (a.reply?.type === 'error' && a.reply.kind === 'address-not-found') {
        this.noteError(errorFor(a.reply, what, c).message);
        return;
      }
    }
  }

  private onData(s: Session, buf: Buffer): void {
    if (s.gone) return;
    const { data, events } = s.telnet.push(buf);
    for (const e of events) {
      if (e.type !== 'negotiation') continue;
      const answer = refusalFor(e);
      if (answer) s.socket.write(answer);
    }
    if (data.length === 0) return;
    this.lastReplyAt = Date.now();
    for (const line of s.lines.push(data)) {
      if (s.gone) return;
      this.onLine(s, line);
    }
    // A banner without its line end yet is still a banner.
    if (!s.bannerSeen && BANNER_PATTERN.test(s.lines.pending)) this.bannerArrived(s);
  }

  private onLine(s: Session, line: string): void {
    let reply: TtpReply;
    try {
      reply = decodeReply(line);
    } catch (err) {
      const why = err instanceof TesiraDecodeError ? err.message : String(err);
      s.badReplies++;
      this.noteBadReply(why);
      // A reply-shaped line belongs to the command in flight: hand it over undecoded.
      if (s.pending && (line.startsWith('+') || line.startsWith('-'))) this.settle(s, { line, reply: null, decodeError: why });
      return;
    }
    switch (reply.type) {
      case 'publish':
        this.onPublish(reply.token, reply.value);
        return;
      case 'text':
        if (!s.bannerSeen && BANNER_PATTERN.test(line)) this.bannerArrived(s);
        return; // an echoed command, a prompt, a blank line
      default:
        if (s.pending) {
          this.noteGoodReply();
          this.settle(s, { line, reply, decodeError: null });
        }
      // A reply with nothing in flight cannot happen after a timeout (the session is dropped); ignore it.
    }
  }

  private settle(s: Session, a: Answer): void {
    const p = s.pending!;
    s.pending = null;
    clearTimeout(p.timer);
    p.resolve(a);
  }

  private bannerArrived(s: Session): void {
    s.bannerSeen = true;
    s.onBanner?.();
    s.onBanner = null;
  }

  private onPublish(token: string, value: TtpValue): void {
    const sub = this.subscription;
    if (!sub || token !== sub.token || typeof value !== 'number') return; // someone else's (e.g. a raw console subscription)
    const key = String(sub.channel);
    if (this.dsp.levels[key] === value) return;
    this.dsp.levels = { ...this.dsp.levels, [key]: value };
    this.emit('state', this.state());
  }

  /** Ends a session once: fails its command in flight, and if it was the live one, goes offline and reconnects. */
  private lose(s: Session, err: DeviceError): void {
    if (s.gone) return;
    s.gone = true;
    if (s.keepalive) clearInterval(s.keepalive);
    s.onGone?.(err);
    if (s.pending) {
      const p = s.pending;
      s.pending = null;
      clearTimeout(p.timer);
      p.reject(err.code === 'closed' ? err : new DeviceError(err.code, `${err.message} while ${p.what} was waiting for its reply`));
    }
    s.socket.destroy();
    if (this.session === s) {
      this.session = null;
      if (!this.stopped) this.goOffline();
    }
  }

  private goOffline(): void {
    this.setStatus('offline');
    this.failQueue(this.unreachable());
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.connection.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private failQueue(err: DeviceError): void {
    const jobs = this.queue;
    this.queue = [];
    for (const j of jobs) j.reject(err);
  }

  private unreachable(): DeviceError {
    const c = this.connection;
    return new DeviceError('unreachable', `Tesira ${c.host}:${c.port} is offline; reconnecting in the background`);
  }

  // -------------------------------------------------------------------------------------------
  // Health and state
  // -------------------------------------------------------------------------------------------

  private setStatus(s: DeviceStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.emit('status', s);
  }

  private noteError(message: string): void {
    this.errorCount++;
    this.lastError = message;
  }

  private noteBadReply(message: string): void {
    this.noteError(`undecodable reply: ${message}`);
    if (this.status === 'online') this.setStatus('degraded');
  }

  private noteGoodReply(): void {
    if (this.status === 'degraded') this.setStatus('online');
  }

  private patchState(p: Partial<TesiraState>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      if (this.dsp[k] !== v) {
        this.dsp[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit('state', this.state());
  }
}

/** The publish token of the level subscription; per session, so a fixed name per channel is unique enough. */
export const levelToken = (channel: number) => `diemcauLevel${channel}`;

function errorFor(r: Extract<TtpReply, { type: 'error' }>, what: string, c: TesiraConnection): DeviceError {
  switch (r.kind) {
    case 'address-not-found':
      return new DeviceError('rejected', `Tesira has no block with the instance tag used by ${what} (-ERR ${r.message}); instance tags are case-sensitive — check connection.instance "${c.instance}"`);
    case 'parse':
      return new DeviceError('syntax', `Tesira could not parse ${what}: -ERR ${r.message}`);
    case 'not-supported':
      return new DeviceError('not_supported', `Tesira refused ${what}: -ERR ${r.message}`);
    default:
      return new DeviceError('rejected', `Tesira refused ${what}: ${r.message}`);
  }
}

/** Rejects with DeviceError('timeout') when `p` has not settled within ms. */
function bounded<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeviceError('timeout', message())), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const abbreviate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
