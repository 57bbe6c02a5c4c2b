// USB HID telephony reports (Jabra, Poly, Teams-certified speakerphones), protocols.md §4.1–4.2. Pure.
//
// Instead of parsing report descriptors, a device is described by a small layout (read it once from the
// descriptor, e.g. with `usbhid-dump` or Chrome's WebHID collections, and put it in the connection):
//   input  {reportId, hookBit, muteBit, absolute}  — where Hook Switch (0x0B0020) and Phone Mute (0x0B002F) sit
//   output {reportId, offHookBit, muteBit, length} — the LED report with Off-Hook (0x080017) and Mute (0x080009)
// Bit numbers count from bit 0 of the first data byte (after the report ID byte), LSB first, as Jitsi's
// webhid-manager `usageOffset`.
//
// Semantics follow Jitsi's webhid-manager handleInputReport: an *absolute* item carries the state itself
// (1 = off-hook / muted); a *relative* item is a press — a 1 toggles the state, a 0 means nothing.
//
// node-hid framing: a numbered report arrives with its report ID as first byte; an unnumbered one (ID 0) arrives
// as bare data. A write always starts with the report ID byte (0x00 when unnumbered) and must have the exact
// report length, or Windows refuses it ("Cannot write to HID device", node-hid #187/#191/#416).

/** The only error the decoders throw. */
export class HidDecodeError extends Error {
  constructor(
    readonly kind: 'length' | 'report-id' | 'value',
    message: string,
  ) {
    super(message);
    this.name = 'HidDecodeError';
  }
}

export const USAGE = {
  hookSwitch: 0x0b0020,
  phoneMute: 0x0b002f,
  ledMute: 0x080009,
  ledOffHook: 0x080017,
  ledRing: 0x080018,
  ledHold: 0x080020,
} as const;

export interface HidInputLayout {
  reportId: number; // 0 = unnumbered
  hookBit: number;
  muteBit: number;
  /** true: the bit is the state; false: a 1 is a press that toggles the state. */
  absolute: boolean;
}

export interface HidOutputLayout {
  reportId: number; // 0 = unnumbered
  offHookBit: number;
  muteBit: number;
  /** Report data length in bytes, without the report ID byte; a write is length + 1 bytes. */
  length: number;
}

/**
 * A typical Teams speakerphone telephony collection: input report 3 with Hook Switch at bit 0 and Phone Mute at
 * bit 2 (relative, i.e. press-to-toggle), LED output report 3 with Off-Hook at bit 0 and Mute at bit 1 in one
 * byte. Devices differ: check the descriptor and override in the connection.
 */
export const DEFAULT_INPUT_LAYOUT: HidInputLayout = { reportId: 3, hookBit: 0, muteBit: 2, absolute: false };
export const DEFAULT_OUTPUT_LAYOUT: HidOutputLayout = { reportId: 3, offHookBit: 0, muteBit: 1, length: 1 };

export const MAX_REPORT_LENGTH = 64; // full-speed interrupt endpoint
const MAX_BIT = MAX_REPORT_LENGTH * 8 - 1;

export interface HookMuteState {
  offHook: boolean;
  mute: boolean;
}

export type HidInputEvent = { type: 'hook'; offHook: boolean } | { type: 'mute'; mute: boolean };

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
}

export function checkInputLayout(l: HidInputLayout): HidInputLayout {
  checkInt('input.reportId', l.reportId, 0, 255);
  checkInt('input.hookBit', l.hookBit, 0, MAX_BIT);
  checkInt('input.muteBit', l.muteBit, 0, MAX_BIT);
  if (l.hookBit === l.muteBit) throw new RangeError('input.hookBit and input.muteBit must differ');
  if (typeof l.absolute !== 'boolean') throw new RangeError('input.absolute must be a boolean');
  return l;
}

export function checkOutputLayout(l: HidOutputLayout): HidOutputLayout {
  checkInt('output.reportId', l.reportId, 0, 255);
  checkInt('output.length', l.length, 1, MAX_REPORT_LENGTH);
  checkInt('output.offHookBit', l.offHookBit, 0, l.length * 8 - 1);
  checkInt('output.muteBit', l.muteBit, 0, l.length * 8 - 1);
  if (l.offHookBit === l.muteBit) throw new RangeError('output.offHookBit and output.muteBit must differ');
  return l;
}

const bitOf = (data: Uint8Array, bit: number) => ((data[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
function setBit(data: Uint8Array, bit: number, on: boolean): void {
  if (on) data[bit >> 3] |= 1 << (bit & 7);
}

/** The data bytes of an input report, or null when it is another report (a volume key, a vendor report). */
export function inputReportData(layout: HidInputLayout, report: Uint8Array): Uint8Array | null {
  if (report.length === 0) throw new HidDecodeError('length', 'empty input report');
  if (report.length > MAX_REPORT_LENGTH + 1) throw new HidDecodeError('length', `input report of ${report.length} bytes is longer than ${MAX_REPORT_LENGTH + 1}`);
  if (layout.reportId === 0) return report;
  if (report[0] !== layout.reportId) return null;
  return report.subarray(1);
}

/**
 * Applies one input report to the previous state. Returns null for a report of another ID; throws
 * HidDecodeError when the report is too short to hold the configured bits.
 */
export function decodeInputReport(layout: HidInputLayout, report: Uint8Array, prev: HookMuteState): { state: HookMuteState; events: HidInputEvent[] } | null {
  const data = inputReportData(layout, report);
  if (data === null) return null;
  const needed = (Math.max(layout.hookBit, layout.muteBit) >> 3) + 1;
  if (data.length < needed) throw new HidDecodeError('length', `input report has ${data.length} data byte(s); bits ${layout.hookBit}/${layout.muteBit} need ${needed}`);
  const hookOn = bitOf(data, layout.hookBit);
  const muteOn = bitOf(data, layout.muteBit);
  const state = { ...prev };
  const events: HidInputEvent[] = [];
  if (layout.absolute) {
    if (hookOn !== prev.offHook) state.offHook = hookOn;
    if (muteOn !== prev.mute) state.mute = muteOn;
  } else {
    if (hookOn) state.offHook = !prev.offHook;
    if (muteOn) state.mute = !prev.mute;
  }
  if (state.offHook !== prev.offHook) events.push({ type: 'hook', offHook: state.offHook });
  if (state.mute !== prev.mute) events.push({ type: 'mute', mute: state.mute });
  return { state, events };
}

/** An input report as the device sends it (for simulators and tests). `length` = data bytes. */
export function encodeInputReport(layout: HidInputLayout, bits: { hook: boolean; mute: boolean }, length = (Math.max(layout.hookBit, layout.muteBit) >> 3) + 1): Buffer {
  checkInputLayout(layout);
  const data = new Uint8Array(length);
  setBit(data, layout.hookBit, bits.hook);
  setBit(data, layout.muteBit, bits.mute);
  return layout.reportId === 0 ? Buffer.from(data) : Buffer.concat([Buffer.from([layout.reportId]), data]);
}

/** The LED output report for node-hid's write(): report ID byte (0 when unnumbered) + exactly `length` bytes. */
export function encodeLedReport(layout: HidOutputLayout, state: HookMuteState): Buffer {
  checkOutputLayout(layout);
  const out = Buffer.alloc(layout.length + 1);
  out[0] = layout.reportId;
  const data = out.subarray(1);
  setBit(data, layout.offHookBit, state.offHook);
  setBit(data, layout.muteBit, state.mute);
  return out;
}

/** Reads an LED write back (what a device does with it). Wrong ID or length → HidDecodeError. */
export function decodeLedReport(layout: HidOutputLayout, write: Uint8Array): HookMuteState {
  if (write.length !== layout.length + 1) throw new HidDecodeError('length', `LED report must be ${layout.length + 1} bytes (report ID + ${layout.length}), got ${write.length}`);
  if (write[0] !== layout.reportId) throw new HidDecodeError('report-id', `LED report ID must be ${layout.reportId}, got ${write[0]}`);
  const data = write.subarray(1);
  return { offHook: bitOf(data, layout.offHookBit), mute: bitOf(data, layout.muteBit) };
}

/** Accepts what node-hid's write() accepts: a Buffer/Uint8Array or an array of byte values. */
export function toBytes(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  if (Array.isArray(data) && data.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(data);
  throw new HidDecodeError('value', 'a report must be a Buffer or an array of bytes 0..255');
}
