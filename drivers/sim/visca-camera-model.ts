// The simulated VISCA camera itself, independent of how packets reach it (protocols.md §7): power, pan/tilt/
// zoom motion with travel time, presets, two command sockets, ACK then completion, cancellation by a newer
// move, standby refusals, injected errors. The VISCA-over-IP (UDP), raw TCP and serial simulators are thin
// front-ends around one ViscaCameraModel: they only frame packets and carry them; they may even share one
// model, so the same camera answers on several transports at once.
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
  MAX_ZOOM_SPEED,
  ViscaDecodeError,
  encodeAck,
  encodeAddressReply,
  encodeCompletion,
  encodeErrorReply,
  encodeNetworkChange,
  encodeReply,
  panTiltPositionData,
  powerData,
  presetData,
  zoomPositionData,
  type InquiryKind,
  type ViscaCommand,
  type ViscaRanges,
} from '../visca/codec.js';

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

/** A raw VISCA packet seen or produced by a stream simulator (serial, TCP). */
export interface SimPacket {
  data: Buffer;
  /** process.hrtime.bigint() when it was received / produced. */
  time: bigint;
}

/**
 * Where the replies to one request go. `key` names the requester: a cancel coming from the requester of the
 * cancelled command gets a single `6y 04` (serial: one line, one answer); from anyone else, both get one.
 */
export interface ViscaReplySink {
  readonly key: string;
  send(packet: Buffer): void;
}

export interface ViscaCameraModelOptions {
  /** Travel time of absolute moves, zoom direct and preset recall (completion comes after it). Default 200. */
  moveTimeMs?: number;
  ranges?: ViscaRanges;
  /** The camera's VISCA address (1..7) until an Address Set changes it. Default 1. */
  address?: number;
}

type Axis = 'pan' | 'tilt' | 'zoom';
interface AxisMotion {
  base: number;
  since: number;
  velocity: number; // units per ms
  target: number | null; // a travel stops here; a continuous move stops at the range limit
}
/** A command holding a socket until its travel ends. */
interface Operation {
  socket: number;
  sink: ViscaReplySink;
  axes: Axis[];
  targets: Partial<Record<Axis, number>>;
  timer: NodeJS.Timeout | null;
}

const SOCKETS = [1, 2];
const AXES: Axis[] = ['pan', 'tilt', 'zoom'];
// Full range at top speed: pan in 4 s, tilt in 3 s, zoom in 3 s (order of magnitude of real PTZ cameras).
const PAN_FULL_MS = 4000;
const TILT_FULL_MS = 3000;
const ZOOM_FULL_MS = 3000;
const STANDARD_ZOOM_SPEED = 4;

/** The reply to a packet the decoder refused: `z0 60 01 FF` for a bad length, `z0 60 02 FF` otherwise. */
export function decodeErrorReply(address: number, err: unknown): Buffer {
  const code = err instanceof ViscaDecodeError && err.kind === 'length' ? ERROR_LENGTH : ERROR_SYNTAX;
  return encodeErrorReply(address, 0, code);
}

export class ViscaCameraModel {
  moveTimeMs: number;
  /** The camera's VISCA address; Address Set renumbers it (serial daisy chain). */
  address: number;

  private readonly ranges: ViscaRanges;
  private readonly ops = new Map<number, Operation>(); // by socket
  private readonly axes: Record<Axis, AxisMotion>;
  private power = true;
  private lastPreset: number | null = null;
  private readonly presets = new Map<number, { pan: number; tilt: number; zoom: number }>();
  private readonly forcedErrors: number[] = [];

  constructor(opts: ViscaCameraModelOptions = {}) {
    this.moveTimeMs = opts.moveTimeMs ?? 200;
    this.ranges = opts.ranges ?? DEFAULT_RANGES;
    this.address = opts.address ?? 1;
    const now = performance.now();
    const still = (): AxisMotion => ({ base: 0, since: now, velocity: 0, target: null });
    this.axes = { pan: still(), tilt: still(), zoom: still() };
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
      moving: AXES.some((a) => this.isMoving(a, now)),
      busySockets: [...this.ops.keys()].sort(),
    };
  }

  /** Puts the camera in a given state (tests), stopping any motion. */
  setState(s: Partial<{ power: boolean; pan: number; tilt: number; zoom: number }>): void {
    const now = performance.now();
    if (s.power !== undefined) this.power = s.power;
    for (const axis of AXES) {
      const v = s[axis];
      this.axes[axis] = { base: v ?? this.valueAt(axis, now), since: now, velocity: 0, target: null };
    }
  }

  /** The next VISCA command (not inquiry) is answered with this error instead of being executed. */
  failNext(code: number, count = 1): void {
    for (let i = 0; i < count; i++) this.forcedErrors.push(code);
  }

  /** The unsolicited `z0 38 FF` a camera sends when the daisy chain changed. */
  networkChange(sink: ViscaReplySink): void {
    sink.send(encodeNetworkChange(this.address));
  }

  /** Power loss / unplug: travels under way end where they were heading; no completion is ever sent. */
  abandonAll(): void {
    for (const op of [...this.ops.values()]) this.finishOperation(op, false);
  }

  /**
   * Executes one decoded command or inquiry and answers through `sink` (now, and later for travels). The
   * front-end has already checked framing and addressing; broadcast commands are answered as on a serial line.
   */
  execute(cmd: ViscaCommand, sink: ViscaReplySink): void {
    const address = this.address;
    const reply = (bytes: Buffer) => sink.send(bytes);
    switch (cmd.type) {
      case 'address-set':
        // The first camera takes address 1 and passes `88 30 02 FF` on; with one camera that comes back.
        this.address = 1;
        reply(encodeAddressReply(this.address + 1));
        return;
      case 'if-clear-broadcast':
        this.clearAll();
        reply(encodeReply({ type: 'if-clear-broadcast' }));
        return;
      case 'inquiry':
        reply(encodeCompletion(address, 0, this.inquiryData(cmd.inquiry)));
        return;
      case 'if-clear':
        this.clearAll();
        reply(encodeCompletion(address, 0));
        return;
      case 'cancel': {
        const op = this.ops.get(cmd.socket);
        if (!op) reply(encodeErrorReply(address, cmd.socket, ERROR_NO_SOCKET));
        else {
          this.cancelOperation(op);
          if (op.sink.key !== sink.key) reply(encodeErrorReply(address, cmd.socket, ERROR_CANCELLED));
        }
        return;
      }
    }

    const forced = this.forcedErrors.shift();
    if (forced !== undefined) {
      this.injectError(sink, forced);
      return;
    }
    const movesSomething = cmd.type !== 'power' && !(cmd.type === 'preset' && cmd.action !== 'recall');
    if (!this.power && movesSomething) {
      reply(encodeErrorReply(address, this.freeSocket() ?? 1, ERROR_NOT_EXECUTABLE));
      return;
    }

    // A new move on an axis replaces the one under way, which is cancelled (ptzsim behaviour).
    const axes = this.axesOf(cmd);
    for (const op of [...this.ops.values()]) if (op.axes.some((a) => axes.includes(a))) this.cancelOperation(op);
    if (cmd.type === 'power' && !cmd.on) for (const op of [...this.ops.values()]) this.cancelOperation(op);

    const socket = this.freeSocket();
    if (socket === null) {
      reply(encodeErrorReply(address, 0, ERROR_BUFFER_FULL));
      return;
    }
    reply(encodeAck(address, socket));
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
        this.travel(sink, socket, { pan: this.clampAxis('pan', cmd.pan), tilt: this.clampAxis('tilt', cmd.tilt) });
        return;
      case 'zoom-direct':
        this.travel(sink, socket, { zoom: this.clampAxis('zoom', cmd.position) });
        return;
      case 'preset':
        if (cmd.action === 'set') this.presets.set(cmd.preset, { pan: this.state.pan, tilt: this.state.tilt, zoom: this.state.zoom });
        else if (cmd.action === 'reset') this.presets.delete(cmd.preset);
        else {
          this.lastPreset = cmd.preset;
          const p = this.presets.get(cmd.preset);
          if (p) {
            this.travel(sink, socket, p);
            return;
          }
          // An unsaved preset: real cameras acknowledge and stay where they are.
        }
        break;
    }
    reply(encodeCompletion(address, socket));
  }

  private injectError(sink: ViscaReplySink, code: number): void {
    const address = this.address;
    const socket = this.freeSocket() ?? 1;
    if (code === ERROR_CANCELLED) {
      // A cancel is only meaningful after the command was accepted.
      sink.send(encodeAck(address, socket));
      sink.send(encodeErrorReply(address, socket, code));
    } else if (code === ERROR_LENGTH || code === ERROR_SYNTAX || code === ERROR_BUFFER_FULL) sink.send(encodeErrorReply(address, 0, code));
    else sink.send(encodeErrorReply(address, socket, code));
  }

  private inquiryData(kind: InquiryKind): Buffer {
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

  /** IF_Clear: cancels what is executing (each gets `6y 04`) and stops every axis. */
  private clearAll(): void {
    for (const op of [...this.ops.values()]) this.cancelOperation(op);
    this.settleAll();
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
    for (const axis of AXES) this.drive(axis, now, 0);
  }

  private travel(sink: ViscaReplySink, socket: number, targets: Partial<Record<Axis, number>>): void {
    const now = performance.now();
    const axes = Object.keys(targets) as Axis[];
    const op: Operation = { socket, sink, axes, targets, timer: null };
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
    if (reply) op.sink.send(encodeCompletion(this.address, op.socket));
  }

  /** Stops a travel where it is and tells its sender `6y 04` (no completion follows). */
  private cancelOperation(op: Operation): void {
    if (op.timer) clearTimeout(op.timer);
    if (this.ops.get(op.socket) !== op) return;
    this.ops.delete(op.socket);
    const now = performance.now();
    for (const axis of op.axes) this.drive(axis, now, 0);
    op.sink.send(encodeErrorReply(this.address, op.socket, ERROR_CANCELLED));
  }

  private freeSocket(): number | null {
    return SOCKETS.find((s) => !this.ops.has(s)) ?? null;
  }
}
