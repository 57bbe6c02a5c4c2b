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
import net from 'node:net';
import { SerialPort } from 'serialport';
import { DeviceError, type DeviceHealth, type DeviceStatus, type Driver, type DriverEvents, type Input, type Mute, type Power, type RawConsole, type Volume } from '../types.js';
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

interface Job {
  probe: boolean;
  run(): Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Incoming = { kind: 'frame'; frame: Buffer } | { kind: 'closed'; reason: string } | { kind: 'tls' };

/** A byte link to the display (TCP socket or serial port) with a mailbox of reassembled reply frames. */
class Link {
  readonly parser = new MdcStreamParser({ replies: true });
  private inbox: Incoming[] = [];
  private wake: (() => void) | null = null;
  closed = false;
  private banner = '';

  constructor(
    readonly kind: 'tcp' | 'serial',
    private readonly writeFn: (buf: Buffer) => Promise<void>,
    private readonly closeFn: () => void,
  ) {}

  onData(chunk: Buffer): void {
    if (this.kind === 'tcp' && chunk.includes('MDCSTART')) {
      this.banner += chunk.toString('latin1');
      if (this.banner.includes(TLS_BANNER)) this.push({ kind: 'tls' });
      return;
    }
    for (const frame of this.parser.push(chunk)) this.push({ kind: 'frame', frame });
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

  /** Drops leftovers from an earlier exchange (a partial frame, late replies) before a new request. */
  reset(): void {
    this.parser.flush();
    this.inbox = this.inbox.filter((i) => i.kind !== 'frame');
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

  write(buf: Buffer): Promise<void> {
    return this.writeFn(buf);
  }

  close(): void {
    this.closed = true;
    this.closeFn();
  }
}

export class SamsungMdcDriver extends EventEmitter<DriverEvents> implements Driver, Power, Input, Volume, Mute, RawConsole {
  readonly driver = 'samsung-mdc';
  readonly kind = 'display' as const;
  readonly connection: SamsungMdcConnection;

  private status: DeviceStatus = 'connecting';
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private display: MdcDisplayState = { power: null, volume: null, mute: null, input: null };

  private link: Link | null = null;
  private queue: Job[] = [];
  private current: Job | null = null;
  private pumping = false;
  private started = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

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
    this.backoffMs = this.connection.reconnectMinMs;
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
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    const online = await this.enqueue(() => this.probe(), true).catch(() => false);
    if (online) await this.refreshState().catch(() => {});
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

  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.set({ type: 'power', id: this.connection.displayId, value: on ? 'on' : 'off' }, on ? 'power on' : 'power off');
    this.patchState({ power: on });
  }

  /** hdmi1 0x21, hdmi2 0x23, dp1 0x25, hdmi3 0x31, hdmi4 0x33, … or connection.inputs. */
  async setInput(source: string): Promise<void> {
    const code = typeof source === 'string' ? sourceToMdcInput(source, this.connection.inputs) : null;
    if (code === null) throw new DeviceError('invalid_argument', `Unknown Samsung MDC input "${String(source)}": use hdmi1..4, dp1..3, rgb1, dvi1, … or map it in connection.inputs`);
    await this.set({ type: 'input', id: this.connection.displayId, value: code }, `input ${source}`);
    this.patchState({ input: mdcInputToSource(code, this.connection.inputs) });
  }

  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) throw new DeviceError('invalid_argument', 'level must be an integer in 0..100');
    await this.set({ type: 'volume', id: this.connection.displayId, value: level }, `volume ${level}`);
    this.patchState({ volume: level });
  }

  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.set({ type: 'mute', id: this.connection.displayId, value: on }, on ? 'mute' : 'unmute');
    this.patchState({ mute: on });
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
    const reply = await this.enqueue(() => this.exchange(frame, id, `raw ${hex(frame)}`));
    return reply === null ? '' : hex(reply.frame);
  }

  /** Status get (power, volume, mute, input in one frame). */
  async refreshState(): Promise<void> {
    if (this.broadcast) return;
    const r = await this.request({ type: 'status', id: this.connection.displayId }, 'status get');
    if (r === null) return;
    const s = this.parse(() => parseStatusData(r.data), 'status get');
    this.patchState({ power: s.power, volume: s.volume, mute: s.mute, input: mdcInputToSource(s.input, this.connection.inputs) });
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
    const got = await this.enqueue(() => this.exchange(frame, cmd.id, what));
    if (got === null) return null;
    const r = got.reply;
    if (!r.ack) {
      const err = new DeviceError('rejected', `Display refused ${what} (NAK, error code 0x${r.code.toString(16).padStart(2, '0')})`);
      this.noteError(err.message);
      throw err;
    }
    return r;
  }

  private async probe(): Promise<boolean> {
    try {
      if (this.broadcast) await this.ensureLink();
      else await this.exchange(encodeCommand({ type: 'power', id: this.connection.displayId }), this.connection.displayId, 'power get');
      this.backoffMs = this.connection.reconnectMinMs;
      if (this.status !== 'degraded') this.setStatus('online');
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

  /** Sends a frame and returns the display's ACK/NAK for it (null for ID 0xFE). Sets the status on failures. */
  private async exchange(frame: Buffer, id: number, what: string): Promise<{ reply: MdcReply; frame: Buffer } | null> {
    try {
      const got = await this.exchangeOnce(frame, id, what);
      if (got) {
        this.lastReplyAt = Date.now();
        if (this.status === 'degraded') this.setStatus('online');
      }
      return got;
    } catch (err) {
      if (this.stopped) throw new DeviceError('closed', 'The display driver was stopped');
      if (err instanceof DeviceError && err.code === 'bad_reply') this.noteBadReply(err.message);
      else if (err instanceof DeviceError && err.code === 'not_supported') {
        this.noteError(err.message);
        if (this.status !== 'offline') this.setStatus('degraded');
      } else if (err instanceof DeviceError && (err.code === 'timeout' || err.code === 'unreachable')) {
        this.noteError(err.message);
        this.goOffline();
      } else this.noteError((err as Error).message);
      throw err;
    }
  }

  private async exchangeOnce(frame: Buffer, id: number, what: string): Promise<{ reply: MdcReply; frame: Buffer } | null> {
    const c = this.connection;
    const cmd = frame[1];
    for (let attempt = 0; ; attempt++) {
      const link = await this.ensureLink();
      link.reset();
      await link.write(frame);
      if (id === BROADCAST_ID) return null; // all displays act; none answers
      const deadline = Date.now() + c.timeoutMs;
      for (;;) {
        const got = await link.next(deadline - Date.now());
        if (this.stopped) throw new DeviceError('closed', 'The display driver was stopped');
        if (got === 'timeout') {
          // A TCP connection may be half-open (the display rebooted without a FIN): retry on a fresh one.
          if (link.kind === 'tcp') this.dropLink(link);
          if (attempt < c.retries) break;
          throw new DeviceError('timeout', `Display ${this.where} (ID ${id}) did not answer ${what} within ${(c.retries + 1) * c.timeoutMs} ms (${c.retries + 1} attempts of ${c.timeoutMs} ms)`);
        }
        if (got.kind === 'closed') {
          if (this.link === link) this.link = null;
          if (link.kind === 'tcp' && attempt < c.retries) break; // reconnect and resend
          throw new DeviceError('unreachable', `Connection to display ${this.where} lost during ${what} (${got.reason})`);
        }
        if (got.kind === 'tls') {
          this.dropLink(link);
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
          this.noteError(`ignored a ${cmdName(reply.cmd)} reply from ID ${reply.id} while waiting for ${cmdName(cmd)} from ID ${id}`);
          continue;
        }
        return { reply, frame: got.frame };
      }
    }
  }

  /** The open link, or a new one (TCP connect / serial open within timeoutMs). */
  private async ensureLink(): Promise<Link> {
    if (this.link && !this.link.closed) return this.link;
    this.link = null;
    const link = this.connection.path !== undefined ? await this.openSerial(this.connection.path, this.connection.baudRate) : await this.openTcp(this.connection.host, this.connection.port);
    if (this.stopped) {
      link.close();
      throw new DeviceError('closed', 'The display driver was stopped');
    }
    this.link = link;
    return link;
  }

  private openTcp(host: string, port: number): Promise<Link> {
    const timeoutMs = this.connection.timeoutMs;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      socket.setNoDelay(true);
      const link = new Link(
        'tcp',
        (buf) =>
          new Promise<void>((res, rej) => {
            if (socket.destroyed) return rej(new DeviceError('unreachable', `Connection to display ${host}:${port} is closed`));
            socket.write(buf, (err) => (err ? rej(new DeviceError('unreachable', `Write to display ${host}:${port} failed: ${err.message}`)) : res()));
          }),
        () => socket.destroy(),
      );
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DeviceError('timeout', `No TCP connection to display ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(link);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DeviceError('unreachable', `Cannot connect to display ${host}:${port}: ${err.code ?? err.message}`));
      });
      socket.on('data', (chunk) => link.onData(chunk));
      socket.on('close', () => link.onClose('the display closed the connection'));
    });
  }

  private openSerial(path: string, baudRate: number): Promise<Link> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      const link = new Link(
        'serial',
        (buf) =>
          new Promise<void>((res, rej) => {
            if (!port.isOpen) return rej(new DeviceError('unreachable', `Serial port ${path} is closed`));
            port.write(buf, (err) => {
              if (err) return rej(new DeviceError('unreachable', `Write to ${path} failed: ${err.message}`));
              port.drain((e) => (e ? rej(new DeviceError('unreachable', `Write to ${path} failed: ${e.message}`)) : res()));
            });
          }),
        () => {
          if (port.isOpen) port.close(() => {});
        },
      );
      port.on('data', (chunk: Buffer) => link.onData(chunk));
      port.on('error', (err) => this.noteError(`serial ${path}: ${err.message}`));
      port.on('close', (err?: Error) => {
        const reason = err ? `serial port closed: ${err.message}` : 'serial port closed';
        const current = this.link === link && !link.closed;
        link.onClose(reason);
        // An adapter unplugged (or the pty gone): the display is unreachable until the port opens again.
        if (current && !this.stopped) {
          this.link = null;
          this.noteError(`${path}: ${reason}`);
          this.goOffline();
        }
      });
      port.open((err) => {
        if (err) reject(new DeviceError('unreachable', `Cannot open serial port ${path}: ${err.message}`));
        else resolve(link);
      });
    });
  }

  private dropLink(link: Link): void {
    link.close();
    if (this.link === link) this.link = null;
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
          if (ok) this.refreshState().catch(() => {});
          else if (this.status === 'offline') this.scheduleProbe();
        })
        .catch(() => {});
    }, delay);
    this.probeTimer.unref();
  }

  // -------------------------------------------------------------------------------------------
  // Health and state
  // -------------------------------------------------------------------------------------------

  private parse<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof MdcDecodeError)) throw err;
      const e = new DeviceError('bad_reply', `Display sent an undecodable answer to ${what}: ${err.message}`);
      this.noteBadReply(e.message);
      throw e;
    }
  }

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
    this.noteError(message);
    if (this.status === 'online') this.setStatus('degraded');
  }

  private patchState(p: Partial<MdcDisplayState>): void {
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
