// Samsung MDC (Multiple Display Control) frames. Pure: no I/O, no timers, shared by the driver (TCP 1515 or
// RS-232C) and the simulator. Facts: ../shared/reference/protocols.md §3.2 (Samsung MD40B/PM49F/UD46A
// manuals, vgavro/samsung-mdc commands.py and connection.py).
//
//   command  AA cmd id len data… chk          chk = (cmd + id + len + Σdata) mod 256 (every byte but AA)
//   get      AA cmd id 00 chk                 e.g. power status, id 0: AA 11 00 00 11
//   reply    AA FF id len 'A'|'N' r-cmd val… chk   ACK 'A' (0x41) with the value(s), NAK 'N' (0x4E) with an error code
//   ID 0xFE  all displays; no reply is sent
//
// The manuals' "Power On, ID 0" example reads `AA 11 FF 01 01 12`: its checksum is right for ID 0xFF
// (11+FF+01+01 = 0x112), so the bytes are an ID 0xFF frame; ID 0 is `AA 11 00 01 01 13`.

/** The only error the decoders throw. */
export class MdcDecodeError extends Error {
  constructor(
    readonly kind: 'header' | 'length' | 'checksum' | 'syntax',
    message: string,
  ) {
    super(message);
    this.name = 'MdcDecodeError';
  }
}

export const MDC_PORT = 1515;
export const HEADER = 0xaa;
export const REPLY_CMD = 0xff;
export const BROADCAST_ID = 0xfe;
export const ACK = 0x41; // 'A'
export const NAK = 0x4e; // 'N'
export const MAX_DATA = 0xff;
/** AA + cmd + id + len + checksum. */
export const FRAME_OVERHEAD = 5;

export const MdcCmd = {
  status: 0x00,
  power: 0x11,
  volume: 0x12,
  mute: 0x13,
  input: 0x14,
} as const;

const CMD_NAMES: Record<number, string> = { 0x00: 'status', 0x11: 'power', 0x12: 'volume', 0x13: 'mute', 0x14: 'input' };
export const cmdName = (cmd: number) => CMD_NAMES[cmd] ?? `0x${hex2(cmd)}`;

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
export const hex = (buf: Uint8Array) => Buffer.from(buf).toString('hex').replace(/(..)(?!$)/g, '$1 ');

function checkByte(name: string, value: number, min = 0, max = 0xff): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

export interface MdcFrame {
  cmd: number;
  id: number;
  data: Buffer;
}

/** Sum of every byte but the AA header, mod 256: pass the frame without AA and without the checksum. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

export function encodeFrame(f: { cmd: number; id: number; data?: Uint8Array | number[] }): Buffer {
  checkByte('command', f.cmd);
  checkByte('display id', f.id);
  const data = Buffer.from(f.data ?? []);
  if (data.length > MAX_DATA) throw new RangeError(`MDC data must be at most ${MAX_DATA} bytes`);
  const out = Buffer.alloc(data.length + FRAME_OVERHEAD);
  out[0] = HEADER;
  out[1] = f.cmd;
  out[2] = f.id;
  out[3] = data.length;
  data.copy(out, 4);
  out[out.length - 1] = checksum(out.subarray(1, out.length - 1));
  return out;
}

/** Checks AA, the length byte against the frame size, and the checksum. */
export function decodeFrame(buf: Uint8Array): MdcFrame {
  if (buf.length < FRAME_OVERHEAD) throw new MdcDecodeError('length', `MDC frame must be at least ${FRAME_OVERHEAD} bytes, got ${buf.length}`);
  if (buf[0] !== HEADER) throw new MdcDecodeError('header', `MDC frame must start with AA: ${hex(buf.subarray(0, 8))}`);
  const len = buf[3];
  if (buf.length !== len + FRAME_OVERHEAD) throw new MdcDecodeError('length', `MDC length byte says ${len} data bytes but the frame has ${buf.length - FRAME_OVERHEAD}: ${hex(buf.subarray(0, 16))}`);
  const want = checksum(buf.subarray(1, buf.length - 1));
  const got = buf[buf.length - 1];
  if (got !== want) throw new MdcDecodeError('checksum', `MDC checksum is ${hex2(got)}, expected ${hex2(want)}: ${hex(buf.subarray(0, 16))}`);
  return { cmd: buf[1], id: buf[2], data: Buffer.from(buf.subarray(4, buf.length - 1)) };
}

// ---------------------------------------------------------------------------------------------
// Commands (controller → display)
// ---------------------------------------------------------------------------------------------

export type PowerValue = 'off' | 'on' | 'reboot';
const POWER_BYTES: Record<PowerValue, number> = { off: 0x00, on: 0x01, reboot: 0x02 };

/** A command this codec knows; `value` absent = a get (len 0). */
export type MdcCommand =
  | { type: 'status'; id: number }
  | { type: 'power'; id: number; value?: PowerValue }
  | { type: 'volume'; id: number; value?: number }
  | { type: 'mute'; id: number; value?: boolean }
  | { type: 'input'; id: number; value?: number };

export function encodeCommand(c: MdcCommand): Buffer {
  const cmd = MdcCmd[c.type];
  if (c.type === 'status' || c.value === undefined) return encodeFrame({ cmd, id: c.id });
  switch (c.type) {
    case 'power':
      return encodeFrame({ cmd, id: c.id, data: [POWER_BYTES[c.value as PowerValue]] });
    case 'volume':
      checkByte('volume', c.value as number, 0, 100);
      return encodeFrame({ cmd, id: c.id, data: [c.value as number] });
    case 'mute':
      return encodeFrame({ cmd, id: c.id, data: [c.value ? 1 : 0] });
    case 'input':
      checkByte('input source', c.value as number);
      return encodeFrame({ cmd, id: c.id, data: [c.value as number] });
  }
}

export const encodePower = (id: number, value?: PowerValue) => encodeCommand({ type: 'power', id, value });
export const encodeVolume = (id: number, value?: number) => encodeCommand({ type: 'volume', id, value });
export const encodeMute = (id: number, value?: boolean) => encodeCommand({ type: 'mute', id, value });
export const encodeInput = (id: number, value?: number) => encodeCommand({ type: 'input', id, value });
export const encodeStatus = (id: number) => encodeCommand({ type: 'status', id });

/**
 * Decodes one command frame (what a display receives). Throws 'checksum'/'length'/'header' for a broken
 * frame and 'syntax' for a command or value this codec does not know (a display answers that with a NAK).
 */
export function decodeCommand(buf: Uint8Array): MdcCommand {
  const f = decodeFrame(buf);
  const syntax = (why: string) => new MdcDecodeError('syntax', `${why}: ${hex(buf)}`);
  if (f.cmd === REPLY_CMD) throw syntax('FF is the reply command, not a request');
  const type = (Object.keys(MdcCmd) as (keyof typeof MdcCmd)[]).find((k) => MdcCmd[k] === f.cmd);
  if (!type) throw syntax(`unknown MDC command 0x${hex2(f.cmd)}`);
  if (f.data.length === 0) return { type, id: f.id } as MdcCommand;
  if (type === 'status') throw syntax('status takes no data');
  if (f.data.length !== 1) throw syntax(`${type} takes one data byte`);
  const v = f.data[0];
  switch (type) {
    case 'power': {
      const value = (Object.keys(POWER_BYTES) as PowerValue[]).find((k) => POWER_BYTES[k] === v);
      if (!value) throw syntax('power takes 00 off, 01 on, 02 reboot');
      return { type, id: f.id, value };
    }
    case 'volume':
      if (v > 100) throw syntax('volume takes 0..100');
      return { type, id: f.id, value: v };
    case 'mute':
      if (v > 1) throw syntax('mute takes 00 or 01');
      return { type, id: f.id, value: v === 1 };
    default:
      return { type: 'input', id: f.id, value: v };
  }
}

// ---------------------------------------------------------------------------------------------
// Replies (display → controller)
// ---------------------------------------------------------------------------------------------

export type MdcReply = { id: number; ack: true; cmd: number; data: Buffer } | { id: number; ack: false; cmd: number; code: number };

export function encodeAck(id: number, cmd: number, data: Uint8Array | number[] = []): Buffer {
  checkByte('reply command', cmd);
  const d = Buffer.from(data);
  if (d.length > MAX_DATA - 2) throw new RangeError('ACK data too long');
  return encodeFrame({ cmd: REPLY_CMD, id, data: Buffer.concat([Buffer.from([ACK, cmd]), d]) });
}
export function encodeNak(id: number, cmd: number, code: number): Buffer {
  checkByte('reply command', cmd);
  checkByte('NAK error code', code);
  return encodeFrame({ cmd: REPLY_CMD, id, data: [NAK, cmd, code] });
}
export function encodeReply(r: MdcReply): Buffer {
  return r.ack ? encodeAck(r.id, r.cmd, r.data) : encodeNak(r.id, r.cmd, r.code);
}

export function decodeReply(buf: Uint8Array): MdcReply {
  const f = decodeFrame(buf);
  const syntax = (why: string) => new MdcDecodeError('syntax', `${why}: ${hex(buf)}`);
  if (f.cmd !== REPLY_CMD) throw syntax('an MDC reply has command FF');
  if (f.data.length < 2) throw syntax('an MDC reply carries A/N and the command');
  const [an, cmd] = f.data;
  if (an === ACK) return { id: f.id, ack: true, cmd, data: Buffer.from(f.data.subarray(2)) };
  if (an === NAK) {
    if (f.data.length !== 3) throw syntax('a NAK carries exactly one error code');
    return { id: f.id, ack: false, cmd, code: f.data[2] };
  }
  throw syntax(`reply is neither ACK (41) nor NAK (4E) but ${hex2(an)}`);
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Status (0x00) ACK data: power, volume, mute, input, aspect, N time NF, F time NF. */
export interface MdcStatus {
  power: boolean;
  volume: number;
  mute: boolean;
  input: number;
  aspect: number;
  nTimeNf: number;
  fTimeNf: number;
}
export function encodeStatusData(s: MdcStatus): Buffer {
  return Buffer.from([s.power ? 1 : 0, s.volume, s.mute ? 1 : 0, s.input, s.aspect, s.nTimeNf, s.fTimeNf]);
}
export function parseStatusData(data: Uint8Array): MdcStatus {
  if (data.length < 4) throw new MdcDecodeError('syntax', `status reply needs at least power, volume, mute, input; got ${data.length} bytes`);
  return { power: data[0] === 1, volume: data[1], mute: data[2] === 1, input: data[3], aspect: data[4] ?? 0, nTimeNf: data[5] ?? 0, fTimeNf: data[6] ?? 0 };
}

/** One-byte ACK value (power / volume / mute / input get and set). */
export function parseSingle(data: Uint8Array, what: string): number {
  if (data.length !== 1) throw new MdcDecodeError('syntax', `${what} reply must carry one value byte, got ${data.length}`);
  return data[0];
}

/** Source names → INPUT_SOURCE codes (vgavro/samsung-mdc commands.py). */
export const INPUT_SOURCES: Record<string, number> = {
  hdmi1: 0x21,
  hdmi1_pc: 0x22,
  hdmi2: 0x23,
  hdmi2_pc: 0x24,
  dp1: 0x25,
  dp2: 0x26,
  dp3: 0x27,
  hdmi3: 0x31,
  hdmi3_pc: 0x32,
  hdmi4: 0x33,
  hdmi4_pc: 0x34,
  rgb1: 0x14, // PC (D-sub)
  dvi1: 0x18,
  video1: 0x0c, // AV
  component1: 0x08,
  magicinfo: 0x20,
  hdbaset: 0x55,
  usb: 0x62,
};

export function sourceToMdcInput(source: string, overrides: Record<string, number> = {}): number | null {
  const v = overrides[source] ?? INPUT_SOURCES[source];
  return v === undefined ? null : v;
}
export function mdcInputToSource(code: number, overrides: Record<string, number> = {}): string {
  const named = Object.entries(overrides).find(([, c]) => c === code) ?? Object.entries(INPUT_SOURCES).find(([, c]) => c === code);
  return named ? named[0] : `mdc-0x${hex2(code)}`;
}

// ---------------------------------------------------------------------------------------------
// Byte-stream reassembly (serial, TCP)
// ---------------------------------------------------------------------------------------------

/**
 * Collects chunks and returns whole frames by the length byte. Bytes before a header are dropped and counted.
 * With `replies: true` a frame must start `AA FF` (a controller only receives replies), which keeps a stray
 * AA in line noise from swallowing the real reply that follows.
 */
export class MdcStreamParser {
  private buffered: Buffer = Buffer.alloc(0);
  discardedBytes = 0;

  constructor(private readonly opts: { replies?: boolean } = {}) {}

  push(chunk: Uint8Array): Buffer[] {
    let data = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      const start = this.findHeader(data);
      if (start < 0) {
        this.discardedBytes += data.length;
        data = Buffer.alloc(0);
        break;
      }
      if (start > 0) {
        this.discardedBytes += start;
        data = data.subarray(start);
      }
      if (data.length < 4) break;
      const total = data[3] + FRAME_OVERHEAD;
      if (data.length < total) break;
      frames.push(Buffer.from(data.subarray(0, total)));
      data = data.subarray(total);
    }
    this.buffered = Buffer.from(data);
    return frames;
  }

  private findHeader(data: Buffer): number {
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== HEADER) continue;
      if (!this.opts.replies || i + 1 >= data.length || data[i + 1] === REPLY_CMD) return i;
    }
    return -1;
  }

  /** Returns and forgets a partial frame (before a new request, or when the port closes). */
  flush(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  get pending(): number {
    return this.buffered.length;
  }
}

/** Newer firmware opens TCP with this banner and wants TLS + a PIN (samsung_mdc/connection.py). */
export const TLS_BANNER = 'MDCSTART<<TLS>>';
