// A PJLink projector on real TCP (and UDP for the class 2 search), faithful to protocols.md §3.1 and §7:
// greeting `PJLINK 0` / `PJLINK 1 <random>`, MD5 check of the first line → `PJLINK ERRA` and close, `%1xxxx=OK`
// or `ERR1..4`, the power state machine 0 standby → 3 warm-up → 1 on → 2 cooling → 0 (ERR3 for commands that
// need the lamp while it is not on), replies well inside the spec's 2 s, optional close after every command
// (many projectors do that) and the spec's 30 s idle close, `%2SRCH` → `%2ACKN=<MAC>` on UDP.
// Test hooks (failNext, silenceNext, crashOnNextCommand) inject the faults real projectors and networks produce.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Listener } from './listener.js';
import { randomBytes } from 'node:crypto';
import {
  AUTH_ERROR_LINE,
  PjlinkLineSplitter,
  authDigest,
  avMuteStatus,
  decodeCommand,
  encodeAckn,
  encodeErrorStatus,
  encodeGreeting,
  encodeLamps,
  encodeResponse,
  errorResponse,
  isClass1Input,
  okResponse,
  splitAuthPrefix,
  valueResponse,
  INPUT_CODE_RE,
  POWER_STATUS_CODES,
  type AvMute,
  type ErrorStatus,
  type PjlinkClass,
  type PjlinkCommand,
  type PjlinkErrorCode,
  type PjlinkResponse,
  type PowerStatus,
} from '../pjlink/codec.js';

export interface PjlinkSimulatorOptions {
  /** TCP port; default 4352, 0 = ephemeral. */
  port?: number;
  host?: string; // default 127.0.0.1
  /** UDP port answering `%2SRCH`; undefined/null = no UDP listener, 0 = ephemeral. */
  udpPort?: number | null;
  /** When set, the greeting is `PJLINK 1 <random>` and the first line must carry MD5(random + password). */
  password?: string | null;
  /** The greeting's random (default: 8 random hex digits per connection); tests pin it to the spec's `498e4a67`. */
  random?: () => string;
  /** PJLink class the projector implements (CLSS? answer; class 2 commands get ERR1 on a class 1 projector). Default 2. */
  pjlinkClass?: PjlinkClass;
  /** Time in warm-up (POWR 3) before the lamp is on. Default 500 ms (a real projector: 20–60 s). */
  warmUpMs?: number;
  /** Time cooling down (POWR 2) before standby. Default 500 ms. */
  coolDownMs?: number;
  /** Delay before each reply (the spec allows up to 2 s). Default 0. */
  replyDelayMs?: number;
  /** Close the connection after answering each command (many projectors do). Default false. */
  closeAfterCommand?: boolean;
  /** Close the connection after accepting POWR 0 (some projectors drop LAN control going to standby). Default false. */
  closeOnPowerOff?: boolean;
  /** Close a connection idle this long (the spec's 30 s). 0 = never. Default 30 000. */
  idleTimeoutMs?: number;
  /** UDP ACKN goes to this port instead of the search's source port (the spec's fixed 4352). */
  acknPort?: number | null;
  name?: string;
  manufacturer?: string;
  model?: string;
  mac?: string;
  /** Input codes the projector has (INST?). Default 11 21 31 32 33 51. */
  inputs?: string[];
  /** SVOL steps: speaker volume runs 0..maxVolume. Default 20. */
  maxVolume?: number;
  /** Starting power state. Default standby. */
  power?: PowerStatus;
}

export interface PjlinkSimLine {
  text: string;
  /** process.hrtime.bigint() at arrival/departure. */
  time: bigint;
  peer: { address: string; port: number };
  via: 'tcp' | 'udp';
  /** TCP connection number (1, 2, …); 0 for UDP. */
  connection: number;
}

export interface PjlinkSimState {
  power: PowerStatus;
  input: string;
  mute: AvMute;
  volume: number;
  micVolume: number;
  freeze: boolean;
  errors: ErrorStatus;
  lampHours: number;
  /** TCP connections accepted since construction. */
  connections: number;
  /** TCP connections open now. */
  openConnections: number;
}

export interface PjlinkSimulatorEvents {
  command: [PjlinkSimLine];
  reply: [PjlinkSimLine];
  connection: [number];
  /** A TCP connection closed (either side), with its number. */
  disconnect: [number];
}

interface Conn {
  id: number;
  socket: net.Socket;
  splitter: PjlinkLineSplitter;
  random: string | null;
  authed: boolean;
  idleTimer: NodeJS.Timeout | null;
  peer: { address: string; port: number };
}

const LOG_LIMIT = 10_000;
const CLASS1_BODIES = new Set(['POWR', 'INPT', 'AVMT', 'ERST', 'LAMP', 'INST', 'NAME', 'INF1', 'INF2', 'INFO', 'CLSS']);
const CLASS2_ONLY_BODIES = new Set(['SNUM', 'SVER', 'INNM', 'IRES', 'RRES', 'FILT', 'RLMP', 'RFIL', 'SVOL', 'MVOL', 'FREZ']);
/** Class 1 bodies that class 2 also defines under `%2` (wider input range). */
const CLASS2_ALSO = new Set(['INPT', 'INST', 'CLSS']);

export class PjlinkSimulator extends EventEmitter<PjlinkSimulatorEvents> {
  readonly received: PjlinkSimLine[] = [];
  readonly sent: PjlinkSimLine[] = [];
  warmUpMs: number;
  coolDownMs: number;
  replyDelayMs: number;
  closeAfterCommand: boolean;
  closeOnPowerOff: boolean;
  idleTimeoutMs: number;
  password: string | null;

  private readonly listener: Listener;
  private udpPort: number | null;
  private readonly acknPort: number | null;
  private readonly randomFn: () => string;
  private readonly pjlinkClass: PjlinkClass;
  private readonly info: { name: string; manufacturer: string; model: string; mac: string };
  private readonly inputs: string[];
  private readonly maxVolume: number;
  private udp: dgram.Socket | null = null;
  private readonly conns = new Set<Conn>();
  private connCount = 0;
  private power: PowerStatus;
  private input: string;
  private mute: AvMute = { video: false, audio: false };
  private volume: number;
  private micVolume: number;
  private freeze = false;
  private errors: ErrorStatus = { fan: 'ok', lamp: 'ok', temperature: 'ok', coverOpen: 'ok', filter: 'ok', other: 'ok' };
  private lampHours = 1234;
  private powerTimer: NodeJS.Timeout | null = null;
  private readonly forced: { body: string | null; error: PjlinkErrorCode }[] = [];
  private silence = 0;
  private hangUps = 0;
  private crash: (() => void) | null = null;

  constructor(opts: PjlinkSimulatorOptions = {}) {
    super();
    this.listener = new Listener(opts.host ?? '127.0.0.1', opts.port ?? 4352, () => net.createServer((socket) => this.onConnection(socket)));
    this.udpPort = opts.udpPort ?? null;
    this.acknPort = opts.acknPort ?? null;
    this.password = opts.password ?? null;
    this.randomFn = opts.random ?? (() => randomBytes(4).toString('hex'));
    this.pjlinkClass = opts.pjlinkClass ?? 2;
    this.warmUpMs = opts.warmUpMs ?? 500;
    this.coolDownMs = opts.coolDownMs ?? 500;
    this.replyDelayMs = opts.replyDelayMs ?? 0;
    this.closeAfterCommand = opts.closeAfterCommand ?? false;
    this.closeOnPowerOff = opts.closeOnPowerOff ?? false;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.info = {
      name: opts.name ?? 'DIEMCAU-SIM',
      manufacturer: opts.manufacturer ?? 'Diemcau',
      model: opts.model ?? 'PJ-SIM 1',
      mac: opts.mac ?? '00:1c:2b:3d:4e:5f',
    };
    this.inputs = opts.inputs ?? ['11', '21', '31', '32', '33', '51'];
    for (const c of this.inputs) if (!INPUT_CODE_RE.test(c)) throw new RangeError(`bad PJLink input code ${c}`);
    this.input = this.inputs.find((c) => c[0] === '3') ?? this.inputs[0];
    this.maxVolume = opts.maxVolume ?? 20;
    this.volume = Math.floor(this.maxVolume / 2);
    this.micVolume = Math.floor(this.maxVolume / 2);
    this.power = opts.power ?? 'standby';
  }

  /** Listens on TCP (and UDP when udpPort is set). After stop(), start() binds the same ports again. */
  async start(): Promise<{ host: string; port: number; udpPort: number | null }> {
    if (this.listener.server) return { ...this.listener.address!, udpPort: this.udpPort };
    const { host, port } = await this.listener.start();
    if (this.udpPort !== null) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.udpPort!, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', () => {});
      udp.on('message', (msg, rinfo) => this.onSearch(msg, rinfo));
      this.udp = udp;
      this.udpPort = udp.address().port;
    }
    return { host, port, udpPort: this.udpPort };
  }

  /** Like a power cut: every connection is destroyed without a reply, the ports are closed. State is kept. */
  async stop(): Promise<void> {
    const closed = this.listener.stop();
    const udp = this.udp;
    this.udp = null;
    for (const c of this.conns) {
      if (c.idleTimer) clearTimeout(c.idleTimer);
      c.socket.destroy();
    }
    this.conns.clear();
    const closing: Promise<void>[] = [closed];
    if (udp) closing.push(new Promise<void>((resolve) => udp.close(() => resolve())));
    await Promise.all(closing);
  }

  get address(): { host: string; port: number; udpPort: number | null } | null {
    const tcp = this.listener.address;
    return tcp ? { ...tcp, udpPort: this.udpPort } : null;
  }

  get state(): PjlinkSimState {
    return {
      power: this.power,
      input: this.input,
      mute: { ...this.mute },
      volume: this.volume,
      micVolume: this.micVolume,
      freeze: this.freeze,
      errors: { ...this.errors },
      lampHours: this.lampHours,
      connections: this.connCount,
      openConnections: this.conns.size,
    };
  }

  /** Puts the projector in a state (tests). Setting power cancels a warm-up or cool-down under way. */
  setState(s: Partial<{ power: PowerStatus; input: string; mute: AvMute; volume: number; errors: Partial<ErrorStatus>; lampHours: number }>): void {
    if (s.power !== undefined) {
      if (this.powerTimer) clearTimeout(this.powerTimer);
      this.powerTimer = null;
      this.power = s.power;
      if (s.power === 'warm-up') this.transition('on', this.warmUpMs);
      if (s.power === 'cooling') this.transition('standby', this.coolDownMs);
    }
    if (s.input !== undefined) this.input = s.input;
    if (s.mute !== undefined) this.mute = { ...s.mute };
    if (s.volume !== undefined) this.volume = s.volume;
    if (s.errors !== undefined) this.errors = { ...this.errors, ...s.errors };
    if (s.lampHours !== undefined) this.lampHours = s.lampHours;
  }

  /** The next command (optionally: only one with this body) is answered with this error instead of executing. */
  failNext(error: PjlinkErrorCode, body: string | null = null): void {
    this.forced.push({ body, error });
  }
  /** The next n commands are received and logged but never answered (the connection stays open). */
  silenceNext(n = 1): void {
    this.silence += n;
  }
  /** The next n commands are received, then the projector closes that connection without answering. */
  hangUpNext(n = 1): void {
    this.hangUps += n;
  }
  /** The next command is received and then the projector dies (stop()) without answering; resolves once stopped. */
  crashOnNextCommand(): Promise<void> {
    return new Promise((resolve) => (this.crash = resolve));
  }
  /** Destroys the open TCP connections (as an idle close or a network blip would); the server keeps listening. */
  dropConnections(): void {
    for (const c of this.conns) c.socket.end();
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // TCP
  // -------------------------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const conn: Conn = {
      id: ++this.connCount,
      socket,
      splitter: new PjlinkLineSplitter(),
      random: this.password !== null ? this.randomFn() : null,
      authed: this.password === null,
      idleTimer: null,
      peer: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    };
    this.conns.add(conn);
    this.emit('connection', conn.id);
    socket.on('error', () => {});
    socket.on('close', () => {
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      this.conns.delete(conn);
      this.emit('disconnect', conn.id);
    });
    socket.on('data', (chunk) => {
      this.touch(conn);
      for (const line of conn.splitter.push(chunk)) this.onLine(conn, line);
    });
    this.write(conn, encodeGreeting(conn.random === null ? { auth: false } : { auth: true, random: conn.random }));
    this.touch(conn);
  }

  private touch(conn: Conn): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = null;
    if (this.idleTimeoutMs > 0) {
      conn.idleTimer = setTimeout(() => conn.socket.end(), this.idleTimeoutMs);
      conn.idleTimer.unref();
    }
  }

  private onLine(conn: Conn, line: string): void {
    if (!this.conns.has(conn)) return; // lines after an ERRA close or a crash
    const entry: PjlinkSimLine = { text: `${line}\r`, time: process.hrtime.bigint(), peer: conn.peer, via: 'tcp', connection: conn.id };
    this.log(this.received, entry);
    this.emit('command', entry);

    let text = line;
    if (!conn.authed) {
      const { digest, command } = splitAuthPrefix(line);
      if (digest === null || digest.toLowerCase() !== authDigest(conn.random!, this.password!)) {
        this.write(conn, AUTH_ERROR_LINE);
        this.conns.delete(conn); // nothing more is read on this connection
        conn.socket.end();
        return;
      }
      conn.authed = true;
      text = command;
    }
    if (this.crash) {
      const done = this.crash;
      this.crash = null;
      void this.stop().then(done);
      return;
    }
    if (this.silence > 0) {
      this.silence--;
      return;
    }
    if (this.hangUps > 0) {
      this.hangUps--;
      this.conns.delete(conn);
      conn.socket.destroy();
      return;
    }
    let cmd: PjlinkCommand;
    try {
      cmd = decodeCommand(text);
    } catch {
      // A line that names a class and body but is malformed is an undefined command; anything else is noise.
      const m = /^%([12])([A-Z0-9]{4})/.exec(text);
      if (m) this.reply(conn, errorResponse(Number(m[1]) as PjlinkClass, m[2], 'ERR1'));
      return;
    }
    const forcedAt = this.forced.findIndex((f) => f.body === null || f.body === cmd.body);
    if (forcedAt >= 0) {
      const [f] = this.forced.splice(forcedAt, 1);
      this.reply(conn, errorResponse(cmd.cls, cmd.body, f.error));
      return;
    }
    const r = this.execute(cmd);
    this.reply(conn, r, this.closeOnPowerOff && cmd.body === 'POWR' && cmd.param === '0' && r.kind === 'ok');
  }

  private reply(conn: Conn, r: PjlinkResponse, close = false): void {
    const send = () => {
      if (!this.conns.has(conn)) return;
      this.write(conn, encodeResponse(r));
      if (this.closeAfterCommand || close) {
        this.conns.delete(conn);
        conn.socket.end();
      }
    };
    if (this.replyDelayMs > 0) setTimeout(send, this.replyDelayMs).unref();
    else send();
  }

  private write(conn: Conn, text: string): void {
    const entry: PjlinkSimLine = { text, time: process.hrtime.bigint(), peer: conn.peer, via: 'tcp', connection: conn.id };
    this.log(this.sent, entry);
    this.emit('reply', entry);
    conn.socket.write(text, 'latin1');
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  private execute(cmd: PjlinkCommand): PjlinkResponse {
    const { cls, body, param } = cmd;
    const ok = () => okResponse(cls, body);
    const err = (e: PjlinkErrorCode) => errorResponse(cls, body, e);
    const value = (v: string) => valueResponse(cls, body, v);
    const isQuery = param === '?';

    // Which class may carry which body.
    const known = cls === 1 ? CLASS1_BODIES.has(body) : this.pjlinkClass === 2 && (CLASS2_ONLY_BODIES.has(body) || CLASS2_ALSO.has(body));
    if (!known) return err('ERR1');
    const lampOn = this.power === 'on';

    switch (body) {
      case 'POWR':
        if (isQuery) return value(POWER_STATUS_CODES[this.power]);
        if (param === '1') {
          if (this.power === 'cooling') return err('ERR3');
          if (this.power === 'standby') {
            this.power = 'warm-up';
            this.transition('on', this.warmUpMs);
          }
          return ok();
        }
        if (param === '0') {
          if (this.power === 'warm-up') return err('ERR3');
          if (this.power === 'on') {
            this.power = 'cooling';
            this.transition('standby', this.coolDownMs);
          }
          return ok();
        }
        return err('ERR2');
      case 'INPT':
        if (isQuery) return lampOn ? value(this.input) : err('ERR3');
        if (!INPUT_CODE_RE.test(param) || (cls === 1 && !isClass1Input(param))) return err('ERR2');
        if (!lampOn) return err('ERR3');
        if (!this.inputs.includes(param)) return err('ERR2');
        this.input = param;
        return ok();
      case 'AVMT':
        if (isQuery) return lampOn ? value(avMuteStatus(this.mute)) : err('ERR3');
        if (!/^[123][01]$/.test(param)) return err('ERR2');
        if (!lampOn) return err('ERR3');
        {
          const on = param[1] === '1';
          if (param[0] === '1' || param[0] === '3') this.mute.video = on;
          if (param[0] === '2' || param[0] === '3') this.mute.audio = on;
        }
        return ok();
      case 'ERST':
        return isQuery ? value(encodeErrorStatus(this.errors)) : err('ERR2');
      case 'LAMP':
        return isQuery ? value(encodeLamps([{ hours: this.lampHours, on: this.power === 'on' || this.power === 'warm-up' }])) : err('ERR2');
      case 'INST':
        return isQuery ? value(this.inputs.filter((c) => cls === 2 || isClass1Input(c)).join(' ')) : err('ERR2');
      case 'NAME':
        return isQuery ? value(this.info.name) : err('ERR2');
      case 'INF1':
        return isQuery ? value(this.info.manufacturer) : err('ERR2');
      case 'INF2':
        return isQuery ? value(this.info.model) : err('ERR2');
      case 'INFO':
        return isQuery ? value('diemcau simulator') : err('ERR2');
      case 'CLSS':
        return isQuery ? value(String(this.pjlinkClass)) : err('ERR2');
      case 'SNUM':
        return isQuery ? value('SIM0001') : err('ERR2');
      case 'SVER':
        return isQuery ? value('1.0.0') : err('ERR2');
      case 'FILT':
        return isQuery ? value('120') : err('ERR2');
      case 'RLMP':
        return isQuery ? value('LMP-SIM') : err('ERR2');
      case 'RFIL':
        return isQuery ? value('FLT-SIM') : err('ERR2');
      case 'IRES':
      case 'RRES':
        if (!isQuery) return err('ERR2');
        return lampOn ? value('1920x1080') : err('ERR3');
      case 'INNM':
        return err('ERR2'); // input names are not simulated
      case 'SVOL':
      case 'MVOL': {
        if (param !== '0' && param !== '1') return err('ERR2');
        if (!lampOn) return err('ERR3');
        const key = body === 'SVOL' ? 'volume' : 'micVolume';
        this[key] = Math.max(0, Math.min(this.maxVolume, this[key] + (param === '1' ? 1 : -1)));
        return ok();
      }
      case 'FREZ':
        if (isQuery) return lampOn ? value(this.freeze ? '1' : '0') : err('ERR3');
        if (param !== '0' && param !== '1') return err('ERR2');
        if (!lampOn) return err('ERR3');
        this.freeze = param === '1';
        return ok();
      default:
        return err('ERR1');
    }
  }

  private transition(to: PowerStatus, ms: number): void {
    if (this.powerTimer) clearTimeout(this.powerTimer);
    const done = () => {
      this.powerTimer = null;
      this.power = to;
      if (to === 'standby') this.mute = { video: false, audio: false };
    };
    if (ms <= 0) return done();
    this.powerTimer = setTimeout(done, ms);
    this.powerTimer.unref();
  }

  // -------------------------------------------------------------------------------------------
  // UDP search (class 2)
  // -------------------------------------------------------------------------------------------

  private onSearch(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const text = msg.toString('latin1');
    const peer = { address: rinfo.address, port: rinfo.port };
    const entry: PjlinkSimLine = { text, time: process.hrtime.bigint(), peer, via: 'udp', connection: 0 };
    this.log(this.received, entry);
    this.emit('command', entry);
    if (this.pjlinkClass !== 2 || (text !== '%2SRCH\r' && text !== '%2SRCH')) return;
    const reply = encodeAckn(this.info.mac);
    const to = { address: rinfo.address, port: this.acknPort ?? rinfo.port };
    const out: PjlinkSimLine = { text: reply, time: process.hrtime.bigint(), peer: to, via: 'udp', connection: 0 };
    this.log(this.sent, out);
    this.emit('reply', out);
    this.udp?.send(reply, to.port, to.address);
  }

  private log(list: PjlinkSimLine[], entry: PjlinkSimLine): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
