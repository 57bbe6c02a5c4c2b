// LG RS-232C (TVs and older signage) ASCII lines. Pure: no I/O, no timers, shared by the driver and the
// simulator. Facts: ../shared/reference/protocols.md §3.3 (LG 55LV5400, M4214C, 22LU55 manuals).
//
//   command  [Cmd1][Cmd2][ ][Set ID][ ][Data][CR]      e.g. `ka 01 01\r` power on, `ka 01 ff\r` query
//   ACK      [Cmd2][ ][Set ID][ ][OK][Data][x]         e.g. `a 01 OK01x`
//   NG       [Cmd2][ ][Set ID][ ][NG][Data][x]         Data 01 illegal code, 02 not supported, 03 wait more time
//   Set ID   hex 01–63 (1–99); 00 = every set on the line, which must not be waited for (they all answer at once)
//
// Commands here: ka power (00 off, 01 on), xb input, ke volume mute (00 = mute ON, 01 = mute off — the manuals'
// "Volume Mute On (Volume Off)"), kf volume 00–64h.

/** The only error the decoders throw. */
export class LgDecodeError extends Error {
  constructor(
    readonly kind: 'syntax' | 'length',
    message: string,
  ) {
    super(message);
    this.name = 'LgDecodeError';
  }
}

export const CR = '\r';
export const TERMINATOR = 'x';
export const QUERY = 0xff;
export const ALL_SETS = 0x00;
/** A command line is short (`ka 01 01`); more than this without CR is noise. */
export const MAX_LINE = 64;
/** A reply is `a 01 OK01x` plus a few data bytes. */
export const MAX_REPLY = 40;

export const NG_ILLEGAL_CODE = 0x01;
export const NG_NOT_SUPPORTED = 0x02;
export const NG_WAIT = 0x03;
export const NG_MEANINGS: Record<number, string> = { 1: 'illegal code', 2: 'not supported function', 3: 'wait more time' };

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be an integer in 0..255, got ${v}`);
}

export interface LgCommand {
  /** Two lowercase letters, e.g. `ka`. */
  command: string;
  setId: number;
  /** One or more data bytes; [0xff] = query. */
  data: number[];
}

export interface LgReply {
  /** The command's second letter, e.g. `a` for `ka`. */
  command2: string;
  setId: number;
  ok: boolean;
  /** ACK: the value(s); NG: the error code. */
  data: number[];
}

export function encodeCommand(c: LgCommand): string {
  if (!/^[a-z]{2}$/.test(c.command)) throw new RangeError(`LG command must be two lowercase letters, got ${show(c.command)}`);
  checkByte('set ID', c.setId);
  if (c.data.length < 1 || c.data.length > 8) throw new RangeError('LG data must be 1..8 bytes');
  c.data.forEach((b) => checkByte('data byte', b));
  return `${c.command} ${hex2(c.setId)} ${c.data.map(hex2).join(' ')}${CR}`;
}

/** Decodes one command line (what a set receives), with or without its CR. */
export function decodeCommand(line: string): LgCommand {
  const l = line.endsWith(CR) ? line.slice(0, -1) : line;
  if (l.length > MAX_LINE) throw new LgDecodeError('length', `LG command longer than ${MAX_LINE} characters`);
  const m = /^([a-zA-Z]{2}) ([0-9a-fA-F]{2})((?: [0-9a-fA-F]{2}){1,8})$/.exec(l);
  if (!m) throw new LgDecodeError('syntax', `not an LG command line: ${show(l)}`);
  return {
    command: m[1].toLowerCase(),
    setId: parseInt(m[2], 16),
    data: m[3]
      .trim()
      .split(' ')
      .map((h) => parseInt(h, 16)),
  };
}

export function encodeReply(r: LgReply): string {
  if (!/^[a-z]$/.test(r.command2)) throw new RangeError(`LG reply command must be one lowercase letter, got ${show(r.command2)}`);
  checkByte('set ID', r.setId);
  if (r.data.length < 1 || r.data.length > 8) throw new RangeError('LG reply data must be 1..8 bytes');
  r.data.forEach((b) => checkByte('data byte', b));
  return `${r.command2} ${hex2(r.setId)} ${r.ok ? 'OK' : 'NG'}${r.data.map(hex2).join('')}${TERMINATOR}`;
}

/**
 * Decodes one reply (what a controller receives), ending in `x`, leading CR/LF/spaces tolerated. Data is read
 * as hex pairs; an odd count (`NG1x` on some models) is read with a leading 0.
 */
export function decodeReply(text: string): LgReply {
  const t = text.replace(/^[\r\n ]+/, '');
  if (t.length > MAX_REPLY) throw new LgDecodeError('length', `LG reply longer than ${MAX_REPLY} characters`);
  const m = /^([a-zA-Z]) ([0-9a-fA-F]{2}) (OK|NG)([0-9a-fA-F]{1,16})x$/.exec(t);
  if (!m) throw new LgDecodeError('syntax', `not an LG reply: ${show(t)}`);
  const digits = m[4].length % 2 ? `0${m[4]}` : m[4];
  const data: number[] = [];
  for (let i = 0; i < digits.length; i += 2) data.push(parseInt(digits.slice(i, i + 2), 16));
  return { command2: m[1].toLowerCase(), setId: parseInt(m[2], 16), ok: m[3] === 'OK', data };
}

// ---------------------------------------------------------------------------------------------
// Typed commands
// ---------------------------------------------------------------------------------------------

export const LgCommands = { power: 'ka', input: 'xb', mute: 'ke', volume: 'kf' } as const;
export type LgCommandType = keyof typeof LgCommands;

export const encodePower = (setId: number, on: boolean | null) => encodeCommand({ command: 'ka', setId, data: [on === null ? QUERY : on ? 1 : 0] });
export const encodeInput = (setId: number, code: number | null) => encodeCommand({ command: 'xb', setId, data: [code ?? QUERY] });
/** ke: 00 = mute on (volume off), 01 = mute off. */
export const encodeMute = (setId: number, muted: boolean | null) => encodeCommand({ command: 'ke', setId, data: [muted === null ? QUERY : muted ? 0 : 1] });
export function encodeVolume(setId: number, level: number | null): string {
  if (level !== null && (!Number.isInteger(level) || level < 0 || level > 100)) throw new RangeError('volume must be 0..100');
  return encodeCommand({ command: 'kf', setId, data: [level ?? QUERY] });
}
/** The ke data byte → muted? (00 mute on, 01 mute off). */
export const muteFromData = (v: number) => v === 0;

/** Source names → xb codes (LG TV/signage tables; DisplayPort C0 on signage). */
export const INPUT_SOURCES: Record<string, number> = {
  video1: 0x20,
  component1: 0x40,
  rgb1: 0x60,
  dvi1: 0x70,
  hdmi1: 0x90,
  hdmi2: 0x91,
  hdmi3: 0x92,
  hdmi4: 0x93,
  dp1: 0xc0,
};
export function sourceToLgInput(source: string, overrides: Record<string, number> = {}): number | null {
  const v = overrides[source] ?? INPUT_SOURCES[source];
  return v === undefined ? null : v;
}
export function lgInputToSource(code: number, overrides: Record<string, number> = {}): string {
  const named = Object.entries(overrides).find(([, c]) => c === code) ?? Object.entries(INPUT_SOURCES).find(([, c]) => c === code);
  return named ? named[0] : `lg-${hex2(code)}`;
}

// ---------------------------------------------------------------------------------------------
// Stream reassembly
// ---------------------------------------------------------------------------------------------

/**
 * Controller side: collects chunks and returns whole replies ending in `x` (the first character is skipped
 * when looking for it, so a command letter x cannot end a reply early). CR/LF between replies are dropped; a
 * run longer than MAX_REPLY without `x` is dropped and counted.
 */
export class LgReplyParser {
  private buffered = '';
  discardedChars = 0;

  push(chunk: string | Uint8Array): string[] {
    let text = this.buffered + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
    const out: string[] = [];
    for (;;) {
      const lead = /^[\r\n ]*/.exec(text)![0].length;
      text = text.slice(lead);
      const end = text.indexOf(TERMINATOR, 1);
      if (end < 0) {
        if (text.length > MAX_REPLY) {
          this.discardedChars += text.length;
          text = '';
        }
        break;
      }
      if (end + 1 > MAX_REPLY) {
        this.discardedChars += end + 1;
        text = text.slice(end + 1);
        continue;
      }
      out.push(text.slice(0, end + 1));
      text = text.slice(end + 1);
    }
    this.buffered = text;
    return out;
  }

  flush(): string {
    const rest = this.buffered;
    this.buffered = '';
    return rest;
  }
}

/** Set side: collects chunks and returns lines ending in CR (LF tolerated), bounded like LgReplyParser. */
export class LgCommandParser {
  private buffered = '';
  discardedChars = 0;

  push(chunk: string | Uint8Array): string[] {
    const text = this.buffered + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\r' || text[i] === '\n') {
        if (i > start) out.push(text.slice(start, i));
        start = i + 1;
      } else if (i - start + 1 > MAX_LINE) {
        this.discardedChars += i - start + 1;
        start = i + 1;
      }
    }
    this.buffered = text.slice(start);
    return out;
  }
}
