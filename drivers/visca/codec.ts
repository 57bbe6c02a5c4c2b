// VISCA bytes and VISCA-over-IP framing (Sony, UDP 52381). Pure: no I/O, no timers, so the driver, the
// simulator and later serial/TCP transports share one definition of every byte.
// Byte layouts: ../shared/reference/protocols.md §1.2–1.9.

/** The only error the decoders throw. `kind` tells a camera which error to answer: length → 6y 01, syntax → 6y 02. */
export class ViscaDecodeError extends Error {
  constructor(
    readonly kind: 'length' | 'syntax',
    message: string,
  ) {
    super(message);
    this.name = 'ViscaDecodeError';
  }
}

export const TERMINATOR = 0xff;
export const MIN_PACKET = 3;
export const MAX_PACKET = 16;

export const MAX_PAN_SPEED = 0x18;
/** PTZOptics/Vaddio/HuddleCam tilt limit; Sony goes to 0x17 but 0x14 is safe everywhere. */
export const MAX_TILT_SPEED = 0x14;
export const MAX_ZOOM_SPEED = 7;

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

export type PanDirection = 'left' | 'right' | 'stop';
export type TiltDirection = 'up' | 'down' | 'stop';
export type InquiryKind = 'power' | 'pan-tilt-position' | 'zoom-position' | 'preset';

/** Every command this codec knows. `address` is the camera (1..7); broadcast commands have none. */
export type ViscaCommand =
  | { type: 'power'; address: number; on: boolean }
  | { type: 'pan-tilt-drive'; address: number; panSpeed: number; tiltSpeed: number; pan: PanDirection; tilt: TiltDirection }
  | { type: 'zoom'; address: number; action: 'stop' | 'tele' | 'wide'; speed: number | null } // speed null = standard speed
  | { type: 'absolute'; address: number; panSpeed: number; tiltSpeed: number; pan: number; tilt: number }
  | { type: 'zoom-direct'; address: number; position: number }
  | { type: 'preset'; address: number; action: 'reset' | 'set' | 'recall'; preset: number }
  | { type: 'if-clear'; address: number }
  | { type: 'cancel'; address: number; socket: number }
  | { type: 'inquiry'; address: number; inquiry: InquiryKind }
  | { type: 'address-set' }
  | { type: 'if-clear-broadcast' };

const PAN_BYTE: Record<PanDirection, number> = { left: 0x01, right: 0x02, stop: 0x03 };
const TILT_BYTE: Record<TiltDirection, number> = { up: 0x01, down: 0x02, stop: 0x03 };
const PRESET_BYTE = { reset: 0x00, set: 0x01, recall: 0x02 } as const;
const INQUIRY_BYTES: Record<InquiryKind, number[]> = {
  power: [0x04, 0x00],
  'pan-tilt-position': [0x06, 0x12],
  'zoom-position': [0x04, 0x47],
  preset: [0x04, 0x3f],
};

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
}
const header = (address: number) => {
  checkInt('camera address', address, 1, 7);
  return 0x80 | address;
};

/** Four bytes 0n 0n 0n 0n, high nibble first; negative values as 16-bit two's complement. */
export function toNibbles(value: number): number[] {
  checkInt('16-bit value', value, -0x8000, 0xffff);
  const v = value & 0xffff;
  return [(v >> 12) & 0xf, (v >> 8) & 0xf, (v >> 4) & 0xf, v & 0xf];
}

function fromNibbles(bytes: Uint8Array, offset: number, signed: boolean): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[offset + i];
    if (b === undefined || b > 0x0f) throw new ViscaDecodeError('syntax', `expected a nibble byte 00..0F at ${offset + i}`);
    v = (v << 4) | b;
  }
  return signed && v >= 0x8000 ? v - 0x10000 : v;
}

export const encodePower = (address: number, on: boolean) => Buffer.from([header(address), 0x01, 0x04, 0x00, on ? 0x02 : 0x03, TERMINATOR]);

export function encodePanTiltDrive(address: number, d: { panSpeed: number; tiltSpeed: number; pan: PanDirection; tilt: TiltDirection }): Buffer {
  checkInt('pan speed', d.panSpeed, 1, MAX_PAN_SPEED);
  checkInt('tilt speed', d.tiltSpeed, 1, MAX_PAN_SPEED);
  return Buffer.from([header(address), 0x01, 0x06, 0x01, d.panSpeed, d.tiltSpeed, PAN_BYTE[d.pan], TILT_BYTE[d.tilt], TERMINATOR]);
}

/** Speeds must still be valid on a stop (some cameras answer syntax error to 00), so the slowest is sent. */
export const encodePanTiltStop = (address: number) => encodePanTiltDrive(address, { panSpeed: 1, tiltSpeed: 1, pan: 'stop', tilt: 'stop' });

export function encodeZoom(address: number, action: 'stop' | 'tele' | 'wide', speed: number | null = null): Buffer {
  let b: number;
  if (action === 'stop') b = 0x00;
  else if (speed === null) b = action === 'tele' ? 0x02 : 0x03;
  else {
    checkInt('zoom speed', speed, 0, MAX_ZOOM_SPEED);
    b = (action === 'tele' ? 0x20 : 0x30) | speed;
  }
  return Buffer.from([header(address), 0x01, 0x04, 0x07, b, TERMINATOR]);
}
export const encodeZoomStop = (address: number) => encodeZoom(address, 'stop');
export const encodeZoomTele = (address: number, speed: number) => encodeZoom(address, 'tele', speed);
export const encodeZoomWide = (address: number, speed: number) => encodeZoom(address, 'wide', speed);

/** PTZOptics/Vaddio layout: 8x 01 06 02 VV WW 0Y 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF, positions signed 16-bit. */
export function encodeAbsolutePosition(address: number, a: { panSpeed: number; tiltSpeed: number; pan: number; tilt: number }): Buffer {
  checkInt('pan speed', a.panSpeed, 1, MAX_PAN_SPEED);
  checkInt('tilt speed', a.tiltSpeed, 1, MAX_PAN_SPEED);
  checkInt('pan position', a.pan, -0x8000, 0x7fff);
  checkInt('tilt position', a.tilt, -0x8000, 0x7fff);
  return Buffer.from([header(address), 0x01, 0x06, 0x02, a.panSpeed, a.tiltSpeed, ...toNibbles(a.pan), ...toNibbles(a.tilt), TERMINATOR]);
}

export function encodeZoomDirect(address: number, position: number): Buffer {
  checkInt('zoom position', position, 0, 0xffff);
  return Buffer.from([header(address), 0x01, 0x04, 0x47, ...toNibbles(position), TERMINATOR]);
}

export function encodePreset(address: number, action: 'reset' | 'set' | 'recall', preset: number): Buffer {
  checkInt('preset', preset, 0, 0xfe);
  return Buffer.from([header(address), 0x01, 0x04, 0x3f, PRESET_BYTE[action], preset, TERMINATOR]);
}
export const encodePresetSet = (address: number, preset: number) => encodePreset(address, 'set', preset);
export const encodePresetRecall = (address: number, preset: number) => encodePreset(address, 'recall', preset);

export const encodeIfClear = (address: number) => Buffer.from([header(address), 0x01, 0x00, 0x01, TERMINATOR]);

export function encodeCancel(address: number, socket: number): Buffer {
  checkInt('socket', socket, 0, 0x0f);
  return Buffer.from([header(address), 0x20 | socket, TERMINATOR]);
}

export const encodeInquiry = (address: number, inquiry: InquiryKind) => Buffer.from([header(address), 0x09, ...INQUIRY_BYTES[inquiry], TERMINATOR]);
export const encodePowerInquiry = (address: number) => encodeInquiry(address, 'power');
export const encodePanTiltPositionInquiry = (address: number) => encodeInquiry(address, 'pan-tilt-position');
export const encodeZoomPositionInquiry = (address: number) => encodeInquiry(address, 'zoom-position');

export function encodeCommand(c: ViscaCommand): Buffer {
  switch (c.type) {
    case 'power':
      return encodePower(c.address, c.on);
    case 'pan-tilt-drive':
      return encodePanTiltDrive(c.address, c);
    case 'zoom':
      return encodeZoom(c.address, c.action, c.speed);
    case 'absolute':
      return encodeAbsolutePosition(c.address, c);
    case 'zoom-direct':
      return encodeZoomDirect(c.address, c.position);
    case 'preset':
      return encodePreset(c.address, c.action, c.preset);
    case 'if-clear':
      return encodeIfClear(c.address);
    case 'cancel':
      return encodeCancel(c.address, c.socket);
    case 'inquiry':
      return encodeInquiry(c.address, c.inquiry);
    case 'address-set':
      return Buffer.from([0x88, 0x30, 0x01, TERMINATOR]);
    case 'if-clear-broadcast':
      return Buffer.from([0x88, 0x01, 0x00, 0x01, TERMINATOR]);
  }
}

/** Checks the frame shared by commands and replies: 3..16 bytes, FF last and nowhere else. */
function checkFrame(buf: Uint8Array, what: string): void {
  if (buf.length < MIN_PACKET || buf.length > MAX_PACKET)
    throw new ViscaDecodeError('length', `${what} must be ${MIN_PACKET}..${MAX_PACKET} bytes, got ${buf.length}`);
  if (buf[buf.length - 1] !== TERMINATOR) throw new ViscaDecodeError('syntax', `${what} does not end with FF`);
  const inner = buf.indexOf(TERMINATOR);
  if (inner !== buf.length - 1) throw new ViscaDecodeError('syntax', `${what} has FF inside its data (byte ${inner})`);
}

const hex = (buf: Uint8Array) => Buffer.from(buf).toString('hex').replace(/(..)(?!$)/g, '$1 ');

/** Decodes one command packet (what a camera receives). */
export function decodeCommand(buf: Uint8Array): ViscaCommand {
  checkFrame(buf, 'command');
  const n = buf.length;
  const h = buf[0];
  const syntax = (why: string) => new ViscaDecodeError('syntax', `${why}: ${hex(buf)}`);
  const is = (...bytes: number[]) => bytes.every((b, i) => buf[i + 1] === b);

  if (h === 0x88) {
    if (n === 4 && is(0x30, 0x01)) return { type: 'address-set' };
    if (n === 5 && is(0x01, 0x00, 0x01)) return { type: 'if-clear-broadcast' };
    throw syntax('unknown broadcast command');
  }
  if (h < 0x81 || h > 0x87) throw syntax('bad header (expected 81..88)');
  const address = h & 0x07;

  if ((buf[1] & 0xf0) === 0x20) {
    if (n !== 3) throw syntax('command cancel takes no data');
    return { type: 'cancel', address, socket: buf[1] & 0x0f };
  }
  if (buf[1] === 0x09) {
    for (const [inquiry, bytes] of Object.entries(INQUIRY_BYTES) as [InquiryKind, number[]][]) {
      if (n === 5 && is(0x09, ...bytes)) return { type: 'inquiry', address, inquiry };
    }
    throw syntax('unknown inquiry');
  }
  if (buf[1] !== 0x01) throw syntax('unknown message type (expected 01 command or 09 inquiry)');

  if (is(0x01, 0x00, 0x01)) {
    if (n !== 5) throw syntax('IF_Clear takes no data');
    return { type: 'if-clear', address };
  }
  if (is(0x01, 0x04, 0x00)) {
    if (n !== 6 || (buf[4] !== 0x02 && buf[4] !== 0x03)) throw syntax('power takes 02 or 03');
    return { type: 'power', address, on: buf[4] === 0x02 };
  }
  if (is(0x01, 0x04, 0x07)) {
    if (n !== 6) throw syntax('zoom takes one byte');
    const b = buf[4];
    if (b === 0x00) return { type: 'zoom', address, action: 'stop', speed: null };
    if (b === 0x02) return { type: 'zoom', address, action: 'tele', speed: null };
    if (b === 0x03) return { type: 'zoom', address, action: 'wide', speed: null };
    if ((b & 0xf8) === 0x20) return { type: 'zoom', address, action: 'tele', speed: b & 0x07 };
    if ((b & 0xf8) === 0x30) return { type: 'zoom', address, action: 'wide', speed: b & 0x07 };
    throw syntax('bad zoom byte');
  }
  if (is(0x01, 0x04, 0x47)) {
    if (n !== 9) throw syntax('zoom direct takes four nibbles');
    return { type: 'zoom-direct', address, position: fromNibbles(buf, 4, false) };
  }
  if (is(0x01, 0x04, 0x3f)) {
    if (n !== 7 || buf[4] > 0x02) throw syntax('preset takes 00|01|02 and a number');
    const action = buf[4] === 0x00 ? 'reset' : buf[4] === 0x01 ? 'set' : 'recall';
    return { type: 'preset', address, action, preset: buf[5] };
  }
  if (is(0x01, 0x06, 0x01)) {
    if (n !== 9) throw syntax('pan-tilt drive takes speeds and directions');
    const [panSpeed, tiltSpeed, p, t] = [buf[4], buf[5], buf[6], buf[7]];
    if (panSpeed < 1 || panSpeed > MAX_PAN_SPEED || tiltSpeed < 1 || tiltSpeed > MAX_PAN_SPEED) throw syntax('speed out of range');
    const pan = (Object.keys(PAN_BYTE) as PanDirection[]).find((k) => PAN_BYTE[k] === p);
    const tilt = (Object.keys(TILT_BYTE) as TiltDirection[]).find((k) => TILT_BYTE[k] === t);
    if (!pan || !tilt) throw syntax('bad direction');
    return { type: 'pan-tilt-drive', address, panSpeed, tiltSpeed, pan, tilt };
  }
  if (is(0x01, 0x06, 0x02)) {
    if (n !== 15) throw syntax('absolute position takes speeds and 2×4 nibbles');
    const [panSpeed, tiltSpeed] = [buf[4], buf[5]];
    if (panSpeed < 1 || panSpeed > MAX_PAN_SPEED || tiltSpeed < 1 || tiltSpeed > MAX_PAN_SPEED) throw syntax('speed out of range');
    return { type: 'absolute', address, panSpeed, tiltSpeed, pan: fromNibbles(buf, 6, true), tilt: fromNibbles(buf, 10, true) };
  }
  throw syntax('unknown command');
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

export const ERROR_LENGTH = 0x01;
export const ERROR_SYNTAX = 0x02;
export const ERROR_BUFFER_FULL = 0x03;
export const ERROR_CANCELLED = 0x04;
export const ERROR_NO_SOCKET = 0x05;
export const ERROR_NOT_EXECUTABLE = 0x41;
export type ViscaErrorCode = 0x01 | 0x02 | 0x03 | 0x04 | 0x05 | 0x41;

const ERROR_REASONS: Record<number, string> = {
  [ERROR_LENGTH]: 'message length error',
  [ERROR_SYNTAX]: 'syntax error',
  [ERROR_BUFFER_FULL]: 'command buffer full',
  [ERROR_CANCELLED]: 'command cancelled',
  [ERROR_NO_SOCKET]: 'no socket',
  [ERROR_NOT_EXECUTABLE]: 'command not executable',
};
export const errorReason = (code: number) => ERROR_REASONS[code] ?? `unknown error 0x${code.toString(16).padStart(2, '0')}`;

/** What a camera sends. `address` is the camera's (1..7); broadcast replies have none. */
export type ViscaReply =
  | { type: 'ack'; address: number; socket: number }
  | { type: 'completion'; address: number; socket: number; data: Buffer }
  | { type: 'error'; address: number; socket: number; code: ViscaErrorCode | number; reason: string }
  | { type: 'network-change'; address: number }
  | { type: 'address'; next: number }
  | { type: 'if-clear-broadcast' };

const replyHeader = (address: number) => {
  checkInt('camera address', address, 1, 7);
  return 0x80 | ((address + 8) << 4);
};
const checkSocket = (socket: number) => checkInt('socket', socket, 0, 0x0f);

export function encodeAck(address: number, socket: number): Buffer {
  checkSocket(socket);
  return Buffer.from([replyHeader(address), 0x40 | socket, TERMINATOR]);
}
export function encodeCompletion(address: number, socket: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  checkSocket(socket);
  if (data.length > MAX_PACKET - 3 || data.includes(TERMINATOR)) throw new RangeError('completion data must be ≤ 13 bytes without FF');
  return Buffer.from([replyHeader(address), 0x50 | socket, ...data, TERMINATOR]);
}
export function encodeErrorReply(address: number, socket: number, code: number): Buffer {
  checkSocket(socket);
  checkInt('error code', code, 0, 0xfe);
  return Buffer.from([replyHeader(address), 0x60 | socket, code, TERMINATOR]);
}
export const encodeNetworkChange = (address: number) => Buffer.from([replyHeader(address), 0x38, TERMINATOR]);
export function encodeAddressReply(next: number): Buffer {
  checkInt('next address', next, 1, 8);
  return Buffer.from([0x88, 0x30, next, TERMINATOR]);
}

export function encodeReply(r: ViscaReply): Buffer {
  switch (r.type) {
    case 'ack':
      return encodeAck(r.address, r.socket);
    case 'completion':
      return encodeCompletion(r.address, r.socket, r.data);
    case 'error':
      return encodeErrorReply(r.address, r.socket, r.code);
    case 'network-change':
      return encodeNetworkChange(r.address);
    case 'address':
      return encodeAddressReply(r.next);
    case 'if-clear-broadcast':
      return Buffer.from([0x88, 0x01, 0x00, 0x01, TERMINATOR]);
  }
}

/** Decodes one reply packet (what a controller receives). Throws ViscaDecodeError, nothing else. */
export function decodeReply(buf: Uint8Array): ViscaReply {
  checkFrame(buf, 'reply');
  const n = buf.length;
  const h = buf[0];
  const syntax = (why: string) => new ViscaDecodeError('syntax', `${why}: ${hex(buf)}`);
  if (h === 0x88) {
    if (n === 4 && buf[1] === 0x30 && buf[2] >= 1 && buf[2] <= 8) return { type: 'address', next: buf[2] };
    if (n === 5 && buf[1] === 0x01 && buf[2] === 0x00 && buf[3] === 0x01) return { type: 'if-clear-broadcast' };
    throw syntax('unknown broadcast reply');
  }
  // z0 with z = camera address + 8: 90..F0.
  if ((h & 0x0f) !== 0 || h < 0x90) throw syntax('bad reply header (expected 90..F0)');
  const address = (h >> 4) - 8;
  const kind = buf[1] & 0xf0;
  const socket = buf[1] & 0x0f;
  if (buf[1] === 0x38) {
    if (n !== 3) throw syntax('network change takes no data');
    return { type: 'network-change', address };
  }
  if (kind === 0x40) {
    if (n !== 3) throw syntax('ACK takes no data');
    return { type: 'ack', address, socket };
  }
  if (kind === 0x50) return { type: 'completion', address, socket, data: Buffer.from(buf.subarray(2, n - 1)) };
  if (kind === 0x60) {
    if (n !== 4) throw syntax('error reply takes exactly one code byte');
    const code = buf[2];
    return { type: 'error', address, socket, code, reason: errorReason(code) };
  }
  throw syntax('unknown reply type');
}

// Inquiry reply data (the bytes between `y0 50` and FF).
export const powerData = (on: boolean) => Buffer.from([on ? 0x02 : 0x03]);
export function parsePowerData(data: Uint8Array): boolean {
  if (data.length !== 1 || (data[0] !== 0x02 && data[0] !== 0x03)) throw new ViscaDecodeError('syntax', 'power reply must be 02 or 03');
  return data[0] === 0x02;
}
export const panTiltPositionData = (pan: number, tilt: number) => Buffer.from([...toNibbles(pan), ...toNibbles(tilt)]);
export function parsePanTiltPositionData(data: Uint8Array): { pan: number; tilt: number } {
  if (data.length !== 8) throw new ViscaDecodeError('syntax', 'pan-tilt position reply must have 8 nibble bytes');
  return { pan: fromNibbles(data, 0, true), tilt: fromNibbles(data, 4, true) };
}
export const zoomPositionData = (zoom: number) => Buffer.from(toNibbles(zoom));
export function parseZoomPositionData(data: Uint8Array): number {
  if (data.length !== 4) throw new ViscaDecodeError('syntax', 'zoom position reply must have 4 nibble bytes');
  return fromNibbles(data, 0, false);
}
export const presetData = (preset: number) => Buffer.from([preset]);
export function parsePresetData(data: Uint8Array): number {
  if (data.length !== 1) throw new ViscaDecodeError('syntax', 'preset reply must have one byte');
  return data[0];
}

// ---------------------------------------------------------------------------------------------
// Normalized capability units (drivers/types.ts) ↔ VISCA values
// ---------------------------------------------------------------------------------------------

/**
 * Position ranges. Pan ±0x0990 is the Telycam/Clevermic table (−170°..+170°). Tilt is taken symmetric
 * ±0x0510 (the same table's +90°) so that tilt 0 is level and [-1,1] maps evenly; cameras whose down
 * limit is shallower clamp it themselves. Zoom 0..0x4000 is the 12× optical range of Vaddio/PTZOptics.
 */
export interface ViscaRanges {
  panMax: number;
  tiltMax: number;
  zoomMax: number;
}
export const DEFAULT_RANGES: ViscaRanges = { panMax: 0x0990, tiltMax: 0x0510, zoomMax: 0x4000 };

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** |s| in (0,1] → 1..max; the slowest speed is 1 because 0 is not a valid VISCA speed. */
export const toViscaSpeed = (s: number, max: number) => clamp(Math.round(Math.abs(s) * max), 1, max);

/** One continuous move becomes a pan-tilt drive and a zoom command; a 0 axis is a stop for that axis. */
export function moveCommands(address: number, speed: { pan: number; tilt: number; zoom: number }): { panTilt: ViscaCommand; zoom: ViscaCommand } {
  const pan: PanDirection = speed.pan > 0 ? 'right' : speed.pan < 0 ? 'left' : 'stop';
  const tilt: TiltDirection = speed.tilt > 0 ? 'up' : speed.tilt < 0 ? 'down' : 'stop';
  const panTilt: ViscaCommand = {
    type: 'pan-tilt-drive',
    address,
    panSpeed: pan === 'stop' ? 1 : toViscaSpeed(speed.pan, MAX_PAN_SPEED),
    tiltSpeed: tilt === 'stop' ? 1 : toViscaSpeed(speed.tilt, MAX_TILT_SPEED),
    pan,
    tilt,
  };
  const zoom: ViscaCommand =
    speed.zoom === 0
      ? { type: 'zoom', address, action: 'stop', speed: null }
      : { type: 'zoom', address, action: speed.zoom > 0 ? 'tele' : 'wide', speed: clamp(Math.round(Math.abs(speed.zoom) * MAX_ZOOM_SPEED), 0, MAX_ZOOM_SPEED) };
  return { panTilt, zoom };
}

export function positionToVisca(p: { pan: number; tilt: number; zoom: number }, r: ViscaRanges = DEFAULT_RANGES) {
  return {
    pan: Math.round(clamp(p.pan, -1, 1) * r.panMax),
    tilt: Math.round(clamp(p.tilt, -1, 1) * r.tiltMax),
    zoom: Math.round(clamp(p.zoom, 0, 1) * r.zoomMax),
  };
}
export const panFromVisca = (v: number, r: ViscaRanges = DEFAULT_RANGES) => clamp(v / r.panMax, -1, 1);
export const tiltFromVisca = (v: number, r: ViscaRanges = DEFAULT_RANGES) => clamp(v / r.tiltMax, -1, 1);
export const zoomFromVisca = (v: number, r: ViscaRanges = DEFAULT_RANGES) => clamp(v / r.zoomMax, 0, 1);

// ---------------------------------------------------------------------------------------------
// VISCA over IP (Sony): 8-byte big-endian header + payload
// ---------------------------------------------------------------------------------------------

export const VISCA_IP_PORT = 52381;
export const IpPayloadType = {
  command: 0x0100,
  inquiry: 0x0110,
  reply: 0x0111,
  deviceSetting: 0x0120,
  control: 0x0200,
  controlReply: 0x0201,
} as const;
const KNOWN_TYPES = new Set<number>(Object.values(IpPayloadType));
export const isKnownPayloadType = (type: number) => KNOWN_TYPES.has(type);

export interface IpMessage {
  type: number;
  seq: number;
  payload: Buffer;
}

export const IP_HEADER_LENGTH = 8;
export const MAX_SEQ = 0xffffffff;
/** Sequence numbers wrap to 0 (Sony SRG-300H p31). */
export const nextSeq = (seq: number) => (seq >= MAX_SEQ ? 0 : seq + 1);

export function encodeIpMessage(m: { type: number; seq: number; payload: Uint8Array }): Buffer {
  checkInt('payload type', m.type, 0, 0xffff);
  checkInt('sequence number', m.seq, 0, MAX_SEQ);
  if (m.payload.length < 1 || m.payload.length > 16) throw new RangeError(`payload must be 1..16 bytes, got ${m.payload.length}`);
  const out = Buffer.alloc(IP_HEADER_LENGTH + m.payload.length);
  out.writeUInt16BE(m.type, 0);
  out.writeUInt16BE(m.payload.length, 2);
  out.writeUInt32BE(m.seq, 4);
  out.set(m.payload, IP_HEADER_LENGTH);
  return out;
}

/**
 * Splits a datagram into header fields and payload. An unknown payload type is returned, not thrown, so a
 * camera can still answer it with `0F 02`; `seq` is filled whenever the 8-byte header is complete.
 */
export function decodeIpMessage(buf: Uint8Array): IpMessage {
  if (buf.length < IP_HEADER_LENGTH + 1) throw new ViscaDecodeError('length', `VISCA-over-IP datagram too short (${buf.length} bytes)`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const type = b.readUInt16BE(0);
  const length = b.readUInt16BE(2);
  const seq = b.readUInt32BE(4);
  const actual = b.length - IP_HEADER_LENGTH;
  if (length < 1 || length > 16) throw new ViscaDecodeError('length', `payload length field ${length} outside 1..16`);
  if (length !== actual) throw new ViscaDecodeError('length', `payload length field ${length} but ${actual} bytes follow`);
  return { type, seq, payload: Buffer.from(b.subarray(IP_HEADER_LENGTH)) };
}

/** The header fields of a datagram even when its payload is bad, so a reply can echo the sequence number. */
export function peekIpHeader(buf: Uint8Array): { type: number; seq: number } | null {
  if (buf.length < IP_HEADER_LENGTH) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  return { type: b.readUInt16BE(0), seq: b.readUInt32BE(4) };
}

export const CONTROL_RESET = 0x01;
export const CONTROL_ACK = 0x01;
export const CONTROL_ERROR = 0x0f;
export const CONTROL_ERROR_SEQUENCE = 0x01;
export const CONTROL_ERROR_MESSAGE_TYPE = 0x02;

/** RESET: `02 00 00 01 00 00 00 00 01`; the camera ignores the sequence field and restarts from 0. */
export const encodeIpReset = (seq = 0) => encodeIpMessage({ type: IpPayloadType.control, seq, payload: Buffer.from([CONTROL_RESET]) });
/** The camera's answer to RESET: `02 01 00 01 <seq> 01`. */
export const encodeIpControlAck = (seq: number) => encodeIpMessage({ type: IpPayloadType.controlReply, seq, payload: Buffer.from([CONTROL_ACK]) });
export function encodeIpControlError(seq: number, error: 'sequence' | 'message-type'): Buffer {
  const yy = error === 'sequence' ? CONTROL_ERROR_SEQUENCE : CONTROL_ERROR_MESSAGE_TYPE;
  return encodeIpMessage({ type: IpPayloadType.controlReply, seq, payload: Buffer.from([CONTROL_ERROR, yy]) });
}

export type IpControl = { type: 'reset' } | { type: 'ack' } | { type: 'error'; error: 'sequence' | 'message-type' | number };

/**
 * Reads a control payload. Sony lists ERROR under control *commands* (02 00) while RESET's ACK is a control
 * *reply* (02 01); which of the two a camera uses for ERROR varies, so both types are read the same way.
 */
export function decodeIpControl(m: IpMessage): IpControl {
  const p = m.payload;
  if (m.type !== IpPayloadType.control && m.type !== IpPayloadType.controlReply) throw new ViscaDecodeError('syntax', 'not a control message');
  if (p.length === 1 && p[0] === CONTROL_RESET) return m.type === IpPayloadType.control ? { type: 'reset' } : { type: 'ack' };
  if (p.length === 2 && p[0] === CONTROL_ERROR)
    return { type: 'error', error: p[1] === CONTROL_ERROR_SEQUENCE ? 'sequence' : p[1] === CONTROL_ERROR_MESSAGE_TYPE ? 'message-type' : p[1] };
  throw new ViscaDecodeError('syntax', `unknown control payload ${hex(p)}`);
}

// ---------------------------------------------------------------------------------------------
// Byte-stream reassembly (serial, TCP): like serialport's DelimiterParser with FF kept
// ---------------------------------------------------------------------------------------------

/**
 * Collects chunks and returns whole packets ending in FF. A run longer than a VISCA packet with no FF is line
 * noise or a desynchronised stream; it is dropped (counted in `discardedBytes`) so memory stays bounded.
 */
export class ViscaStreamParser {
  private buffered: Buffer = Buffer.alloc(0);
  discardedBytes = 0;

  constructor(private readonly maxPacket = MAX_PACKET) {}

  push(chunk: Uint8Array): Buffer[] {
    const packets: Buffer[] = [];
    let data = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === TERMINATOR) {
        packets.push(Buffer.from(data.subarray(start, i + 1)));
        start = i + 1;
      } else if (i - start + 1 >= this.maxPacket) {
        // No room left for the terminator: this cannot become a valid packet.
        this.discardedBytes += i - start + 1;
        start = i + 1;
      }
    }
    this.buffered = Buffer.from(data.subarray(start));
    return packets;
  }

  /** Returns and forgets a trailing partial packet (e.g. when the port closes). */
  flush(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}
