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
import { EventEmitter } from 'node:events';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { SessionKeeper } from '../transports/session-keeper.js';
import { TcpSession } from '../transports/tcp-session.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Level, type Levels, type Mute, type RawConsole } from '../types.js';
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

/** One Telnet session: its option negotiation, its lines, whether the banner came. */
class Session extends TcpSession<Answer> {
  readonly telnet = new TelnetParser();
  readonly lines = new TtpLineSplitter();
  bannerSeen = false;
  onBanner: (() => void) | null = null;
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

  private readonly lifecycle = new Lifecycle('Tesira');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly dsp = new DeviceState<TesiraState>({ mute: null, level: null, levels: {} }, () => this.emit('state', this.state()));

  private readonly sessions: SessionKeeper<Session>;
  private subscription: Subscription | null = null;

  constructor(connection: Partial<TesiraConnection> & { host: string; instance: string }) {
    super();
    const c = (this.connection = { ...TESIRA_DEFAULTS, ...connection });
    this.sessions = new SessionKeeper<Session>({
      lifecycle: this.lifecycle,
      tracker: this.tracker,
      delays: c,
      create: (hooks) => {
        const s: Session = new Session({ ...hooks, host: c.host, port: c.port, name: 'Tesira', timeoutMs: c.timeoutMs, onData: (data) => this.onData(s, data) });
        return s;
      },
      setUp: (s) => this.setUp(s),
      // Publications and replies count as signs of life.
      keepaliveMs: c.keepaliveMs,
      keepalive: () => this.enqueue(encodeCommand({ instance: 'SESSION', command: 'get', attribute: 'verbose', args: [] }), 'keepalive (SESSION get verbose)').catch(() => {}),
      unreachable: () => this.unreachable(),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects once (negotiation, banner, state read); resolves when that attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    await this.sessions.connect();
  }

  /** Closes the session; pending and queued commands fail with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    await this.sessions.stop();
    this.tracker.set('offline');
  }

  health(): DeviceHealth {
    return this.tracker.snapshot();
  }

  state(): Record<string, unknown> {
    return { ...this.dsp.values, levels: { ...this.dsp.values.levels } };
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** `<instance> set mute <channel> true|false` */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    const c = this.connection;
    await this.command(encodeCommand(setCommand(c.instance, 'mute', [c.channel], on)), `${c.instance} mute ${on ? 'on' : 'off'}`);
    this.dsp.patch({ mute: on });
  }

  /** `<instance> set level <channel> <db>` */
  async setLevel(db: number): Promise<void> {
    if (typeof db !== 'number' || !Number.isFinite(db) || db < -100 || db > 12) throw new DeviceError('invalid_argument', 'level must be a number of dB in [-100, 12]');
    const c = this.connection;
    const rounded = Math.round(db * 1000) / 1000;
    await this.command(encodeCommand(setCommand(c.instance, 'level', [c.channel], rounded)), `${c.instance} level ${rounded} dB`);
    this.dsp.patch({ level: rounded });
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
      this.dsp.patch({ levels: {} });
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
    if (typeof mute.value === 'boolean') this.dsp.patch({ mute: mute.value });
    const level = await this.command(encodeCommand(getCommand(c.instance, 'level', [c.channel])), `${c.instance} get level`);
    if (typeof level.value === 'number') this.dsp.patch({ level: level.value });
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
    this.tracker.noteError(err.message);
    throw err;
  }

  /** Queued until the session is set up; then one line and the next +OK/-ERR line, bounded by timeoutMs. */
  private enqueue(line: string, what: string): Promise<Answer> {
    return this.sessions.send((s) => s.request(line, what, {}));
  }

  // -------------------------------------------------------------------------------------------
  // Session
  // -------------------------------------------------------------------------------------------

  /** Waits for the banner, re-creates the level subscription, reads the state. */
  private async setUp(s: Session): Promise<void> {
    const c = this.connection;
    await s.bound(new Promise<void>((resolve) => (s.bannerSeen ? resolve() : (s.onBanner = resolve))), () => `no "Welcome to the Tesira Text Protocol Server" banner within ${c.timeoutMs} ms of connecting`);
    // Subscriptions are per session: a new session has none.
    const sub = this.subscription;
    if (sub) {
      const what = `${sub.instance} re-subscribe level`;
      const a = await s.request(encodeCommand(subscribeCommand(sub.instance, 'level', [sub.channel], sub.token, sub.intervalMs)), what, {});
      // A refusal is a configuration problem, not a reason to drop the session: report it and carry on.
      if (a.reply?.type !== 'ok') this.tracker.noteError(a.reply ? errorFor(a.reply, what, c).message : `undecodable answer to ${what}: ${a.decodeError}`);
    }
    await this.readInitialState(s);
  }

  /** Best effort: a missing instance tag is reported in health() but does not keep the session from starting. */
  private async readInitialState(s: Session): Promise<void> {
    const c = this.connection;
    for (const attribute of ['mute', 'level'] as const) {
      const what = `${c.instance} get ${attribute}`;
      const a = await s.request(encodeCommand(getCommand(c.instance, attribute, [c.channel])), what, {});
      if (a.reply?.type === 'ok') {
        const v = a.reply.value;
        if (attribute === 'mute' && typeof v === 'boolean') this.dsp.patch({ mute: v });
        if (attribute === 'level' && typeof v === 'number') this.dsp.patch({ level: v });
      } else if (a.reply?.type === 'error' && a.reply.kind === 'address-not-found') {
        this.tracker.noteError(errorFor(a.reply, what, c).message);
        return;
      }
    }
  }

  private onData(s: Session, buf: Buffer): void {
    const { data, events } = s.telnet.push(buf);
    for (const e of events) {
      if (e.type !== 'negotiation') continue;
      const answer = refusalFor(e);
      if (answer) s.socket.write(answer);
    }
    if (data.length === 0) return;
    this.tracker.noteReply();
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
      this.tracker.noteBadReply(`undecodable reply: ${why}`);
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
          this.tracker.recover();
          this.settle(s, { line, reply, decodeError: null });
        }
      // A reply with nothing in flight cannot happen after a timeout (the session is dropped); ignore it.
    }
  }

  private settle(s: Session, a: Answer): void {
    s.take()!.resolve(a);
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
    const levels = this.dsp.values.levels;
    if (levels[key] === value) return;
    this.dsp.patch({ levels: { ...levels, [key]: value } });
  }

  private unreachable(): DeviceError {
    const c = this.connection;
    return new DeviceError('unreachable', `Tesira ${c.host}:${c.port} is offline; reconnecting in the background`);
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

const abbreviate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
