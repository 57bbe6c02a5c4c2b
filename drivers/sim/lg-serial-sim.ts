// An LG display on a serial port (the simulator's end of a socat pty pair), faithful to protocols.md §3.3 and
// §7: ASCII `ka 01 01\r` in, `a 01 OK01x` / `a 01 NG0nx` out, the power-on ACK only once power-on has completed
// (powerOnMs), NG 03 "wait more time" while booting or in standby, set ID 00 executed by every set without an
// ACK, other set IDs ignored (daisy chain), output paced at the baud rate (10 bits per byte).
// Test hooks: ngNext, garbleNextReply, silenceNext, crashOnNextCommand.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import {
  ALL_SETS,
  INPUT_SOURCES,
  LgCommandParser,
  NG_ILLEGAL_CODE,
  NG_NOT_SUPPORTED,
  NG_WAIT,
  QUERY,
  decodeCommand,
  encodeReply,
  type LgCommand,
} from '../lg/codec.js';
import { SerialPacer } from './samsung-mdc-sim.js';

export interface LgSerialSimulatorOptions {
  /** Serial device to open (e.g. <dir>/ttyB of a socat pair). */
  path: string;
  baudRate?: number; // default 9600
  /** Pace output at the baud rate. Default true. */
  paceSerial?: boolean;
  setId?: number; // default 1
  /** Time from `ka .. 01` to the power-on ACK. Default 1000 ms (a real set: several seconds). */
  powerOnMs?: number;
  replyDelayMs?: number;
  /** xb codes this model has. Default HDMI1-3, RGB, DP. */
  inputs?: number[];
  power?: boolean;
}

export interface LgSimLine {
  text: string;
  time: bigint;
  /** Writes the reply went out in (serial pacing). */
  chunks?: number;
}

export interface LgSimState {
  power: boolean;
  booting: boolean;
  volume: number;
  mute: boolean;
  input: number;
  open: boolean;
}

export interface LgSerialSimulatorEvents {
  command: [LgSimLine];
  reply: [LgSimLine];
}

const LOG_LIMIT = 10_000;
const KNOWN_INPUTS = new Set(Object.values(INPUT_SOURCES));

export class LgSerialSimulator extends EventEmitter<LgSerialSimulatorEvents> {
  readonly received: LgSimLine[] = [];
  readonly sent: LgSimLine[] = [];
  powerOnMs: number;
  replyDelayMs: number;
  readonly setId: number;

  private readonly path: string;
  private readonly baudRate: number;
  private readonly paceSerial: boolean;
  private readonly inputs: number[];
  private port: SerialPort | null = null;
  private pacer: SerialPacer | null = null;
  private power: boolean;
  private booting: NodeJS.Timeout | null = null;
  private volume = 20;
  private mute = false;
  private input = 0x90;
  private readonly forcedNg: { command: string | null; code: number }[] = [];
  private garble = 0;
  private silence = 0;
  private crash: (() => void) | null = null;

  constructor(opts: LgSerialSimulatorOptions) {
    super();
    this.path = opts.path;
    this.baudRate = opts.baudRate ?? 9600;
    this.paceSerial = opts.paceSerial ?? true;
    this.setId = opts.setId ?? 1;
    this.powerOnMs = opts.powerOnMs ?? 1000;
    this.replyDelayMs = opts.replyDelayMs ?? 0;
    this.inputs = opts.inputs ?? [0x90, 0x91, 0x92, 0x60, 0xc0];
    this.power = opts.power ?? false;
  }

  /** Opens the serial port (input flushed: a set coming back has not heard what was sent meanwhile). */
  async start(): Promise<{ path: string }> {
    if (this.port) return { path: this.path };
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    port.on('error', () => {});
    const write = (chunk: Buffer) => port.isOpen && port.write(chunk);
    this.pacer = this.paceSerial ? new SerialPacer(write, 10_000 / this.baudRate) : null;
    const parser = new LgCommandParser();
    port.on('data', (chunk: Buffer) => {
      for (const line of parser.push(chunk)) this.onLine(line);
    });
    this.port = port;
    return { path: this.path };
  }

  /** Like pulling the plug: the port is closed, nothing more is answered (a pending power-on ACK is lost). */
  async stop(): Promise<void> {
    this.pacer?.stop();
    this.pacer = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  get address(): { path: string } | null {
    return this.port ? { path: this.path } : null;
  }

  get state(): LgSimState {
    return { power: this.power, booting: this.booting !== null, volume: this.volume, mute: this.mute, input: this.input, open: this.port !== null };
  }

  setState(s: Partial<{ power: boolean; volume: number; mute: boolean; input: number }>): void {
    if (s.power !== undefined) {
      if (this.booting) clearTimeout(this.booting);
      this.booting = null;
      this.power = s.power;
    }
    if (s.volume !== undefined) this.volume = s.volume;
    if (s.mute !== undefined) this.mute = s.mute;
    if (s.input !== undefined) this.input = s.input;
  }

  /** The next command (optionally only this two-letter command) gets `NG<code>` instead of executing. */
  ngNext(code: number, command: string | null = null): void {
    this.forcedNg.push({ command, code });
  }
  /** The next n replies are garbled on the line (`a 01 OQ01x`). */
  garbleNextReply(n = 1): void {
    this.garble += n;
  }
  /** The next n commands for this set are received and never answered. */
  silenceNext(n = 1): void {
    this.silence += n;
  }
  /** The next command is received, then the set dies (stop()) without answering; resolves once stopped. */
  crashOnNextCommand(): Promise<void> {
    return new Promise((resolve) => (this.crash = resolve));
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  private onLine(line: string): void {
    const entry: LgSimLine = { text: `${line}\r`, time: process.hrtime.bigint() };
    this.log(this.received, entry);
    this.emit('command', entry);
    let cmd: LgCommand;
    try {
      cmd = decodeCommand(line);
    } catch {
      return; // not a command line: line noise, nothing to answer
    }
    if (cmd.setId !== this.setId && cmd.setId !== ALL_SETS) return; // another set on the chain
    if (this.crash) {
      const done = this.crash;
      this.crash = null;
      void this.stop().then(done);
      return;
    }
    if (this.silence > 0 && cmd.setId !== ALL_SETS) {
      this.silence--;
      return;
    }
    // Set ID 00: every set acts; none answers (they would all talk at once).
    const answer = cmd.setId === ALL_SETS ? () => {} : (ok: boolean, data: number) => this.reply(cmd.command[1], ok, data);
    const forcedAt = this.forcedNg.findIndex((f) => f.command === null || f.command === cmd.command);
    if (forcedAt >= 0) {
      const [f] = this.forcedNg.splice(forcedAt, 1);
      answer(false, f.code);
      return;
    }
    this.execute(cmd, answer);
  }

  private execute(cmd: LgCommand, answer: (ok: boolean, data: number) => void): void {
    const ok = (v: number) => answer(true, v);
    const ng = (code: number) => answer(false, code);
    if (cmd.data.length !== 1) return ng(NG_ILLEGAL_CODE);
    const v = cmd.data[0];
    const query = v === QUERY;
    const ready = this.power && this.booting === null;
    switch (cmd.command) {
      case 'ka':
        if (query) return ok(this.power ? 1 : 0);
        if (v === 0) {
          if (this.booting) clearTimeout(this.booting);
          this.booting = null;
          this.power = false;
          return ok(0);
        }
        if (v !== 1) return ng(NG_ILLEGAL_CODE);
        if (this.booting) return ng(NG_WAIT);
        if (this.power) return ok(1);
        // The ACK comes only once power-on has completed.
        this.power = true;
        this.booting = setTimeout(() => {
          this.booting = null;
          if (this.port) ok(1);
        }, this.powerOnMs);
        this.booting.unref();
        return;
      case 'kf':
        if (!ready) return ng(NG_WAIT);
        if (query) return ok(this.volume);
        if (v > 0x64) return ng(NG_ILLEGAL_CODE);
        this.volume = v;
        return ok(v);
      case 'ke':
        if (!ready) return ng(NG_WAIT);
        if (query) return ok(this.mute ? 0 : 1);
        if (v > 1) return ng(NG_ILLEGAL_CODE);
        this.mute = v === 0; // 00 = mute on
        return ok(v);
      case 'xb':
        if (!ready) return ng(NG_WAIT);
        if (query) return ok(this.input);
        if (!KNOWN_INPUTS.has(v)) return ng(NG_ILLEGAL_CODE);
        if (!this.inputs.includes(v)) return ng(NG_NOT_SUPPORTED);
        this.input = v;
        return ok(v);
      default:
        return ng(NG_NOT_SUPPORTED);
    }
  }

  private reply(command2: string, ok: boolean, data: number): void {
    let text = encodeReply({ command2, setId: this.setId, ok, data: [data] });
    if (this.garble > 0) {
      this.garble--;
      text = text.replace(/OK|NG/, 'OQ');
    }
    const send = () => {
      if (!this.port) return;
      const entry: LgSimLine = { text, time: process.hrtime.bigint(), chunks: 1 };
      this.log(this.sent, entry);
      this.emit('reply', entry);
      const bytes = Buffer.from(text, 'latin1');
      if (this.pacer) this.pacer.send(bytes, (n) => (entry.chunks = n));
      else this.port.write(bytes);
    };
    if (this.replyDelayMs > 0) setTimeout(send, this.replyDelayMs).unref();
    else send();
  }

  private log(list: LgSimLine[], entry: LgSimLine): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
