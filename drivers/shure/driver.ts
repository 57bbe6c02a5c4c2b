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
import { EventEmitter } from 'node:events';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { SessionKeeper } from '../transports/session-keeper.js';
import { TcpSession, type InFlight } from '../transports/tcp-session.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Levels, type Mute, type RawConsole } from '../types.js';
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
type Answer = { frame: string; reply: Reply };

interface Pending extends InFlight<Answer> {
  /** Does this REP answer the command? */
  matches(m: Rep): boolean;
  /** GET ALL: collect REPs until the device goes quiet. */
  collect: boolean;
  collected: string[];
  quietTimer: NodeJS.Timeout | null;
}

interface Request {
  frame: string;
  what: string;
  matches(m: Rep): boolean;
  collect: boolean;
}

/** One TCP connection: its frame parser; the quiet timer of a GET ALL stops with the command. */
class Session extends TcpSession<Answer, Pending> {
  readonly parser = new ShureStreamParser();

  protected override released(p: Pending): void {
    if (p.quietTimer) clearTimeout(p.quietTimer);
  }
}

/** After `< GET ALL >`, the burst of REPs is over once nothing came for this long. */
const ALL_QUIET_MS = 100;

export class ShureDriver extends EventEmitter<DriverEvents> implements Driver, Mute, Levels, RawConsole {
  readonly driver = 'shure';
  readonly kind = 'audio' as const;
  readonly connection: ShureConnection;

  private readonly lifecycle = new Lifecycle('Shure');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  /** `levels` counts as unchanged only from empty to empty (SAMPLEs are compared in onSample). */
  private readonly mic = new DeviceState<ShureState>({ mute: null, levels: {} }, () => this.emit('state', this.state()), (k, a, b) =>
    k === 'levels' ? Object.keys(a as object).length === 0 && Object.keys(b as object).length === 0 : a === b,
  );

  private readonly sessions: SessionKeeper<Session>;
  private meterRateMs = 0;

  constructor(connection: Partial<ShureConnection> & { host: string }) {
    super();
    const c = (this.connection = { ...SHURE_DEFAULTS, ...connection });
    this.sessions = new SessionKeeper<Session>({
      lifecycle: this.lifecycle,
      tracker: this.tracker,
      delays: c,
      create: (hooks) => {
        const s: Session = new Session({ ...hooks, host: c.host, port: c.port, name: 'Shure', timeoutMs: c.timeoutMs, onData: (data) => this.onData(s, data) });
        return s;
      },
      setUp: (s) => this.setUp(s),
      // Probes an idle connection so a device that vanished without a FIN is noticed; SAMPLEs count as traffic.
      keepaliveMs: c.keepaliveMs,
      keepalive: () => this.enqueue(this.request(encodeGet('DEVICE_AUDIO_MUTE'), 'keepalive (mute state)')).catch(() => {}),
      unreachable: () => this.unreachable(),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects once and reads the mute state; resolves when that attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    await this.sessions.connect();
  }

  async stop(): Promise<void> {
    this.lifecycle.stop();
    await this.sessions.stop();
    this.tracker.set('offline');
  }

  health(): DeviceHealth {
    return this.tracker.snapshot();
  }

  state(): Record<string, unknown> {
    return { ...this.mic.values, levels: { ...this.mic.values.levels } };
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
    if (intervalMs === 0) this.mic.patch({ levels: {} });
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

  private repOrThrow(answer: Answer, what: string): Rep {
    if (answer.reply.type === 'rep') return answer.reply;
    const err = new DeviceError('rejected', `Shure refused ${what} (< REP ERR >: unknown parameter or value out of range for this model)`);
    this.tracker.noteError(err.message);
    throw err;
  }

  /** Queued until the connection is set up; then sent and answered on it. */
  private enqueue(req: Request): Promise<Answer> {
    return this.sessions.send((s) => this.exchange(s, req));
  }

  /** Writes one command and waits for its answer, bounded by timeoutMs. */
  private exchange(s: Session, req: Request): Promise<Answer> {
    return s.request(req.frame, req.what, { matches: req.matches, collect: req.collect, collected: [], quietTimer: null }, (p) => {
      if (!p.collect || p.collected.length === 0) return false;
      this.settle(s, null); // GET ALL still streaming: take what came
      return true;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Connection
  // -------------------------------------------------------------------------------------------

  /** Reads the mute state (the first answer proves a Shure is listening) and sets the meter rate again. */
  private async setUp(s: Session): Promise<void> {
    this.repOrThrow(await this.exchange(s, this.request(encodeGet('DEVICE_AUDIO_MUTE'), 'mute state')), 'mute state');
    if (this.meterRateMs > 0) {
      const what = `meter rate ${this.meterRateMs} ms (after reconnect)`;
      const a = await this.exchange(s, this.request(encodeSet('METER_RATE', meterRateValue(this.meterRateMs)), what));
      if (a.reply.type !== 'rep') this.tracker.noteError(`Shure refused ${what}`);
    }
  }

  private onData(s: Session, buf: Buffer): void {
    this.tracker.noteReply();
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
      this.tracker.noteBadReply(`undecodable reply: ${err instanceof ShureDecodeError ? err.message : String(err)}`);
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
      this.tracker.recover();
      this.settle(s, { frame, reply: m });
    } else if (p.matches(m)) {
      this.tracker.recover();
      if (p.collect) {
        p.collected.push(frame);
        if (p.quietTimer) clearTimeout(p.quietTimer);
        p.quietTimer = setTimeout(() => s.pending === p && this.settle(s, null), ALL_QUIET_MS);
        p.quietTimer.unref();
      } else this.settle(s, { frame, reply: m });
    }
  }

  /** Resolves the command in flight; `null` = a collecting GET ALL ends with what it has. */
  private settle(s: Session, answer: Answer | null): void {
    const p = s.take()!;
    if (answer && !(p.collect && answer.reply.type === 'rep')) p.resolve(answer);
    else {
      const last = decodeMessage(p.collected.at(-1)!) as Rep;
      p.resolve({ frame: p.collected.join('\n'), reply: last });
    }
  }

  /** Every REP, asked for or not, updates the state. */
  private applyRep(m: Rep): void {
    try {
      if (m.channel === null && m.param === 'DEVICE_AUDIO_MUTE') this.mic.patch({ mute: parseOnOff(m.value) });
      else if (m.channel === null && m.param === 'METER_RATE' && parseMeterRate(m.value) === 0) this.mic.patch({ levels: {} });
    } catch (err) {
      this.tracker.noteBadReply(`undecodable reply: ${(err as Error).message}`);
    }
  }

  private onSample(values: number[]): void {
    const levels: Record<string, number> = {};
    values.forEach((v, i) => (levels[String(i + 1)] = sampleToDb(v)));
    const old = this.mic.values.levels;
    const same = Object.keys(old).length === values.length && values.every((v, i) => old[String(i + 1)] === sampleToDb(v));
    if (same) return;
    this.mic.patch({ levels });
  }

  private unreachable(): DeviceError {
    const c = this.connection;
    return new DeviceError('unreachable', `Shure ${c.host}:${c.port} is offline; reconnecting in the background`);
  }
}
