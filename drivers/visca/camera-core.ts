// What every VISCA camera driver shares, whatever carries the packets (Sony VISCA over IP, raw TCP, serial):
// the capabilities and their bytes, the request queue and the camera's two command sockets, the command/reply
// semantics (ACK then completion, error replies → DeviceError, bounded timeouts), the status and health, the
// camera state, and going offline / reconnecting with back-off. A subclass only frames and carries packets:
// it opens its transport and greets the camera (`establish`), sends one request and recognises the replies
// that belong to it (`openAttempt` plus routing incoming packets into exchanges with `deliver`).
//
// Flow control: one request in flight at a time (FIFO). A command that `releasesAtAck` lets the next request go
// once it is acknowledged (Sony SRG-300H p26: "wait until an Acknowledge message or error message of the first
// command is returned, then send the next command"); its promise still resolves only at its own completion.
import { EventEmitter } from 'node:events';
import { DeviceError, type Camera, type DeviceHealth, type DeviceStatus, type DriverEvents, type PtzPosition, type PtzSpeed, type PtzStop } from '../types.js';
import {
  DEFAULT_RANGES,
  ERROR_BUFFER_FULL,
  ERROR_CANCELLED,
  ERROR_LENGTH,
  ERROR_NO_SOCKET,
  ERROR_NOT_EXECUTABLE,
  ERROR_SYNTAX,
  MAX_PAN_SPEED,
  MAX_TILT_SPEED,
  ViscaDecodeError,
  encodeCommand,
  encodeInquiry,
  moveCommands,
  panFromVisca,
  parsePanTiltPositionData,
  parsePowerData,
  parseZoomPositionData,
  positionToVisca,
  tiltFromVisca,
  zoomFromVisca,
  type InquiryKind,
  type ViscaCommand,
  type ViscaRanges,
  type ViscaReply,
} from './codec.js';

/** Connection settings every VISCA driver has, whatever the transport. */
export interface ViscaCoreConnection {
  /** Camera address 1..7 (locked to 1 over IP). */
  address: number;
  /** Bound on each attempt to get the first reply (ACK, error, or inquiry answer). */
  timeoutMs: number;
  /** Bound on the wait for a completion after the ACK (an absolute move takes seconds on a real camera). */
  completionTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Pause before the single retry after `buffer full`. */
  busyRetryMs: number;
  panMax: number;
  tiltMax: number;
  zoomMax: number;
}

export const VISCA_CORE_DEFAULTS: ViscaCoreConnection = {
  address: 1,
  timeoutMs: 1000,
  completionTimeoutMs: 10_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 10_000,
  busyRetryMs: 100,
  ...DEFAULT_RANGES,
};

export interface ViscaCameraState {
  power: boolean | null;
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  preset: number | null;
  [key: string]: unknown;
}

/** What a transport hands to an exchange. `tag` is the link's own matching key (IP: the sequence number). */
export type Incoming =
  | { kind: 'visca'; tag: number | null; reply: ViscaReply }
  | { kind: 'link'; tag: number | null; message: unknown }
  | { kind: 'abort'; error: DeviceError };

/** A mailbox for the replies of one request, so the request can be written as a plain loop. */
export interface Exchange {
  inbox: Incoming[];
  wake: (() => void) | null;
}

/** One request as the link sees it: a raw VISCA packet and what kind of message it is. */
export interface ViscaRequest {
  kind: 'command' | 'inquiry';
  payload: Buffer;
  what: string;
}

/** How one request travels on a given link (sequence numbers, retransmission) — everything else is shared. */
export interface Attempt {
  /** The first transmission. */
  send(): Promise<void>;
  /** The request goes again after `buffer full` (IP: under a new sequence number). */
  resend(): Promise<void>;
  /** No first reply within timeoutMs: send again and return true, or return false to give up. */
  retryOnSilence(): Promise<boolean>;
  /** The total wait when giving up, for the error message: "450 ms (3 attempts of 150 ms)". */
  describeSilence(): string;
  /** False for replies to an older transmission of this request that no longer count. */
  accepts(got: Incoming): boolean;
  /** A link-level message (IP control error): recover (resend) or throw. */
  onLinkMessage(message: unknown): Promise<void>;
}

interface Job {
  probe: boolean;
  /**
   * Waits for a free camera socket before sending. Moves do not wait: a new move replaces the one under way
   * (the camera cancels the old one with 6y 04), which is what lets a stop overtake a long absolute move.
   */
  needsSocket: boolean;
  run(release: () => void): Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** The camera executes at most two commands at once (Sony SRG-300H p26); a third gets `buffer full`. */
const CAMERA_SOCKETS = 2;

const isUnit = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

export abstract class ViscaCameraCore<C extends ViscaCoreConnection = ViscaCoreConnection> extends EventEmitter<DriverEvents> implements Camera, PtzStop {
  abstract readonly driver: string;
  readonly kind = 'camera' as const;
  readonly connection: C;

  protected readonly ranges: ViscaRanges;
  protected status: DeviceStatus = 'connecting';
  protected stopped = false;
  private started = false;
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private camera: ViscaCameraState = { power: null, pan: null, tilt: null, zoom: null, preset: null };

  private readonly open = new Set<Exchange>();
  private queue: Job[] = [];
  private pumping = false;
  private executing = 0; // our commands acknowledged and not yet completed
  private socketWaiters: (() => void)[] = [];
  private probeTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  /**
   * True when every command frees the line at its ACK (serial/raw streams: one request in flight until its
   * first reply). VISCA over IP frees it at the ACK of travels only, so a lost reply can be retransmitted
   * under the newest sequence number.
   */
  protected abstract readonly releaseEveryCommandAtAck: boolean;

  constructor(connection: C) {
    super();
    this.connection = connection;
    this.ranges = { panMax: connection.panMax, tiltMax: connection.tiltMax, zoomMax: connection.zoomMax };
    this.backoffMs = connection.reconnectMinMs;
  }

  // -------------------------------------------------------------------------------------------
  // What a transport provides
  // -------------------------------------------------------------------------------------------

  /** "Camera 10.0.0.5:52381", "Camera on /dev/ttyUSB0": how messages name this camera. */
  protected abstract describe(): string;
  /** Opens the transport if needed and greets the camera; throws an Error saying why it is not there. */
  protected abstract establish(attempts: number): Promise<void>;
  /** Closes the transport (stop()). */
  protected abstract closeTransport(): Promise<void>;
  /** Prepares one request on this link; replies reach `ex` through `deliver`. */
  protected abstract openAttempt(ex: Exchange, req: ViscaRequest): Attempt;
  /** Attempts made by start() (IP: retries + 1); probes make one. */
  protected startAttempts(): number {
    return 1;
  }
  /** An exchange ended: forget how replies were routed to it. */
  protected onExchangeClosed(_ex: Exchange): void {}
  /** The exchange of a greeting currently deciding whether the camera is back: not aborted by going offline. */
  protected exchangeKeptWhenOffline(): Exchange | null {
    return null;
  }
  /** Called once each time the camera goes offline (a stream driver drops its connection here). */
  protected onOffline(): void {}

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the transport and greets the camera; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    const online = await this.enqueue(() => this.connect(this.startAttempts()), { probe: true }).catch(() => false);
    if (online) await this.refreshState().catch(() => {});
  }

  /** Closes the transport; pending and queued commands fail with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.failAll(new DeviceError('closed', 'The camera driver was stopped'), { includeProbes: true });
    await this.closeTransport();
    this.setStatus('offline');
  }

  health(): DeviceHealth {
    return { status: this.status, lastReplyAt: this.lastReplyAt, errorCount: this.errorCount, lastError: this.lastError };
  }

  state(): Record<string, unknown> {
    return { ...this.camera };
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  async move(speed: PtzSpeed): Promise<void> {
    for (const axis of ['pan', 'tilt', 'zoom'] as const)
      if (!isUnit(speed?.[axis], -1, 1)) throw new DeviceError('invalid_argument', `${axis} speed must be a number in [-1, 1]`);
    const { panTilt, zoom } = moveCommands(this.connection.address, speed);
    await settleInOrder([this.command(panTilt, 'pan-tilt drive'), this.command(zoom, 'zoom')]);
    if (speed.pan !== 0 || speed.tilt !== 0 || speed.zoom !== 0) this.patchState({ preset: null });
  }

  /** The motion stop. (Driver.stop and Ptz.stop share a name; the capability 'ptz.stop' calls this one.) */
  async ptzStop(): Promise<void> {
    await this.move({ pan: 0, tilt: 0, zoom: 0 });
    // Where a continuous move ended is only known by asking.
    this.refreshPosition().catch(() => {});
  }

  async absolute(position: PtzPosition): Promise<void> {
    if (!isUnit(position?.pan, -1, 1) || !isUnit(position?.tilt, -1, 1)) throw new DeviceError('invalid_argument', 'pan and tilt must be numbers in [-1, 1]');
    const zoom = position.zoom ?? 0;
    if (!isUnit(zoom, 0, 1)) throw new DeviceError('invalid_argument', 'zoom must be a number in [0, 1]');
    const v = positionToVisca({ pan: position.pan, tilt: position.tilt, zoom }, this.ranges);
    const address = this.connection.address;
    const panTilt = this.command({ type: 'absolute', address, panSpeed: MAX_PAN_SPEED, tiltSpeed: MAX_TILT_SPEED, pan: v.pan, tilt: v.tilt }, 'absolute position').then(() =>
      this.patchState({ pan: panFromVisca(v.pan, this.ranges), tilt: tiltFromVisca(v.tilt, this.ranges), preset: null }),
    );
    const zoomDone = this.command({ type: 'zoom-direct', address, position: v.zoom }, 'zoom direct').then(() =>
      this.patchState({ zoom: zoomFromVisca(v.zoom, this.ranges) }),
    );
    await settleInOrder([panTilt, zoomDone]);
  }

  async recallPreset(preset: number): Promise<void> {
    this.checkPreset(preset);
    await this.command({ type: 'preset', address: this.connection.address, action: 'recall', preset }, `preset ${preset} recall`);
    this.patchState({ preset });
    await this.refreshPosition().catch(() => {});
  }

  /** VISCA presets have no names; the name is kept by the caller. */
  async savePreset(preset: number, _name?: string): Promise<void> {
    this.checkPreset(preset);
    await this.command({ type: 'preset', address: this.connection.address, action: 'set', preset }, `preset ${preset} save`);
  }

  async power(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.command({ type: 'power', address: this.connection.address, on }, on ? 'power on' : 'standby');
    this.patchState({ power: on });
  }

  /** Asks the camera for power, pan/tilt and zoom and updates state(). */
  async refreshState(): Promise<void> {
    const power = parsePowerData(await this.inquire('power'));
    this.patchState({ power });
    await this.refreshPosition();
  }

  async refreshPosition(): Promise<void> {
    const pt = parsePanTiltPositionData(await this.inquire('pan-tilt-position'));
    const zoom = parseZoomPositionData(await this.inquire('zoom-position'));
    this.patchState({ pan: panFromVisca(pt.pan, this.ranges), tilt: tiltFromVisca(pt.tilt, this.ranges), zoom: zoomFromVisca(zoom, this.ranges) });
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  private checkPreset(preset: number): void {
    if (!Number.isInteger(preset) || preset < 0 || preset > 127) throw new DeviceError('invalid_argument', 'preset must be an integer in 0..127');
  }

  /**
   * Technician console: one raw VISCA packet in hex ("81 09 04 00 FF"); answers the final reply in hex.
   * It goes through the same queue, sockets and timeouts as every other command, so a console user cannot
   * wedge the camera; error replies come back as DeviceErrors naming the VISCA error.
   */
  async raw(request: string): Promise<string> {
    const hex = request.replace(/[\s,]|0x/gi, '');
    if (!/^([0-9a-f]{2}){3,16}$/i.test(hex)) throw new DeviceError('invalid_argument', 'expected 3–16 hex bytes, e.g. 81 09 04 00 FF');
    const payload = Buffer.from(hex, 'hex');
    if ((payload[0] & 0xf8) !== 0x80 || payload[payload.length - 1] !== 0xff || payload.subarray(1, -1).includes(0xff))
      throw new DeviceError('invalid_argument', 'a VISCA packet starts with 8x, ends with FF and has no FF inside');
    const kind = payload[1] === 0x09 ? 'inquiry' : 'command';
    const data = await this.request({ kind, payload, what: `raw ${hex}` }, { needsSocket: kind === 'command', releaseOnAck: false });
    const reply = Buffer.concat([Buffer.from([(this.connection.address + 8) << 4, 0x50]), data, Buffer.from([0xff])]);
    return [...reply].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  }

  /** Sends one VISCA command; resolves at its completion. */
  protected async command(cmd: ViscaCommand, what: string): Promise<void> {
    const isTravel = cmd.type === 'absolute' || cmd.type === 'zoom-direct' || (cmd.type === 'preset' && cmd.action === 'recall');
    const isMove = isTravel || cmd.type === 'pan-tilt-drive' || cmd.type === 'zoom';
    await this.request({ kind: 'command', payload: encodeCommand(cmd), what }, { needsSocket: !isMove, releaseOnAck: isTravel || this.releaseEveryCommandAtAck });
  }

  /** Sends one inquiry; resolves with the reply data (the bytes between `z0 50` and FF). */
  protected async inquire(kind: InquiryKind): Promise<Buffer> {
    return this.request({ kind: 'inquiry', payload: encodeInquiry(this.connection.address, kind), what: `${kind} inquiry` }, { needsSocket: false, releaseOnAck: false });
  }

  private async request(req: ViscaRequest, flow: { needsSocket: boolean; releaseOnAck: boolean }): Promise<Buffer> {
    try {
      return await this.enqueue((release) => this.transact(req, flow.releaseOnAck ? release : null), { needsSocket: flow.needsSocket });
    } catch (err) {
      if (err instanceof ViscaDecodeError) {
        this.noteBadReply(err.message);
        throw new DeviceError('bad_reply', `Camera sent an undecodable answer to ${req.what}: ${err.message}`);
      }
      // 'unreachable' and 'closed' are consequences of an error already counted (or of stop()).
      if (err instanceof DeviceError && err.code !== 'closed' && err.code !== 'unreachable') this.noteError(err.message);
      throw err;
    }
  }

  protected enqueue<T>(run: (release: () => void) => Promise<T>, opts: { probe?: boolean; needsSocket?: boolean } = {}): Promise<T> {
    const probe = opts.probe ?? false;
    if (this.stopped) return Promise.reject(new DeviceError('closed', 'The camera driver was stopped'));
    if (!this.started) return Promise.reject(new DeviceError('closed', 'The camera driver is not started'));
    if (this.status === 'offline' && !probe) return Promise.reject(this.unreachable());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ probe, needsSocket: opts.needsSocket ?? false, run, resolve: resolve as (v: unknown) => void, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        if (job.needsSocket) while (this.executing >= CAMERA_SOCKETS) await new Promise<void>((r) => this.socketWaiters.push(r));
        if (this.stopped) {
          job.reject(new DeviceError('closed', 'The camera driver was stopped'));
          continue;
        }
        if (this.status === 'offline' && !job.probe) {
          job.reject(this.unreachable());
          continue;
        }
        const current = job;
        await new Promise<void>((release) => {
          current
            .run(release)
            .then(current.resolve, current.reject)
            .finally(release);
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * One command or inquiry, from first packet to completion. `releaseAtAck` lets the next request go out
   * once this one is acknowledged; the completion is then awaited for up to completionTimeoutMs.
   */
  protected async transact(req: ViscaRequest, releaseAtAck: (() => void) | null): Promise<Buffer> {
    const c = this.connection;
    const what = req.what;
    const ex = this.openExchange();
    let acked = false;
    let holdsSocket = false;
    const freeSocket = () => {
      if (!holdsSocket) return;
      holdsSocket = false;
      this.executing--;
      this.socketWaiters.splice(0).forEach((wake) => wake());
    };
    try {
      const attempt = this.openAttempt(ex, req);
      let busyRetried = false;
      await attempt.send();
      for (;;) {
        const released = acked && releaseAtAck !== null;
        const got = await this.next(ex, released ? c.completionTimeoutMs : c.timeoutMs);
        if (got === 'timeout') {
          if (released) {
            // Other requests went out since, so resending is not safe; ask whether the camera is still there
            // instead. If it is, the command was accepted and only its completion is missing.
            // No longer counted as holding a socket, so the inquiry cannot queue behind a command waiting for one.
            freeSocket();
            if (await this.isAlive()) return Buffer.alloc(0);
            throw new DeviceError('timeout', `Camera acknowledged ${what} but did not complete it within ${c.completionTimeoutMs} ms and stopped answering`);
          }
          if (await attempt.retryOnSilence()) continue;
          throw this.markUnreachable(new DeviceError('timeout', `Camera did not answer within ${attempt.describeSilence()} to ${what}`));
        }
        if (got.kind === 'abort') throw got.error;
        if (!attempt.accepts(got)) continue;
        if (got.kind === 'link') {
          await attempt.onLinkMessage(got.message);
          continue;
        }
        const r = got.reply;
        if (r.type === 'ack') {
          if (!acked) {
            acked = true;
            holdsSocket = true;
            this.executing++;
            releaseAtAck?.();
          }
          continue;
        }
        if (r.type === 'completion') {
          this.noteGoodReply();
          return r.data;
        }
        if (r.type === 'error') {
          if (r.code === ERROR_BUFFER_FULL && !busyRetried) {
            busyRetried = true;
            await this.delay(c.busyRetryMs);
            await attempt.resend();
            continue;
          }
          this.noteGoodReply(); // the camera is alive and talking sense
          throw errorFor(r.code, r.reason, what);
        }
        // network-change / address replies are not answers to a command; ignore them
      }
    } finally {
      this.closeExchange(ex);
      freeSocket();
    }
  }

  /** A connection attempt (start or probe): establish the link and set the status. */
  private async connect(attempts: number): Promise<boolean> {
    if (this.stopped) return false;
    try {
      await this.establish(attempts);
    } catch (err) {
      if (this.stopped) {
        await this.closeTransport().catch(() => {});
        return false;
      }
      this.noteError(err instanceof Error ? err.message : String(err));
      this.goOffline();
      return false;
    }
    if (this.stopped) {
      // stop() ran while the transport was opening: it must not stay open behind a stopped driver.
      await this.closeTransport().catch(() => {});
      return false;
    }
    this.backoffMs = this.connection.reconnectMinMs;
    this.setStatus('online');
    return true;
  }

  /** A power inquiry as a liveness check; a failure there marks the camera offline by itself. */
  protected async isAlive(): Promise<boolean> {
    try {
      await this.inquire('power');
      return true;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Offline and reconnect
  // -------------------------------------------------------------------------------------------

  protected unreachable(): DeviceError {
    return new DeviceError('unreachable', `${this.describe()} is offline (not answering); reconnecting in the background`);
  }

  /** Called when a request got no answer at all: everything else waiting is failed and probing starts. */
  protected markUnreachable(err: DeviceError): DeviceError {
    this.goOffline();
    return err;
  }

  /** Marks the camera offline, fails what waits (with `err`, default "offline"), and schedules a probe. */
  protected goOffline(err?: DeviceError): void {
    if (this.stopped) return;
    if (this.status !== 'offline') {
      this.setStatus('offline');
      this.failAll(err ?? this.unreachable(), { keep: this.exchangeKeptWhenOffline() });
      this.onOffline();
    }
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.connection.reconnectMaxMs);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.enqueue(() => this.connect(1), { probe: true })
        .then((ok) => {
          if (ok) this.refreshState().catch(() => {});
        })
        .catch(() => {});
    }, delay);
    this.probeTimer.unref();
  }

  /** Fails queued jobs and aborts every open exchange (except `keep`, the greeting currently deciding). */
  protected failAll(err: DeviceError, opts: { keep?: Exchange | null; includeProbes?: boolean } = {}): void {
    const failed = this.queue.filter((j) => opts.includeProbes || !j.probe);
    this.queue = this.queue.filter((j) => !failed.includes(j));
    for (const j of failed) j.reject(err);
    for (const ex of this.open) if (ex !== opts.keep) this.deliver(ex, { kind: 'abort', error: err });
  }

  // -------------------------------------------------------------------------------------------
  // Exchanges
  // -------------------------------------------------------------------------------------------

  protected openExchange(): Exchange {
    const ex: Exchange = { inbox: [], wake: null };
    this.open.add(ex);
    return ex;
  }

  protected closeExchange(ex: Exchange): void {
    this.open.delete(ex);
    this.onExchangeClosed(ex);
  }

  protected deliver(ex: Exchange, item: Incoming): void {
    ex.inbox.push(item);
    ex.wake?.();
  }

  protected next(ex: Exchange, timeoutMs: number): Promise<Incoming | 'timeout'> {
    const ready = ex.inbox.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ex.wake = null;
        resolve('timeout');
      }, timeoutMs);
      timer.unref();
      ex.wake = () => {
        clearTimeout(timer);
        ex.wake = null;
        resolve(ex.inbox.shift()!);
      };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Health and state
  // -------------------------------------------------------------------------------------------

  protected setStatus(s: DeviceStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.emit('status', s);
  }

  protected noteError(message: string): void {
    this.errorCount++;
    this.lastError = message;
  }

  /** Any decodable packet from the camera. */
  protected noteReply(): void {
    this.lastReplyAt = Date.now();
  }

  protected noteBadReply(message: string): void {
    this.noteError(`undecodable reply: ${message}`);
    if (this.status === 'online') this.setStatus('degraded');
  }

  protected noteGoodReply(): void {
    if (this.status === 'degraded') this.setStatus('online');
  }

  protected patchState(p: Partial<ViscaCameraState>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      if (this.camera[k] !== v) {
        this.camera[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit('state', this.state());
  }

  protected delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}

/**
 * Waits for every command of a capability call and throws the first one's error in command order: when the
 * first times out, the second fails as 'unreachable' a moment earlier, and the timeout is the real story.
 */
async function settleInOrder(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A VISCA error reply as the DeviceError a caller sees. */
export function errorFor(code: number, reason: string, what: string): DeviceError {
  switch (code) {
    case ERROR_BUFFER_FULL:
      return new DeviceError('busy', `Camera is busy (command buffer full, two commands executing) and refused ${what}`);
    case ERROR_NOT_EXECUTABLE:
      return new DeviceError('rejected', `Camera cannot execute ${what} in its current state (e.g. standby)`);
    case ERROR_SYNTAX:
      return new DeviceError('syntax', `Camera did not understand ${what} (VISCA syntax error)`);
    case ERROR_LENGTH:
      return new DeviceError('syntax', `Camera refused the length of ${what} (VISCA message length error)`);
    case ERROR_CANCELLED:
      return new DeviceError('rejected', `cancelled: the camera cancelled ${what} (a newer command replaced it)`);
    case ERROR_NO_SOCKET:
      return new DeviceError('rejected', `Camera reported no socket for ${what}`);
    default:
      return new DeviceError('rejected', `Camera refused ${what}: ${reason}`);
  }
}
