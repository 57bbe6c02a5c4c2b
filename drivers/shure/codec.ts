// Shure MXA910 / MXA710 / P300 command strings over TCP 2202, protocols.md §4.4. Pure: no I/O, no timers.
//
//   < GET [nn] PARAM >          → < REP [nn] PARAM value >     (also sent unsolicited when a value changes)
//   < SET [nn] PARAM value >    → < REP [nn] PARAM value >
//   unknown / refused           → < REP ERR >
//   metering                    → < SAMPLE aaa bbb ccc … >      at METER_RATE ms (00000 = off, min 00100)
//
// `nn` is a two-digit channel (MXA910 01–08, 09 = automix; P300 00–28). Strings travel in braces padded with
// spaces: `< REP DEVICE_ID {Phong hop 1                    } >`. There is no line terminator and no Telnet
// negotiation; a TCP chunk may hold several messages or part of one, so `ShureStreamParser` reassembles them.
import { StringDecoder } from 'node:string_decoder';

export const SHURE_PORT = 2202;

/** The only error the decoders throw. */
export class ShureDecodeError extends Error {
  constructor(
    readonly kind: 'syntax' | 'length',
    message: string,
  ) {
    super(message);
    this.name = 'ShureDecodeError';
  }
}

export type ShureMessage =
  | { type: 'get'; channel: number | null; param: string }
  | { type: 'set'; channel: number | null; param: string; value: string }
  | { type: 'rep'; channel: number | null; param: string; value: string }
  | { type: 'rep-error' }
  | { type: 'sample'; values: number[] };

export const MAX_FRAME = 2048;
export const MAX_CHANNEL = 99;
const PARAM_RE = /^[A-Z][A-Z0-9_]*$/;
const CHANNEL_RE = /^\d{2}$/;
const SAMPLE_RE = /^\d{1,3}$/;
const FORBIDDEN = /[<>\x00-\x1f\x7f]/;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function checkParam(param: string): void {
  if (!PARAM_RE.test(param)) throw new RangeError(`Shure parameter names are upper-case words, got "${param}"`);
}
function channelWord(channel: number | null | undefined): string[] {
  if (channel === null || channel === undefined) return [];
  if (!Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL) throw new RangeError(`channel must be an integer in 0..${MAX_CHANNEL}, got ${channel}`);
  return [String(channel).padStart(2, '0')];
}
function checkValue(value: string): void {
  if (value.length === 0 || value.trim() !== value || FORBIDDEN.test(value)) throw new RangeError(`a Shure value must be non-empty text without < > or control characters, got "${value}"`);
  if (/[{}]/.test(value) && !/^\{[^{}]*\}$/.test(value)) throw new RangeError('braces must enclose the whole value');
}

export function encodeMessage(m: ShureMessage): string {
  switch (m.type) {
    case 'get':
      checkParam(m.param);
      return `< ${['GET', ...channelWord(m.channel), m.param].join(' ')} >`;
    case 'set':
    case 'rep':
      checkParam(m.param);
      checkValue(m.value);
      return `< ${[m.type === 'set' ? 'SET' : 'REP', ...channelWord(m.channel), m.param, m.value].join(' ')} >`;
    case 'rep-error':
      return '< REP ERR >';
    case 'sample':
      if (m.values.length === 0) throw new RangeError('a SAMPLE needs at least one value');
      for (const v of m.values) if (!Number.isInteger(v) || v < 0 || v > 999) throw new RangeError(`sample values are 0..999, got ${v}`);
      return `< SAMPLE ${m.values.map((v) => String(v).padStart(3, '0')).join(' ')} >`;
  }
}

export const encodeGet = (param: string, channel: number | null = null) => encodeMessage({ type: 'get', channel, param });
export const encodeSet = (param: string, value: string, channel: number | null = null) => encodeMessage({ type: 'set', channel, param, value });
export const encodeRep = (param: string, value: string, channel: number | null = null) => encodeMessage({ type: 'rep', channel, param, value });
export const encodeSample = (values: number[]) => encodeMessage({ type: 'sample', values });

/** A string parameter as the device sends it: in braces, padded with spaces to `width` characters. */
export function braced(text: string, width = 31): string {
  if (/[{}<>\x00-\x1f]/.test(text)) throw new RangeError('text cannot contain braces, < > or control characters');
  return `{${text.padEnd(width, ' ')}}`;
}
/** The text inside braces, trailing padding removed; a bare value is returned as it is. */
export const unbraced = (value: string) => (/^\{[^{}]*\}$/.test(value) ? value.slice(1, -1).trimEnd() : value);

/** METER_RATE travels as five digits: 00000 (off) or 00100..99999 ms. */
export const MIN_METER_RATE = 100;
export const MAX_METER_RATE = 99_999;
export function meterRateValue(ms: number): string {
  if (!Number.isInteger(ms) || (ms !== 0 && (ms < MIN_METER_RATE || ms > MAX_METER_RATE))) throw new RangeError(`meter rate must be 0 or ${MIN_METER_RATE}..${MAX_METER_RATE} ms, got ${ms}`);
  return String(ms).padStart(5, '0');
}
export function parseMeterRate(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new ShureDecodeError('syntax', `METER_RATE must be digits, got "${value}"`);
  return Number(value);
}

/** MXA910 SAMPLE values are 000–060 for −60..0 dBFS. */
export const SAMPLE_OFFSET_DB = 60;
export const sampleToDb = (v: number) => v - SAMPLE_OFFSET_DB;
export const dbToSample = (db: number) => Math.min(999, Math.max(0, Math.round(db + SAMPLE_OFFSET_DB)));

/** ON/OFF values (mutes, flags). */
export function parseOnOff(value: string): boolean {
  if (value === 'ON') return true;
  if (value === 'OFF') return false;
  throw new ShureDecodeError('syntax', `expected ON or OFF, got "${value}"`);
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Splits the inside of a frame into words; `{…}` is one word even with spaces inside. */
function words(inner: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < inner.length) {
    if (inner[i] === ' ') {
      i++;
      continue;
    }
    const start = i;
    if (inner[i] === '{') {
      const end = inner.indexOf('}', i);
      if (end < 0) throw new ShureDecodeError('syntax', `unterminated { in "${abbreviate(inner)}"`);
      i = end + 1;
      if (i < inner.length && inner[i] !== ' ') throw new ShureDecodeError('syntax', `text after } in "${abbreviate(inner)}"`);
    } else {
      while (i < inner.length && inner[i] !== ' ') {
        if (inner[i] === '{' || inner[i] === '}') throw new ShureDecodeError('syntax', `unexpected brace in "${abbreviate(inner)}"`);
        i++;
      }
    }
    out.push(inner.slice(start, i));
  }
  return out;
}

/** Decodes one complete frame `< … >`. Throws ShureDecodeError, nothing else. */
export function decodeMessage(frame: string): ShureMessage {
  if (frame.length > MAX_FRAME) throw new ShureDecodeError('length', `frame longer than ${MAX_FRAME} characters`);
  const f = frame.trim();
  if (!f.startsWith('<') || !f.endsWith('>') || f.length < 2) throw new ShureDecodeError('syntax', `not a < … > frame: "${abbreviate(frame)}"`);
  const inner = f.slice(1, -1);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(inner) || /[<>]/.test(inner.replace(/\{[^{}]*\}/g, '{}')))
    throw new ShureDecodeError('syntax', `stray < > or control character in "${abbreviate(frame)}"`);
  const w = words(inner.replace(/\t/g, ' '));
  if (w.length === 0) throw new ShureDecodeError('syntax', 'empty frame');
  const [verb, ...rest] = w;
  if (verb === 'SAMPLE') {
    if (rest.length === 0 || !rest.every((x) => SAMPLE_RE.test(x))) throw new ShureDecodeError('syntax', `SAMPLE takes 1+ numbers of up to 3 digits: "${abbreviate(frame)}"`);
    return { type: 'sample', values: rest.map(Number) };
  }
  if (verb !== 'GET' && verb !== 'SET' && verb !== 'REP') throw new ShureDecodeError('syntax', `unknown message type "${abbreviate(verb)}"`);
  if (verb === 'REP' && rest.length === 1 && rest[0] === 'ERR') return { type: 'rep-error' };
  let channel: number | null = null;
  let i = 0;
  if (rest[0] !== undefined && CHANNEL_RE.test(rest[0])) {
    channel = Number(rest[0]);
    i = 1;
  }
  const param = rest[i];
  if (param === undefined || !PARAM_RE.test(param)) throw new ShureDecodeError('syntax', `${verb} needs a parameter name: "${abbreviate(frame)}"`);
  const value = rest.slice(i + 1).join(' ');
  if (verb === 'GET') {
    if (value !== '') throw new ShureDecodeError('syntax', `GET takes no value: "${abbreviate(frame)}"`);
    return { type: 'get', channel, param };
  }
  if (verb === 'SET') {
    if (value === '') throw new ShureDecodeError('syntax', `SET needs a value: "${abbreviate(frame)}"`);
    return { type: 'set', channel, param, value };
  }
  return { type: 'rep', channel, param, value };
}

const abbreviate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/**
 * Reassembles `< … >` frames from TCP chunks: several per chunk, or one split over several. Bytes outside a
 * frame (line ends, a Telnet client's negotiation, noise) are skipped and counted; a frame that grows past
 * MAX_FRAME without its `>` is dropped so memory stays bounded. A `>` inside `{…}` does not end a frame.
 */
export class ShureStreamParser {
  private buf = '';
  private inFrame = false;
  private inBraces = false;
  private readonly decoder = new StringDecoder('utf8');
  discardedChars = 0;

  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk));
    const frames: string[] = [];
    for (const c of text) {
      if (!this.inFrame) {
        if (c === '<') {
          this.inFrame = true;
          this.inBraces = false;
          this.buf = '<';
        } else this.discardedChars++;
        continue;
      }
      if (c === '<' && !this.inBraces) {
        // A new frame starts before the old one ended: the old one was cut off.
        this.discardedChars += this.buf.length;
        this.buf = '<';
        continue;
      }
      this.buf += c;
      if (c === '{') this.inBraces = true;
      else if (c === '}') this.inBraces = false;
      else if (c === '>' && !this.inBraces) {
        frames.push(this.buf);
        this.buf = '';
        this.inFrame = false;
        continue;
      }
      if (this.buf.length > MAX_FRAME) {
        this.discardedChars += this.buf.length;
        this.buf = '';
        this.inFrame = false;
      }
    }
    return frames;
  }

  /** Returns and forgets a partial frame (e.g. when the socket closes). */
  flush(): string {
    const rest = this.buf;
    this.buf = '';
    this.inFrame = false;
    return rest;
  }
}
