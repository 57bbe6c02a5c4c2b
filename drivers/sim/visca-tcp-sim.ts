// A PTZOptics-style camera speaking raw VISCA over TCP (protocols.md §1.10, §7): a TCP server (default
// 127.0.0.1:5678) whose connections carry the serial packets with no header. Each connection is its own line
// (its own reassembly and reply channel) onto the one shared ViscaCameraModel, the same camera model as the
// VISCA-over-IP and serial simulators. With `splitReplies`, replies go out in small pieces 2 ms apart, so the
// driver's reads split them. stop() drops every connection and closes the server (the camera unplugged);
// start() listens on the same port again.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { ViscaRanges } from '../visca/codec.js';
import { ViscaCameraModel, type SimPacket, type ViscaSimState } from './visca-camera-model.js';
import { ViscaStreamEndpoint } from './visca-stream-endpoint.js';

export interface ViscaTcpSimulatorOptions {
  port?: number; // default 5678; 0 = ephemeral
  host?: string; // default 127.0.0.1
  /** Write each reply in pieces (1, 2 and 4 bytes, 2 ms apart). Default false. */
  splitReplies?: boolean;
  /** Travel time of absolute moves, zoom direct and preset recall. Default 200. */
  moveTimeMs?: number;
  ranges?: ViscaRanges;
  /** A camera shared with other simulators (the same camera on UDP or serial too); default: its own. */
  model?: ViscaCameraModel;
}

export interface SimStreamPacket extends SimPacket {
  /** Which connection (1, 2, … in order of arrival). */
  connection: number;
}

export interface ViscaTcpSimulatorEvents {
  command: [SimStreamPacket];
  reply: [SimStreamPacket];
  connection: [number];
}

const LOG_LIMIT = 10_000;
const SPLIT_PATTERN = [1, 2, 4];
const SPLIT_GAP_MS = 2;

interface Connection {
  id: number;
  socket: net.Socket;
  endpoint: ViscaStreamEndpoint;
  /** Pieces waiting for their turn when replies are split. */
  queue: Buffer[];
  timer: NodeJS.Timeout | null;
}

export class ViscaTcpSimulator extends EventEmitter<ViscaTcpSimulatorEvents> {
  readonly received: SimStreamPacket[] = [];
  readonly sent: SimStreamPacket[] = [];
  readonly model: ViscaCameraModel;
  splitReplies: boolean;

  private readonly host: string;
  private port: number;
  private readonly ownsModel: boolean;
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private splitIndex = 0;

  constructor(opts: ViscaTcpSimulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 5678;
    this.splitReplies = opts.splitReplies ?? false;
    this.ownsModel = !opts.model;
    this.model = opts.model ?? new ViscaCameraModel({ moveTimeMs: opts.moveTimeMs, ranges: opts.ranges });
    if (opts.model && opts.moveTimeMs !== undefined) this.model.moveTimeMs = opts.moveTimeMs;
  }

  get moveTimeMs(): number {
    return this.model.moveTimeMs;
  }
  set moveTimeMs(ms: number) {
    this.model.moveTimeMs = ms;
  }

  /** Listens. After stop(), start() listens on the same port again (a camera coming back). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.server) return { host: this.host, port: this.port };
    const server = net.createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {
      /* a simulator never dies of a client */
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return { host: this.host, port: this.port };
  }

  /** Drops every connection and stops listening. Travels under way end where they were heading, silently. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.connections) this.drop(c);
    if (this.ownsModel) this.model.abandonAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get address(): { host: string; port: number } | null {
    return this.server ? { host: this.host, port: this.port } : null;
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.connections.size;
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
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const id = this.nextId++;
    const c: Connection = { id, socket, queue: [], timer: null, endpoint: null as unknown as ViscaStreamEndpoint };
    c.endpoint = new ViscaStreamEndpoint(this.model, `tcp:${id}`, (packet) => this.transmit(c, packet));
    this.connections.add(c);
    socket.on('error', () => {
      /* the 'close' that follows cleans up */
    });
    socket.on('close', () => this.drop(c));
    socket.on('data', (chunk) => {
      for (const packet of c.endpoint.reassemble(chunk)) {
        const entry: SimStreamPacket = { data: packet, time: process.hrtime.bigint(), connection: id };
        log(this.received, entry);
        this.emit('command', entry);
        c.endpoint.handle(packet);
      }
    });
    this.emit('connection', id);
  }

  private transmit(c: Connection, packet: Buffer): void {
    const entry: SimStreamPacket = { data: packet, time: process.hrtime.bigint(), connection: c.id };
    log(this.sent, entry);
    this.emit('reply', entry);
    if (!this.connections.has(c)) return;
    if (!this.splitReplies && c.queue.length === 0 && !c.timer) {
      c.socket.write(packet);
      return;
    }
    if (this.splitReplies) {
      for (let i = 0; i < packet.length; ) {
        const n = SPLIT_PATTERN[this.splitIndex++ % SPLIT_PATTERN.length];
        c.queue.push(packet.subarray(i, i + n));
        i += n;
      }
    } else c.queue.push(packet);
    this.pump(c);
  }

  /** One queued piece at a time, SPLIT_GAP_MS apart, in order. */
  private pump(c: Connection): void {
    if (c.timer || !this.connections.has(c)) return;
    const piece = c.queue.shift();
    if (!piece) return;
    c.socket.write(piece);
    c.timer = setTimeout(() => {
      c.timer = null;
      this.pump(c);
    }, SPLIT_GAP_MS);
    c.timer.unref();
  }

  private drop(c: Connection): void {
    if (!this.connections.delete(c)) return;
    if (c.timer) clearTimeout(c.timer);
    c.queue.length = 0;
    c.socket.destroy();
  }
}

function log(list: SimStreamPacket[], entry: SimStreamPacket): void {
  list.push(entry);
  if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
}
