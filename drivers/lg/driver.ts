// An LG display over RS-232C (serialport), protocols.md §3.3.
//
// Flow control: one command in flight (FIFO); its `OK`/`NG` reply is matched by the command's second letter and
// the set ID, so a late answer to an earlier command is ignored. Each attempt waits timeoutMs and an unanswered
// command is sent again `retries` times (LG sets take absolute values, so a resend is harmless) — except power
// on, whose ACK comes only once the set has finished powering on: it is sent once and waited for up to
// powerOnTimeoutMs. Set ID 00 addresses every set on the line; none answers, so those commands resolve once
// the bytes are written.
//
// Status: no answer or a lost serial port → 'offline', commands fail fast with 'unreachable', probes (`ka ff`)
// with back-off bring it back (reopening the port when it was lost). An undecodable reply → 'bad_reply' and
// 'degraded' until a good reply. NG 01/02/03 → invalid_argument / not_supported / busy.
import { EventEmitter } from 'node:events';
import { CommandQueue } from '../core/command-queue.js';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { ProbeLoop } from '../core/probe-loop.js';
import { ReplyLink } from '../transports/reply-link.js';
import { SerialByteStream, describeSerialClose, serialDisplayErrors } from '../transports/serial.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Input, type Mute, type Power, type RawConsole, type Volume } from '../types.js';
import {
  ALL_SETS,
  LgDecodeError,
  LgReplyParser,
  NG_ILLEGAL_CODE,
  NG_MEANINGS,
  NG_NOT_SUPPORTED,
  NG_WAIT,
  QUERY,
  decodeCommand,
  decodeReply,
  encodeCommand,
  lgInputToSource,
  muteFromData,
  sourceToLgInput,
  type LgCommand,
  type LgReply,
} from './codec.js';

export interface LgSerialConnection {
  path: string;
  baudRate: number;
  /** 1..99; 0 = every set on the line (no replies). */
  setId: number;
  /** Bound on each attempt to get the OK/NG reply. */
  timeoutMs: number;
  /** Bound on the power-on ACK, which LG sends only after power-on completes. */
  powerOnTimeoutMs: number;
  /** Resends of an unanswered command (not power on). */
  retries: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Extra or overriding source names → xb codes, e.g. {"hdmi1_pc": 160}. */
  inputs?: Record<string, number>;
}

export const LG_SERIAL_DEFAULTS: Omit<LgSerialConnection, 'path' | 'inputs'> = {
  baudRate: 9600,
  setId: 1,
  timeoutMs: 1000,
  powerOnTimeoutMs: 15_000,
  retries: 1,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
};

export interface LgDisplayState {
  power: boolean | null;
  volume: number | null;
  mute: boolean | null;
  input: string | null;
  [key: string]: unknown;
}

const show = (c: LgCommand) => encodeCommand(c).trimEnd();

export class LgSerialDriver extends EventEmitter<DriverEvents> implements Driver, Power, Input, Volume, Mute, RawConsole {
  readonly driver = 'lg-serial';
  readonly kind = 'display' as const;
  readonly connection: LgSerialConnection;

  private readonly lifecycle = new Lifecycle('display');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly display = new DeviceState<LgDisplayState>({ power: null, volume: null, mute: null, input: null }, () => this.emit('state', this.state()));
  private readonly queue = new CommandQueue({ admit: (probe) => this.lifecycle.refusal() ?? (this.tracker.status === 'offline' && !probe ? this.unreachable() : null) });
  private readonly probes: ProbeLoop;
  /** The serial port, cut into replies. */
  private readonly link: ReplyLink<string>;

  constructor(connection: Partial<LgSerialConnection> & { path: string }) {
    super();
    this.connection = { ...LG_SERIAL_DEFAULTS, ...connection };
    const { path, baudRate } = this.connection;
    this.probes = new ProbeLoop({ lifecycle: this.lifecycle, tracker: this.tracker, queue: this.queue, delays: this.connection, probe: () => this.probe(), refresh: () => this.refresh(false), unreachable: () => this.unreachable() });
    this.link = new ReplyLink(new SerialByteStream(path, baudRate, { drain: true, describeLoss: describeSerialClose }), () => new LgReplyParser(), serialDisplayErrors(path));
    this.link.on('error', (err) => this.tracker.noteError(`serial ${path}: ${err.message}`));
    this.link.on('lost', (reason) => {
      // An adapter unplugged (or the pty gone): the set is unreachable until the port opens again.
      if (this.lifecycle.stopped) return;
      this.tracker.noteError(`${path}: ${reason}`);
      this.probes.goOffline();
    });
  }

  private get where(): string {
    return `${this.connection.path} @${this.connection.baudRate}`;
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the port and asks the power state; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    const online = await this.probes.run();
    if (online) await this.refresh(false).catch(() => {});
  }

  async stop(): Promise<void> {
    this.lifecycle.stop();
    this.probes.cancel();
    this.queue.fail(this.lifecycle.stoppedError(), { running: true });
    void this.link.close();
    this.tracker.set('offline');
  }

  health(): DeviceHealth {
    return this.tracker.snapshot();
  }

  state(): Record<string, unknown> {
    return this.display.copy();
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** `ka 01 01` / `ka 01 00`; the power-on ACK arrives once the set is on (bounded by powerOnTimeoutMs). */
  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ command: 'ka', setId: this.connection.setId, data: [on ? 1 : 0] }, on ? 'power on' : 'power off');
    this.display.patch({ power: on });
  }

  /** xb: hdmi1 90, hdmi2 91, hdmi3 92, rgb1 60, dp1 C0, … or connection.inputs. */
  async setInput(source: string): Promise<void> {
    const code = typeof source === 'string' ? sourceToLgInput(source, this.connection.inputs) : null;
    if (code === null) throw new DeviceError('invalid_argument', `Unknown LG input "${String(source)}": use hdmi1..4, dp1, rgb1, dvi1, video1, component1, or map it in connection.inputs`);
    await this.command({ command: 'xb', setId: this.connection.setId, data: [code] }, `input ${source}`);
    this.display.patch({ input: lgInputToSource(code, this.connection.inputs) });
  }

  /** kf 00..64h. */
  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) throw new DeviceError('invalid_argument', 'level must be an integer in 0..100');
    await this.command({ command: 'kf', setId: this.connection.setId, data: [level] }, `volume ${level}`);
    this.display.patch({ volume: level });
  }

  /** ke 00 = mute on, ke 01 = mute off (LG's "Volume Mute On (Volume Off)"). */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ command: 'ke', setId: this.connection.setId, data: [on ? 0 : 1] }, on ? 'mute' : 'unmute');
    this.display.patch({ mute: on });
  }

  /** Technician console: `ka 01 ff` in, `a 01 OK01x` out (NG answers returned, not thrown; '' for set ID 00). */
  async raw(request: string): Promise<string> {
    let cmd: LgCommand;
    try {
      cmd = decodeCommand(request.trim());
    } catch (err) {
      throw new DeviceError('invalid_argument', `Not an LG command line (e.g. "ka 01 ff"): ${(err as Error).message}`);
    }
    const r = await this.queue.push(() => this.exchange(cmd, show(cmd)));
    return r === null ? '' : r.text;
  }

  /** Power, then volume, mute and input while on. */
  async refreshState(): Promise<void> {
    await this.refresh(true);
  }

  /** `askPower` false right after a probe, which has just read the power state. */
  private async refresh(askPower: boolean): Promise<void> {
    if (this.connection.setId === ALL_SETS) return;
    const id = this.connection.setId;
    if (askPower) {
      const power = await this.command({ command: 'ka', setId: id, data: [QUERY] }, 'power query');
      this.display.patch({ power: power !== null && power.data[0] === 1 });
    }
    if (this.display.values.power !== true) return;
    const volume = await this.command({ command: 'kf', setId: id, data: [QUERY] }, 'volume query');
    const mute = await this.command({ command: 'ke', setId: id, data: [QUERY] }, 'mute query');
    const input = await this.command({ command: 'xb', setId: id, data: [QUERY] }, 'input query');
    this.display.patch({
      volume: volume?.data[0] ?? null,
      mute: mute ? muteFromData(mute.data[0]) : null,
      input: input ? lgInputToSource(input.data[0], this.connection.inputs) : null,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  /** One queued command; NG becomes a DeviceError; null for set ID 00 (no reply). */
  private async command(cmd: LgCommand, what: string): Promise<LgReply | null> {
    const got = await this.queue.push(() => this.exchange(cmd, what));
    if (got === null) return null;
    const r = got.reply;
    if (!r.ok) {
      const err = ngError(r.data[0], what);
      this.tracker.noteError(err.message);
      throw err;
    }
    return r;
  }

  private async probe(): Promise<boolean> {
    try {
      if (this.connection.setId === ALL_SETS) await this.ensureOpen();
      else {
        const got = await this.exchange({ command: 'ka', setId: this.connection.setId, data: [QUERY] }, 'power query');
        if (got?.reply.ok) this.display.patch({ power: got.reply.data[0] === 1 });
      }
      this.tracker.set('online');
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a line and returns the set's OK/NG for it (null for set ID 00). Sets the status on failures. */
  private async exchange(cmd: LgCommand, what: string): Promise<{ reply: LgReply; text: string } | null> {
    try {
      const got = await this.exchangeOnce(cmd, what);
      if (got) {
        this.tracker.noteReply();
        this.tracker.recover();
      }
      return got;
    } catch (err) {
      if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
      if (err instanceof DeviceError && err.code === 'bad_reply') this.tracker.noteBadReply(err.message);
      else if (err instanceof DeviceError && (err.code === 'timeout' || err.code === 'unreachable')) {
        this.tracker.noteError(err.message);
        this.probes.goOffline();
      } else this.tracker.noteError((err as Error).message);
      throw err;
    }
  }

  private async exchangeOnce(cmd: LgCommand, what: string): Promise<{ reply: LgReply; text: string } | null> {
    const c = this.connection;
    const line = Buffer.from(encodeCommand(cmd), 'latin1');
    const powerOn = cmd.command === 'ka' && cmd.data[0] === 1;
    const retries = powerOn ? 0 : c.retries;
    const waitMs = powerOn ? c.powerOnTimeoutMs : c.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      await this.ensureOpen();
      this.link.reset();
      await this.link.write(line);
      if (cmd.setId === ALL_SETS) return null; // every set acts; none answers
      const deadline = Date.now() + waitMs;
      for (;;) {
        const got = await this.link.next(deadline - Date.now());
        if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
        if (got === 'timeout') {
          if (attempt < retries) break;
          throw new DeviceError(
            'timeout',
            powerOn
              ? `Display ${this.where} (set ${cmd.setId}) did not acknowledge ${what} within ${waitMs} ms (LG acknowledges power on once it has finished powering on)`
              : `Display ${this.where} (set ${cmd.setId}) did not answer ${what} within ${(retries + 1) * waitMs} ms (${retries + 1} attempts of ${waitMs} ms)`,
          );
        }
        if (got === 'closed') throw new DeviceError('unreachable', `Serial port of display ${this.where} lost during ${what} (${this.link.lostReason ?? 'closed'})`);
        let reply: LgReply;
        try {
          reply = decodeReply(got);
        } catch (err) {
          if (!(err instanceof LgDecodeError)) throw err;
          throw new DeviceError('bad_reply', `Display sent an undecodable answer to ${what}: ${err.message}`);
        }
        if (reply.command2 !== cmd.command[1] || reply.setId !== cmd.setId) {
          this.tracker.noteError(`ignored reply ${JSON.stringify(got)} while waiting for ${show(cmd)}`);
          continue;
        }
        return { reply, text: got };
      }
    }
  }

  /** Opens the port unless it is open. */
  private ensureOpen(): Promise<void> {
    return this.link.open(() => (this.lifecycle.stopped ? this.lifecycle.stoppedError() : null));
  }

  /** What commands get while the set is offline (the probes bring it back). */
  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Display ${this.where} is offline (not answering); reconnecting in the background`);
  }
}

/** NG 01 illegal code → invalid_argument, 02 not supported → not_supported, 03 wait more time → busy. */
function ngError(code: number | undefined, what: string): DeviceError {
  const meaning = code !== undefined ? NG_MEANINGS[code] : undefined;
  const tag = `NG${(code ?? 0).toString(16).padStart(2, '0')}${meaning ? ` ${meaning}` : ''}`;
  switch (code) {
    case NG_ILLEGAL_CODE:
      return new DeviceError('invalid_argument', `Display refused ${what}: ${tag}`);
    case NG_NOT_SUPPORTED:
      return new DeviceError('not_supported', `Display does not support ${what}: ${tag}`);
    case NG_WAIT:
      return new DeviceError('busy', `Display cannot do ${what} now: ${tag} (powering on or in standby)`);
    default:
      return new DeviceError('rejected', `Display refused ${what}: ${tag}`);
  }
}
