// A Biamp Tesira server on real TCP, faithful to protocols.md §4.3/§7: Telnet option negotiation that must be
// refused before the banner, a case-sensitive TTP parser with Tesira's -ERR strings, attribute state per
// instance tag and channel, verbose and non-verbose sessions, and per-session subscriptions publishing `!` lines
// at the requested interval (interleaved with replies, as on a real server).
// Fault hooks: hangNext() swallows commands (no reply), and stop() kills every session mid-command.
import net from 'node:net';
import { Listener } from './listener.js';
import { EventEmitter } from 'node:events';
import {
  BANNER,
  DEVICE,
  SESSION,
  TelnetOption,
  TelnetParser,
  TesiraDecodeError,
  TtpLineSplitter,
  addressNotFound,
  decodeCommand,
  encodeNegotiation,
  encodeOk,
  encodePublish,
  isRefusal,
  notSupported,
  parseError,
  type TelnetNegotiation,
  type TtpArg,
  type TtpToken,
  type TtpValue,
} from '../tesira/codec.js';

export type TesiraBlockType = 'level' | 'mute' | 'meter';

export interface TesiraBlockSpec {
  type: TesiraBlockType;
  channels: number;
}

export interface TesiraSimulatorOptions {
  port?: number; // default 23; 0 = ephemeral
  host?: string; // default 127.0.0.1
  /** DSP blocks by instance tag. Default: Level1 (level, 2 ch), Mute1 (mute, 2 ch), Meter1 (meter, 2 ch). */
  blocks?: Record<string, TesiraBlockSpec>;
  /** Echo each command line back before its reply, as some firmware does on Telnet. Default false. */
  echo?: boolean;
  /** Skip the Telnet negotiation and send the banner at once (an SSH-like or serial session). Default false. */
  noNegotiation?: boolean;
}

export interface SimLine {
  session: number;
  line: string;
  time: bigint;
}

export interface TesiraSimSubscription {
  session: number;
  instance: string;
  attribute: string;
  index: number | null;
  token: string;
  rateMs: number;
}

export interface TesiraSimulatorEvents {
  /** A session saw all its options refused and got the banner. */
  session: [number];
  /** A command line arrived on a started session (before it is answered). */
  command: [SimLine];
  /** A line was sent (reply, publication, echo or banner). */
  reply: [SimLine];
}

/** Negotiation rounds: the server waits for an answer to every option of a round before the next one. */
export const NEGOTIATION_ROUNDS: TelnetNegotiation[][] = [
  [
    { verb: 'DO', option: TelnetOption.terminalType },
    { verb: 'DO', option: TelnetOption.terminalSpeed },
    { verb: 'DO', option: TelnetOption.xDisplayLocation },
    { verb: 'DO', option: TelnetOption.newEnvironment },
  ],
  [
    { verb: 'WILL', option: TelnetOption.suppressGoAhead },
    { verb: 'DO', option: TelnetOption.echo },
    { verb: 'DO', option: TelnetOption.windowSize },
    { verb: 'WILL', option: TelnetOption.status },
    { verb: 'DO', option: TelnetOption.remoteFlowControl },
    { verb: 'WILL', option: TelnetOption.echo },
  ],
];

interface Attribute {
  indexed: boolean;
  kind: 'number' | 'boolean' | 'count';
  commands: string[];
  subscribable: boolean;
}

const ATTRIBUTES: Record<TesiraBlockType, Record<string, Attribute>> = {
  level: {
    level: { indexed: true, kind: 'number', commands: ['get', 'set', 'increment', 'decrement'], subscribable: true },
    mute: { indexed: true, kind: 'boolean', commands: ['get', 'set', 'toggle'], subscribable: true },
    minLevel: { indexed: true, kind: 'number', commands: ['get', 'set'], subscribable: false },
    maxLevel: { indexed: true, kind: 'number', commands: ['get', 'set'], subscribable: false },
    numChannels: { indexed: false, kind: 'count', commands: ['get'], subscribable: false },
  },
  mute: {
    mute: { indexed: true, kind: 'boolean', commands: ['get', 'set', 'toggle'], subscribable: true },
    numChannels: { indexed: false, kind: 'count', commands: ['get'], subscribable: false },
  },
  meter: {
    level: { indexed: true, kind: 'number', commands: ['get'], subscribable: true },
    numChannels: { indexed: false, kind: 'count', commands: ['get'], subscribable: false },
  },
};
const COMMANDS = ['get', 'set', 'increment', 'decrement', 'toggle', 'subscribe', 'unsubscribe'];

interface Block {
  type: TesiraBlockType;
  channels: number;
  values: Record<string, TtpValue[]>; // attribute → per channel (index 0 = channel 1)
}

interface SimSession {
  id: number;
  socket: net.Socket;
  telnet: TelnetParser;
  lines: TtpLineSplitter;
  round: number;
  outstanding: TelnetNegotiation[];
  started: boolean;
  /** An option the client accepted instead of refusing: the session never starts. */
  accepted: TelnetNegotiation[];
  verbose: boolean;
  subs: Map<string, TesiraSimSubscription & { timer: NodeJS.Timeout | null }>;
  bytes: Buffer[];
}

const LOG_LIMIT = 10_000;
const DEFAULT_BLOCKS: Record<string, TesiraBlockSpec> = {
  Level1: { type: 'level', channels: 2 },
  Mute1: { type: 'mute', channels: 2 },
  Meter1: { type: 'meter', channels: 2 },
};

export class TesiraSimulator extends EventEmitter<TesiraSimulatorEvents> {
  /** Command lines received on started sessions (most recent LOG_LIMIT). */
  readonly received: SimLine[] = [];
  /** Lines sent (most recent LOG_LIMIT), without Telnet bytes. */
  readonly sent: SimLine[] = [];
  echo: boolean;

  private readonly listener: Listener;
  private readonly noNegotiation: boolean;
  private readonly sessions = new Map<number, SimSession>();
  private readonly blocks = new Map<string, Block>();
  private nextSession = 1;
  private hang = 0;

  constructor(opts: TesiraSimulatorOptions = {}) {
    super();
    this.listener = new Listener(opts.host ?? '127.0.0.1', opts.port ?? 23, () => net.createServer((socket) => this.onConnection(socket)));
    this.echo = opts.echo ?? false;
    this.noNegotiation = opts.noNegotiation ?? false;
    for (const [tag, spec] of Object.entries(opts.blocks ?? DEFAULT_BLOCKS)) {
      if (!Number.isInteger(spec.channels) || spec.channels < 1) throw new RangeError(`block ${tag}: channels must be a positive integer`);
      const n = spec.channels;
      const fill = (v: TtpValue) => Array.from({ length: n }, () => v);
      const values: Record<string, TtpValue[]> =
        spec.type === 'level'
          ? { level: fill(0), mute: fill(false), minLevel: fill(-100), maxLevel: fill(12) }
          : spec.type === 'mute'
            ? { mute: fill(false) }
            : { level: fill(-100) };
      this.blocks.set(tag, { type: spec.type, channels: n, values });
    }
  }

  /** Listens on TCP. After stop(), start() listens on the same port again (a DSP coming back). */
  start(): Promise<{ host: string; port: number }> {
    return this.listener.start();
  }

  /** Kills every session (mid-command if one is pending) and stops listening. */
  async stop(): Promise<void> {
    const closed = this.listener.stop();
    for (const s of [...this.sessions.values()]) this.endSession(s, true);
    await closed;
  }

  get address(): { host: string; port: number } | null {
    return this.listener.address;
  }

  /** Live sessions: id, whether the banner was sent, verbose mode, options the client accepted. */
  get sessionInfo(): { id: number; started: boolean; verbose: boolean; accepted: TelnetNegotiation[] }[] {
    return [...this.sessions.values()].map((s) => ({ id: s.id, started: s.started, verbose: s.verbose, accepted: [...s.accepted] }));
  }

  /** Every byte a session received, Telnet answers included. */
  bytesFrom(session: number): Buffer {
    return Buffer.concat(this.sessions.get(session)?.bytes ?? []);
  }

  /** Active subscriptions of all live sessions. */
  get subscriptions(): TesiraSimSubscription[] {
    return [...this.sessions.values()].flatMap((s) => [...s.subs.values()].map(({ timer: _t, ...sub }) => sub));
  }

  getAttribute(instance: string, attribute: string, channel = 1): TtpValue | undefined {
    return this.blocks.get(instance)?.values[attribute]?.[channel - 1];
  }

  /** Changes a value as if from the front panel or another controller (subscriptions publish it). */
  setAttribute(instance: string, attribute: string, channel: number, value: TtpValue): void {
    const b = this.blocks.get(instance);
    if (!b || !b.values[attribute] || channel < 1 || channel > b.channels) throw new RangeError(`no ${instance} ${attribute} ${channel}`);
    b.values[attribute][channel - 1] = value;
  }

  /** A meter reading (dB) for a meter block channel. */
  setMeter(instance: string, channel: number, db: number): void {
    this.setAttribute(instance, 'level', channel, db);
  }

  /** Publishes every subscription of every session now (e.g. from a 'command' listener: a `!` before the reply). */
  publishNow(): void {
    for (const s of this.sessions.values()) for (const sub of s.subs.values()) this.publish(s, sub);
  }

  /** The next n command lines are received but never answered (a hung DSP). */
  hangNext(n = 1): void {
    this.hang += n;
  }

  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Sessions and negotiation
  // -------------------------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const s: SimSession = {
      id: this.nextSession++,
      socket,
      telnet: new TelnetParser(),
      lines: new TtpLineSplitter(),
      round: -1,
      outstanding: [],
      started: false,
      accepted: [],
      verbose: true,
      subs: new Map(),
      bytes: [],
    };
    this.sessions.set(s.id, s);
    socket.on('data', (buf) => this.onData(s, buf));
    socket.on('error', () => {});
    socket.on('close', () => this.endSession(s, false));
    if (this.noNegotiation) this.sendBanner(s);
    else this.nextRound(s);
  }

  private nextRound(s: SimSession): void {
    s.round++;
    const round = NEGOTIATION_ROUNDS[s.round];
    if (!round) {
      this.sendBanner(s);
      return;
    }
    s.outstanding = [...round];
    s.socket.write(Buffer.concat(round.map((n) => encodeNegotiation(n.verb, n.option))));
  }

  private sendBanner(s: SimSession): void {
    s.started = true;
    s.socket.write('\r\n');
    this.sendLine(s, BANNER);
    this.emit('session', s.id);
  }

  private endSession(s: SimSession, destroy: boolean): void {
    for (const sub of s.subs.values()) if (sub.timer) clearInterval(sub.timer);
    s.subs.clear();
    this.sessions.delete(s.id);
    if (destroy) s.socket.destroy();
  }

  private onData(s: SimSession, buf: Buffer): void {
    s.bytes.push(buf);
    const { data, events } = s.telnet.push(buf);
    for (const e of events) {
      if (e.type !== 'negotiation') continue;
      const i = s.outstanding.findIndex((o) => o.option === e.option && (o.verb === 'DO' ? e.verb === 'WILL' || e.verb === 'WONT' : e.verb === 'DO' || e.verb === 'DONT'));
      if (i < 0) continue; // unsolicited: a real server would negotiate; this one ignores it
      const request = s.outstanding[i];
      s.outstanding.splice(i, 1);
      if (!isRefusal(request, e)) s.accepted.push(request);
      if (s.outstanding.length === 0 && !s.started && s.accepted.length === 0) this.nextRound(s);
    }
    if (data.length === 0) return;
    const lines = s.lines.push(data);
    if (!s.started) return; // text before the banner is not a command
    for (const line of lines) {
      if (!this.sessions.has(s.id)) return;
      this.onLine(s, line);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  private onLine(s: SimSession, line: string): void {
    if (line.trim().length === 0) return;
    const entry: SimLine = { session: s.id, line, time: process.hrtime.bigint() };
    this.log(this.received, entry);
    this.emit('command', entry);
    if (!this.sessions.has(s.id)) return; // killed by a 'command' listener
    if (this.hang > 0) {
      this.hang--;
      return;
    }
    if (this.echo) this.sendLine(s, line);
    for (const out of this.execute(s, line)) this.sendLine(s, out);
  }

  /** The reply lines for one command (publications first, as a subscribe answers with its first `!`). */
  private execute(s: SimSession, line: string): string[] {
    let cmd;
    try {
      cmd = decodeCommand(line);
    } catch (err) {
      if (err instanceof TesiraDecodeError) return [parseError(err.at ?? 0, err.message.replace(/ at \d+.*$/, ''))];
      throw err;
    }
    const [tagTok, cmdTok, attrTok, ...argToks] = cmd.tokens;
    const ok = (value?: TtpValue, numbers: 'float' | 'auto' = 'float') => encodeOk(value, { verbose: s.verbose, numbers });

    if (cmd.instance === SESSION) {
      if (cmd.command === 'set' && cmd.attribute === 'verbose' && cmd.args.length === 1 && typeof cmd.args[0] === 'boolean') {
        s.verbose = cmd.args[0];
        return [ok()];
      }
      if (cmd.command === 'get' && cmd.attribute === 'verbose' && cmd.args.length === 0) return [ok(s.verbose)];
      if (cmd.command === 'get' && cmd.attribute === 'aliases' && cmd.args.length === 0)
        return [s.verbose ? encodeOk([...this.blocks.keys()], { key: 'list' }) : encodeOk([...this.blocks.keys()], { verbose: false })];
      return [parseError((attrTok ?? cmdTok).at, `invalid SESSION command`)];
    }
    if (cmd.instance === DEVICE) {
      if (cmd.command === 'recallPreset') {
        const id = cmd.args[0];
        if (cmd.args.length !== 1 || typeof id !== 'number' || !Number.isInteger(id)) return [parseError((attrTok ?? cmdTok).at ?? line.length, 'expected a preset number')];
        return [ok()];
      }
      return [notSupported(cmd.command, 'by DEVICE')];
    }
    const block = this.blocks.get(cmd.instance);
    if (!block) return [addressNotFound()];
    if (!COMMANDS.includes(cmd.command)) return [parseError(cmdTok.at, `unknown command '${cmd.command}'`)];
    const attr = ATTRIBUTES[block.type][cmd.attribute!];
    if (!attr) return [parseError(attrTok.at, `unknown attribute '${cmd.attribute}'`)];
    const isSubscription = cmd.command === 'subscribe' || cmd.command === 'unsubscribe';
    if (isSubscription ? !attr.subscribable : !attr.commands.includes(cmd.command)) return [notSupported(cmd.command, `for attribute '${cmd.attribute}'`)];

    // Index
    let index: number | null = null;
    let rest: TtpToken[] = argToks;
    let args: TtpArg[] = cmd.args;
    if (attr.indexed) {
      const t = argToks[0];
      const v = args[0];
      if (t === undefined) return [parseError(line.length, 'expected an index')];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > block.channels) return [parseError(t.at, `index out of range 1..${block.channels}`)];
      index = v;
      rest = argToks.slice(1);
      args = args.slice(1);
    }
    const values = block.values[cmd.attribute!];
    const current = (): TtpValue => (attr.kind === 'count' ? block.channels : values[(index ?? 1) - 1]);
    const numbers = attr.kind === 'count' ? 'auto' : 'float';
    const tooMany = (n: number) => (args.length > n ? parseError(rest[n].at, 'unexpected argument') : null);

    switch (cmd.command) {
      case 'get':
        return [tooMany(0) ?? ok(current(), numbers)];
      case 'set': {
        if (args.length === 0) return [parseError(line.length, 'expected a value')];
        const extra = tooMany(1);
        if (extra) return [extra];
        const v = args[0];
        if (attr.kind === 'boolean') {
          if (typeof v !== 'boolean') return [parseError(rest[0].at, 'expected true or false')];
          values[index! - 1] = v;
        } else {
          if (typeof v !== 'number' || rest[0].quoted) return [parseError(rest[0].at, 'expected a number')];
          values[index! - 1] = this.clampLevel(block, cmd.attribute!, index!, v);
        }
        return [ok()];
      }
      case 'increment':
      case 'decrement': {
        const v = args[0];
        if (typeof v !== 'number' || rest[0].quoted) return [parseError(rest[0]?.at ?? line.length, 'expected a number')];
        const extra = tooMany(1);
        if (extra) return [extra];
        const next = (values[index! - 1] as number) + (cmd.command === 'increment' ? v : -v);
        values[index! - 1] = this.clampLevel(block, cmd.attribute!, index!, next);
        return [ok(values[index! - 1])];
      }
      case 'toggle': {
        const extra = tooMany(0);
        if (extra) return [extra];
        values[index! - 1] = !values[index! - 1];
        return [ok(values[index! - 1])];
      }
      case 'subscribe': {
        const token = args[0];
        if (typeof token !== 'string' || token.length === 0) return [parseError(rest[0]?.at ?? line.length, 'expected a publish token')];
        const rate = args.length > 1 ? args[1] : 0;
        if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 0) return [parseError(rest[1].at, 'expected a rate in ms')];
        const extra = tooMany(2);
        if (extra) return [extra];
        const old = s.subs.get(token);
        if (old?.timer) clearInterval(old.timer);
        const sub = { session: s.id, instance: cmd.instance, attribute: cmd.attribute!, index, token, rateMs: rate, timer: null as NodeJS.Timeout | null };
        if (rate > 0) {
          sub.timer = setInterval(() => this.publish(s, sub), rate);
          sub.timer.unref();
        }
        s.subs.set(token, sub);
        return [this.publication(s, sub), ok()];
      }
      case 'unsubscribe': {
        const token = args[0];
        if (typeof token !== 'string') return [parseError(rest[0]?.at ?? line.length, 'expected a publish token')];
        const sub = s.subs.get(token);
        if (sub?.timer) clearInterval(sub.timer);
        s.subs.delete(token);
        return [ok()];
      }
    }
    return [parseError(cmdTok.at, `unknown command '${cmd.command}'`)];
  }

  private publication(s: SimSession, sub: TesiraSimSubscription): string {
    const block = this.blocks.get(sub.instance)!;
    const attr = ATTRIBUTES[block.type][sub.attribute];
    const value = attr.kind === 'count' ? block.channels : block.values[sub.attribute][(sub.index ?? 1) - 1];
    return encodePublish(sub.token, value, { verbose: s.verbose, numbers: attr.kind === 'count' ? 'auto' : 'float' });
  }

  private publish(s: SimSession, sub: TesiraSimSubscription): void {
    if (this.sessions.has(s.id)) this.sendLine(s, this.publication(s, sub));
  }

  private clampLevel(block: Block, attribute: string, index: number, v: number): number {
    if (attribute !== 'level') return v;
    const lo = block.values.minLevel?.[index - 1] as number | undefined;
    const hi = block.values.maxLevel?.[index - 1] as number | undefined;
    return Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v));
  }

  private sendLine(s: SimSession, line: string): void {
    if (!this.sessions.has(s.id) || s.socket.destroyed) return;
    const entry: SimLine = { session: s.id, line, time: process.hrtime.bigint() };
    this.log(this.sent, entry);
    this.emit('reply', entry);
    s.socket.write(`${line}\r\n`);
  }

  private log(list: SimLine[], entry: SimLine): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
