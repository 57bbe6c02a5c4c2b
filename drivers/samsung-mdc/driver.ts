// A Samsung display over MDC, on TCP 1515 or RS-232C (serialport), protocols.md §3.2.
//
// Flow control: one frame in flight (FIFO); its ACK/NAK is matched by display ID and command byte, so a late
// answer to an earlier frame is ignored. Each attempt waits timeoutMs; an unanswered frame is sent again
// `retries` times (every MDC set carries an absolute value, so a resend is harmless). ID 0xFE addresses all
// displays and gets no answer: those commands resolve once the bytes are written.
//
// Status: no answer, a refused TCP connection or a lost serial port → 'offline', commands fail fast with
// 'unreachable', and probes (power get) with back-off bring it back — reopening the port or the connection
// when it was lost. A reply with a bad checksum fails its command with 'bad_reply' and makes the status
// 'degraded' until a good reply. A display that wants MDC over TLS (`MDCSTART<<TLS>>`) → 'not_supported'.
import { EventEmitter } from 'node:events';
import { CommandQueue } from '../core/command-queue.js';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { ProbeLoop } from '../core/probe-loop.js';
import { ReplyLink, type LinkErrors, type ReplyCutter } from '../transports/reply-link.js';
import { SerialByteStream, describeSerialClose, serialDisplayErrors } from '../transports/serial.js';
import { TcpByteStream } from '../transports/tcp.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Input, type Mute, type Power, type RawConsole, type Volume } from '../types.js';
import {
  BROADCAST_ID,
  MDC_PORT,
  MdcDecodeError,
  MdcStreamParser,
  TLS_BANNER,
  cmdName,
  decodeFrame,
  decodeReply,
  encodeCommand,
  encodeFrame,
  hex,
  mdcInputToSource,
  parseSingle,
  parseStatusData,
  sourceToMdcInput,
  type MdcCommand,
  type MdcReply,
} from './codec.js';

interface Common {
  /** 0..0xFD a display; 0xFE all displays (no replies); 0xFF as some manuals' examples. */
  displayId: number;
  /** Bound on each attempt to get the ACK/NAK. */
  timeoutMs: number;
  /** Resends of an unanswered frame before giving up. */
  retries: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Extra or overriding source names → MDC input codes, e.g. {"pc": 20}. */
  inputs?: Record<string, number>;
}
export type SamsungMdcConnection = Common & ({ host: string; port: number; path?: undefined } | { path: string; baudRate: number; host?: undefined });

export const SAMSUNG_MDC_DEFAULTS = {
  port: MDC_PORT,
  baudRate: 9600,
  displayId: 0,
  timeoutMs: 1000,
  retries: 1,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
};

export type SamsungMdcConnectionInput = Partial<Common> & ({ host: string; port?: number } | { path: string; baudRate?: number });

export interface MdcDisplayState {
  power: boolean | null;
  volume: number | null;
  mute: boolean | null;
  input: string | null;
  [key: string]: unknown;
}

type Incoming = { kind: 'frame'; frame: Buffer } | { kind: 'tls' };

/** Reply frames; on TCP also the `MDCSTART<<TLS>>` banner of a display that wants MDC over TLS. */
class MdcReplyCutter implements ReplyCutter<Incoming> {
  private readonly parser = new MdcStreamParser({ replies: true });
  private banner = '';

  constructor(private readonly tcp: boolean) {}

  push(chunk: Buffer): Incoming[] {
    if (this.tcp && chunk.includes('MDCSTART')) {
      this.banner += chunk.toString('latin1');
      return this.banner.includes(TLS_BANNER) ? [{ kind: 'tls' }] : [];
    }
    return this.parser.push(chunk).map((frame) => ({ kind: 'frame', frame }));
  }

  flush(): void {
    this.parser.flush();
  }
}

/** "No TCP connection to display …", "Cannot connect to display …: ECONNREFUSED", "Write to display … failed: …". */
function tcpErrors(host: string, port: number, timeoutMs: number): LinkErrors {
  const where = `${host}:${port}`;
  return {
    open: (err) =>
      err.reason === 'timeout'
        ? new DeviceError('timeout', `No TCP connection to display ${where} within ${timeoutMs} ms`)
        : new DeviceError('unreachable', `Cannot connect to display ${where}: ${err.systemError.code ?? err.systemError.message}`),
    write: (err) => new DeviceError('unreachable', err.reason === 'not-open' ? `Connection to display ${where} is closed` : `Write to display ${where} failed: ${err.message}`),
  };
}

export class SamsungMdcDriver extends EventEmitter<DriverEvents> implements Driver, Power, Input, Volume, Mute, RawConsole {
  readonly driver = 'samsung-mdc';
  readonly kind = 'display' as const;
  readonly connection: SamsungMdcConnection;

  private readonly lifecycle = new Lifecycle('display');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly display = new DeviceState<MdcDisplayState>({ power: null, volume: null, mute: null, input: null }, () => this.emit('state', this.state()));
  private readonly queue = new CommandQueue({ admit: (probe) => this.lifecycle.refusal() ?? (this.tracker.status === 'offline' && !probe ? this.unreachable() : null) });
  private readonly probes: ProbeLoop;
  private readonly link: ReplyLink<Incoming>;

  constructor(connection: SamsungMdcConnectionInput) {
    super();
    const d = SAMSUNG_MDC_DEFAULTS;
    const common = {
      displayId: connection.displayId ?? d.displayId,
      timeoutMs: connection.timeoutMs ?? d.timeoutMs,
      retries: connection.retries ?? d.retries,
      reconnectMinMs: connection.reconnectMinMs ?? d.reconnectMinMs,
      reconnectMaxMs: connection.reconnectMaxMs ?? d.reconnectMaxMs,
      inputs: connection.inputs,
    };
    this.connection =
      'path' in connection && typeof connection.path === 'string'
        ? { ...common, path: connection.path, baudRate: connection.baudRate ?? d.baudRate }
        : { ...common, host: (connection as { host: string }).host, port: (connection as { port?: number }).port ?? d.port };
    const c = this.connection;
    this.probes = new ProbeLoop({ lifecycle: this.lifecycle, tracker: this.tracker, queue: this.queue, delays: this.connection, probe: () => this.probe(), refresh: () => this.refreshState(), unreachable: () => this.unreachable() });
    this.link =
      c.path !== undefined
        ? new ReplyLink(new SerialByteStream(c.path, c.baudRate, { drain: true, describeLoss: describeSerialClose }), () => new MdcReplyCutter(false), serialDisplayErrors(c.path))
        : new ReplyLink(
            new TcpByteStream(c.host, c.port, c.timeoutMs, { keepAliveMs: 0, describeLoss: () => 'the display closed the connection' }),
            () => new MdcReplyCutter(true),
            tcpErrors(c.host, c.port, c.timeoutMs),
          );
    this.link.on('error', (err) => this.tracker.noteError(`serial ${c.path}: ${err.message}`));
    this.link.on('lost', (reason) => {
      // An adapter unplugged (or the pty gone): the display is unreachable until the port opens again.
      if (c.path === undefined || this.lifecycle.stopped) return;
      this.tracker.noteError(`${c.path}: ${reason}`);
      this.probes.goOffline();
    });
  }

  private get where(): string {
    const c = this.connection;
    return c.path !== undefined ? `${c.path} @${c.baudRate}` : `${c.host}:${c.port}`;
  }
  private get broadcast(): boolean {
    return this.connection.displayId === BROADCAST_ID;
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the link and asks the power state; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    const online = await this.probes.run();
    if (online) await this.refreshState().catch(() => {});
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

  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.set({ type: 'power', id: this.connection.displayId, value: on ? 'on' : 'off' }, on ? 'power on' : 'power off');
    this.display.patch({ power: on });
  }

  /** hdmi1 0x21, hdmi2 0x23, dp1 0x25, hdmi3 0x31, hdmi4 0x33, … or connection.inputs. */
  async setInput(source: string): Promise<void> {
    const code = typeof source === 'string' ? sourceToMdcInput(source, this.connection.inputs) : null;
    if (code === null) throw new DeviceError('invalid_argument', `Unknown Samsung MDC input "${String(source)}": use hdmi1..4, dp1..3, rgb1, dvi1, … or map it in connection.inputs`);
    await this.set({ type: 'input', id: this.connection.displayId, value: code }, `input ${source}`);
    this.display.patch({ input: mdcInputToSource(code, this.connection.inputs) });
  }

  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) throw new DeviceError('invalid_argument', 'level must be an integer in 0..100');
    await this.set({ type: 'volume', id: this.connection.displayId, value: level }, `volume ${level}`);
    this.display.patch({ volume: level });
  }

  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.set({ type: 'mute', id: this.connection.displayId, value: on }, on ? 'mute' : 'unmute');
    this.display.patch({ mute: on });
  }

  /**
   * Technician console: hex bytes in, the reply frame as hex out ('' for ID 0xFE). Either a whole frame
   * (`AA 11 00 00 11`, checksum verified) or `cmd data…` (`11 01`), to which the driver adds AA, the display
   * ID, the length and the checksum. A NAK is returned, not thrown.
   */
  async raw(request: string): Promise<string> {
    const text = request.replace(/0x/gi, '').replace(/[\s,:]+/g, '');
    if (!/^([0-9a-f]{2})+$/i.test(text)) throw new DeviceError('invalid_argument', 'raw MDC request must be hex bytes, e.g. "AA 11 00 00 11" or "11 01"');
    const bytes = Buffer.from(text, 'hex');
    let frame: Buffer;
    if (bytes[0] === 0xaa) {
      try {
        decodeFrame(bytes);
      } catch (err) {
        throw new DeviceError('invalid_argument', `raw MDC frame is not valid: ${(err as Error).message}`);
      }
      frame = bytes;
    } else frame = encodeFrame({ cmd: bytes[0], id: this.connection.displayId, data: bytes.subarray(1) });
    const id = frame[2];
    const reply = await this.queue.push(() => this.exchange(frame, id, `raw ${hex(frame)}`));
    return reply === null ? '' : hex(reply.frame);
  }

  /** Status get (power, volume, mute, input in one frame). */
  async refreshState(): Promise<void> {
    if (this.broadcast) return;
    const r = await this.request({ type: 'status', id: this.connection.displayId }, 'status get');
    if (r === null) return;
    const s = this.parse(() => parseStatusData(r.data), 'status get');
    this.display.patch({ power: s.power, volume: s.volume, mute: s.mute, input: mdcInputToSource(s.input, this.connection.inputs) });
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  /** A set: the ACK echoes the value that was set. */
  private async set(cmd: MdcCommand, what: string): Promise<void> {
    const r = await this.request(cmd, what);
    if (r !== null) this.parse(() => parseSingle(r.data, what), what);
  }

  /** One queued command; a NAK becomes DeviceError('rejected'); null for broadcast (no reply). */
  private async request(cmd: MdcCommand, what: string): Promise<(MdcReply & { ack: true }) | null> {
    const frame = encodeCommand(cmd);
    const got = await this.queue.push(() => this.exchange(frame, cmd.id, what));
    if (got === null) return null;
    const r = got.reply;
    if (!r.ack) {
      const err = new DeviceError('rejected', `Display refused ${what} (NAK, error code 0x${r.code.toString(16).padStart(2, '0')})`);
      this.tracker.noteError(err.message);
      throw err;
    }
    return r;
  }

  private async probe(): Promise<boolean> {
    try {
      if (this.broadcast) await this.ensureOpen();
      else await this.exchange(encodeCommand({ type: 'power', id: this.connection.displayId }), this.connection.displayId, 'power get');
      if (this.tracker.status !== 'degraded') this.tracker.set('online');
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a frame and returns the display's ACK/NAK for it (null for ID 0xFE). Sets the status on failures. */
  private async exchange(frame: Buffer, id: number, what: string): Promise<{ reply: MdcReply; frame: Buffer } | null> {
    try {
      const got = await this.exchangeOnce(frame, id, what);
      if (got) {
        this.tracker.noteReply();
        this.tracker.recover();
      }
      return got;
    } catch (err) {
      if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
      if (err instanceof DeviceError && err.code === 'bad_reply') this.tracker.noteBadReply(err.message);
      else if (err instanceof DeviceError && err.code === 'not_supported') {
        this.tracker.noteError(err.message);
        if (this.tracker.status !== 'offline') this.tracker.set('degraded');
      } else if (err instanceof DeviceError && (err.code === 'timeout' || err.code === 'unreachable')) {
        this.tracker.noteError(err.message);
        this.probes.goOffline();
      } else this.tracker.noteError((err as Error).message);
      throw err;
    }
  }

  private async exchangeOnce(frame: Buffer, id: number, what: string): Promise<{ reply: MdcReply; frame: Buffer } | null> {
    const c = this.connection;
    const cmd = frame[1];
    const tcp = c.path === undefined;
    for (let attempt = 0; ; attempt++) {
      await this.ensureOpen();
      this.link.reset((i) => i.kind === 'frame');
      await this.link.write(frame);
      if (id === BROADCAST_ID) return null; // all displays act; none answers
      const deadline = Date.now() + c.timeoutMs;
      for (;;) {
        const got = await this.link.next(deadline - Date.now());
        if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
        if (got === 'timeout') {
          // A TCP connection may be half-open (the display rebooted without a FIN): retry on a fresh one.
          if (tcp) void this.link.close();
          if (attempt < c.retries) break;
          throw new DeviceError('timeout', `Display ${this.where} (ID ${id}) did not answer ${what} within ${(c.retries + 1) * c.timeoutMs} ms (${c.retries + 1} attempts of ${c.timeoutMs} ms)`);
        }
        if (got === 'closed') {
          if (tcp && attempt < c.retries) break; // reconnect and resend
          throw new DeviceError('unreachable', `Connection to display ${this.where} lost during ${what} (${this.link.lostReason ?? 'closed'})`);
        }
        if (got.kind === 'tls') {
          void this.link.close();
          throw new DeviceError(
            'not_supported',
            `Display ${this.where} requires MDC over TLS with a PIN (${TLS_BANNER}); turn "Secured Protocol" off on the display or use RS-232C`,
          );
        }
        let reply: MdcReply;
        try {
          reply = decodeReply(got.frame);
        } catch (err) {
          if (!(err instanceof MdcDecodeError)) throw err;
          throw new DeviceError('bad_reply', `Display sent an undecodable answer to ${what}: ${err.message}`);
        }
        if (reply.id !== id || reply.cmd !== cmd) {
          this.tracker.noteError(`ignored a ${cmdName(reply.cmd)} reply from ID ${reply.id} while waiting for ${cmdName(cmd)} from ID ${id}`);
          continue;
        }
        return { reply, frame: got.frame };
      }
    }
  }

  /** Opens the link (TCP connect within timeoutMs / serial open) unless it is open. */
  private ensureOpen(): Promise<void> {
    return this.link.open(() => (this.lifecycle.stopped ? this.lifecycle.stoppedError() : null));
  }

  // -------------------------------------------------------------------------------------------
  // Errors
  // -------------------------------------------------------------------------------------------

  /** What commands get while the display is offline (the probes bring it back). */
  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Display ${this.where} is offline (not answering); reconnecting in the background`);
  }

  private parse<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof MdcDecodeError)) throw err;
      const e = new DeviceError('bad_reply', `Display sent an undecodable answer to ${what}: ${err.message}`);
      this.tracker.noteBadReply(e.message);
      throw e;
    }
  }
}
