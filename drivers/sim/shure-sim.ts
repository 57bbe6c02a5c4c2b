// A Shure MXA910 (or P300) on raw TCP 2202, faithful to protocols.md §4.4/§7: no Telnet negotiation, a REP for
// every GET/SET, unsolicited REPs to every connected client when something changes on the device (pressMute()),
// `< SAMPLE … >` at METER_RATE, `< REP ERR >` for unknown parameters and bad values.
// Options and hooks exercise the driver's reassembly (fragmentReplies: every frame split over two TCP writes;
// GET ALL: many frames in one write) and its fault handling (hangNext, stop() mid-command).
import net from 'node:net';
import { Listener } from './listener.js';
import { EventEmitter } from 'node:events';
import {
  ShureDecodeError,
  ShureStreamParser,
  braced,
  decodeMessage,
  encodeRep,
  encodeSample,
  meterRateValue,
  MIN_METER_RATE,
  MAX_METER_RATE,
  type ShureMessage,
} from '../shure/codec.js';

export type ShureModel = 'MXA910' | 'P300';

export interface ShureSimulatorOptions {
  port?: number; // default 2202; 0 = ephemeral
  host?: string; // default 127.0.0.1
  model?: ShureModel; // default MXA910
  /** Write every frame in two TCP chunks (split mid-frame) to exercise reassembly. Default false. */
  fragmentReplies?: boolean;
  /** Device name (DEVICE_ID). */
  name?: string;
}

export interface ShureSimFrame {
  client: number;
  frame: string;
  time: bigint;
}

export interface ShureSimulatorEvents {
  /** A frame arrived from a client (before it is answered). */
  command: [ShureSimFrame];
  /** A frame was sent to a client. */
  reply: [ShureSimFrame];
  connection: [number];
}

interface Client {
  id: number;
  socket: net.Socket;
  parser: ShureStreamParser;
  /** Pending output pieces, written one per tick when fragmenting so the order is kept. */
  outbox: string[];
  flushing: boolean;
  bytes: Buffer[];
}

interface ModelSpec {
  model: string;
  channels: number; // channels with AUDIO_MUTE / AUDIO_GAIN_HI_RES, numbered from firstChannel
  firstChannel: number;
  meters: number; // values per SAMPLE
  firmware: string;
}

const MODELS: Record<ShureModel, ModelSpec> = {
  MXA910: { model: 'MXA910W-US', channels: 9, firstChannel: 1, meters: 9, firmware: '4.7.13.0' }, // 1–8 lobes, 9 automix
  P300: { model: 'P300', channels: 29, firstChannel: 0, meters: 20, firmware: '4.4.5.0' }, // 00–28
};

export interface ShureSimState {
  mute: boolean;
  meterRate: number;
  preset: number;
  ledBrightness: number;
  name: string;
  channelMute: boolean[];
  gain: number[]; // AUDIO_GAIN_HI_RES 0..1400 (−110..+30 dB in 0.1 dB)
  meters: number[]; // raw SAMPLE values 0..60
}

const LOG_LIMIT = 10_000;

export class ShureSimulator extends EventEmitter<ShureSimulatorEvents> {
  readonly received: ShureSimFrame[] = [];
  readonly sent: ShureSimFrame[] = [];
  fragmentReplies: boolean;

  private readonly listener: Listener;
  private readonly spec: ModelSpec;
  private readonly clients = new Map<number, Client>();
  private nextClient = 1;
  private meterTimer: NodeJS.Timeout | null = null;
  private hang = 0;
  private s: ShureSimState;

  constructor(opts: ShureSimulatorOptions = {}) {
    super();
    this.listener = new Listener(opts.host ?? '127.0.0.1', opts.port ?? 2202, () => net.createServer((socket) => this.onConnection(socket)));
    this.fragmentReplies = opts.fragmentReplies ?? false;
    this.spec = MODELS[opts.model ?? 'MXA910'];
    this.s = {
      mute: false,
      meterRate: 0,
      preset: 1,
      ledBrightness: 5,
      name: opts.name ?? 'Phong hop 1',
      channelMute: Array.from({ length: this.spec.channels }, () => false),
      gain: Array.from({ length: this.spec.channels }, () => 1100),
      meters: Array.from({ length: this.spec.meters }, () => 0),
    };
  }

  start(): Promise<{ host: string; port: number }> {
    return this.listener.start();
  }

  /** Kills every connection (mid-command if one is pending) and stops listening; like a power cycle, METER_RATE goes back to 0. */
  async stop(): Promise<void> {
    const closed = this.listener.stop();
    this.setMeterRate(0);
    for (const c of [...this.clients.values()]) {
      this.clients.delete(c.id);
      c.socket.destroy();
    }
    await closed;
  }

  get address(): { host: string; port: number } | null {
    return this.listener.address;
  }

  get state(): ShureSimState {
    return { ...this.s, channelMute: [...this.s.channelMute], gain: [...this.s.gain], meters: [...this.s.meters] };
  }

  /** Every byte a live client sent. */
  bytesFrom(client: number): Buffer {
    return Buffer.concat(this.clients.get(client)?.bytes ?? []);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Someone touches the mute on the array: it toggles and every client gets an unsolicited REP. */
  pressMute(): void {
    this.s.mute = !this.s.mute;
    this.broadcast(encodeRep('DEVICE_AUDIO_MUTE', this.s.mute ? 'ON' : 'OFF'));
  }

  /** Raw SAMPLE values (0..60 = −60..0 dB) for the next samples. */
  setMeters(values: number[]): void {
    values.forEach((v, i) => {
      if (i < this.s.meters.length) this.s.meters[i] = Math.max(0, Math.min(60, Math.round(v)));
    });
  }

  /** The next n frames are received but never answered (a hung device). */
  hangNext(n = 1): void {
    this.hang += n;
  }

  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Connections
  // -------------------------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const c: Client = { id: this.nextClient++, socket, parser: new ShureStreamParser(), outbox: [], flushing: false, bytes: [] };
    this.clients.set(c.id, c);
    socket.on('data', (buf) => {
      c.bytes.push(buf);
      for (const frame of c.parser.push(buf)) {
        if (!this.clients.has(c.id)) return;
        this.onFrame(c, frame);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.clients.delete(c.id));
    this.emit('connection', c.id);
  }

  private onFrame(c: Client, frame: string): void {
    const entry: ShureSimFrame = { client: c.id, frame, time: process.hrtime.bigint() };
    this.log(this.received, entry);
    this.emit('command', entry);
    if (!this.clients.has(c.id)) return; // killed by a 'command' listener
    if (this.hang > 0) {
      this.hang--;
      return;
    }
    let m: ShureMessage;
    try {
      m = decodeMessage(frame);
    } catch (err) {
      if (!(err instanceof ShureDecodeError)) throw err;
      this.send(c, ['< REP ERR >']);
      return;
    }
    if (m.type !== 'get' && m.type !== 'set') {
      this.send(c, ['< REP ERR >']);
      return;
    }
    if (m.type === 'get' && m.param === 'ALL' && m.channel === null) {
      this.send(c, this.allReps(), true);
      return;
    }
    const out = m.type === 'get' ? this.get(m.param, m.channel) : this.set(m.param, m.channel, m.value);
    if (out === null) {
      this.send(c, ['< REP ERR >']);
      return;
    }
    // A change is reported to every client; a GET only to the one who asked.
    if (m.type === 'set') this.broadcast(out);
    else this.send(c, [out]);
  }

  // -------------------------------------------------------------------------------------------
  // Parameters
  // -------------------------------------------------------------------------------------------

  private channelIndex(channel: number | null): number | null {
    if (channel === null) return null;
    const i = channel - this.spec.firstChannel;
    return i >= 0 && i < this.spec.channels ? i : null;
  }

  /** The REP for a parameter, or null for `< REP ERR >`. */
  private get(param: string, channel: number | null): string | null {
    if (channel !== null) {
      const i = this.channelIndex(channel);
      if (i === null) return null;
      if (param === 'AUDIO_MUTE') return encodeRep(param, this.s.channelMute[i] ? 'ON' : 'OFF', channel);
      if (param === 'AUDIO_GAIN_HI_RES') return encodeRep(param, String(this.s.gain[i]).padStart(4, '0'), channel);
      return null;
    }
    switch (param) {
      case 'DEVICE_AUDIO_MUTE':
        return encodeRep(param, this.s.mute ? 'ON' : 'OFF');
      case 'METER_RATE':
        return encodeRep(param, meterRateValue(this.s.meterRate));
      case 'DEVICE_ID':
        return encodeRep(param, braced(this.s.name));
      case 'MODEL':
        return encodeRep(param, braced(this.spec.model));
      case 'FW_VER':
        return encodeRep(param, braced(this.spec.firmware, 18));
      case 'PRESET':
        return encodeRep(param, String(this.s.preset).padStart(2, '0'));
      case 'LED_BRIGHTNESS':
        return encodeRep(param, String(this.s.ledBrightness));
      default:
        return null;
    }
  }

  private set(param: string, channel: number | null, value: string): string | null {
    const onOff = (current: boolean): boolean | null => (value === 'ON' ? true : value === 'OFF' ? false : value === 'TOGGLE' ? !current : null);
    if (channel !== null) {
      const i = this.channelIndex(channel);
      if (i === null) return null;
      if (param === 'AUDIO_MUTE') {
        const v = onOff(this.s.channelMute[i]);
        if (v === null) return null;
        this.s.channelMute[i] = v;
      } else if (param === 'AUDIO_GAIN_HI_RES') {
        if (!/^\d{1,4}$/.test(value) || Number(value) > 1400) return null;
        this.s.gain[i] = Number(value);
      } else return null;
      return this.get(param, channel);
    }
    switch (param) {
      case 'DEVICE_AUDIO_MUTE': {
        const v = onOff(this.s.mute);
        if (v === null) return null;
        this.s.mute = v;
        break;
      }
      case 'METER_RATE': {
        if (!/^\d{1,5}$/.test(value)) return null;
        const ms = Number(value);
        if (ms !== 0 && (ms < MIN_METER_RATE || ms > MAX_METER_RATE)) return null;
        this.setMeterRate(ms);
        break;
      }
      case 'DEVICE_ID': {
        const m = /^\{([^{}]{0,31})\}$/.exec(value);
        if (!m) return null;
        this.s.name = m[1].trimEnd();
        break;
      }
      case 'PRESET':
        if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 10) return null;
        this.s.preset = Number(value);
        break;
      case 'LED_BRIGHTNESS':
        if (!/^[0-5]$/.test(value)) return null;
        this.s.ledBrightness = Number(value);
        break;
      default:
        return null;
    }
    return this.get(param, null);
  }

  private allReps(): string[] {
    const out = ['DEVICE_ID', 'MODEL', 'FW_VER', 'DEVICE_AUDIO_MUTE', 'PRESET', 'LED_BRIGHTNESS', 'METER_RATE'].map((p) => this.get(p, null)!);
    for (let i = 0; i < this.spec.channels; i++) {
      const ch = i + this.spec.firstChannel;
      out.push(this.get('AUDIO_MUTE', ch)!, this.get('AUDIO_GAIN_HI_RES', ch)!);
    }
    return out;
  }

  private setMeterRate(ms: number): void {
    this.s.meterRate = ms;
    if (this.meterTimer) clearInterval(this.meterTimer);
    this.meterTimer = null;
    if (ms > 0) {
      this.meterTimer = setInterval(() => this.broadcast(encodeSample(this.s.meters)), ms);
      this.meterTimer.unref();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------

  private broadcast(frame: string): void {
    for (const c of this.clients.values()) this.send(c, [frame]);
  }

  /** Sends frames; `together` writes them as one TCP chunk (several messages per chunk). */
  private send(c: Client, frames: string[], together = false): void {
    if (!this.clients.has(c.id)) return;
    for (const frame of frames) {
      const entry: ShureSimFrame = { client: c.id, frame, time: process.hrtime.bigint() };
      this.log(this.sent, entry);
      this.emit('reply', entry);
    }
    if (!this.fragmentReplies) {
      if (together) c.socket.write(frames.join(''));
      else for (const f of frames) c.socket.write(f);
      return;
    }
    for (const f of together ? [frames.join('')] : frames) {
      const cut = Math.max(1, Math.floor(f.length / 2));
      c.outbox.push(f.slice(0, cut), f.slice(cut));
    }
    this.flush(c);
  }

  /** One piece per macrotask, so each half is its own TCP segment on loopback. */
  private flush(c: Client): void {
    if (c.flushing) return;
    c.flushing = true;
    const next = () => {
      const piece = c.outbox.shift();
      if (piece === undefined || !this.clients.has(c.id)) {
        c.flushing = false;
        c.outbox.length = 0;
        return;
      }
      c.socket.write(piece);
      setTimeout(next, 1).unref();
    };
    next();
  }

  private log(list: ShureSimFrame[], entry: ShureSimFrame): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}

