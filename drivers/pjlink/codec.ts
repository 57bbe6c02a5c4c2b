// PJLink (class 1 and 2) lines and values. Pure: no I/O, no timers, so the driver, the simulator and the
// discovery function share one definition of every byte. MD5 (node:crypto) is a pure function here.
// Facts: ../shared/reference/protocols.md §3.1 (PJLink spec v1.04 / v2.00, pypjlink protocol.py).
//
//   command   `%` class body SP param CR        e.g. `%1POWR 1\r`, query `%1POWR ?\r`
//   response  `%` class body `=` value CR       e.g. `%1POWR=OK\r`, `%1POWR=ERR3\r`, `%1POWR=1\r`
//   greeting  `PJLINK 0\r` (no auth) | `PJLINK 1 <random>\r`; wrong password → `PJLINK ERRA\r`
//   search    `%2SRCH\r` by UDP 4352 → `%2ACKN=<MAC>\r`
import { createHash } from 'node:crypto';

/** The only error the decoders throw. */
export class PjlinkDecodeError extends Error {
  constructor(
    readonly kind: 'syntax' | 'length',
    message: string,
  ) {
    super(message);
    this.name = 'PjlinkDecodeError';
  }
}

export const PJLINK_PORT = 4352;
export const CR = '\r';
/** Parameter / response value limit (spec: 128 bytes). */
export const MAX_PARAM = 128;
/** `%1BODY=` + 128 + CR, plus a 32-char digest prefix on the first line of an authenticated session. */
export const MAX_LINE = 7 + MAX_PARAM + 1 + 32;

export type PjlinkClass = 1 | 2;
export type PjlinkErrorCode = 'ERR1' | 'ERR2' | 'ERR3' | 'ERR4' | 'ERRA';
export const ERROR_CODES: readonly PjlinkErrorCode[] = ['ERR1', 'ERR2', 'ERR3', 'ERR4', 'ERRA'];

/** What each error means (spec v1.04 §4). */
export const ERROR_MEANINGS: Record<PjlinkErrorCode, string> = {
  ERR1: 'undefined command',
  ERR2: 'out of parameter',
  ERR3: 'unavailable time',
  ERR4: 'projector/display failure',
  ERRA: 'authorization error',
};

export interface PjlinkCommand {
  cls: PjlinkClass;
  /** Four characters A–Z / 0–9, e.g. POWR. */
  body: string;
  /** `?` for a query; otherwise the setting (may be empty for a few class 2 commands). */
  param: string;
}

export type PjlinkResponse =
  | { cls: PjlinkClass; body: string; kind: 'ok' }
  | { cls: PjlinkClass; body: string; kind: 'error'; error: PjlinkErrorCode }
  | { cls: PjlinkClass; body: string; kind: 'value'; value: string };

export type PjlinkGreeting = { auth: false } | { auth: true; random: string };

/** Anything a projector sends on its TCP connection. */
export type PjlinkLine = { type: 'greeting'; greeting: PjlinkGreeting } | { type: 'auth-error' } | { type: 'response'; response: PjlinkResponse };

const BODY_RE = /^[A-Z0-9]{4}$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const show = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

function checkClass(cls: number): asserts cls is PjlinkClass {
  if (cls !== 1 && cls !== 2) throw new RangeError(`PJLink class must be 1 or 2, got ${cls}`);
}
function checkBody(body: string): void {
  if (!BODY_RE.test(body)) throw new RangeError(`PJLink command body must be 4 characters A-Z/0-9, got ${show(body)}`);
}
function checkParam(what: string, param: string): void {
  if (param.length > MAX_PARAM) throw new RangeError(`${what} is longer than ${MAX_PARAM} characters`);
  if (!PRINTABLE_RE.test(param)) throw new RangeError(`${what} must be printable ASCII without CR, got ${show(param)}`);
}

/** Strips one trailing CR (and a tolerated LF) that a line splitter may have left. */
const unterminate = (line: string) => (line.endsWith('\r\n') ? line.slice(0, -2) : line.endsWith('\r') ? line.slice(0, -1) : line);

// ---------------------------------------------------------------------------------------------
// Commands (controller → projector)
// ---------------------------------------------------------------------------------------------

export function encodeCommand(c: PjlinkCommand): string {
  checkClass(c.cls);
  checkBody(c.body);
  checkParam('PJLink parameter', c.param);
  return `%${c.cls}${c.body} ${c.param}${CR}`;
}

export const query = (cls: PjlinkClass, body: string): PjlinkCommand => ({ cls, body, param: '?' });

/** Decodes one command line (with or without its CR); the digest prefix must have been split off first. */
export function decodeCommand(line: string): PjlinkCommand {
  const l = unterminate(line);
  if (l.length > 7 + MAX_PARAM) throw new PjlinkDecodeError('length', `command line longer than ${7 + MAX_PARAM} characters`);
  if (l[0] !== '%') throw new PjlinkDecodeError('syntax', `command does not start with %: ${show(l)}`);
  const cls = l.charCodeAt(1) - 0x30;
  if (cls !== 1 && cls !== 2) throw new PjlinkDecodeError('syntax', `unknown PJLink class ${show(l.slice(1, 2))}`);
  const body = l.slice(2, 6);
  if (!BODY_RE.test(body)) throw new PjlinkDecodeError('syntax', `bad command body ${show(body)}`);
  if (l[6] !== ' ') throw new PjlinkDecodeError('syntax', `no space after the command body: ${show(l)}`);
  const param = l.slice(7);
  if (!PRINTABLE_RE.test(param)) throw new PjlinkDecodeError('syntax', 'parameter has non-printable characters');
  return { cls, body, param };
}

/** The first line of an authenticated session is `<32 hex digest>%1POWR ?`; later lines have no prefix. */
export function splitAuthPrefix(line: string): { digest: string | null; command: string } {
  const m = /^([0-9a-fA-F]{32})(%.*)$/s.exec(line);
  return m ? { digest: m[1], command: m[2] } : { digest: null, command: line };
}

/** Lowercase hex MD5(random + password) — spec example: `498e4a67` + `JBMIAProjectorLink` → `5d8409bc…`. */
export function authDigest(random: string, password: string): string {
  return createHash('md5').update(random + password, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Responses and greetings (projector → controller)
// ---------------------------------------------------------------------------------------------

export function encodeResponse(r: PjlinkResponse): string {
  checkClass(r.cls);
  checkBody(r.body);
  if (r.kind === 'ok') return `%${r.cls}${r.body}=OK${CR}`;
  if (r.kind === 'error') {
    if (!ERROR_CODES.includes(r.error)) throw new RangeError(`unknown PJLink error ${show(r.error)}`);
    return `%${r.cls}${r.body}=${r.error}${CR}`;
  }
  checkParam('PJLink response value', r.value);
  return `%${r.cls}${r.body}=${r.value}${CR}`;
}

export const okResponse = (cls: PjlinkClass, body: string): PjlinkResponse => ({ cls, body, kind: 'ok' });
export const errorResponse = (cls: PjlinkClass, body: string, error: PjlinkErrorCode): PjlinkResponse => ({ cls, body, kind: 'error', error });
export const valueResponse = (cls: PjlinkClass, body: string, value: string): PjlinkResponse => ({ cls, body, kind: 'value', value });

export function decodeResponse(line: string): PjlinkResponse {
  const l = unterminate(line);
  if (l.length > 7 + MAX_PARAM) throw new PjlinkDecodeError('length', `response longer than ${7 + MAX_PARAM} characters`);
  if (l[0] !== '%') throw new PjlinkDecodeError('syntax', `response does not start with %: ${show(l)}`);
  const cls = l.charCodeAt(1) - 0x30;
  if (cls !== 1 && cls !== 2) throw new PjlinkDecodeError('syntax', `unknown PJLink class in response ${show(l)}`);
  const body = l.slice(2, 6);
  if (!BODY_RE.test(body)) throw new PjlinkDecodeError('syntax', `bad response body ${show(body)}`);
  if (l[6] !== '=') throw new PjlinkDecodeError('syntax', `no = after the response body: ${show(l)}`);
  const value = l.slice(7);
  if (!PRINTABLE_RE.test(value)) throw new PjlinkDecodeError('syntax', 'response value has non-printable characters');
  if (value === 'OK') return { cls, body, kind: 'ok' };
  if ((ERROR_CODES as readonly string[]).includes(value)) return { cls, body, kind: 'error', error: value as PjlinkErrorCode };
  return { cls, body, kind: 'value', value };
}

export const RANDOM_RE = /^[\x21-\x7e]{1,32}$/;

export function encodeGreeting(g: PjlinkGreeting): string {
  if (!g.auth) return `PJLINK 0${CR}`;
  if (!RANDOM_RE.test(g.random)) throw new RangeError('the greeting random must be 1..32 printable characters without spaces');
  return `PJLINK 1 ${g.random}${CR}`;
}
export const AUTH_ERROR_LINE = `PJLINK ERRA${CR}`;

export function decodeGreeting(line: string): PjlinkGreeting {
  const l = unterminate(line);
  if (l === 'PJLINK 0') return { auth: false };
  const m = /^PJLINK 1 (\S+)$/.exec(l);
  if (m && RANDOM_RE.test(m[1])) return { auth: true, random: m[1] };
  throw new PjlinkDecodeError('syntax', `not a PJLink greeting: ${show(l)}`);
}

/** Decodes any line a projector sends over TCP. */
export function decodeLine(line: string): PjlinkLine {
  const l = unterminate(line);
  if (l === 'PJLINK ERRA') return { type: 'auth-error' };
  if (l.startsWith('PJLINK ')) return { type: 'greeting', greeting: decodeGreeting(l) };
  return { type: 'response', response: decodeResponse(l) };
}

// ---------------------------------------------------------------------------------------------
// Line reassembly (TCP stream → CR-terminated lines)
// ---------------------------------------------------------------------------------------------

/**
 * Collects chunks and returns whole lines without their CR (a LF after the CR is dropped: some projectors
 * send CRLF). A run longer than MAX_LINE without CR is dropped and counted so memory stays bounded.
 */
export class PjlinkLineSplitter {
  private buffered = '';
  discardedChars = 0;

  constructor(private readonly maxLine = MAX_LINE) {}

  push(chunk: string | Uint8Array): string[] {
    const text = this.buffered + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\r') {
        lines.push(text.slice(start, i));
        start = i + 1;
      } else if (ch === '\n' && i === start) {
        start = i + 1; // the LF of a CRLF, or a stray blank LF
      } else if (i - start + 1 > this.maxLine) {
        this.discardedChars += i - start + 1;
        start = i + 1;
      }
    }
    this.buffered = text.slice(start);
    return lines;
  }

  flush(): string {
    const rest = this.buffered;
    this.buffered = '';
    return rest;
  }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

export type PowerStatus = 'standby' | 'on' | 'cooling' | 'warm-up';
const POWER_STATUS: Record<string, PowerStatus> = { '0': 'standby', '1': 'on', '2': 'cooling', '3': 'warm-up' };
export const POWER_STATUS_CODES: Record<PowerStatus, string> = { standby: '0', on: '1', cooling: '2', 'warm-up': '3' };

export function parsePowerStatus(value: string): PowerStatus {
  const s = POWER_STATUS[value];
  if (!s) throw new PjlinkDecodeError('syntax', `POWR status must be 0..3, got ${show(value)}`);
  return s;
}

/** AVMT: 1x video, 2x audio, 3x both; x = 1 mute on, 0 off. */
export interface AvMute {
  video: boolean;
  audio: boolean;
}
export function parseAvMute(value: string): AvMute {
  switch (value) {
    case '10':
    case '20':
    case '30':
      return { video: false, audio: false };
    case '11':
      return { video: true, audio: false };
    case '21':
      return { video: false, audio: true };
    case '31':
      return { video: true, audio: true };
    default:
      throw new PjlinkDecodeError('syntax', `AVMT status must be 10|11|20|21|30|31, got ${show(value)}`);
  }
}
/** The status a projector reports for a mute state (30 when nothing is muted). */
export function avMuteStatus(m: AvMute): string {
  if (m.video && m.audio) return '31';
  if (m.video) return '11';
  if (m.audio) return '21';
  return '30';
}

export type ErrorLevel = 'ok' | 'warning' | 'error';
export interface ErrorStatus {
  fan: ErrorLevel;
  lamp: ErrorLevel;
  temperature: ErrorLevel;
  coverOpen: ErrorLevel;
  filter: ErrorLevel;
  other: ErrorLevel;
}
const ERST_FIELDS = ['fan', 'lamp', 'temperature', 'coverOpen', 'filter', 'other'] as const;
const LEVELS: ErrorLevel[] = ['ok', 'warning', 'error'];

export function parseErrorStatus(value: string): ErrorStatus {
  if (!/^[0-2]{6}$/.test(value)) throw new PjlinkDecodeError('syntax', `ERST must be 6 digits 0..2, got ${show(value)}`);
  const out = {} as ErrorStatus;
  ERST_FIELDS.forEach((f, i) => (out[f] = LEVELS[Number(value[i])]));
  return out;
}
export function encodeErrorStatus(s: ErrorStatus): string {
  return ERST_FIELDS.map((f) => String(LEVELS.indexOf(s[f]))).join('');
}

export interface Lamp {
  hours: number;
  on: boolean;
}
/** LAMP: `hours on` pairs, one per lamp (up to 8), hours 0..99999. */
export function parseLamps(value: string): Lamp[] {
  const parts = value.split(' ');
  if (parts.length < 2 || parts.length % 2 !== 0 || parts.length > 16) throw new PjlinkDecodeError('syntax', `LAMP must be 1..8 "hours 0|1" pairs, got ${show(value)}`);
  const lamps: Lamp[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (!/^\d{1,5}$/.test(parts[i]) || (parts[i + 1] !== '0' && parts[i + 1] !== '1')) throw new PjlinkDecodeError('syntax', `bad lamp pair ${show(`${parts[i]} ${parts[i + 1]}`)}`);
    lamps.push({ hours: Number(parts[i]), on: parts[i + 1] === '1' });
  }
  return lamps;
}
export function encodeLamps(lamps: Lamp[]): string {
  if (lamps.length < 1 || lamps.length > 8) throw new RangeError('1..8 lamps');
  return lamps
    .map((l) => {
      if (!Number.isInteger(l.hours) || l.hours < 0 || l.hours > 99999) throw new RangeError('lamp hours must be 0..99999');
      return `${l.hours} ${l.on ? 1 : 0}`;
    })
    .join(' ');
}

/** CLSS?: `1` or `2`. */
export function parseClass(value: string): PjlinkClass {
  if (value === '1' || value === '2') return Number(value) as PjlinkClass;
  throw new PjlinkDecodeError('syntax', `CLSS must be 1 or 2, got ${show(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Inputs: `<type><n>`; type 1 RGB, 2 VIDEO, 3 DIGITAL, 4 STORAGE, 5 NETWORK, 6 INTERNAL (class 2);
// n is 1..9 in class 1 and 1..9 / A..Z in class 2.
// ---------------------------------------------------------------------------------------------

export const INPUT_CODE_RE = /^[1-6][1-9A-Z]$/;
export const isClass1Input = (code: string) => /^[1-5][1-9]$/.test(code);

const INPUT_TYPES: Record<string, string> = { rgb: '1', video: '2', hdmi: '3', digital: '3', storage: '4', usb: '4', network: '5', internal: '6' };
const TYPE_NAMES: Record<string, string> = { '1': 'rgb', '2': 'video', '3': 'hdmi', '4': 'storage', '5': 'network', '6': 'internal' };

/**
 * The capability's source names → PJLink input codes: `hdmi1` → 31, `hdmi2` → 32, `rgb1` → 11, `video1` → 21,
 * `storage1`/`usb1` → 41, `network`/`network1` → 51, `digital2` → 32. DisplayPort has no PJLink type of its own
 * (projectors number it among their DIGITAL inputs), so `dp1` needs an entry in `overrides`.
 */
export function sourceToInput(source: string, overrides: Record<string, string> = {}): string | null {
  const o = overrides[source];
  if (o !== undefined) return INPUT_CODE_RE.test(o) ? o : null;
  const m = /^([a-z]+?)([1-9])?$/.exec(source);
  if (!m) return null;
  const type = INPUT_TYPES[m[1]];
  if (!type) return null;
  return `${type}${m[2] ?? '1'}`;
}

/** A PJLink input code → the capability's name (`31` → `hdmi1`); overrides are searched first. */
export function inputToSource(code: string, overrides: Record<string, string> = {}): string {
  const named = Object.entries(overrides).find(([, c]) => c === code);
  if (named) return named[0];
  const name = TYPE_NAMES[code[0]];
  if (!name || !INPUT_CODE_RE.test(code)) return `pjlink-${code.toLowerCase()}`;
  return /[1-9]/.test(code[1]) ? `${name}${code[1]}` : `${name}-${code[1].toLowerCase()}`;
}

/** INST?: a space-separated list of input codes. */
export function parseInputList(value: string): string[] {
  if (value === '') return [];
  const codes = value.split(' ');
  for (const c of codes) if (!INPUT_CODE_RE.test(c)) throw new PjlinkDecodeError('syntax', `bad input code ${show(c)} in INST`);
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Class 2 search (UDP)
// ---------------------------------------------------------------------------------------------

export const SEARCH_LINE = `%2SRCH${CR}`;
const MAC_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

export function encodeAckn(mac: string): string {
  if (!MAC_RE.test(mac)) throw new RangeError(`MAC must be xx:xx:xx:xx:xx:xx, got ${show(mac)}`);
  return `%2ACKN=${mac}${CR}`;
}

/** `%2ACKN=<MAC>` → the MAC (lowercased); anything else throws PjlinkDecodeError. */
export function decodeAckn(line: string): string {
  const r = decodeResponse(line);
  if (r.body !== 'ACKN' || r.cls !== 2 || r.kind !== 'value' || !MAC_RE.test(r.value)) throw new PjlinkDecodeError('syntax', `not a %2ACKN=<MAC> reply: ${show(line)}`);
  return r.value.toLowerCase();
}
