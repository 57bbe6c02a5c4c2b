// A projector or display over PJLink (TCP 4352), protocols.md §3.1.
//
// Sessions: the projector greets every new connection (`PJLINK 0` or `PJLINK 1 <random>`); with a password
// the first command line of each connection carries MD5(random + password). Many projectors close the
// connection after each command, and all close it after 30 s idle, so the driver opens a connection when a
// command needs one, keeps it while it is used, closes it itself after `idleCloseMs`, and when a reused
// connection turns out closed (the projector dropped it as we wrote) sends the command again once on a fresh
// connection. PJLink commands set absolute states, so the one resend is harmless.
//
// Flow control: one command in flight (FIFO); each settles within 2 × timeoutMs (connection + greeting, then
// the reply, each bounded by timeoutMs — the spec's 2 s reply limit plus margin by default). No answer or no
// connection → status 'offline', commands fail fast with 'unreachable', and probes with back-off bring it
// back. `PJLINK ERRA` (wrong password) → status 'degraded': the projector is there but refuses us.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { CommandQueue } from '../core/command-queue.js';
import { DeviceState, sameJson } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { Mailbox } from '../core/mailbox.js';
import { ProbeLoop } from '../core/probe-loop.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Input, type Mute, type Power, type RawConsole, type Volume } from '../types.js';
import {
  ERROR_MEANINGS,
  PJLINK_PORT,
  PjlinkDecodeError,
  PjlinkLineSplitter,
  SEARCH_LINE,
  authDigest,
  decodeAckn,
  decodeCommand,
  decodeLine,
  encodeCommand,
  inputToSource,
  isClass1Input,
  parseAvMute,
  parseClass,
  parseErrorStatus,
  parseLamps,
  parsePowerStatus,
  query,
  sourceToInput,
  type ErrorStatus,
  type Lamp,
  type PjlinkClass,
  type PjlinkCommand,
  type PjlinkErrorCode,
  type PjlinkResponse,
  type PowerStatus,
} from './codec.js';

export interface PjlinkConnection {
  host: string;
  port: number;
  /** PJLink password; needed when the projector greets with `PJLINK 1 <random>`. */
  password?: string;
  /** Bound on the connection + greeting, and on each reply (spec: the projector answers within 2 s; default 2000). */
  timeoutMs: number;
  /** The driver closes a connection idle this long (projectors drop it after 30 s anyway). */
  idleCloseMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Number of SVOL steps from silent to full volume (class 2 has only up/down steps, no absolute level). */
  volumeSteps: number;
  /** What setMute mutes: audio only (AVMT 2x) or audio and video (AVMT 3x). */
  muteMode: 'audio' | 'audio-video';
  /** Extra or overriding source names → PJLink input codes, e.g. {"dp1": "33"}. */
  inputs?: Record<string, string>;
}

export const PJLINK_DEFAULTS: Omit<PjlinkConnection, 'host' | 'password' | 'inputs'> = {
  port: PJLINK_PORT,
  timeoutMs: 2000,
  idleCloseMs: 20_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
  volumeSteps: 20,
  muteMode: 'audio',
};

export interface PjlinkDisplayState {
  /** True when on or warming up, false in standby or cooling down. */
  power: boolean | null;
  powerState: PowerStatus | null;
  input: string | null;
  mute: boolean | null;
  videoMute: boolean | null;
  /** Estimated from the SVOL steps sent (PJLink cannot read the volume back). */
  volume: number | null;
  errors: ErrorStatus | null;
  lamps: Lamp[] | null;
  name: string | null;
  pjlinkClass: PjlinkClass | null;
  [key: string]: unknown;
}

/** A wrong or missing password: the projector is there and refuses us. */
class PjlinkAuthError extends DeviceError {
  constructor(message: string) {
    super('rejected', message);
  }
}

/** One TCP connection to the projector, read line by line. */
class Session {
  readonly splitter = new PjlinkLineSplitter();
  private readonly lines = new Mailbox<string>();
  /** MD5 digest to put in front of the first command line of this connection (authenticated sessions). */
  digest: string | null = null;
  idleTimer: NodeJS.Timeout | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const line of this.splitter.push(chunk)) this.lines.push(line);
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.lines.end();
    });
  }

  /** The projector hung up, or we did. */
  get closed(): boolean {
    return this.lines.isEnded;
  }

  /** The next line, 'closed' once the projector hung up and nothing is left, or 'timeout'. */
  next(timeoutMs: number): Promise<string | 'timeout' | 'closed'> {
    return this.lines.next(timeoutMs);
  }

  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  destroy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.lines.end();
    this.socket.destroy();
  }
}

const describeCmd = (c: PjlinkCommand) => `%${c.cls}${c.body} ${c.param}`;

export class PjlinkDriver extends EventEmitter<DriverEvents> implements Driver, Power, Input, Volume, Mute, RawConsole {
  readonly driver = 'pjlink';
  readonly kind = 'display' as const;
  readonly connection: PjlinkConnection;

  private readonly lifecycle = new Lifecycle('projector');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly display = new DeviceState<PjlinkDisplayState>(
    { power: null, powerState: null, input: null, mute: null, videoMute: null, volume: null, errors: null, lamps: null, name: null, pjlinkClass: null },
    () => this.emit('state', this.state()),
    sameJson,
  );
  /** Where the driver believes the SVOL position is (0..volumeSteps), or null before the first calibration. */
  private volumeStep: number | null = null;

  private session: Session | null = null;
  private readonly queue = new CommandQueue({ admit: (probe) => this.lifecycle.refusal() ?? (this.tracker.status === 'offline' && !probe ? this.unreachable() : null) });
  private readonly probes: ProbeLoop;

  constructor(connection: Partial<PjlinkConnection> & { host: string }) {
    super();
    this.connection = { ...PJLINK_DEFAULTS, ...connection };
    this.probes = new ProbeLoop({ lifecycle: this.lifecycle, tracker: this.tracker, queue: this.queue, delays: this.connection, probe: () => this.probe(query(1, 'CLSS')), refresh: () => this.refreshState(), unreachable: () => this.unreachable() });
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects, reads the projector's class, then its state; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    const online = await this.probes.run();
    if (online) {
      await this.refreshState().catch(() => {});
      await this.refreshName().catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.lifecycle.stop();
    this.probes.cancel();
    this.queue.fail(this.lifecycle.stoppedError(), { running: true });
    this.session?.destroy();
    this.session = null;
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

  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ cls: 1, body: 'POWR', param: on ? '1' : '0' }, on ? 'power on' : 'standby');
    this.display.patch({ power: on });
    // The projector now warms up or cools down; read which (best effort).
    await this.refreshPower().catch(() => {});
  }

  /** `hdmi1` → INPT 31, `hdmi2` → 32, `rgb1` → 11, `video1` → 21, `network` → 51, or connection.inputs. */
  async setInput(source: string): Promise<void> {
    if (typeof source !== 'string') throw new DeviceError('invalid_argument', 'source must be a string');
    const code = sourceToInput(source, this.connection.inputs);
    if (code === null)
      throw new DeviceError('invalid_argument', `Unknown PJLink input "${source}": use hdmiN, rgbN, videoN, storageN or networkN (N 1..9), or map it in connection.inputs`);
    const cls: PjlinkClass = isClass1Input(code) ? 1 : 2;
    if (cls === 2 && this.display.values.pjlinkClass === 1) throw new DeviceError('not_supported', `Input ${code} needs PJLink class 2; this projector is class 1`);
    await this.command({ cls, body: 'INPT', param: code }, `input ${source}`);
    this.display.patch({ input: inputToSource(code, this.connection.inputs) });
  }

  /** AVMT 21/20 (audio) or 31/30 (audio and video), per connection.muteMode. */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    const av = this.connection.muteMode === 'audio-video';
    await this.command({ cls: 1, body: 'AVMT', param: `${av ? 3 : 2}${on ? 1 : 0}` }, on ? 'mute' : 'unmute');
    this.display.patch(av ? { mute: on, videoMute: on } : { mute: on });
  }

  /**
   * Class 2 SVOL only steps the speaker volume up or down, so the level is reached by steps: the first call
   * steps down to the floor (at most volumeSteps times, stopping early on ERR2), later calls step from where the
   * driver believes the volume is. A change made with the remote control is not seen (PJLink cannot read it).
   */
  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) throw new DeviceError('invalid_argument', 'level must be an integer in 0..100');
    if (this.display.values.pjlinkClass === 1) throw new DeviceError('not_supported', 'Volume needs PJLink class 2 (SVOL); this projector is class 1');
    const steps = this.connection.volumeSteps;
    const target = Math.round((level / 100) * steps);
    await this.queue.push(async () => {
      const step = async (up: boolean): Promise<'ok' | 'limit'> => {
        const r = await this.exchange({ cls: 2, body: 'SVOL', param: up ? '1' : '0' });
        if (r.kind !== 'error') return 'ok';
        if (r.error === 'ERR2') return 'limit';
        throw this.refused(r.error, up ? 'volume up' : 'volume down');
      };
      if (this.volumeStep === null) {
        for (let i = 0; i < steps; i++) if ((await step(false)) === 'limit') break;
        this.volumeStep = 0;
      }
      while (this.volumeStep !== target) {
        const up = target > this.volumeStep;
        if ((await step(up)) === 'limit') {
          this.volumeStep = up ? steps : 0;
          break;
        }
        this.volumeStep += up ? 1 : -1;
      }
    });
    this.display.patch({ volume: Math.round((this.volumeStep! * 100) / steps) });
  }

  /**
   * The technician console: one PJLink line (`%1POWR ?`), the projector's answer line back (`%1POWR=1`),
   * error answers included. The password digest is added by the driver when the session needs it.
   */
  async raw(request: string): Promise<string> {
    let cmd: PjlinkCommand;
    try {
      cmd = decodeCommand(request.trim());
    } catch (err) {
      throw new DeviceError('invalid_argument', `Not a PJLink command line (e.g. "%1POWR ?"): ${(err as Error).message}`);
    }
    const r = await this.queue.push(() => this.exchange(cmd));
    if (r.kind === 'error' && r.error === 'ERRA') throw this.authError(describeCmd(cmd));
    return `%${r.cls}${r.body}=${r.kind === 'ok' ? 'OK' : r.kind === 'error' ? r.error : r.value}`;
  }

  /** Power, input, mute, error status and lamp hours; INPT/AVMT are only asked while the lamp is on. */
  async refreshState(): Promise<void> {
    const power = await this.refreshPower();
    if (power === 'on') {
      const inpt = await this.command(query(1, 'INPT'), 'input query');
      if (inpt.kind === 'value') this.display.patch({ input: inputToSource(inpt.value, this.connection.inputs) });
      const avmt = await this.command(query(1, 'AVMT'), 'mute query');
      if (avmt.kind === 'value') {
        const m = this.parse(() => parseAvMute(avmt.value), 'AVMT');
        this.display.patch({ mute: m.audio, videoMute: m.video });
      }
    }
    const erst = await this.command(query(1, 'ERST'), 'error status query');
    if (erst.kind === 'value') this.display.patch({ errors: this.parse(() => parseErrorStatus(erst.value), 'ERST') });
    const lamp = await this.command(query(1, 'LAMP'), 'lamp query');
    if (lamp.kind === 'value') this.display.patch({ lamps: this.parse(() => parseLamps(lamp.value), 'LAMP') });
  }

  private async refreshPower(): Promise<PowerStatus> {
    const r = await this.command(query(1, 'POWR'), 'power query');
    if (r.kind !== 'value') throw this.badReply('power query', `expected 0..3, got ${r.kind}`);
    const powerState = this.parse(() => parsePowerStatus(r.value), 'POWR');
    this.display.patch({ powerState, power: powerState === 'on' || powerState === 'warm-up' });
    return powerState;
  }

  private async refreshName(): Promise<void> {
    const r = await this.command(query(1, 'NAME'), 'name query');
    if (r.kind === 'value') this.display.patch({ name: r.value });
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  /** One queued command; an error answer becomes a DeviceError. */
  private async command(cmd: PjlinkCommand, what: string): Promise<PjlinkResponse> {
    const r = await this.queue.push(() => this.exchange(cmd));
    if (r.kind === 'error') throw this.refused(r.error, what);
    return r;
  }

  /** An error answer: counted in health() (the projector is there; the status does not change). */
  private refused(code: PjlinkErrorCode, what: string): DeviceError {
    const err = this.errorFor(code, what);
    if (code !== 'ERRA') this.tracker.noteError(err.message); // ERRA was counted with the status change
    return err;
  }

  /** A connection attempt (start or reconnect probe): one query; sets the status. */
  private async probe(cmd: PjlinkCommand): Promise<boolean> {
    try {
      const r = await this.exchange(cmd);
      if (r.kind === 'error' && r.error === 'ERRA') throw this.authError(describeCmd(cmd));
      if (cmd.body === 'CLSS') this.display.patch({ pjlinkClass: r.kind === 'value' ? this.parse(() => parseClass(r.value), 'CLSS') : 1 });
      this.tracker.set('online');
      return true;
    } catch {
      return false; // the status was set by the error path
    }
  }

  /**
   * Sends one line and returns the projector's answer to it (error answers included). Connection problems
   * throw 'timeout' / 'unreachable' and mark the projector offline; undecodable lines throw 'bad_reply'.
   */
  private async exchange(cmd: PjlinkCommand): Promise<PjlinkResponse> {
    try {
      const r = await this.exchangeOnce(cmd);
      this.tracker.noteReply();
      if (r.kind === 'error' && r.error === 'ERRA') this.noteAuthFailure(`PJLINK ERRA to ${describeCmd(cmd)}`);
      else if (this.tracker.status === 'degraded' || this.tracker.status === 'connecting') this.tracker.set('online');
      return r;
    } catch (err) {
      if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
      if (err instanceof PjlinkAuthError) this.noteAuthFailure(err.message);
      else if (err instanceof DeviceError && err.code === 'bad_reply') this.tracker.noteBadReply(err.message);
      else if (err instanceof DeviceError && (err.code === 'timeout' || err.code === 'unreachable')) {
        this.tracker.noteError(err.message);
        this.probes.goOffline();
      } else this.tracker.noteError((err as Error).message);
      throw err;
    }
  }

  private async exchangeOnce(cmd: PjlinkCommand): Promise<PjlinkResponse> {
    const c = this.connection;
    const what = describeCmd(cmd);
    const line = encodeCommand(cmd);
    const deadline = Date.now() + 2 * c.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let s = this.session && !this.session.closed ? this.session : null;
      if (!s) {
        this.session = null;
        try {
          s = await this.openSession(Math.min(c.timeoutMs, deadline - Date.now()));
        } catch (err) {
          if (err instanceof DeviceError && attempt > 0) throw new DeviceError(err.code, `Connection lost during ${what} and reconnecting failed: ${err.message}`);
          throw err;
        }
        if (this.lifecycle.stopped) {
          s.destroy();
          throw this.lifecycle.stoppedError();
        }
        this.session = s;
      }
      if (s.idleTimer) clearTimeout(s.idleTimer);
      s.idleTimer = null;
      const prefix = s.digest ?? '';
      s.digest = null;
      s.write(prefix + line);
      const replyBy = Math.min(Date.now() + c.timeoutMs, deadline);
      for (;;) {
        const got = await s.next(replyBy - Date.now());
        if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
        if (got === 'timeout') {
          this.dropSession(s);
          throw new DeviceError('timeout', `Projector ${c.host}:${c.port} did not answer ${what} within ${c.timeoutMs} ms`);
        }
        if (got === 'closed') {
          this.dropSession(s);
          if (attempt === 0 && Date.now() < deadline) break; // resend once on a fresh connection
          throw new DeviceError('unreachable', `Projector ${c.host}:${c.port} closed the connection without answering ${what}`);
        }
        let decoded;
        try {
          decoded = decodeLine(got);
        } catch (err) {
          this.dropSession(s);
          throw new DeviceError('bad_reply', `Projector sent an undecodable answer to ${what}: ${(err as Error).message}`);
        }
        if (decoded.type === 'auth-error') {
          this.dropSession(s);
          throw this.authError(what);
        }
        if (decoded.type === 'greeting') {
          this.dropSession(s);
          throw new DeviceError('bad_reply', `Projector sent a second greeting instead of answering ${what}`);
        }
        const r = decoded.response;
        if (r.body !== cmd.body) {
          this.tracker.noteError(`ignored an answer for ${r.body} while waiting for ${cmd.body}`);
          continue;
        }
        this.scheduleIdleClose(s);
        return r;
      }
    }
  }

  /** Opens a TCP connection and reads the greeting within timeoutMs; prepares the digest when auth is on. */
  private async openSession(timeoutMs: number): Promise<Session> {
    const c = this.connection;
    const where = `${c.host}:${c.port}`;
    const t0 = Date.now();
    const socket = net.createConnection({ host: c.host, port: c.port });
    socket.setNoDelay(true);
    const session = new Session(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new DeviceError('timeout', `No TCP connection to projector ${where} within ${timeoutMs} ms`));
      }, Math.max(0, timeoutMs));
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DeviceError('unreachable', `Cannot connect to projector ${where}: ${err.code ?? err.message}`));
      });
    });
    const greeting = await session.next(timeoutMs - (Date.now() - t0));
    if (greeting === 'timeout') {
      session.destroy();
      throw new DeviceError('timeout', `Projector ${where} sent no PJLINK greeting within ${timeoutMs} ms`);
    }
    if (greeting === 'closed') throw new DeviceError('unreachable', `Projector ${where} closed the connection before its greeting`);
    let line;
    try {
      line = decodeLine(greeting);
    } catch (err) {
      session.destroy();
      throw new DeviceError('bad_reply', `Projector ${where} greeting is not PJLink: ${(err as Error).message}`);
    }
    if (line.type === 'auth-error') {
      session.destroy();
      throw this.authError('the greeting');
    }
    if (line.type !== 'greeting') {
      session.destroy();
      throw new DeviceError('bad_reply', `Projector ${where} answered before greeting`);
    }
    if (line.greeting.auth) {
      if (!c.password) {
        session.destroy();
        throw new PjlinkAuthError(`PJLink password required: projector ${where} asks for authentication (PJLINK 1) and connection.password is not set`);
      }
      session.digest = authDigest(line.greeting.random, c.password);
    }
    return session;
  }

  private dropSession(s: Session): void {
    s.destroy();
    if (this.session === s) this.session = null;
  }

  private scheduleIdleClose(s: Session): void {
    if (s.closed || this.connection.idleCloseMs <= 0) return;
    s.idleTimer = setTimeout(() => this.dropSession(s), this.connection.idleCloseMs);
    s.idleTimer.unref();
  }

  // -------------------------------------------------------------------------------------------
  // Errors, health and state
  // -------------------------------------------------------------------------------------------

  /** What commands get while the projector is offline (the probes bring it back). */
  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Projector ${this.connection.host}:${this.connection.port} is offline (not answering); reconnecting in the background`);
  }

  private errorFor(code: PjlinkErrorCode, what: string): DeviceError {
    switch (code) {
      case 'ERR1':
        return new DeviceError('not_supported', `Projector does not support ${what} (ERR1 ${ERROR_MEANINGS.ERR1})`);
      case 'ERR2':
        return new DeviceError('invalid_argument', `Projector refused the parameter of ${what} (ERR2 ${ERROR_MEANINGS.ERR2})`);
      case 'ERR3':
        return new DeviceError('busy', `Projector cannot do ${what} now: unavailable time (ERR3; standby, warming up or cooling down)`);
      case 'ERR4':
        return new DeviceError('rejected', `Projector reports a projector/display failure for ${what} (ERR4; check lamp, fan, temperature, cover)`);
      case 'ERRA':
        return this.authError(what);
    }
  }

  private authError(what: string): PjlinkAuthError {
    return new PjlinkAuthError(`wrong PJLink password: projector ${this.connection.host}:${this.connection.port} answered PJLINK ERRA to ${what}`);
  }

  private badReply(what: string, why: string): DeviceError {
    const err = new DeviceError('bad_reply', `Projector sent an undecodable answer to ${what}: ${why}`);
    this.tracker.noteBadReply(err.message);
    return err;
  }

  private parse<T>(fn: () => T, body: string): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PjlinkDecodeError) throw this.badReply(`${body} query`, err.message);
      throw err;
    }
  }

  private noteAuthFailure(message: string): void {
    this.tracker.noteError(message);
    if (this.tracker.status !== 'offline') this.tracker.set('degraded');
  }
}

// ---------------------------------------------------------------------------------------------
// Class 2 discovery
// ---------------------------------------------------------------------------------------------

export interface PjlinkDiscoveryOptions {
  /** UDP port the projectors listen on (4352). */
  port?: number;
  /** Where the search goes: a unicast address, a subnet broadcast (192.168.1.255) or 255.255.255.255. */
  address?: string;
  /** How long to collect answers; the function always returns within about this time. */
  timeoutMs?: number;
  /** Local port to listen on (0 = any). The spec sends ACKN to port 4352; set 4352 for such projectors. */
  listenPort?: number;
}

export interface PjlinkDiscovered {
  address: string;
  mac: string;
}

/** Sends `%2SRCH` and collects `%2ACKN=<MAC>` answers for timeoutMs (bounded to 10..30 000 ms). */
export async function discoverPjlink(opts: PjlinkDiscoveryOptions = {}): Promise<PjlinkDiscovered[]> {
  const port = opts.port ?? PJLINK_PORT;
  const address = opts.address ?? '127.0.0.1';
  const timeoutMs = Math.min(30_000, Math.max(10, opts.timeoutMs ?? 1000));
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, PjlinkDiscovered>();
  socket.on('message', (msg, rinfo) => {
    try {
      const mac = decodeAckn(msg.toString('latin1'));
      found.set(`${rinfo.address} ${mac}`, { address: rinfo.address, mac });
    } catch {
      /* not an ACKN: other traffic on the port */
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.listenPort ?? 0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.setBroadcast(true);
    await new Promise<void>((resolve, reject) => socket.send(SEARCH_LINE, port, address, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
  } catch (err) {
    throw new DeviceError('unreachable', `PJLink search to ${address}:${port} failed: ${(err as Error).message}`);
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return [...found.values()];
}
