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
import { SerialPort } from 'serialport';
import { DeviceError, type DeviceHealth, type DeviceStatus, type Driver, type DriverEvents, type Input, type Mute, type Power, type RawConsole, type Volume } from '../types.js';
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

interface Job {
  probe: boolean;
  run(): Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Incoming = { kind: 'reply'; text: string } | { kind: 'closed'; reason: string };

/** The open serial port with a mailbox of reassembled replies. */
class SerialLink {
  readonly parser = new LgReplyParser();
  private inbox: Incoming[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  constructor(readonly port: SerialPort) {}

  onData(chunk: Buffer): void {
    for (const text of this.parser.push(chunk)) this.push({ kind: 'reply', text });
  }
  onClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.push({ kind: 'closed', reason });
  }
  private push(item: Incoming): void {
    this.inbox.push(item);
    this.wake?.();
  }
  reset(): void {
    this.parser.flush();
    this.inbox = this.inbox.filter((i) => i.kind !== 'reply');
  }
  next(timeoutMs: number): Promise<Incoming | 'timeout'> {
    const ready = this.inbox.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve('timeout');
      }, Math.max(0, timeoutMs));
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(this.inbox.shift()!);
      };
    });
  }
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) return reject(new DeviceError('unreachable', `Serial port ${this.port.path} is closed`));
      this.port.write(Buffer.from(text, 'latin1'), (err) => {
        if (err) return reject(new DeviceError('unreachable', `Write to ${this.port.path} failed: ${err.message}`));
        this.port.drain((e) => (e ? reject(new DeviceError('unreachable', `Write to ${this.port.path} failed: ${e.message}`)) : resolve()));
      });
    });
  }
  close(): void {
    this.closed = true;
    if (this.port.isOpen) this.port.close(() => {});
  }
}

const show = (c: LgCommand) => encodeCommand(c).trimEnd();

export class LgSerialDriver extends EventEmitter<DriverEvents> implements Driver, Power, Input, Volume, Mute, RawConsole {
  readonly driver = 'lg-serial';
  readonly kind = 'display' as const;
  readonly connection: LgSerialConnection;

  private status: DeviceStatus = 'connecting';
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private display: LgDisplayState = { power: null, volume: null, mute: null, input: null };

  private link: SerialLink | null = null;
  private queue: Job[] = [];
  private current: Job | null = null;
  private pumping = false;
  private started = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(connection: Partial<LgSerialConnection> & { path: string }) {
    super();
    this.connection = { ...LG_SERIAL_DEFAULTS, ...connection };
    this.backoffMs = this.connection.reconnectMinMs;
  }

  private get where(): string {
    return `${this.connection.path} @${this.connection.baudRate}`;
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the port and asks the power state; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    const online = await this.enqueue(() => this.probe(), true).catch(() => false);
    if (online) await this.refresh(false).catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    const closed = new DeviceError('closed', 'The display driver was stopped');
    const jobs = [...this.queue, ...(this.current ? [this.current] : [])];
    this.queue = [];
    for (const j of jobs) j.reject(closed);
    const link = this.link;
    this.link = null;
    if (link) {
      link.onClose('stopped');
      link.close();
    }
    this.setStatus('offline');
  }

  health(): DeviceHealth {
    return { status: this.status, lastReplyAt: this.lastReplyAt, errorCount: this.errorCount, lastError: this.lastError };
  }

  state(): Record<string, unknown> {
    return { ...this.display };
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** `ka 01 01` / `ka 01 00`; the power-on ACK arrives once the set is on (bounded by powerOnTimeoutMs). */
  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ command: 'ka', setId: this.connection.setId, data: [on ? 1 : 0] }, on ? 'power on' : 'power off');
    this.patchState({ power: on });
  }

  /** xb: hdmi1 90, hdmi2 91, hdmi3 92, rgb1 60, dp1 C0, … or connection.inputs. */
  async setInput(source: string): Promise<void> {
    const code = typeof source === 'string' ? sourceToLgInput(source, this.connection.inputs) : null;
    if (code === null) throw new DeviceError('invalid_argument', `Unknown LG input "${String(source)}": use hdmi1..4, dp1, rgb1, dvi1, video1, component1, or map it in connection.inputs`);
    await this.command({ command: 'xb', setId: this.connection.setId, data: [code] }, `input ${source}`);
    this.patchState({ input: lgInputToSource(code, this.connection.inputs) });
  }

  /** kf 00..64h. */
  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) throw new DeviceError('invalid_argument', 'level must be an integer in 0..100');
    await this.command({ command: 'kf', setId: this.connection.setId, data: [level] }, `volume ${level}`);
    this.patchState({ volume: level });
  }

  /** ke 00 = mute on, ke 01 = mute off (LG's "Volume Mute On (Volume Off)"). */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ command: 'ke', setId: this.connection.setId, data: [on ? 0 : 1] }, on ? 'mute' : 'unmute');
    this.patchState({ mute: on });
  }

  /** Technician console: `ka 01 ff` in, `a 01 OK01x` out (NG answers returned, not thrown; '' for set ID 00). */
  async raw(request: string): Promise<string> {
    let cmd: LgCommand;
    try {
      cmd = decodeCommand(request.trim());
    } catch (err) {
      throw new DeviceError('invalid_argument', `Not an LG command line (e.g. "ka 01 ff"): ${(err as Error).message}`);
    }
    const r = await this.enqueue(() => this.exchange(cmd, show(cmd)));
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
      this.patchState({ power: power !== null && power.data[0] === 1 });
    }
    if (this.display.power !== true) return;
    const volume = await this.command({ command: 'kf', setId: id, data: [QUERY] }, 'volume query');
    const mute = await this.command({ command: 'ke', setId: id, data: [QUERY] }, 'mute query');
    const input = await this.command({ command: 'xb', setId: id, data: [QUERY] }, 'input query');
    this.patchState({
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
    const got = await this.enqueue(() => this.exchange(cmd, what));
    if (got === null) return null;
    const r = got.reply;
    if (!r.ok) {
      const err = ngError(r.data[0], what);
      this.noteError(err.message);
      throw err;
    }
    return r;
  }

  private async probe(): Promise<boolean> {
    try {
      if (this.connection.setId === ALL_SETS) await this.ensureLink();
      else {
        const got = await this.exchange({ command: 'ka', setId: this.connection.setId, data: [QUERY] }, 'power query');
        if (got?.reply.ok) this.patchState({ power: got.reply.data[0] === 1 });
      }
      this.backoffMs = this.connection.reconnectMinMs;
      this.setStatus('online');
      return true;
    } catch {
      return false;
    }
  }

  private enqueue<T>(run: () => Promise<T>, probe = false): Promise<T> {
    if (this.stopped) return Promise.reject(new DeviceError('closed', 'The display driver was stopped'));
    if (!this.started) return Promise.reject(new DeviceError('closed', 'The display driver is not started'));
    if (this.status === 'offline' && !probe) return Promise.reject(this.unreachable());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ probe, run, resolve: resolve as (v: unknown) => void, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        if (this.status === 'offline' && !job.probe) {
          job.reject(this.unreachable());
          continue;
        }
        this.current = job;
        try {
          job.resolve(await job.run());
        } catch (err) {
          job.reject(err);
        } finally {
          this.current = null;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Sends a line and returns the set's OK/NG for it (null for set ID 00). Sets the status on failures. */
  private async exchange(cmd: LgCommand, what: string): Promise<{ reply: LgReply; text: string } | null> {
    try {
      const got = await this.exchangeOnce(cmd, what);
      if (got) {
        this.lastReplyAt = Date.now();
        if (this.status === 'degraded') this.setStatus('online');
      }
      return got;
    } catch (err) {
      if (this.stopped) throw new DeviceError('closed', 'The display driver was stopped');
      if (err instanceof DeviceError && err.code === 'bad_reply') {
        this.noteError(err.message);
        if (this.status === 'online') this.setStatus('degraded');
      } else if (err instanceof DeviceError && (err.code === 'timeout' || err.code === 'unreachable')) {
        this.noteError(err.message);
        this.goOffline();
      } else this.noteError((err as Error).message);
      throw err;
    }
  }

  private async exchangeOnce(cmd: LgCommand, what: string): Promise<{ reply: LgReply; text: string } | null> {
    const c = this.connection;
    const line = encodeCommand(cmd);
    const powerOn = cmd.command === 'ka' && cmd.data[0] === 1;
    const retries = powerOn ? 0 : c.retries;
    const waitMs = powerOn ? c.powerOnTimeoutMs : c.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const link = await this.ensureLink();
      link.reset();
      await link.write(line);
      if (cmd.setId === ALL_SETS) return null; // every set acts; none answers
      const deadline = Date.now() + waitMs;
      for (;;) {
        const got = await link.next(deadline - Date.now());
        if (this.stopped) throw new DeviceError('closed', 'The display driver was stopped');
        if (got === 'timeout') {
          if (attempt < retries) break;
          throw new DeviceError(
            'timeout',
            powerOn
              ? `Display ${this.where} (set ${cmd.setId}) did not acknowledge ${what} within ${waitMs} ms (LG acknowledges power on once it has finished powering on)`
              : `Display ${this.where} (set ${cmd.setId}) did not answer ${what} within ${(retries + 1) * waitMs} ms (${retries + 1} attempts of ${waitMs} ms)`,
          );
        }
        if (got.kind === 'closed') {
          if (this.link === link) this.link = null;
          throw new DeviceError('unreachable', `Serial port of display ${this.where} lost during ${what} (${got.reason})`);
        }
        let reply: LgReply;
        try {
          reply = decodeReply(got.text);
        } catch (err) {
          if (!(err instanceof LgDecodeError)) throw err;
          throw new DeviceError('bad_reply', `Display sent an undecodable answer to ${what}: ${err.message}`);
        }
        if (reply.command2 !== cmd.command[1] || reply.setId !== cmd.setId) {
          this.noteError(`ignored reply ${JSON.stringify(got.text)} while waiting for ${show(cmd)}`);
          continue;
        }
        return { reply, text: got.text };
      }
    }
  }

  private async ensureLink(): Promise<SerialLink> {
    if (this.link && !this.link.closed) return this.link;
    this.link = null;
    const { path, baudRate } = this.connection;
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    const link = new SerialLink(port);
    port.on('data', (chunk: Buffer) => link.onData(chunk));
    port.on('error', (err) => this.noteError(`serial ${path}: ${err.message}`));
    port.on('close', (err?: Error) => {
      const reason = err ? `serial port closed: ${err.message}` : 'serial port closed';
      const current = this.link === link && !link.closed;
      link.onClose(reason);
      // An adapter unplugged (or the pty gone): the set is unreachable until the port opens again.
      if (current && !this.stopped) {
        this.link = null;
        this.noteError(`${path}: ${reason}`);
        this.goOffline();
      }
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new DeviceError('unreachable', `Cannot open serial port ${path}: ${err.message}`)) : resolve())),
    );
    if (this.stopped) {
      link.close();
      throw new DeviceError('closed', 'The display driver was stopped');
    }
    this.link = link;
    return link;
  }

  // -------------------------------------------------------------------------------------------
  // Offline and reconnect
  // -------------------------------------------------------------------------------------------

  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Display ${this.where} is offline (not answering); reconnecting in the background`);
  }

  private goOffline(): void {
    if (this.stopped) return;
    if (this.status !== 'offline') {
      this.setStatus('offline');
      const waiting = this.queue.filter((j) => !j.probe);
      this.queue = this.queue.filter((j) => j.probe);
      for (const j of waiting) j.reject(this.unreachable());
    }
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.connection.reconnectMaxMs);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.enqueue(() => this.probe(), true)
        .then((ok) => {
          if (ok) this.refresh(false).catch(() => {});
          else if (this.status === 'offline') this.scheduleProbe();
        })
        .catch(() => {});
    }, delay);
    this.probeTimer.unref();
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

  private patchState(p: Partial<LgDisplayState>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      if (this.display[k] !== v) {
        this.display[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit('state', this.state());
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
