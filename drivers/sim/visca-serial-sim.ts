// A VISCA camera on a serial line, for a socat pty pair (protocols.md §5, §7): it opens one end with
// serialport and the driver opens the other. A pty moves bytes instantly, so the simulator keeps the line's
// clock itself: every byte takes 10 bit-times (8N1: 1.042 ms at 9600 bps) in both directions — a request is
// only seen once its last byte would have arrived, and a reply's bytes are released no faster than the baud
// rate, a few at a time as they come due, as a UART read loop sees them. With `splitReplies`, replies are cut
// at fixed points into separate writes, even without pacing.
// The camera itself (Address Set, IF_Clear, sockets, ACK/completion, errors, motion) is the shared
// ViscaCameraModel, the same one behind the VISCA-over-IP and raw TCP simulators.
// stop() closes the port (the camera unplugged); start() on the same path brings it back.
import { EventEmitter } from 'node:events';
import type { ViscaRanges } from '../visca/codec.js';
import { SerialByteStream } from '../visca/visca-serial.js';
import { ViscaCameraModel, type SimPacket, type ViscaSimState } from './visca-camera-model.js';
import { ViscaStreamEndpoint } from './visca-stream-endpoint.js';

export interface ViscaSerialSimulatorOptions {
  /** The simulator's end of the pty pair (the driver opens the other one). */
  path: string;
  /** Default 9600. Sets the pace of the simulated line (a pty has no baud rate of its own). */
  baudRate?: number;
  /**
   * Write each reply in fixed small pieces (1, 2 and 4 bytes), each in its own write, to exercise reassembly
   * deterministically (paced bytes arrive in pieces anyway). Default false.
   */
  splitReplies?: boolean;
  /** Pace bytes at the baud rate, both ways. Default true; false answers as fast as the pty goes. */
  pacing?: boolean;
  /** Travel time of absolute moves, zoom direct and preset recall. Default 200. */
  moveTimeMs?: number;
  ranges?: ViscaRanges;
  /** The camera's address until an Address Set renumbers it. Default 1. */
  address?: number;
  /** A camera shared with other simulators (the same camera on UDP or TCP too); default: its own. */
  model?: ViscaCameraModel;
}

export interface ViscaSerialSimulatorEvents {
  /** A whole request packet, once the camera has it (after its wire time). */
  command: [SimPacket];
  /** A reply packet as the camera produces it (its bytes follow at the baud rate). */
  reply: [SimPacket];
}

const LOG_LIMIT = 10_000;
const SPLIT_PATTERN = [1, 2, 4];
/** Without pacing, split pieces are still 1 ms apart so that they reach the reader as separate reads. */
const UNPACED_SPLIT_GAP_MS = 1;

/** A request packet waiting for its last byte's wire time. */
interface Incoming {
  due: number; // performance.now()
  data: Buffer;
}
/** Reply bytes waiting for the line. */
interface Outgoing {
  start: number; // performance.now() when its first byte starts
  byteTime: number;
  data: Buffer;
  written: number;
}

export class ViscaSerialSimulator extends EventEmitter<ViscaSerialSimulatorEvents> {
  /** Request packets the camera received (most recent LOG_LIMIT). */
  readonly received: SimPacket[] = [];
  /** Reply packets the camera produced (most recent LOG_LIMIT). */
  readonly sent: SimPacket[] = [];
  /** Every write() to the port: what the driver's reads are made of. */
  readonly writes: SimPacket[] = [];
  readonly path: string;
  readonly baudRate: number;
  readonly model: ViscaCameraModel;
  splitReplies: boolean;
  pacing: boolean;

  private readonly ownsModel: boolean;
  private readonly endpoint: ViscaStreamEndpoint;
  /** The simulator's end of the line (the same serial stream class the driver uses). */
  private port: SerialByteStream | null = null;
  private rxFree = 0;
  private readonly rxQueue: Incoming[] = [];
  private rxTimer: NodeJS.Timeout | null = null;
  private txFree = 0;
  private readonly txQueue: Outgoing[] = [];
  private txTimer: NodeJS.Timeout | null = null;
  private splitIndex = 0;

  constructor(opts: ViscaSerialSimulatorOptions) {
    super();
    this.path = opts.path;
    this.baudRate = opts.baudRate ?? 9600;
    this.splitReplies = opts.splitReplies ?? false;
    this.pacing = opts.pacing ?? true;
    this.ownsModel = !opts.model;
    this.model = opts.model ?? new ViscaCameraModel({ moveTimeMs: opts.moveTimeMs, ranges: opts.ranges, address: opts.address });
    if (opts.model && opts.moveTimeMs !== undefined) this.model.moveTimeMs = opts.moveTimeMs;
    this.endpoint = new ViscaStreamEndpoint(this.model, `serial:${this.path}`, (packet) => this.transmit(packet));
  }

  /** 8N1 = 10 bit-times per byte: 1.042 ms at 9600 bps. */
  get byteTimeMs(): number {
    return 10_000 / this.baudRate;
  }

  get moveTimeMs(): number {
    return this.model.moveTimeMs;
  }
  set moveTimeMs(ms: number) {
    this.model.moveTimeMs = ms;
  }

  get isOpen(): boolean {
    return this.port !== null;
  }

  /** Opens the port (the camera is plugged in and powered). Bytes sent while it was away are gone. */
  async start(): Promise<{ path: string }> {
    if (this.port) return { path: this.path };
    const port = new SerialByteStream(this.path, this.baudRate);
    port.on('error', () => {
      /* a simulator never dies of its port */
    });
    port.on('data', (chunk) => {
      if (this.port === port) this.onData(chunk);
    });
    // The line went away under us (socat killed): the camera is as good as unplugged.
    port.on('lost', () => {
      if (this.port === port) this.detach();
    });
    await port.open(); // flushes what was sent while nobody listened
    this.endpoint.reset();
    this.rxFree = this.txFree = performance.now();
    this.port = port;
    return { path: this.path };
  }

  /** Closes the port: the camera is unplugged. Travels under way end where they were heading, silently. */
  async stop(): Promise<void> {
    const port = this.port;
    this.detach();
    if (this.ownsModel) this.model.abandonAll();
    await port?.close();
  }

  get state(): ViscaSimState {
    return this.model.state;
  }
  setState(s: Partial<{ power: boolean; pan: number; tilt: number; zoom: number }>): void {
    this.model.setState(s);
  }
  /** The next VISCA command (not inquiry) is answered with this error instead of being executed. */
  failNext(code: number, count = 1): void {
    this.model.failNext(code, count);
  }
  /** Sends the unsolicited Network Change `z0 38 FF`. */
  networkChange(): void {
    this.model.networkChange(this.endpoint.sink);
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
    this.writes.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // The line
  // -------------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    const byteTime = this.pacing ? this.byteTimeMs : 0;
    // Byte i of this chunk is on the camera's side once every byte before it took its time on the wire.
    const base = Math.max(performance.now(), this.rxFree);
    this.rxFree = base + chunk.length * byteTime;
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0xff) continue;
      for (const packet of this.endpoint.reassemble(chunk.subarray(from, i + 1))) this.rxQueue.push({ due: base + (i + 1) * byteTime, data: packet });
      from = i + 1;
    }
    if (from < chunk.length) this.endpoint.reassemble(chunk.subarray(from));
    this.pumpRx();
  }

  private pumpRx(): void {
    if (this.rxTimer) return;
    const now = performance.now();
    while (this.rxQueue.length && this.rxQueue[0].due <= now) {
      const { data } = this.rxQueue.shift()!;
      const entry: SimPacket = { data, time: process.hrtime.bigint() };
      log(this.received, entry);
      this.emit('command', entry);
      this.endpoint.handle(data);
    }
    if (this.rxQueue.length) {
      this.rxTimer = this.timer(this.rxQueue[0].due - now, () => {
        this.rxTimer = null;
        this.pumpRx();
      });
    }
  }

  /** Queues a reply on the line: its bytes start when the line is free and take byteTimeMs each. */
  private transmit(packet: Buffer): void {
    const entry: SimPacket = { data: packet, time: process.hrtime.bigint() };
    log(this.sent, entry);
    this.emit('reply', entry);
    if (!this.port) return; // unplugged: nobody hears it
    const byteTime = this.pacing ? this.byteTimeMs : 0;
    let start = Math.max(performance.now(), this.txFree);
    for (const piece of this.splitReplies ? this.split(packet) : [packet]) {
      this.txQueue.push({ start, byteTime, data: piece, written: 0 });
      start += piece.length * byteTime + (this.splitReplies && !this.pacing ? UNPACED_SPLIT_GAP_MS : 0);
    }
    this.txFree = start;
    this.pumpTx();
  }

  private split(packet: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    for (let i = 0; i < packet.length; ) {
      const n = SPLIT_PATTERN[this.splitIndex++ % SPLIT_PATTERN.length];
      pieces.push(packet.subarray(i, i + n));
      i += n;
    }
    return pieces;
  }

  /**
   * Writes what is due: byte j of a piece is due at start + (j + 1) × byteTime (a UART hands a byte over after
   * its stop bit). Normally every due byte goes out at each tick (a timer per small group); split pieces go
   * out whole, each in its own write, when their last byte is due.
   */
  private pumpTx(): void {
    if (this.txTimer) return;
    const port = this.port;
    if (!port) return;
    const now = performance.now();
    const out: Buffer[] = [];
    let nextDue: number | null = null;
    while (this.txQueue.length) {
      const p = this.txQueue[0];
      const due = (bytes: number) => p.start + bytes * p.byteTime;
      if (this.splitReplies) {
        if (due(p.data.length) > now) {
          nextDue = due(p.data.length);
          break;
        }
        out.push(p.data);
        this.txQueue.shift();
        continue;
      }
      const ready = p.byteTime === 0 ? p.data.length : Math.min(p.data.length, Math.floor((now - p.start) / p.byteTime + 1e-9));
      if (ready > p.written) {
        out.push(p.data.subarray(p.written, ready));
        p.written = ready;
      }
      if (p.written < p.data.length) {
        nextDue = due(p.written + 1);
        break;
      }
      this.txQueue.shift();
    }
    const writes = this.splitReplies ? out : out.length ? [Buffer.concat(out)] : [];
    for (const data of writes) {
      log(this.writes, { data, time: process.hrtime.bigint() });
      port.write(data).catch(() => {}); // a line that broke reports itself through 'lost'
    }
    if (nextDue !== null) {
      this.txTimer = this.timer(nextDue - now, () => {
        this.txTimer = null;
        this.pumpTx();
      });
    }
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  }

  private detach(): void {
    this.port = null;
    if (this.rxTimer) clearTimeout(this.rxTimer);
    if (this.txTimer) clearTimeout(this.txTimer);
    this.rxTimer = this.txTimer = null;
    this.rxQueue.length = 0;
    this.txQueue.length = 0;
  }
}

function log(list: SimPacket[], entry: SimPacket): void {
  list.push(entry);
  if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
}
