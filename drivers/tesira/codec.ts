// Biamp Tesira Text Protocol (TTP) over Telnet, protocols.md §4.3. Pure: no I/O, no timers, so the driver and
// the simulator share one definition of every byte and line.
//
// Three layers:
//  * Telnet: the server opens with IAC DO/WILL option requests; a raw-TCP client refuses every one of them
//    (DO → WONT, WILL → DONT) or the session never starts. `TelnetParser` separates IAC sequences from data.
//  * Lines: LF-terminated text (the server sends CR LF); `TtpLineSplitter` reassembles them from chunks.
//  * TTP: `InstanceTag command attribute [index…] [value]` and the replies `+OK`, `+OK "value":…`, `-ERR …` and
//    subscription publications `! "publishToken":"X" "value":…` (verbose) / `! "X" …` (non-verbose).
import { StringDecoder } from 'node:string_decoder';

/** The only error the decoders throw. `at` is the character offset of the problem when known. */
export class TesiraDecodeError extends Error {
  constructor(
    readonly kind: 'syntax' | 'value' | 'length',
    message: string,
    readonly at: number | null = null,
  ) {
    super(message);
    this.name = 'TesiraDecodeError';
  }
}

// ---------------------------------------------------------------------------------------------
// Telnet (RFC 854/855)
// ---------------------------------------------------------------------------------------------

export const IAC = 0xff;
export const DONT = 0xfe;
export const DO = 0xfd;
export const WONT = 0xfc;
export const WILL = 0xfb;
export const SB = 0xfa;
export const SE = 0xf0;

export type TelnetVerb = 'DO' | 'DONT' | 'WILL' | 'WONT';
const VERB_BYTE: Record<TelnetVerb, number> = { DO, DONT, WILL, WONT };
const BYTE_VERB: Record<number, TelnetVerb> = { [DO]: 'DO', [DONT]: 'DONT', [WILL]: 'WILL', [WONT]: 'WONT' };

/** Options a Tesira server asks for (Biamp "Telnet session negotiation in Tesira"; NetLinx raw_tcp.axi). */
export const TelnetOption = {
  binary: 0x00,
  echo: 0x01,
  suppressGoAhead: 0x03,
  status: 0x05,
  timingMark: 0x06,
  terminalType: 0x18,
  windowSize: 0x1f,
  terminalSpeed: 0x20,
  remoteFlowControl: 0x21,
  linemode: 0x22,
  xDisplayLocation: 0x23,
  environment: 0x24,
  newEnvironment: 0x27,
} as const;

export interface TelnetNegotiation {
  verb: TelnetVerb;
  option: number;
}

export type TelnetEvent =
  | { type: 'negotiation'; verb: TelnetVerb; option: number }
  | { type: 'subnegotiation'; option: number; data: Buffer }
  | { type: 'command'; code: number }; // NOP, GA, AYT, … (IAC followed by 241..249)

export function encodeNegotiation(verb: TelnetVerb, option: number): Buffer {
  if (!Number.isInteger(option) || option < 0 || option > 0xff) throw new RangeError(`telnet option must be 0..255, got ${option}`);
  return Buffer.from([IAC, VERB_BYTE[verb], option]);
}

/**
 * The raw-TCP client's answer to a negotiation: refuse everything. DO x → WONT x, WILL x → DONT x. DONT and
 * WONT are acknowledgements and get no answer (answering them would loop).
 */
export function refusalFor(n: TelnetNegotiation): Buffer | null {
  if (n.verb === 'DO') return encodeNegotiation('WONT', n.option);
  if (n.verb === 'WILL') return encodeNegotiation('DONT', n.option);
  return null;
}

/** True when `answer` refuses `request` (what the simulator waits for before its banner). */
export function isRefusal(request: TelnetNegotiation, answer: TelnetNegotiation): boolean {
  return answer.option === request.option && ((request.verb === 'DO' && answer.verb === 'WONT') || (request.verb === 'WILL' && answer.verb === 'DONT'));
}

const MAX_SUBNEGOTIATION = 512;

/**
 * Splits a byte stream into data and Telnet events. Sequences may be split across chunks at any byte.
 * IAC IAC is a data byte 0xFF. It never throws: an oversized subnegotiation is cut (counted in `discarded`).
 */
export class TelnetParser {
  private state: 'data' | 'iac' | 'verb' | 'sb-option' | 'sb' | 'sb-iac' = 'data';
  private verb = 0;
  private sbOption = 0;
  private sb: number[] = [];
  discarded = 0;

  push(chunk: Uint8Array): { data: Buffer; events: TelnetEvent[] } {
    const data: number[] = [];
    const events: TelnetEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'data':
          if (b === IAC) this.state = 'iac';
          else data.push(b);
          break;
        case 'iac':
          if (b === IAC) {
            data.push(IAC);
            this.state = 'data';
          } else if (b >= WILL && b <= DONT) {
            this.verb = b;
            this.state = 'verb';
          } else if (b === SB) this.state = 'sb-option';
          else {
            events.push({ type: 'command', code: b });
            this.state = 'data';
          }
          break;
        case 'verb':
          events.push({ type: 'negotiation', verb: BYTE_VERB[this.verb], option: b });
          this.state = 'data';
          break;
        case 'sb-option':
          this.sbOption = b;
          this.sb = [];
          this.state = 'sb';
          break;
        case 'sb':
          if (b === IAC) this.state = 'sb-iac';
          else this.sbByte(b);
          break;
        case 'sb-iac':
          if (b === SE) {
            events.push({ type: 'subnegotiation', option: this.sbOption, data: Buffer.from(this.sb) });
            this.sb = [];
            this.state = 'data';
          } else {
            if (b === IAC) this.sbByte(IAC);
            this.state = 'sb';
          }
          break;
      }
    }
    return { data: Buffer.from(data), events };
  }

  private sbByte(b: number): void {
    if (this.sb.length < MAX_SUBNEGOTIATION) this.sb.push(b);
    else this.discarded++;
  }
}

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

export const MAX_LINE = 64 * 1024;

/** Reassembles LF-terminated lines (CR stripped) from UTF-8 chunks. An overlong line is dropped, not kept. */
export class TtpLineSplitter {
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  private skipping = false;
  discardedLines = 0;

  constructor(private readonly maxLine = MAX_LINE) {}

  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk));
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    const lines: string[] = [];
    for (const p of parts) {
      if (this.skipping) {
        this.skipping = false; // the tail of an overlong line
        continue;
      }
      lines.push(p.endsWith('\r') ? p.slice(0, -1) : p);
    }
    if (this.partial.length > this.maxLine) {
      this.partial = '';
      if (!this.skipping) this.discardedLines++;
      this.skipping = true;
    }
    return lines;
  }

  /** The text received since the last LF (e.g. a banner or prompt without a line end). */
  get pending(): string {
    return this.partial;
  }
}

export const BANNER = 'Welcome to the Tesira Text Protocol Server...';
/** Matches the banner; some firmware says "Welcome to the Text Protocol Server". */
export const BANNER_PATTERN = /Welcome to the (?:Tesira )?Text Protocol Server/;

// ---------------------------------------------------------------------------------------------
// Values: Tesira's JSON-like notation without commas: -10.000000, true, "text", [1 2], {"a":1 "b":2}
// ---------------------------------------------------------------------------------------------

export type TtpValue = number | boolean | string | TtpValue[] | { [key: string]: TtpValue };

const MAX_DEPTH = 32;
const NUMBER_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/** A cursor over one line. Every failure is a TesiraDecodeError with the offset. */
class Reader {
  pos: number;
  constructor(
    readonly text: string,
    start = 0,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipSpaces(): number {
    const from = this.pos;
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
    return this.pos - from;
  }
  fail(why: string, kind: 'syntax' | 'value' = 'value'): TesiraDecodeError {
    return new TesiraDecodeError(kind, `${why} at ${this.pos}: ${abbreviate(this.text)}`, this.pos);
  }

  quoted(): string {
    if (this.peek() !== '"') throw this.fail('expected "');
    this.pos++;
    let out = '';
    for (;;) {
      if (this.done) throw this.fail('unterminated string');
      const c = this.text[this.pos++];
      if (c === '"') return out;
      if (c === '\\') {
        if (this.done) throw this.fail('unterminated escape');
        const e = this.text[this.pos++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else out += c;
    }
  }

  value(depth = 0): TtpValue {
    if (depth > MAX_DEPTH) throw this.fail('value nested too deeply');
    const c = this.peek();
    if (c === '"') return this.quoted();
    if (c === '[') {
      this.pos++;
      const items: TtpValue[] = [];
      for (;;) {
        this.skipSeparators();
        if (this.peek() === ']') {
          this.pos++;
          return items;
        }
        if (this.done) throw this.fail('unterminated list');
        items.push(this.value(depth + 1));
      }
    }
    if (c === '{') {
      this.pos++;
      const obj: Record<string, TtpValue> = {};
      for (;;) {
        this.skipSeparators();
        if (this.peek() === '}') {
          this.pos++;
          return obj;
        }
        if (this.done) throw this.fail('unterminated object');
        const key = this.quoted();
        if (this.peek() !== ':') throw this.fail('expected : after a key');
        this.pos++;
        setField(obj, key, this.value(depth + 1));
      }
    }
    const rest = this.text.slice(this.pos);
    const num = NUMBER_RE.exec(rest);
    if (num) {
      const v = Number(num[0]);
      if (!Number.isFinite(v)) throw this.fail('number out of range');
      this.pos += num[0].length;
      return v;
    }
    if (rest.startsWith('true')) {
      this.pos += 4;
      return true;
    }
    if (rest.startsWith('false')) {
      this.pos += 5;
      return false;
    }
    throw this.fail('expected a value');
  }

  private skipSeparators(): void {
    while (!this.done && (this.peek() === ' ' || this.peek() === ',' || this.peek() === '\t')) this.pos++;
  }

  /** Ensures a value ended at a separator (so `12abc` is not read as 12). */
  endOfToken(): void {
    if (!this.done && this.peek() !== ' ' && this.peek() !== '\t') throw this.fail('unexpected character after a value');
  }
}

/** Object keys such as "__proto__" must be plain data, never a prototype change. */
function setField(obj: Record<string, TtpValue>, key: string, value: TtpValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const abbreviate = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** Parses one TTP value (e.g. `-10.000000`, `[1 2]`, `{"a":true}`); the whole text must be the value. */
export function parseValue(text: string): TtpValue {
  const r = new Reader(text);
  r.skipSpaces();
  const v = r.value();
  r.skipSpaces();
  if (!r.done) throw r.fail('unexpected text after the value');
  return v;
}

/** `float` prints every number the way Tesira prints gains (-10.000000); `auto` prints integers bare. */
export function formatValue(v: TtpValue, numbers: 'float' | 'auto' = 'auto'): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('TTP numbers must be finite');
    return numbers === 'float' || !Number.isInteger(v) ? v.toFixed(6) : String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, numbers)).join(' ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${quote(k)}:${formatValue(x, numbers)}`)
    .join(' ')}}`;
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;

// ---------------------------------------------------------------------------------------------
// Commands: InstanceTag command attribute [index…] [value] LF
// ---------------------------------------------------------------------------------------------

export type TtpArg = number | boolean | string;

export interface TtpCommand {
  instance: string;
  command: string; // get | set | increment | decrement | toggle | subscribe | unsubscribe | recallPreset | …
  attribute?: string; // absent for service commands such as `DEVICE recallPreset 1001`
  args: TtpArg[]; // indices, then the value / token and rate
}

/** Service instance tags that are not DSP blocks. */
export const SESSION = 'SESSION';
export const DEVICE = 'DEVICE';

const SAFE_TOKEN = /^[^\s"\\\x00-\x1f\x7f]+$/;
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f]/; // control characters other than TAB (LF would end the command)

/** Formats a number as a TTP argument: integers bare, others with up to 6 decimals (no exponent). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`TTP numbers must be finite, got ${n}`);
  if (Number.isInteger(n)) return String(n);
  const s = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

function formatArg(a: TtpArg): string {
  if (typeof a === 'number') return formatNumber(a);
  if (typeof a === 'boolean') return a ? 'true' : 'false';
  if (FORBIDDEN.test(a)) throw new RangeError('TTP arguments cannot contain control characters');
  if (a !== 'true' && a !== 'false' && !NUMBER_RE.test(a) && SAFE_TOKEN.test(a)) return a;
  return quote(a);
}

/** An instance tag or word: bare when it has no spaces/quotes, otherwise quoted (`"Level 1" get level 1`). */
function formatWord(w: string, what: string): string {
  if (w.length === 0) throw new RangeError(`${what} must not be empty`);
  if (FORBIDDEN.test(w)) throw new RangeError(`${what} cannot contain control characters`);
  return SAFE_TOKEN.test(w) ? w : quote(w);
}

export function encodeCommand(c: TtpCommand): string {
  const words = [formatWord(c.instance, 'instance tag'), formatWord(c.command, 'command')];
  if (c.attribute !== undefined) words.push(formatWord(c.attribute, 'attribute'));
  for (const a of c.args) words.push(formatArg(a));
  return `${words.join(' ')}\n`;
}

/** `Level1 set mute 1 true` */
export const setCommand = (instance: string, attribute: string, indices: number[], value: TtpArg): TtpCommand => ({
  instance,
  command: 'set',
  attribute,
  args: [...indices, value],
});
export const getCommand = (instance: string, attribute: string, indices: number[] = []): TtpCommand => ({ instance, command: 'get', attribute, args: indices });
/** `Level1 subscribe level 1 MyLabel 500` */
export const subscribeCommand = (instance: string, attribute: string, indices: number[], token: string, rateMs: number): TtpCommand => ({
  instance,
  command: 'subscribe',
  attribute,
  args: [...indices, token, rateMs],
});
export const unsubscribeCommand = (instance: string, attribute: string, indices: number[], token: string): TtpCommand => ({
  instance,
  command: 'unsubscribe',
  attribute,
  args: [...indices, token],
});
export const verboseCommand = (on: boolean): TtpCommand => ({ instance: SESSION, command: 'set', attribute: 'verbose', args: [on] });

export interface TtpToken {
  text: string; // unquoted content
  quoted: boolean;
  at: number; // offset in the line
}

/** Splits a command line into words; quoted words may contain spaces. Throws on an unterminated quote. */
export function tokenize(line: string): TtpToken[] {
  if (line.length > MAX_LINE) throw new TesiraDecodeError('length', `line longer than ${MAX_LINE} characters`, MAX_LINE);
  const r = new Reader(line);
  const tokens: TtpToken[] = [];
  for (;;) {
    r.skipSpaces();
    if (r.done) return tokens;
    const at = r.pos;
    if (r.peek() === '"') {
      const text = r.quoted();
      r.endOfToken();
      tokens.push({ text, quoted: true, at });
    } else {
      while (!r.done && r.peek() !== ' ' && r.peek() !== '\t') {
        if (r.peek() === '"') throw new TesiraDecodeError('syntax', `unexpected " at ${r.pos}`, r.pos);
        r.pos++;
      }
      tokens.push({ text: line.slice(at, r.pos), quoted: false, at });
    }
  }
}

/** Reads a bare argument back: numbers and true/false become values, anything quoted stays a string. */
export function argFromToken(t: TtpToken): TtpArg {
  if (t.quoted) return t.text;
  if (t.text === 'true') return true;
  if (t.text === 'false') return false;
  const m = NUMBER_RE.exec(t.text);
  if (m && m[0] === t.text) return Number(t.text);
  return t.text;
}

/**
 * Decodes a command line (what the server receives). Structure only: which commands and attributes exist is the
 * device's business. `DEVICE recallPreset 1001` has no attribute; everything else needs one.
 */
export function decodeCommand(line: string): TtpCommand & { tokens: TtpToken[] } {
  if (FORBIDDEN.test(line.replace(/\r$/, ''))) throw new TesiraDecodeError('syntax', 'control character in a command line', line.search(FORBIDDEN));
  const tokens = tokenize(line.replace(/\r$/, ''));
  if (tokens.length === 0) throw new TesiraDecodeError('syntax', 'empty command line', 0);
  if (tokens.length === 1) throw new TesiraDecodeError('syntax', `missing command after "${tokens[0].text}" at ${line.length}`, line.length);
  const [instance, command, ...rest] = tokens;
  const serviceCommand = instance.text === DEVICE && !['get', 'set', 'subscribe', 'unsubscribe'].includes(command.text);
  if (serviceCommand) return { instance: instance.text, command: command.text, args: rest.map(argFromToken), tokens };
  if (rest.length === 0) throw new TesiraDecodeError('syntax', `missing attribute after "${command.text}" at ${line.length}`, line.length);
  const [attribute, ...args] = rest;
  return { instance: instance.text, command: command.text, attribute: attribute.text, args: args.map(argFromToken), tokens };
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

export type TtpErrorKind = 'address-not-found' | 'parse' | 'not-supported' | 'other';

export type TtpReply =
  /** `+OK`, `+OK "value":-10.000000` (verbose: fields), `+OK -10.000000` (non-verbose: value only). */
  | { type: 'ok'; value: TtpValue | undefined; fields: Record<string, TtpValue> }
  /** `-ERR …` (and the rarer `-CANNOT_DELIVER`, `-GENERAL_FAILURE`). */
  | { type: 'error'; kind: TtpErrorKind; message: string; at: number | null }
  /** `! "publishToken":"X" "value":…` (verbose) or `! "X" …` (non-verbose). */
  | { type: 'publish'; token: string; value: TtpValue; fields: Record<string, TtpValue> }
  /** Anything else: the banner, an echoed command, a blank line. */
  | { type: 'text'; text: string };

/** Reads `"key":value "key":value …` to the end of the line. */
function readFields(r: Reader): Record<string, TtpValue> {
  const fields: Record<string, TtpValue> = {};
  for (;;) {
    r.skipSpaces();
    if (r.done) return fields;
    const key = r.quoted();
    if (r.peek() !== ':') throw r.fail('expected : after a key');
    r.pos++;
    setField(fields, key, r.value());
    r.endOfToken();
  }
}

/** True when the text at the reader is `"…":`, i.e. a verbose key rather than a bare string value. */
function atKey(r: Reader): boolean {
  if (r.peek() !== '"') return false;
  const save = r.pos;
  try {
    r.quoted();
    return r.peek() === ':';
  } catch {
    return false;
  } finally {
    r.pos = save;
  }
}

const ERR_ADDRESS = 'address not found';
const ERR_PARSE = /^Parse error at (\d+)/;
const ERR_NOT_SUPPORTED = /^'[^']*' is not supported/;

/** Decodes one received line (CR/LF already stripped). Throws TesiraDecodeError, nothing else. */
export function decodeReply(line: string): TtpReply {
  if (line.length > MAX_LINE) throw new TesiraDecodeError('length', `line longer than ${MAX_LINE} characters`, MAX_LINE);
  if (line.startsWith('+OK')) {
    const r = new Reader(line, 3);
    if (!r.done && r.skipSpaces() === 0) throw r.fail('expected a space after +OK', 'syntax');
    if (r.done) return { type: 'ok', value: undefined, fields: {} };
    if (atKey(r)) {
      const fields = readFields(r);
      return { type: 'ok', value: fields.value ?? fields.list, fields };
    }
    const value = r.value();
    r.skipSpaces();
    if (!r.done) throw r.fail('unexpected text after the value');
    return { type: 'ok', value, fields: {} };
  }
  if (line.startsWith('-')) {
    const body = line.startsWith('-ERR') ? line.slice(4).trimStart() : line.slice(1);
    if (!line.startsWith('-ERR')) return { type: 'error', kind: 'other', message: body, at: null };
    if (body.startsWith(ERR_ADDRESS)) return { type: 'error', kind: 'address-not-found', message: body, at: null };
    const parse = ERR_PARSE.exec(body);
    if (parse) return { type: 'error', kind: 'parse', message: body, at: Number(parse[1]) };
    if (ERR_NOT_SUPPORTED.test(body)) return { type: 'error', kind: 'not-supported', message: body, at: null };
    return { type: 'error', kind: 'other', message: body, at: null };
  }
  if (line.startsWith('!')) {
    const r = new Reader(line, 1);
    r.skipSpaces();
    if (atKey(r)) {
      const fields = readFields(r);
      const token = fields.publishToken;
      if (typeof token !== 'string') throw new TesiraDecodeError('syntax', `publication without a publishToken: ${abbreviate(line)}`, 1);
      if (!('value' in fields)) throw new TesiraDecodeError('syntax', `publication without a value: ${abbreviate(line)}`, 1);
      return { type: 'publish', token, value: fields.value, fields };
    }
    // Non-verbose: the token (quoted or bare), then the value.
    let token: string;
    if (r.peek() === '"') token = r.quoted();
    else {
      const from = r.pos;
      while (!r.done && r.peek() !== ' ') r.pos++;
      token = line.slice(from, r.pos);
    }
    if (token.length === 0) throw r.fail('publication without a token', 'syntax');
    if (r.skipSpaces() === 0) throw r.fail('expected a value after the publish token', 'syntax');
    const value = r.value();
    r.skipSpaces();
    if (!r.done) throw r.fail('unexpected text after the value');
    return { type: 'publish', token, value, fields: {} };
  }
  return { type: 'text', text: line };
}

/** Reply lines as the server writes them (without CR LF). */
export function encodeOk(value?: TtpValue, opts: { verbose?: boolean; numbers?: 'float' | 'auto'; key?: string } = {}): string {
  if (value === undefined) return '+OK';
  const v = formatValue(value, opts.numbers);
  return (opts.verbose ?? true) ? `+OK ${quote(opts.key ?? 'value')}:${v}` : `+OK ${v}`;
}
export const encodeError = (message: string) => `-ERR ${message}`;
export const addressNotFound = (address = { deviceId: 0, classCode: 0, instanceNum: 0 }) =>
  `-ERR address not found: {"deviceId":${address.deviceId} "classCode":${address.classCode} "instanceNum":${address.instanceNum}}`;
export const parseError = (at: number, why: string) => `-ERR Parse error at ${at}: ${why}`;
export const notSupported = (what: string, detail = '') => `-ERR '${what}' is not supported${detail ? ` ${detail}` : ''}`;
export function encodePublish(token: string, value: TtpValue, opts: { verbose?: boolean; numbers?: 'float' | 'auto' } = {}): string {
  const v = formatValue(value, opts.numbers);
  return (opts.verbose ?? true) ? `! "publishToken":${quote(token)} "value":${v}` : `! ${quote(token)} ${v}`;
}

export function encodeReply(r: TtpReply, opts: { verbose?: boolean; numbers?: 'float' | 'auto' } = {}): string {
  switch (r.type) {
    case 'ok':
      if (Object.keys(r.fields).length > 0) return `+OK ${Object.entries(r.fields).map(([k, v]) => `${quote(k)}:${formatValue(v, opts.numbers)}`).join(' ')}`;
      return encodeOk(r.value, { ...opts, verbose: false });
    case 'error':
      return `-ERR ${r.message}`;
    case 'publish':
      return encodePublish(r.token, r.value, opts);
    case 'text':
      return r.text;
  }
}
