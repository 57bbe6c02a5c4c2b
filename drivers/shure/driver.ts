// A Shure MXA910 / MXA710 / P300 over its command strings on TCP 2202, protocols.md §4.4.
//
// Raw TCP, no Telnet negotiation. One command in flight at a time; a command is answered by the REP of the same
// parameter (and channel) or by `< REP ERR >`. REPs also arrive unsolicited when something changes on the device
// (the mute touched on the array itself, another controller): every REP updates state(), whether or not a
// command was waiting for it. `< SAMPLE … >` metering at METER_RATE feeds state().levels.
//
// Faults: as the Tesira driver — a closed socket fails the command in flight at once ('unreachable'), a missing
// reply fails it after timeoutMs ('timeout') and drops the connection; then offline, fail fast, reconnect with
// back-off, and on reconnect the meter rate is set again.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { DeviceError, type DeviceHealth, type DeviceStatus, type Driver, type DriverEvents, type Levels, type Mute, type RawConsole } from '../types.js';
import {
  MAX_METER_RATE,
  MIN_METER_RATE,
  ShureDecodeError,
  ShureStreamParser,
  decodeMessage,
  encodeGet,
  encodeMessage,
  encodeSet,
  meterRateValue,
  parseMeterRate,
  parseOnOff,
  sampleToDb,
  type ShureMessage,
} from './codec.js';

export interface ShureConnection {
  host: string;
  port: number;
  /** Bound on the TCP connect and on each command's reply. */
  timeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** When nothing was received for this long, ask `< GET DEVICE_AUDIO_MUTE >` to prove the device is there (0 = never). */
  keepaliveMs: number;
}

export const SHURE_DEFAULTS = {
  port: 2202,
  timeoutMs: 2000,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
  keepaliveMs: 30_000,
} satisfies Partial<ShureConnection>;

export interface ShureState {
  mute: boolean | null;
  /** Meter readings in dB by channel ("1".."8", "9" = automix on an MXA910), from subscribeLevels(). */
  levels: Record<string, number>;
  [key: string]: unknown;
}

type Rep = Extract<ShureMessage, { type: 'rep' }>;
type Reply = Rep | Extract<ShureMessage, { type: 'rep-error' }>;

interface Pending {
  what: string;
  /** Does this REP answer the command? */
  matches(m: Rep): boolean;
  /** GET ALL: collect REPs until the device goes quiet. */
  collect: boolean;
  collected: string[];
  quietTimer: NodeJS.Timeout | null;
  resolve(r: { frame: string; reply: Reply }): void;
  reject(e: DeviceError): void;
  timer: NodeJS.Timeout;
}

interface Session {
  socket: net.Socket;
  parser: ShureStreamParser;
  usable: boolean;
  badReplies: number;
  gone: boolean;
  pending: Pending | null;
  onGone: ((e: DeviceError) => void) | null;
  keepalive: NodeJS.Timeout | null;
}

interface Request {
  frame: string;
  what: string;
  matches(m: Rep): boolean;
  collect: boolean;
}
interface Job extends Request {
  resolve(r: { frame: string; reply: Reply }): void;
  reject(e: unknown): void;
}

/** After `< GET ALL >`, the burst of REPs is over once nothing came for this long. */
const ALL_QUIET_MS = 100;

export class ShureDriver extends EventEmitter<DriverEvents> implements Driver, Mute, Levels, RawConsole {
  readonly driver = 'shure';
  readonly kind = 'audio' as const;
  readonly connection: ShureConnection;

  private status: DeviceStatus = 'connecting';
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private mic: ShureState = { mute: null, levels: {} };

  private session: Session | null = null;
  private queue: Job[] = [];
  private busy = false;
  private meterRateMs = 0;
  private started = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(connection: Partial<ShureConnection> & { host: string }) {
    super();
    this.connection = { ...SHURE_DEFAULTS, ...connection };
    this.backoffMs = this.connection.reconnectMinMs;
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects once and reads the mute state; resolves when that attempt ran, online or not. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const closed = new DeviceError('closed', 'The Shure driver was stopped');
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
    return { ...this.mic, levels: { ...this.mic.levels } };
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** `< SET DEVICE_AUDIO_MUTE ON|OFF >`, resolved by the matching `< REP DEVICE_AUDIO_MUTE … >`. */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command(this.request(encodeSet('DEVICE_AUDIO_MUTE', on ? 'ON' : 'OFF'), `mute ${on ? 'on' : 'off'}`));
  }

  /**
   * `< SET METER_RATE nnnnn >`: `< SAMPLE … >` every intervalMs (at least 100) into state().levels; 0 stops it.
   * Set again after every reconnect.
   */
  async subscribeLevels(intervalMs: number): Promise<void> {
    if (!Number.isInteger(intervalMs) || (intervalMs !== 0 && (intervalMs < MIN_METER_RATE || intervalMs > MAX_METER_RATE)))
      throw new DeviceError('invalid_argument', `intervalMs must be 0 (off) or an integer in ${MIN_METER_RATE}..${MAX_METER_RATE}`);
    await this.command(this.request(encodeSet('METER_RATE', meterRateValue(intervalMs)), `meter rate ${intervalMs} ms`));
    this.meterRateMs = intervalMs;
    if (intervalMs === 0) this.patchState({ levels: {} });
  }

  /**
   * One command string for the technician console (`< GET DEVICE_ID >`, or without the brackets); returns the
   * device's answer frame, `< REP ERR >` included. `GET ALL` returns every REP of the burst, one per line.
   */
  async raw(request: string): Promise<string> {
    if (typeof request !== 'string') throw new DeviceError('invalid_argument', 'request must be a string');
    const text = request.trim();
    const frame = text.startsWith('<') ? text : `< ${text} >`;
    let m: ShureMessage;
    try {
      m = decodeMessage(frame);
    } catch (err) {
      throw new DeviceError('invalid_argument', `not a Shure command string: ${(err as Error).message}`);
    }
    if (m.type !== 'get' && m.type !== 'set') throw new DeviceError('invalid_argument', 'only GET and SET command strings can be sent');
    const all = m.type === 'get' && m.param === 'ALL';
    const { channel, param } = m;
    const answer = await this.enqueue({
      frame: encodeMessage(m),
      what: `raw "${frame}"`,
      matches: all ? () => true : (r) => r.param === param && r.channel === channel,
      collect: all,
    });
    return answer.frame;
  }

  /** Reads the mute state into state(). */
  async refreshState(): Promise<void> {
    await this.command(this.request(encodeGet('DEVICE_AUDIO_MUTE'), 'mute state'));
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  /**
   * A request answered by the REP of the same parameter and channel; for a SET, by the REP carrying the value
   * that was set, so an unsolicited REP crossing on the wire (the mute pressed on the array at that moment) is
   * not mistaken for the answer.
   */
  private request(frame: string, what: string): Request {
    const m = decodeMessage(frame) as Extract<ShureMessage, { type: 'get' | 'set' }>;
    const value = m.type === 'set' && m.value !== 'TOGGLE' ? m.value : null;
    return { frame, what, matches: (r) => r.param === m.param && r.channel === m.channel && (value === null || r.value === value), collect: false };
  }

  private async command(req: Request): Promise<Rep> {
    return this.repOrThrow(await this.enqueue(req), req.what);
  }

  private repOrThrow(answer: { frame: string; reply: Reply }, what: string): Rep {
    if (answer.reply.type === 'rep') return answer.reply;
    const err = new DeviceError('rejected', `Shure refused ${what} (< REP ERR >: unknown parameter or value out of range for this model)`);
    this.noteError(err.message);
    throw err;
  }

  private enqueue(req: Request): Promise<{ frame: string; reply: Reply }> {
    if (this.stopped || !this.started) return Promise.reject(new DeviceError('closed', this.stopped ? 'The Shure driver was stopped' : 'The Shure driver is not started'));
    if (this.status === 'offline') return Promise.reject(this.unreachable());
    return new Promise((resolve, reject) => {
      this.queue.push({ ...req, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const s = this.session;
    if (this.busy || !s || !s.usable) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    this.exchange(s, job)
      .then(job.resolve, job.reject)
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  private exchange(s: Session, req: Request): Promise<{ frame: string; reply: Reply }> {
    if (s.gone) return Promise.reject(this.unreachable());
    if (s.pending) return Promise.reject(new Error('internal: two Shure commands in flight'));
    const timeoutMs = this.connection.timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = s.pending;
        if (p?.timer !== timer) return;
        if (p.collect && p.collected.length > 0) return this.settle(s, null); // GET ALL still streaming: take what came
        s.pending = null;
        const err = new DeviceError('timeout', `Shure did not answer ${req.what} within ${timeoutMs} ms`);
        this.noteError(err.message);
        reject(err);
        this.lose(s, err);
      }, timeoutMs);
      timer.unref();
      s.pending = { what: req.what, matches: req.matches, collect: req.collect, collected: [], quietTimer: null, resolve, reject, timer };
      s.socket.write(req.frame);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Connection
  // -------------------------------------------------------------------------------------------

  private async connect(): Promise<boolean> {
    if (this.stopped) return false;
    const c = this.connection;
    const socket = new net.Socket();
    socket.setNoDelay(true);
    const s: Session = { socket, parser: new ShureStreamParser(), usable: false, badReplies: 0, gone: false, pending: null, onGone: null, keepalive: null };
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
      const err = new DeviceError('unreachable', `Shure ${c.host}:${c.port} ${what}${socketError ? ` (${socketError})` : ''}`);
      this.noteError(err.message);
      this.lose(s, err);
    });
    try {
      await bounded(
        Promise.race([new Promise<void>((resolve) => socket.connect(c.port, c.host, resolve)), gone]),
        c.timeoutMs,
        () => `TCP connect to ${c.host}:${c.port} did not complete within ${c.timeoutMs} ms`,
      );
      // The first answer proves a Shure is listening, and gives the mute state.
      this.repOrThrow(await this.exchange(s, this.request(encodeGet('DEVICE_AUDIO_MUTE'), 'mute state')), 'mute state');
      if (this.meterRateMs > 0) {
        const what = `meter rate ${this.meterRateMs} ms (after reconnect)`;
        const a = await this.exchange(s, this.request(encodeSet('METER_RATE', meterRateValue(this.meterRateMs)), what));
        if (a.reply.type !== 'rep') this.noteError(`Shure refused ${what}`);
      }
    } catch (err) {
      if (!s.gone) {
        const e = err instanceof DeviceError ? err : new DeviceError('unreachable', String((err as Error)?.message ?? err));
        this.noteError(`Shure ${c.host}:${c.port}: ${e.message}`);
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

  /** Probes an idle connection so a device that vanished without a FIN is noticed; SAMPLEs count as traffic. */
  private startKeepalive(s: Session): void {
    const ms = this.connection.keepaliveMs;
    if (!ms) return;
    s.keepalive = setInterval(() => {
      if (s.gone || this.busy || this.queue.length > 0) return;
      if (Date.now() - (this.lastReplyAt ?? 0) < ms) return;
      this.enqueue(this.request(encodeGet('DEVICE_AUDIO_MUTE'), 'keepalive (mute state)')).catch(() => {});
    }, Math.max(10, Math.floor(ms / 2)));
    s.keepalive.unref();
  }

  private onData(s: Session, buf: Buffer): void {
    if (s.gone) return;
    this.lastReplyAt = Date.now();
    for (const frame of s.parser.push(buf)) {
      if (s.gone) return;
      this.onFrame(s, frame);
    }
  }

  private onFrame(s: Session, frame: string): void {
    let m: ShureMessage;
    try {
      m = decodeMessage(frame);
    } catch (err) {
      s.badReplies++;
      this.noteBadReply(err instanceof ShureDecodeError ? err.message : String(err));
      return;
    }
    if (m.type === 'sample') {
      this.onSample(m.values);
      return;
    }
    if (m.type === 'get' || m.type === 'set') return; // a device never sends these; an echo at most
    if (m.type === 'rep') this.applyRep(m);
    const p = s.pending;
    if (!p) return;
    if (m.type === 'rep-error') {
      this.noteGoodReply();
      this.settle(s, { frame, reply: m });
    } else if (p.matches(m)) {
      this.noteGoodReply();
      if (p.collect) {
        p.collected.push(frame);
        if (p.quietTimer) clearTimeout(p.quietTimer);
        p.quietTimer = setTimeout(() => s.pending === p && this.settle(s, null), ALL_QUIET_MS);
        p.quietTimer.unref();
      } else this.settle(s, { frame, reply: m });
    }
  }

  /** Resolves the command in flight; `null` = a collecting GET ALL ends with what it has. */
  private settle(s: Session, answer: { frame: string; reply: Reply } | null): void {
    const p = s.pending!;
    s.pending = null;
    clearTimeout(p.timer);
    if (p.quietTimer) clearTimeout(p.quietTimer);
    if (answer && !(p.collect && answer.reply.type === 'rep')) p.resolve(answer);
    else {
      const last = decodeMessage(p.collected.at(-1)!) as Rep;
      p.resolve({ frame: p.collected.join('\n'), reply: last });
    }
  }

  /** Every REP, asked for or not, updates the state. */
  private applyRep(m: Rep): void {
    try {
      if (m.channel === null && m.param === 'DEVICE_AUDIO_MUTE') this.patchState({ mute: parseOnOff(m.value) });
      else if (m.channel === null && m.param === 'METER_RATE' && parseMeterRate(m.value) === 0) this.patchState({ levels: {} });
    } catch (err) {
      this.noteBadReply((err as Error).message);
    }
  }

  private onSample(values: number[]): void {
    const levels: Record<string, number> = {};
    values.forEach((v, i) => (levels[String(i + 1)] = sampleToDb(v)));
    const old = this.mic.levels;
    const same = Object.keys(old).length === values.length && values.every((v, i) => old[String(i + 1)] === sampleToDb(v));
    if (same) return;
    this.mic.levels = levels;
    this.emit('state', this.state());
  }

  private lose(s: Session, err: DeviceError): void {
    if (s.gone) return;
    s.gone = true;
    if (s.keepalive) clearInterval(s.keepalive);
    s.onGone?.(err);
    if (s.pending) {
      const p = s.pending;
      s.pending = null;
      clearTimeout(p.timer);
      if (p.quietTimer) clearTimeout(p.quietTimer);
      p.reject(err.code === 'closed' ? err : new DeviceError(err.code, `${err.message} while ${p.what} was waiting for its reply`));
    }
    s.socket.destroy();
    if (this.session === s) {
      this.session = null;
      if (!this.stopped) {
        this.setStatus('offline');
        this.failQueue(this.unreachable());
        this.scheduleReconnect();
      }
    }
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
    return new DeviceError('unreachable', `Shure ${c.host}:${c.port} is offline; reconnecting in the background`);
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

  private patchState(p: Partial<ShureState>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      const same = k === 'levels' ? Object.keys(this.mic.levels).length === 0 && Object.keys(v as object).length === 0 : this.mic[k] === v;
      if (!same) {
        this.mic[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit('state', this.state());
  }
}

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
