// A Samsung MDC display on real TCP (1515) or on a serial port (the simulator's end of a socat pty pair),
// faithful to protocols.md §3.2 and §7: checksum verification, ACK `AA FF id 03 'A' r-cmd val chk` and NAK
// frames, ID 0xFE executed silently, other IDs ignored (daisy-chained displays), a TLS-required mode
// (`MDCSTART<<TLS>>`), replies split across chunks to exercise reassembly, and serial bytes paced at the baud
// rate (10 bits per byte: 1.042 ms at 9600) because a pty delivers them instantly.
//
// A frame whose checksum is wrong is answered with silence by default: the display cannot trust the ID or the
// command byte of such a frame, and Samsung's manuals only define NAK for frames that were understood (a
// controller sees a timeout, as with vgavro/samsung-mdc). `badChecksum: 'nak'` answers NAK code 0x00 instead,
// for firmware that does. NAK codes used here: 0x00 bad checksum (nak mode), 0x01 unknown command or value,
// 0x02 not available now (standby or booting), 0x03 input not present on this model.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Listener } from './listener.js';
import { SerialPort } from 'serialport';
import {
  BROADCAST_ID,
  MDC_PORT,
  MdcCmd,
  MdcDecodeError,
  MdcStreamParser,
  TLS_BANNER,
  decodeCommand,
  decodeFrame,
  encodeAck,
  encodeNak,
  encodeStatusData,
  type MdcCommand,
} from '../samsung-mdc/codec.js';

export interface SamsungMdcSimulatorOptions {
  /** TCP port (used when no path is given); default 1515, 0 = ephemeral. */
  port?: number;
  host?: string; // default 127.0.0.1
  /** Serial device to open instead of TCP (e.g. <dir>/ttyB of a socat pair). */
  path?: string;
  baudRate?: number; // default 9600
  /** Pace serial output at the baud rate (10 bits per byte). Default true. */
  paceSerial?: boolean;
  displayId?: number; // default 0
  /** What a frame with a bad checksum gets. Default 'silent'. */
  badChecksum?: 'silent' | 'nak';
  /** Probability (0..1) that a TCP reply is written in 2–3 chunks a few ms apart. Default 0.3. Serial output is always paced byte by byte. */
  splitReplies?: number;
  /** Randomness for splitReplies (seed it so tests reproduce). */
  random?: () => number;
  /** Time from power on to the panel accepting input/volume/mute (NAK 0x02 meanwhile). Default 0. */
  powerOnMs?: number;
  /** Delay before each reply. Default 0. */
  replyDelayMs?: number;
  /** Newer firmware: greet TCP connections with MDCSTART<<TLS>> and ignore plain frames. */
  tlsRequired?: boolean;
  /** Input codes this model has. Default HDMI1-4, DP1, PC, DVI, AV, MagicInfo. */
  inputs?: number[];
  power?: boolean;
  volume?: number;
}

export interface MdcSimFrame {
  data: Buffer;
  /** process.hrtime.bigint() at arrival/departure (departure = first byte written). */
  time: bigint;
  via: 'tcp' | 'serial';
  /** How many writes the reply went out in (TCP splits; serial pacing). */
  chunks?: number;
}

export interface MdcSimState {
  power: boolean;
  booting: boolean;
  volume: number;
  mute: boolean;
  input: number;
  openConnections: number;
}

export interface SamsungMdcSimulatorEvents {
  command: [MdcSimFrame];
  reply: [MdcSimFrame];
}

export const NAK_BAD_CHECKSUM = 0x00;
export const NAK_UNKNOWN = 0x01;
export const NAK_NOT_NOW = 0x02;
export const NAK_NO_INPUT = 0x03;

const LOG_LIMIT = 10_000;

/** Writes bytes no faster than a serial line would: each byte leaves 10/baud s after the previous one. */
export class SerialPacer {
  private queue: number[] = [];
  private jobs: { remaining: number; chunks: number; done?: (chunks: number) => void }[] = [];
  private lineFreeAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (chunk: Buffer) => void,
    readonly byteMs: number,
  ) {}

  /** Queues bytes; `done` gets the number of writes they went out in, after the last one. */
  send(bytes: Uint8Array, done?: (chunks: number) => void): void {
    if (bytes.length === 0) return done?.(0);
    if (this.queue.length === 0) this.lineFreeAt = Math.max(this.lineFreeAt, performance.now());
    this.queue.push(...bytes);
    this.jobs.push({ remaining: bytes.length, chunks: 0, done });
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    const wait = this.lineFreeAt + this.byteMs - performance.now();
    this.timer = setTimeout(() => this.tick(), Math.max(1, wait));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    const due = Math.min(this.queue.length, Math.floor((performance.now() - this.lineFreeAt) / this.byteMs));
    if (due > 0) {
      this.write(Buffer.from(this.queue.splice(0, due)));
      this.lineFreeAt += due * this.byteMs;
      let left = due;
      while (left > 0 && this.jobs.length) {
        const job = this.jobs[0];
        const take = Math.min(left, job.remaining);
        job.remaining -= take;
        job.chunks++;
        left -= take;
        if (job.remaining === 0) {
          this.jobs.shift();
          job.done?.(job.chunks);
        }
      }
    }
    if (this.queue.length > 0) this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.jobs = [];
  }
}

interface Client {
  parser: MdcStreamParser;
  send(reply: Buffer): void;
}

export class SamsungMdcSimulator extends EventEmitter<SamsungMdcSimulatorEvents> {
  readonly received: MdcSimFrame[] = [];
  readonly sent: MdcSimFrame[] = [];
  badChecksum: 'silent' | 'nak';
  splitReplies: number;
  powerOnMs: number;
  replyDelayMs: number;
  tlsRequired: boolean;
  readonly displayId: number;

  private readonly listener: Listener;
  private readonly path: string | null;
  private readonly baudRate: number;
  private readonly paceSerial: boolean;
  private readonly random: () => number;
  private readonly inputs: number[];
  private readonly sockets = new Set<net.Socket>();
  private readonly tcpOut = new WeakMap<net.Socket, { pieces: Buffer[]; busy: boolean }>();
  private serial: SerialPort | null = null;
  private pacer: SerialPacer | null = null;
  private power: boolean;
  private bootUntil = 0;
  private volume: number;
  private mute = false;
  private input = 0x21;
  private readonly forcedNaks: { cmd: number | null; code: number }[] = [];
  private corruptReplies = 0;
  private silence = 0;
  private crash: (() => void) | null = null;

  constructor(opts: SamsungMdcSimulatorOptions = {}) {
    super();
    this.listener = new Listener(opts.host ?? '127.0.0.1', opts.port ?? MDC_PORT, () => net.createServer((socket) => this.onConnection(socket)));
    this.path = opts.path ?? null;
    this.baudRate = opts.baudRate ?? 9600;
    this.paceSerial = opts.paceSerial ?? true;
    this.displayId = opts.displayId ?? 0;
    this.badChecksum = opts.badChecksum ?? 'silent';
    this.splitReplies = opts.splitReplies ?? 0.3;
    this.random = opts.random ?? Math.random;
    this.powerOnMs = opts.powerOnMs ?? 0;
    this.replyDelayMs = opts.replyDelayMs ?? 0;
    this.tlsRequired = opts.tlsRequired ?? false;
    this.inputs = opts.inputs ?? [0x21, 0x23, 0x25, 0x31, 0x33, 0x14, 0x18, 0x0c, 0x20];
    this.power = opts.power ?? false;
    this.volume = opts.volume ?? 20;
  }

  /** Listens on TCP, or opens the serial port. After stop(), start() opens the same port/path again. */
  async start(): Promise<{ host: string; port: number } | { path: string }> {
    if (this.path !== null) {
      if (!this.serial) await this.openSerial(this.path);
      return { path: this.path };
    }
    return this.listener.start();
  }

  /** Like a power cut: connections destroyed / port closed, nothing more is answered. State is kept. */
  async stop(): Promise<void> {
    this.pacer?.stop();
    this.pacer = null;
    const serial = this.serial;
    this.serial = null;
    if (serial?.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
    const closed = this.listener.stop();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Where it listens: TCP host/port, or the serial path; null when stopped. */
  get address(): { host: string; port: number } | { path: string } | null {
    if (this.path !== null) return this.serial ? { path: this.path } : null;
    return this.listener.address;
  }

  get state(): MdcSimState {
    return { power: this.power, booting: this.booting, volume: this.volume, mute: this.mute, input: this.input, openConnections: this.sockets.size };
  }

  setState(s: Partial<{ power: boolean; volume: number; mute: boolean; input: number }>): void {
    if (s.power !== undefined) {
      this.power = s.power;
      this.bootUntil = 0;
    }
    if (s.volume !== undefined) this.volume = s.volume;
    if (s.mute !== undefined) this.mute = s.mute;
    if (s.input !== undefined) this.input = s.input;
  }

  /** The next command (optionally only this command byte) gets a NAK with this code instead of executing. */
  nakNext(code: number, cmd: number | null = null): void {
    this.forcedNaks.push({ cmd, code });
  }
  /** The next n replies go out with a wrong checksum. */
  corruptNextReply(n = 1): void {
    this.corruptReplies += n;
  }
  /** The next n frames addressed to this display are received and never answered. */
  silenceNext(n = 1): void {
    this.silence += n;
  }
  /** The next frame is received, then the display dies (stop()) without answering; resolves once stopped. */
  crashOnNextCommand(): Promise<void> {
    return new Promise((resolve) => (this.crash = resolve));
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  private get booting(): boolean {
    return this.power && performance.now() < this.bootUntil;
  }

  // -------------------------------------------------------------------------------------------
  // Transports
  // -------------------------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    if (this.tlsRequired) {
      socket.write(TLS_BANNER); // then a TLS handshake would follow; plain frames are ignored
      return;
    }
    const client: Client = { parser: new MdcStreamParser(), send: (reply) => this.sendTcp(socket, reply) };
    socket.on('data', (chunk) => {
      for (const frame of client.parser.push(chunk)) this.onFrame(client, frame, 'tcp');
    });
  }

  private sendTcp(socket: net.Socket, reply: Buffer): void {
    const entry: MdcSimFrame = { data: reply, time: process.hrtime.bigint(), via: 'tcp', chunks: 1 };
    this.log(this.sent, entry);
    this.emit('reply', entry);
    let pieces = [reply];
    if (this.splitReplies > 0 && reply.length > 2 && this.random() < this.splitReplies) {
      // Two or three pieces, 2 ms apart (Nagle is off), so the controller sees partial frames.
      const cuts = [1 + Math.floor(this.random() * (reply.length - 1))];
      if (reply.length > 4 && this.random() < 0.5) cuts.push(cuts[0] + 1 + Math.floor(this.random() * (reply.length - cuts[0] - 1)));
      pieces = [...cuts, reply.length].map((end, i, all) => reply.subarray(i === 0 ? 0 : all[i - 1], end)).filter((p) => p.length > 0);
      entry.chunks = pieces.length;
    }
    // One output queue per connection, so the pieces of consecutive replies never interleave.
    let q = this.tcpOut.get(socket);
    if (!q) this.tcpOut.set(socket, (q = { pieces: [], busy: false }));
    q.pieces.push(...pieces);
    if (!q.busy) this.drainTcp(socket, q);
  }

  private drainTcp(socket: net.Socket, q: { pieces: Buffer[]; busy: boolean }): void {
    const piece = q.pieces.shift();
    if (!piece || socket.destroyed) {
      q.busy = false;
      return;
    }
    socket.write(piece);
    q.busy = true;
    if (q.pieces.length === 0) q.busy = false;
    else setTimeout(() => this.drainTcp(socket, q), 2).unref();
  }

  private async openSerial(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    // A display coming back does not see what was sent to it while it was off.
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    port.on('error', () => {});
    const byteMs = 10_000 / this.baudRate;
    const write = (chunk: Buffer) => port.isOpen && port.write(chunk);
    this.pacer = this.paceSerial ? new SerialPacer(write, byteMs) : null;
    const client: Client = {
      parser: new MdcStreamParser(),
      send: (reply) => {
        const entry: MdcSimFrame = { data: reply, time: process.hrtime.bigint(), via: 'serial', chunks: 1 };
        this.log(this.sent, entry);
        this.emit('reply', entry);
        if (this.pacer) this.pacer.send(reply, (n) => (entry.chunks = n));
        else write(reply);
      },
    };
    port.on('data', (chunk: Buffer) => {
      for (const frame of client.parser.push(chunk)) this.onFrame(client, frame, 'serial');
    });
    this.serial = port;
  }

  // -------------------------------------------------------------------------------------------
  // Frames
  // -------------------------------------------------------------------------------------------

  private onFrame(client: Client, data: Buffer, via: 'tcp' | 'serial'): void {
    const entry: MdcSimFrame = { data, time: process.hrtime.bigint(), via };
    this.log(this.received, entry);
    this.emit('command', entry);
    const reply = (bytes: Buffer) => {
      let out = bytes;
      if (this.corruptReplies > 0) {
        this.corruptReplies--;
        out = Buffer.from(bytes);
        out[out.length - 1] ^= 0x5a;
      }
      if (this.replyDelayMs > 0) setTimeout(() => client.send(out), this.replyDelayMs).unref();
      else client.send(out);
    };

    try {
      decodeFrame(data);
    } catch (err) {
      if (err instanceof MdcDecodeError && err.kind === 'checksum' && this.badChecksum === 'nak' && data[2] === this.displayId) reply(encodeNak(this.displayId, data[1], NAK_BAD_CHECKSUM));
      return; // silence (see the header comment)
    }
    const id = data[2];
    if (id !== this.displayId && id !== BROADCAST_ID) return; // another display on the chain
    if (this.crash) {
      const done = this.crash;
      this.crash = null;
      void this.stop().then(done);
      return;
    }
    if (this.silence > 0 && id !== BROADCAST_ID) {
      this.silence--;
      return;
    }
    const answer = id === BROADCAST_ID ? () => {} : reply;
    let cmd: MdcCommand;
    try {
      cmd = decodeCommand(data);
    } catch {
      answer(encodeNak(this.displayId, data[1], NAK_UNKNOWN));
      return;
    }
    const forcedAt = this.forcedNaks.findIndex((f) => f.cmd === null || f.cmd === data[1]);
    if (forcedAt >= 0) {
      const [f] = this.forcedNaks.splice(forcedAt, 1);
      answer(encodeNak(this.displayId, data[1], f.code));
      return;
    }
    answer(this.execute(cmd));
  }

  private execute(c: MdcCommand): Buffer {
    const id = this.displayId;
    const ack = (v: number[]) => encodeAck(id, MdcCmd[c.type], v);
    const nak = (code: number) => encodeNak(id, MdcCmd[c.type], code);
    const panelReady = this.power && !this.booting;
    switch (c.type) {
      case 'status':
        return encodeAck(id, MdcCmd.status, encodeStatusData({ power: this.power, volume: this.volume, mute: this.mute, input: this.input, aspect: 0x10, nTimeNf: 0, fTimeNf: 0 }));
      case 'power':
        if (c.value === undefined) return ack([this.power ? 1 : 0]);
        if (c.value === 'off') {
          this.power = false;
          return ack([0]);
        }
        if (c.value === 'reboot' || !this.power) {
          this.power = true;
          this.bootUntil = performance.now() + this.powerOnMs;
        }
        return ack([c.value === 'reboot' ? 2 : 1]);
      case 'volume':
        if (c.value === undefined) return ack([this.volume]);
        if (!panelReady) return nak(NAK_NOT_NOW);
        this.volume = c.value;
        return ack([this.volume]);
      case 'mute':
        if (c.value === undefined) return ack([this.mute ? 1 : 0]);
        if (!panelReady) return nak(NAK_NOT_NOW);
        this.mute = c.value;
        return ack([this.mute ? 1 : 0]);
      case 'input':
        if (c.value === undefined) return ack([this.input]);
        if (!panelReady) return nak(NAK_NOT_NOW);
        if (!this.inputs.includes(c.value)) return nak(NAK_NO_INPUT);
        this.input = c.value;
        return ack([this.input]);
    }
  }

  private log(list: MdcSimFrame[], entry: MdcSimFrame): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
