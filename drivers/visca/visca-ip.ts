// A PTZ camera over Sony VISCA-over-IP (UDP 52381), protocols.md §1.9.
//
// Flow control: one request in flight at a time (FIFO), until its completion. The exception is a travel
// (absolute position, zoom direct, preset recall): the next request may go once it is acknowledged (Sony
// SRG-300H p26: "wait until an Acknowledge message or error message of the first command is returned, then
// send the next command"), so a stop can overtake a long move; its promise still resolves only at its own
// completion, matched by the echoed sequence number.
//
// Loss: a per-attempt timeout retransmits the same sequence number; if the camera answers `0F 01` it already
// ran the command and our reply was lost, so the command goes again under a new number; if that happens again
// the sequence is RESET. When nothing answers, the device is marked offline, commands fail fast, and RESET
// probes with back-off bring it back.
import { EventEmitter } from 'node:events';
import { DeviceError, type Camera, type DeviceHealth, type DeviceStatus, type DriverEvents, type PtzPosition, type PtzSpeed, type PtzStop } from '../types.js';
import { UdpTransport } from '../transports/udp.js';
import {
  DEFAULT_RANGES,
  ERROR_BUFFER_FULL,
  ERROR_CANCELLED,
  ERROR_LENGTH,
  ERROR_NO_SOCKET,
  ERROR_NOT_EXECUTABLE,
  ERROR_SYNTAX,
  IpPayloadType,
  MAX_PAN_SPEED,
  MAX_TILT_SPEED,
  ViscaDecodeError,
  decodeIpControl,
  decodeIpMessage,
  decodeReply,
  encodeCommand,
  encodeInquiry,
  encodeIpMessage,
  encodeIpReset,
  moveCommands,
  nextSeq,
  panFromVisca,
  parsePanTiltPositionData,
  parsePowerData,
  parseZoomPositionData,
  positionToVisca,
  tiltFromVisca,
  zoomFromVisca,
  type InquiryKind,
  type IpControl,
  type ViscaCommand,
  type ViscaRanges,
  type ViscaReply,
} from './codec.js';

export interface ViscaIpConnection {
  host: string;
  port: number;
  /** Camera address; locked to 1 over IP. */
  address: number;
  /** Local UDP port; 0 = any. Some cameras only answer to 52381. */
  localPort: number;
  /** Bound on each attempt to get the first reply (ACK, error, or inquiry answer). */
  timeoutMs: number;
  /** Retransmissions of an unanswered datagram (same sequence number). */
  retries: number;
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

export const VISCA_IP_DEFAULTS: Omit<ViscaIpConnection, 'host'> = {
  port: 52381,
  address: 1,
  localPort: 0,
  timeoutMs: 1000,
  retries: 2,
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

type Incoming =
  | { kind: 'visca'; seq: number; reply: ViscaReply }
  | { kind: 'control'; seq: number; control: IpControl }
  | { kind: 'abort'; error: DeviceError };

/** A mailbox for the replies of one request, so the request can be written as a plain loop. */
interface Exchange {
  inbox: Incoming[];
  wake: (() => void) | null;
  seqs: number[];
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

export class ViscaIpDriver extends EventEmitter<DriverEvents> implements Camera, PtzStop {
  readonly driver = 'visca-ip';
  readonly kind = 'camera' as const;
  readonly connection: ViscaIpConnection;

  private readonly transport: UdpTransport;
  private readonly ranges: ViscaRanges;
  private status: DeviceStatus = 'connecting';
  private lastReplyAt: number | null = null;
  private errorCount = 0;
  private lastError: string | null = null;
  private camera: ViscaCameraState = { power: null, pan: null, tilt: null, zoom: null, preset: null };

  private seq = 0;
  private readonly bySeq = new Map<number, Exchange>();
  private readonly open = new Set<Exchange>();
  private resetWaiter: Exchange | null = null;
  private queue: Job[] = [];
  private pumping = false;
  private executing = 0; // our commands acknowledged and not yet completed
  private socketWaiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(connection: Partial<ViscaIpConnection> & { host: string }) {
    super();
    this.connection = { ...VISCA_IP_DEFAULTS, ...connection };
    const c = this.connection;
    this.ranges = { panMax: c.panMax, tiltMax: c.tiltMax, zoomMax: c.zoomMax };
    this.backoffMs = c.reconnectMinMs;
    this.transport = new UdpTransport({ host: c.host, port: c.port, localPort: c.localPort });
    this.transport.on('message', (buf) => this.onDatagram(buf));
    this.transport.on('error', (err) => this.noteError(`socket: ${err.message}`));
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the socket and RESETs the sequence; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.setStatus('connecting');
    const online = await this.enqueue(() => this.connect(this.connection.retries + 1), { probe: true }).catch(() => false);
    if (online) await this.refreshState().catch(() => {});
  }

  /** Closes the socket; pending and queued commands fail with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.failAll(new DeviceError('closed', 'The camera driver was stopped'), { includeProbes: true });
    await this.transport.close();
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

  /** Sends one VISCA command; resolves at its completion. */
  private async command(cmd: ViscaCommand, what: string): Promise<void> {
    const isTravel = cmd.type === 'absolute' || cmd.type === 'zoom-direct' || (cmd.type === 'preset' && cmd.action === 'recall');
    const isMove = isTravel || cmd.type === 'pan-tilt-drive' || cmd.type === 'zoom';
    await this.request(IpPayloadType.command, encodeCommand(cmd), what, { needsSocket: !isMove, releaseOnAck: isTravel });
  }

  /** Sends one inquiry; resolves with the reply data (the bytes between `90 50` and FF). */
  private async inquire(kind: InquiryKind): Promise<Buffer> {
    return this.request(IpPayloadType.inquiry, encodeInquiry(this.connection.address, kind), `${kind} inquiry`, { needsSocket: false, releaseOnAck: false });
  }

  private async request(type: number, payload: Buffer, what: string, flow: { needsSocket: boolean; releaseOnAck: boolean }): Promise<Buffer> {
    try {
      return await this.enqueue((release) => this.transact(type, payload, what, flow.releaseOnAck ? release : null), { needsSocket: flow.needsSocket });
    } catch (err) {
      if (err instanceof ViscaDecodeError) {
        this.noteBadReply(err.message);
        throw new DeviceError('bad_reply', `Camera sent an undecodable answer to ${what}: ${err.message}`);
      }
      // 'unreachable' and 'closed' are consequences of an error already counted (or of stop()).
      if (err instanceof DeviceError && err.code !== 'closed' && err.code !== 'unreachable') this.noteError(err.message);
      throw err;
    }
  }

  private enqueue<T>(run: (release: () => void) => Promise<T>, opts: { probe?: boolean; needsSocket?: boolean } = {}): Promise<T> {
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
   * One command or inquiry, from first datagram to completion. `releaseAtAck`, for travels, lets the next
   * request go out once this one is acknowledged; everything else keeps the line until its completion, so
   * its sequence number is still the newest one and can safely be sent again when a reply goes missing.
   */
  private async transact(type: number, payload: Buffer, what: string, releaseAtAck: (() => void) | null): Promise<Buffer> {
    const c = this.connection;
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
      let seq = this.bind(ex);
      const send = () => this.sendDatagram(encodeIpMessage({ type, seq, payload }));
      let retransmissions = 0;
      let freshSequenceUsed = false;
      let resetUsed = false;
      let busyRetried = false;
      await send();
      for (;;) {
        const travelling = acked && releaseAtAck !== null;
        const got = await this.next(ex, travelling ? c.completionTimeoutMs : c.timeoutMs);
        if (got === 'timeout') {
          if (travelling) {
            // Other requests went out since, so resending this older number is not safe; ask whether the
            // camera is still there instead. If it is, the move was accepted and only its completion is missing.
            // No longer counted as holding a socket, so the inquiry cannot queue behind a command waiting for one.
            freeSocket();
            if (await this.isAlive()) return Buffer.alloc(0);
            throw new DeviceError('timeout', `Camera acknowledged ${what} but did not complete it within ${c.completionTimeoutMs} ms and stopped answering`);
          }
          if (retransmissions < c.retries) {
            retransmissions++;
            await send(); // same sequence number: if only our datagram was lost the camera runs it now
            continue;
          }
          throw this.markUnreachable(
            new DeviceError('timeout', `Camera did not answer within ${(c.retries + 1) * c.timeoutMs} ms (${c.retries + 1} attempts of ${c.timeoutMs} ms) to ${what}`),
          );
        }
        if (got.kind === 'abort') throw got.error;
        // After a switch to a new number, answers to the old one (e.g. its 6y 04 when the camera replaced it) are stale.
        if (got.seq !== seq) continue;
        if (got.kind === 'control') {
          const ctl = got.control;
          if (ctl.type !== 'error') continue;
          if (ctl.error === 'sequence') {
            // The camera already ran this number and our reply was lost; a new number gets a fresh result.
            if (!freshSequenceUsed) {
              freshSequenceUsed = true;
            } else if (!resetUsed) {
              resetUsed = true;
              if (!(await this.reset(c.retries + 1)))
                throw this.markUnreachable(new DeviceError('timeout', `Camera did not answer the sequence RESET within ${(c.retries + 1) * c.timeoutMs} ms`));
            } else throw new DeviceError('rejected', `Camera keeps refusing the sequence number for ${what}, even after a RESET`);
            seq = this.bind(ex);
            await send();
            continue;
          }
          throw new DeviceError('syntax', `Camera refused the message type of ${what} (VISCA-over-IP control error ${String(ctl.error)})`);
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
            seq = this.bind(ex); // the camera saw the old number; reusing it would read as a duplicate
            await send();
            continue;
          }
          this.noteGoodReply(); // the camera is alive and talking sense
          throw errorFor(r.code, r.reason, what);
        }
        // network-change / address replies do not exist over IP; ignore them
      }
    } finally {
      this.closeExchange(ex);
      freeSocket();
    }
  }

  /** Sends RESET until the control ACK arrives; on success the next sequence number is 0. */
  private async reset(attempts: number): Promise<boolean> {
    const ex = this.openExchange();
    this.resetWaiter = ex;
    try {
      for (let i = 0; i < attempts; i++) {
        await this.sendDatagram(encodeIpReset());
        for (;;) {
          const got = await this.next(ex, this.connection.timeoutMs);
          if (got === 'timeout') break;
          if (got.kind === 'abort') throw got.error;
          if (got.kind === 'control' && got.control.type === 'ack') {
            this.seq = 0;
            return true;
          }
        }
      }
      return false;
    } finally {
      if (this.resetWaiter === ex) this.resetWaiter = null;
      this.closeExchange(ex);
    }
  }

  /** A connection attempt (start or probe): open the socket if needed, RESET, and set the status. */
  private async connect(attempts: number): Promise<boolean> {
    if (this.stopped) return false;
    try {
      await this.transport.open();
    } catch (err) {
      this.noteError(`cannot open UDP socket: ${(err as Error).message}`);
      this.goOffline();
      return false;
    }
    const ok = await this.reset(attempts);
    if (ok) {
      this.backoffMs = this.connection.reconnectMinMs;
      this.setStatus('online');
    } else {
      this.noteError(`Camera ${this.connection.host}:${this.connection.port} did not answer RESET`);
      this.goOffline();
    }
    return ok;
  }

  /** A power inquiry as a liveness check; a failure there marks the camera offline by itself. */
  private async isAlive(): Promise<boolean> {
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

  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Camera ${this.connection.host}:${this.connection.port} is offline (not answering); reconnecting in the background`);
  }

  /** Called when a request got no answer at all: everything else waiting is failed and probing starts. */
  private markUnreachable(err: DeviceError): DeviceError {
    this.goOffline();
    return err;
  }

  private goOffline(): void {
    if (this.stopped) return;
    if (this.status !== 'offline') {
      this.setStatus('offline');
      this.failAll(this.unreachable(), { keep: this.resetWaiter });
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

  /** Fails queued jobs and aborts every open exchange (except `keep`, the RESET currently deciding). */
  private failAll(err: DeviceError, opts: { keep?: Exchange | null; includeProbes?: boolean } = {}): void {
    const failed = this.queue.filter((j) => opts.includeProbes || !j.probe);
    this.queue = this.queue.filter((j) => !failed.includes(j));
    for (const j of failed) j.reject(err);
    for (const ex of this.open) if (ex !== opts.keep) this.deliver(ex, { kind: 'abort', error: err });
  }

  // -------------------------------------------------------------------------------------------
  // Exchanges and datagrams
  // -------------------------------------------------------------------------------------------

  private openExchange(): Exchange {
    const ex: Exchange = { inbox: [], wake: null, seqs: [] };
    this.open.add(ex);
    return ex;
  }

  /** Gives the exchange the next sequence number; replies to its older numbers still reach it. */
  private bind(ex: Exchange): number {
    const seq = this.seq;
    this.seq = nextSeq(this.seq);
    ex.seqs.push(seq);
    this.bySeq.set(seq, ex);
    return seq;
  }

  private closeExchange(ex: Exchange): void {
    this.open.delete(ex);
    for (const s of ex.seqs) if (this.bySeq.get(s) === ex) this.bySeq.delete(s);
  }

  private deliver(ex: Exchange, item: Incoming): void {
    ex.inbox.push(item);
    ex.wake?.();
  }

  private next(ex: Exchange, timeoutMs: number): Promise<Incoming | 'timeout'> {
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

  private async sendDatagram(buf: Buffer): Promise<void> {
    try {
      await this.transport.send(buf);
    } catch (err) {
      // A send error (no route, socket closed) looks like loss to the protocol; the timeout decides.
      this.noteError(`send failed: ${(err as Error).message}`);
    }
  }

  private onDatagram(buf: Buffer): void {
    let msg;
    try {
      msg = decodeIpMessage(buf);
    } catch (err) {
      this.noteBadReply((err as Error).message);
      return;
    }
    if (msg.type === IpPayloadType.reply) {
      let reply: ViscaReply;
      try {
        reply = decodeReply(msg.payload);
      } catch (err) {
        this.noteBadReply((err as Error).message);
        return;
      }
      this.lastReplyAt = Date.now();
      const ex = this.bySeq.get(msg.seq);
      if (ex) this.deliver(ex, { kind: 'visca', seq: msg.seq, reply });
      return; // otherwise a late duplicate of something already settled
    }
    if (msg.type === IpPayloadType.control || msg.type === IpPayloadType.controlReply) {
      let control: IpControl;
      try {
        control = decodeIpControl(msg);
      } catch (err) {
        this.noteBadReply((err as Error).message);
        return;
      }
      this.lastReplyAt = Date.now();
      if (control.type === 'ack') {
        if (this.resetWaiter) this.deliver(this.resetWaiter, { kind: 'control', seq: msg.seq, control });
      } else if (control.type === 'error') {
        const ex = this.bySeq.get(msg.seq);
        if (ex) this.deliver(ex, { kind: 'control', seq: msg.seq, control });
      }
      return;
    }
    this.noteBadReply(`unexpected VISCA-over-IP payload type 0x${msg.type.toString(16).padStart(4, '0')}`);
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

  private patchState(p: Partial<ViscaCameraState>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      if (this.camera[k] !== v) {
        this.camera[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit('state', this.state());
  }

  private delay(ms: number): Promise<void> {
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

function errorFor(code: number, reason: string, what: string): DeviceError {
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
