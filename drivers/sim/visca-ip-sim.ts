// A VISCA-over-IP camera on real UDP, faithful to protocols.md §7: sequence numbers, RESET, two sockets,
// ACK then completion after the simulated travel, cancellation by a newer move, standby, position mid-move.
// Test hooks (dropRepliesNext, dropIncomingNext, failNext, sequenceErrorNext) inject the faults a real
// network and camera produce, so the driver's recovery paths can be exercised deterministically.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
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
  MAX_ZOOM_SPEED,
  ViscaDecodeError,
  decodeCommand,
  decodeIpMessage,
  encodeAck,
  encodeCompletion,
  encodeErrorReply,
  encodeIpControlAck,
  encodeIpControlError,
  encodeIpMessage,
  panTiltPositionData,
  peekIpHeader,
  powerData,
  presetData,
  zoomPositionData,
  type ViscaCommand,
  type ViscaRanges,
} from '../visca/codec.js';

export interface ViscaIpSimulatorOptions {
  port?: number; // default 52381; 0 = ephemeral
  host?: string; // default 127.0.0.1
  /** Travel time of absolute moves, zoom direct and preset recall (completion comes after it). Default 200. */
  moveTimeMs?: number;
  /** Probability (0..1) that an incoming datagram is lost. */
  lossRate?: number;
  /** Probability (0..1) that a reply datagram is lost on the way back. */
  replyLossRate?: number;
  /** Injectable randomness for lossRate, so lossy tests reproduce. */
  random?: () => number;
  ranges?: ViscaRanges;
}

export interface SimDatagram {
  data: Buffer;
  /** process.hrtime.bigint() at arrival/departure, for latency measurements. */
  time: bigint;
  peer: { address: string; port: number };
  /** True when a fault hook or lossRate discarded it. */
  dropped: boolean;
}

export interface ViscaSimState {
  power: boolean;
  pan: number;
  tilt: number;
  zoom: number;
  /** Last recalled preset, or null. */
  preset: number | null;
  presets: Record<number, { pan: number; tilt: number; zoom: number }>;
  moving: boolean;
  /** Sockets (1, 2) holding a command that has not completed yet. */
  busySockets: number[];
}

export interface ViscaIpSimulatorEvents {
  command: [SimDatagram];
  reply: [SimDatagram];
}

type Axis = 'pan' | 'tilt' | 'zoom';
interface AxisMotion {
  base: number;
  since: number;
  velocity: number; // units per ms
  target: number | null; // a travel stops here; a continuous move stops at the range limit
}
interface Peer {
  address: string;
  port: number;
  lastSeq: number | null;
}
/** A command holding a socket until its travel ends. */
interface Operation {
  socket: number;
  seq: number;
  peer: Peer;
  axes: Axis[];
  targets: Partial<Record<Axis, number>>;
  timer: NodeJS.Timeout | null;
}

const ADDRESS = 1; // VISCA over IP: camera address locked to 1
const SOCKETS = [1, 2];
const LOG_LIMIT = 10_000;
// Full range at top speed: pan in 4 s, tilt in 3 s, zoom in 3 s (order of magnitude of real PTZ cameras).
const PAN_FULL_MS = 4000;
const TILT_FULL_MS = 3000;
const ZOOM_FULL_MS = 3000;
const STANDARD_ZOOM_SPEED = 4;

export class ViscaIpSimulator extends EventEmitter<ViscaIpSimulatorEvents> {
  /** Every datagram received (most recent LOG_LIMIT), including dropped ones. */
  readonly received: SimDatagram[] = [];
  /** Every reply datagram produced (most recent LOG_LIMIT), including dropped ones. */
  readonly sent: SimDatagram[] = [];
  moveTimeMs: number;
  lossRate: number;
  replyLossRate: number;

  private readonly host: string;
  private port: number;
  private readonly random: () => number;
  private readonly ranges: ViscaRanges;
  private socket: dgram.Socket | null = null;
  private readonly peers = new Map<string, Peer>();
  private readonly ops = new Map<number, Operation>(); // by socket
  private readonly axes: Record<Axis, AxisMotion>;
  private power = true;
  private lastPreset: number | null = null;
  private readonly presets = new Map<number, { pan: number; tilt: number; zoom: number }>();
  private dropReplies: { count: number; match: (payload: Buffer) => boolean }[] = [];
  private dropIncoming = 0;
  private sequenceErrors = 0;
  private readonly forcedErrors: number[] = [];

  constructor(opts: ViscaIpSimulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 52381;
    this.moveTimeMs = opts.moveTimeMs ?? 200;
    this.lossRate = opts.lossRate ?? 0;
    this.replyLossRate = opts.replyLossRate ?? 0;
    this.random = opts.random ?? Math.random;
    this.ranges = opts.ranges ?? DEFAULT_RANGES;
    const now = performance.now();
    const still = (): AxisMotion => ({ base: 0, since: now, velocity: 0, target: null });
    this.axes = { pan: still(), tilt: still(), zoom: still() };
  }

  /** Binds the UDP port. After stop(), start() binds the same port again (a camera coming back). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.socket) return { host: this.host, port: this.port };
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {
      /* a simulator never dies of a stray ICMP error */
    });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.socket = socket;
    this.port = socket.address().port;
    return { host: this.host, port: this.port };
  }

  async stop(): Promise<void> {
    // Moves under way finish where they were heading; their completions are never sent (the camera is gone).
    for (const op of this.ops.values()) this.finishOperation(op, false);
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  get address(): { host: string; port: number } | null {
    return this.socket ? { host: this.host, port: this.port } : null;
  }

  get state(): ViscaSimState {
    const now = performance.now();
    return {
      power: this.power,
      pan: Math.round(this.valueAt('pan', now)),
      tilt: Math.round(this.valueAt('tilt', now)),
      zoom: Math.round(this.valueAt('zoom', now)),
      preset: this.lastPreset,
      presets: Object.fromEntries(this.presets),
      moving: (['pan', 'tilt', 'zoom'] as Axis[]).some((a) => this.isMoving(a, now)),
      busySockets: [...this.ops.keys()].sort(),
    };
  }

  /** Puts the camera in a given state (tests), stopping any motion. */
  setState(s: Partial<{ power: boolean; pan: number; tilt: number; zoom: number }>): void {
    const now = performance.now();
    if (s.power !== undefined) this.power = s.power;
    for (const axis of ['pan', 'tilt', 'zoom'] as Axis[]) {
      const v = s[axis];
      this.axes[axis] = { base: v ?? this.valueAt(axis, now), since: now, velocity: 0, target: null };
    }
  }

  /**
   * The next n reply datagrams (optionally: only those whose payload matches, e.g. completions) are produced
   * but not sent: lost on the way back.
   */
  dropRepliesNext(n: number, match: (payload: Buffer) => boolean = () => true): void {
    this.dropReplies.push({ count: n, match });
  }
  /** The next n incoming datagrams are lost before the camera sees them. */
  dropIncomingNext(n: number): void {
    this.dropIncoming += n;
  }
  /** The next VISCA command (not inquiry) is answered with this error instead of being executed. */
  failNext(code: number, count = 1): void {
    for (let i = 0; i < count; i++) this.forcedErrors.push(code);
  }
  /** The next n VISCA datagrams are answered with control error 0F 01 (sequence abnormal), not executed. */
  sequenceErrorNext(n: number): void {
    this.sequenceErrors += n;
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Datagram handling
  // -------------------------------------------------------------------------------------------

  private onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const entry: SimDatagram = { data, time: process.hrtime.bigint(), peer: { address: rinfo.address, port: rinfo.port }, dropped: false };
    const lost = this.dropIncoming > 0 || (this.lossRate > 0 && this.random() < this.lossRate);
    if (this.dropIncoming > 0) this.dropIncoming--;
    entry.dropped = lost;
    this.log(this.received, entry);
    this.emit('command', entry);
    if (lost) return;

    const head = peekIpHeader(data);
    if (!head) return; // not even a header: nothing to echo a sequence number into
    const peer = this.peerFor(rinfo);
    let msg;
    try {
      msg = decodeIpMessage(data);
    } catch {
      this.send(peer, IpPayloadType.reply, head.seq, encodeErrorReply(ADDRESS, 0, ERROR_LENGTH));
      return;
    }
    const { type, seq, payload } = msg;
    if (type === IpPayloadType.control) {
      if (payload.length === 1 && payload[0] === 0x01) {
        peer.lastSeq = null; // RESET: the next sequence number is accepted whatever it is (normally 0)
        this.sendRaw(peer, encodeIpControlAck(seq));
      } else this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    if (type !== IpPayloadType.command && type !== IpPayloadType.inquiry && type !== IpPayloadType.deviceSetting) {
      this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    // The same sequence number again means the controller lost our reply: say so rather than execute twice.
    if (peer.lastSeq === seq || this.sequenceErrors > 0) {
      if (this.sequenceErrors > 0) this.sequenceErrors--;
      this.sendRaw(peer, encodeIpControlError(seq, 'sequence'));
      return;
    }
    peer.lastSeq = seq;
    this.onVisca(peer, seq, type, payload);
  }

  private onVisca(peer: Peer, seq: number, type: number, payload: Buffer): void {
    const reply = (bytes: Buffer) => this.send(peer, IpPayloadType.reply, seq, bytes);
    let cmd: ViscaCommand;
    try {
      cmd = decodeCommand(payload);
    } catch (err) {
      const code = err instanceof ViscaDecodeError && err.kind === 'length' ? ERROR_LENGTH : ERROR_SYNTAX;
      reply(encodeErrorReply(ADDRESS, 0, code));
      return;
    }
    const isInquiry = cmd.type === 'inquiry';
    const isDeviceSetting = cmd.type === 'if-clear' || cmd.type === 'address-set' || cmd.type === 'if-clear-broadcast';
    const typeMatches =
      type === IpPayloadType.inquiry ? isInquiry : type === IpPayloadType.deviceSetting ? isDeviceSetting : !isInquiry && (cmd.type === 'if-clear' || !isDeviceSetting);
    if (!typeMatches) {
      this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    // Over IP the address is locked to 1 and there is no broadcast (Sony SRG-300H p26).
    if (!('address' in cmd) || cmd.address !== ADDRESS) {
      reply(encodeErrorReply(ADDRESS, 0, ERROR_SYNTAX));
      return;
    }
    if (cmd.type === 'inquiry') {
      reply(encodeCompletion(ADDRESS, 0, this.inquiryData(cmd.inquiry)));
      return;
    }
    if (cmd.type === 'if-clear') {
      for (const op of [...this.ops.values()]) this.cancelOperation(op);
      this.settleAll();
      reply(encodeCompletion(ADDRESS, 0));
      return;
    }
    if (cmd.type === 'cancel') {
      const op = this.ops.get(cmd.socket);
      if (!op) reply(encodeErrorReply(ADDRESS, cmd.socket, ERROR_NO_SOCKET));
      else {
        this.cancelOperation(op);
        if (op.peer !== peer || op.seq !== seq) reply(encodeErrorReply(ADDRESS, cmd.socket, ERROR_CANCELLED));
      }
      return;
    }

    const forced = this.forcedErrors.shift();
    if (forced !== undefined) {
      this.injectError(peer, seq, forced);
      return;
    }
    const movesSomething = cmd.type !== 'power' && !(cmd.type === 'preset' && cmd.action !== 'recall');
    if (!this.power && movesSomething) {
      reply(encodeErrorReply(ADDRESS, this.freeSocket() ?? 1, ERROR_NOT_EXECUTABLE));
      return;
    }

    // A new move on an axis replaces the one under way, which is cancelled (ptzsim behaviour).
    const axes = this.axesOf(cmd);
    for (const op of [...this.ops.values()]) if (op.axes.some((a) => axes.includes(a))) this.cancelOperation(op);
    if (cmd.type === 'power' && !cmd.on) for (const op of [...this.ops.values()]) this.cancelOperation(op);

    const socket = this.freeSocket();
    if (socket === null) {
      reply(encodeErrorReply(ADDRESS, 0, ERROR_BUFFER_FULL));
      return;
    }
    reply(encodeAck(ADDRESS, socket));
    const now = performance.now();
    switch (cmd.type) {
      case 'power':
        if (!cmd.on) this.settleAll();
        this.power = cmd.on;
        break;
      case 'pan-tilt-drive': {
        const dir = { left: -1, right: 1, up: 1, down: -1, stop: 0 };
        this.drive('pan', now, dir[cmd.pan] * (Math.min(cmd.panSpeed, MAX_PAN_SPEED) / MAX_PAN_SPEED) * ((2 * this.ranges.panMax) / PAN_FULL_MS));
        this.drive('tilt', now, dir[cmd.tilt] * (Math.min(cmd.tiltSpeed, MAX_TILT_SPEED) / MAX_TILT_SPEED) * ((2 * this.ranges.tiltMax) / TILT_FULL_MS));
        break;
      }
      case 'zoom': {
        const speed = cmd.speed ?? STANDARD_ZOOM_SPEED;
        const sign = cmd.action === 'tele' ? 1 : cmd.action === 'wide' ? -1 : 0;
        this.drive('zoom', now, sign * ((speed + 1) / (MAX_ZOOM_SPEED + 1)) * (this.ranges.zoomMax / ZOOM_FULL_MS));
        break;
      }
      case 'absolute':
        this.travel(peer, seq, socket, { pan: this.clampAxis('pan', cmd.pan), tilt: this.clampAxis('tilt', cmd.tilt) });
        return;
      case 'zoom-direct':
        this.travel(peer, seq, socket, { zoom: this.clampAxis('zoom', cmd.position) });
        return;
      case 'preset':
        if (cmd.action === 'set') this.presets.set(cmd.preset, { pan: this.state.pan, tilt: this.state.tilt, zoom: this.state.zoom });
        else if (cmd.action === 'reset') this.presets.delete(cmd.preset);
        else {
          this.lastPreset = cmd.preset;
          const p = this.presets.get(cmd.preset);
          if (p) {
            this.travel(peer, seq, socket, p);
            return;
          }
          // An unsaved preset: real cameras acknowledge and stay where they are.
        }
        break;
    }
    reply(encodeCompletion(ADDRESS, socket));
  }

  private injectError(peer: Peer, seq: number, code: number): void {
    const reply = (bytes: Buffer) => this.send(peer, IpPayloadType.reply, seq, bytes);
    const socket = this.freeSocket() ?? 1;
    if (code === ERROR_CANCELLED) {
      // A cancel is only meaningful after the command was accepted.
      reply(encodeAck(ADDRESS, socket));
      reply(encodeErrorReply(ADDRESS, socket, code));
    } else if (code === ERROR_LENGTH || code === ERROR_SYNTAX || code === ERROR_BUFFER_FULL) reply(encodeErrorReply(ADDRESS, 0, code));
    else reply(encodeErrorReply(ADDRESS, socket, code));
  }

  private inquiryData(kind: 'power' | 'pan-tilt-position' | 'zoom-position' | 'preset'): Buffer {
    const s = this.state;
    switch (kind) {
      case 'power':
        return powerData(s.power);
      case 'pan-tilt-position':
        return panTiltPositionData(s.pan, s.tilt);
      case 'zoom-position':
        return zoomPositionData(s.zoom);
      case 'preset':
        return presetData(s.preset ?? 0);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Motion
  // -------------------------------------------------------------------------------------------

  private axesOf(cmd: ViscaCommand): Axis[] {
    switch (cmd.type) {
      case 'pan-tilt-drive':
      case 'absolute':
        return ['pan', 'tilt'];
      case 'zoom':
      case 'zoom-direct':
        return ['zoom'];
      case 'preset':
        return cmd.action === 'recall' ? ['pan', 'tilt', 'zoom'] : [];
      default:
        return [];
    }
  }

  private limits(axis: Axis): [number, number] {
    if (axis === 'pan') return [-this.ranges.panMax, this.ranges.panMax];
    if (axis === 'tilt') return [-this.ranges.tiltMax, this.ranges.tiltMax];
    return [0, this.ranges.zoomMax];
  }

  private clampAxis(axis: Axis, v: number): number {
    const [lo, hi] = this.limits(axis);
    return Math.min(hi, Math.max(lo, v));
  }

  private valueAt(axis: Axis, now: number): number {
    const m = this.axes[axis];
    if (m.velocity === 0) return m.base;
    let v = m.base + m.velocity * (now - m.since);
    if (m.target !== null && (m.velocity > 0 ? v >= m.target : v <= m.target)) v = m.target;
    return this.clampAxis(axis, v);
  }

  private isMoving(axis: Axis, now: number): boolean {
    const m = this.axes[axis];
    if (m.velocity === 0) return false;
    const v = this.valueAt(axis, now);
    if (m.target !== null) return v !== m.target;
    const [lo, hi] = this.limits(axis);
    return m.velocity > 0 ? v < hi : v > lo;
  }

  private drive(axis: Axis, now: number, velocity: number): void {
    this.axes[axis] = { base: this.valueAt(axis, now), since: now, velocity, target: null };
  }

  private settleAll(): void {
    const now = performance.now();
    for (const axis of ['pan', 'tilt', 'zoom'] as Axis[]) this.drive(axis, now, 0);
  }

  private travel(peer: Peer, seq: number, socket: number, targets: Partial<Record<Axis, number>>): void {
    const now = performance.now();
    const axes = Object.keys(targets) as Axis[];
    const op: Operation = { socket, seq, peer, axes, targets, timer: null };
    this.ops.set(socket, op);
    if (this.moveTimeMs <= 0) {
      this.finishOperation(op, true);
      return;
    }
    for (const axis of axes) {
      const from = this.valueAt(axis, now);
      const to = targets[axis]!;
      this.axes[axis] = from === to ? { base: to, since: now, velocity: 0, target: null } : { base: from, since: now, velocity: (to - from) / this.moveTimeMs, target: to };
    }
    op.timer = setTimeout(() => this.finishOperation(op, true), this.moveTimeMs);
    op.timer.unref();
  }

  private finishOperation(op: Operation, reply: boolean): void {
    if (op.timer) clearTimeout(op.timer);
    if (this.ops.get(op.socket) !== op) return;
    this.ops.delete(op.socket);
    const now = performance.now();
    for (const axis of op.axes) this.axes[axis] = { base: op.targets[axis]!, since: now, velocity: 0, target: null };
    if (reply) this.send(op.peer, IpPayloadType.reply, op.seq, encodeCompletion(ADDRESS, op.socket));
  }

  /** Stops a travel where it is and tells its sender `6y 04` (no completion follows). */
  private cancelOperation(op: Operation): void {
    if (op.timer) clearTimeout(op.timer);
    if (this.ops.get(op.socket) !== op) return;
    this.ops.delete(op.socket);
    const now = performance.now();
    for (const axis of op.axes) this.drive(axis, now, 0);
    this.send(op.peer, IpPayloadType.reply, op.seq, encodeErrorReply(ADDRESS, op.socket, ERROR_CANCELLED));
  }

  private freeSocket(): number | null {
    return SOCKETS.find((s) => !this.ops.has(s)) ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------

  private peerFor(rinfo: dgram.RemoteInfo): Peer {
    const key = `${rinfo.address}:${rinfo.port}`;
    let p = this.peers.get(key);
    if (!p) {
      p = { address: rinfo.address, port: rinfo.port, lastSeq: null };
      this.peers.set(key, p);
    }
    return p;
  }

  private send(peer: Peer, type: number, seq: number, payload: Buffer): void {
    this.sendRaw(peer, encodeIpMessage({ type, seq, payload }));
  }

  private sendRaw(peer: Peer, data: Buffer): void {
    const rule = this.dropReplies.find((r) => r.match(data.subarray(8)));
    if (rule && --rule.count === 0) this.dropReplies.splice(this.dropReplies.indexOf(rule), 1);
    const dropped = rule !== undefined || (this.replyLossRate > 0 && this.random() < this.replyLossRate);
    const entry: SimDatagram = { data, time: process.hrtime.bigint(), peer: { address: peer.address, port: peer.port }, dropped };
    this.log(this.sent, entry);
    this.emit('reply', entry);
    if (dropped || !this.socket) return;
    this.socket.send(data, peer.port, peer.address);
  }

  private log(list: SimDatagram[], entry: SimDatagram): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
