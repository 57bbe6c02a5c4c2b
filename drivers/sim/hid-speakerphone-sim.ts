// A USB HID telephony speakerphone in-process, faithful to protocols.md §4.1–4.2/§7. `HidSpeakerphoneSimulator`
// is the physical device (plugged or not, its LEDs, its buttons); `open()` / `opener` hand out `FakeHidDevice`
// handles with node-hid's HIDAsync interface: an EventEmitter with 'data' and 'error', async write() resolving to
// the number of bytes written (report ID byte included), close(), sendFeatureReport(), getFeatureReport().
//
// Like the real thing: writes of the wrong length or report ID are refused with "Cannot write to HID device"
// (Windows behaviour, node-hid #187); input reports are only delivered to handles with a 'data' listener (no
// buffering); unplug() emits 'error' on every open handle and fails writes in progress; buttons behave
// 'absolute' (the report carries the state) or 'relative' (a press report, then a release report).
import { EventEmitter } from 'node:events';
import {
  DEFAULT_INPUT_LAYOUT,
  DEFAULT_OUTPUT_LAYOUT,
  checkInputLayout,
  checkOutputLayout,
  decodeLedReport,
  encodeInputReport,
  toBytes,
  type HidInputLayout,
  type HidOutputLayout,
  type HookMuteState,
} from '../hid-speakerphone/codec.js';
import type { HidTarget } from '../hid-speakerphone/driver.js';

export interface HidSpeakerphoneSimOptions {
  vendorId?: number; // default 0x0b0e (GN Audio / Jabra)
  productId?: number; // default 0x0422
  path?: string; // default /dev/hidraw-sim0
  product?: string;
  /** Button semantics; sets input.absolute. Default 'relative' (press-to-toggle, Jabra-like). */
  style?: 'absolute' | 'relative';
  input?: Partial<Omit<HidInputLayout, 'absolute'>>;
  output?: Partial<HidOutputLayout>;
  /** Input report data bytes (after the report ID). Default: just enough for the bits. */
  inputLength?: number;
  /** Each write takes this long before it completes (or fails on unplug). Default 0. */
  writeDelayMs?: number;
}

export interface HidSimWrite {
  data: Buffer;
  accepted: boolean;
  error: string | null;
  time: bigint;
}

export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path: string;
  product: string;
  manufacturer: string;
  release: number;
  interface: number;
  usagePage: number;
  usage: number;
}

export interface HidSpeakerphoneSimEvents {
  /** A write reached the device (accepted or refused). */
  write: [HidSimWrite];
  /** An input report was produced by a button. */
  report: [Buffer];
  open: [FakeHidDevice];
}

const WRITE_ERROR = 'Cannot write to HID device';
const READ_ERROR = 'could not read from HID device';

/** One open handle, as returned by node-hid's `HID.HIDAsync.open()`. */
export class FakeHidDevice extends EventEmitter {
  private paused = false;
  private closedFlag = false;
  private readonly inFlight = new Set<(err: Error) => void>();

  constructor(private readonly sim: HidSpeakerphoneSimulator) {
    super();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** node-hid: first byte is the report ID (0x00 when unnumbered), exact length; resolves to bytes written. */
  async write(data: number[] | Buffer): Promise<number> {
    let bytes: Buffer;
    try {
      bytes = toBytes(data);
    } catch {
      throw new Error(WRITE_ERROR);
    }
    if (this.closedFlag || !this.sim.plugged) {
      this.sim.recordWrite(bytes, WRITE_ERROR);
      throw new Error(WRITE_ERROR);
    }
    const delay = this.sim.writeDelayMs;
    if (delay > 0) {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error) => {
          clearTimeout(timer);
          this.inFlight.delete(fail);
          reject(err);
        };
        const timer = setTimeout(() => {
          this.inFlight.delete(fail);
          resolve();
        }, delay);
        this.inFlight.add(fail);
      }).catch((err: Error) => {
        this.sim.recordWrite(bytes, err.message);
        throw err;
      });
    }
    return this.sim.acceptWrite(bytes);
  }

  async sendFeatureReport(data: number[] | Buffer): Promise<number> {
    if (this.closedFlag || !this.sim.plugged) throw new Error('could not send feature report to device');
    return toBytes(data).length;
  }

  async getFeatureReport(reportId: number, length: number): Promise<Buffer> {
    if (this.closedFlag || !this.sim.plugged) throw new Error('could not get feature report from device');
    const out = Buffer.alloc(length);
    out[0] = reportId;
    return out;
  }

  async getDeviceInfo(): Promise<HidDeviceInfo> {
    return this.sim.info;
  }

  async read(_timeoutMs?: number): Promise<Buffer | undefined> {
    return undefined;
  }

  async setNonBlocking(_noBlock: boolean): Promise<void> {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.fail(new Error(WRITE_ERROR));
    this.removeAllListeners();
    this.sim.forget(this);
  }

  /** Delivers an input report if someone is reading (node-hid does not buffer without a 'data' listener). */
  deliver(report: Buffer): void {
    if (this.closedFlag || this.paused || this.listenerCount('data') === 0) return;
    this.emit('data', Buffer.from(report));
  }

  /** The device vanished: writes in progress fail, the read thread reports an error. */
  unplugged(): void {
    this.fail(new Error(WRITE_ERROR));
    if (!this.closedFlag && this.listenerCount('error') > 0) this.emit('error', new Error(READ_ERROR));
  }

  private fail(err: Error): void {
    for (const f of [...this.inFlight]) f(err);
  }
}

/** The physical speakerphone. */
export class HidSpeakerphoneSimulator extends EventEmitter<HidSpeakerphoneSimEvents> {
  readonly input: HidInputLayout;
  readonly output: HidOutputLayout;
  readonly inputLength: number;
  readonly info: HidDeviceInfo;
  /** Every write that reached the device, refused ones included. */
  readonly writes: HidSimWrite[] = [];
  /** Every input report the buttons produced. */
  readonly reports: Buffer[] = [];
  writeDelayMs: number;
  plugged = true;
  /** LEDs as the last accepted output report set them. */
  leds: HookMuteState = { offHook: false, mute: false };

  private readonly handles = new Set<FakeHidDevice>();
  /** The device's own idea of hook and mute (absolute style reports it; the host's LED writes set it). */
  private own: HookMuteState = { offHook: false, mute: false };

  constructor(opts: HidSpeakerphoneSimOptions = {}) {
    super();
    this.input = checkInputLayout({ ...DEFAULT_INPUT_LAYOUT, ...opts.input, absolute: (opts.style ?? 'relative') === 'absolute' });
    this.output = checkOutputLayout({ ...DEFAULT_OUTPUT_LAYOUT, ...opts.output });
    this.inputLength = opts.inputLength ?? (Math.max(this.input.hookBit, this.input.muteBit) >> 3) + 1;
    this.writeDelayMs = opts.writeDelayMs ?? 0;
    this.info = {
      vendorId: opts.vendorId ?? 0x0b0e,
      productId: opts.productId ?? 0x0422,
      path: opts.path ?? '/dev/hidraw-sim0',
      product: opts.product ?? 'Speak 510 (simulated)',
      manufacturer: 'diemcau',
      release: 0x0100,
      interface: 3,
      usagePage: 0x0b,
      usage: 0x05,
    };
  }

  /** Plugs the device in (it starts plugged). Returns what a driver connection needs. */
  async start(): Promise<{ vendorId: number; productId: number; path: string }> {
    this.plug();
    return { vendorId: this.info.vendorId, productId: this.info.productId, path: this.info.path };
  }

  /** Unplugs the device. */
  async stop(): Promise<void> {
    this.unplug();
  }

  plug(): void {
    this.plugged = true;
  }

  /** Pulls the cable: every open handle gets 'error', writes in progress fail, opening fails until plug(). */
  unplug(): void {
    if (!this.plugged) return;
    this.plugged = false;
    for (const h of [...this.handles]) {
      this.handles.delete(h);
      h.unplugged();
    }
    this.leds = { offHook: false, mute: false };
    this.own = { offHook: false, mute: false };
  }

  /** node-hid's HIDAsync.open(path) / open(vendorId, productId), for this one device. */
  async open(target: HidTarget): Promise<FakeHidDevice> {
    const matches = 'path' in target ? target.path === this.info.path : target.vendorId === this.info.vendorId && target.productId === this.info.productId;
    if (!matches || !this.plugged) {
      throw new Error(
        'path' in target
          ? `cannot open device with path ${target.path}`
          : `cannot open device with vendor id 0x${target.vendorId.toString(16)} and product id 0x${target.productId.toString(16)}`,
      );
    }
    const h = new FakeHidDevice(this);
    this.handles.add(h);
    this.emit('open', h);
    return h;
  }

  /** The opener to inject into HidSpeakerphoneDriver. */
  readonly opener = (target: HidTarget): Promise<FakeHidDevice> => this.open(target);

  get openHandles(): number {
    return this.handles.size;
  }

  /** The mute button. Absolute: one report with the new state. Relative: a press report, then a release. */
  pressMute(): void {
    this.press('mute');
  }

  /** The hook (call) button. */
  pressHook(): void {
    this.press('hook');
  }

  /** Sends an arbitrary input report (e.g. another report ID, or a malformed one) to reading handles. */
  sendReport(report: Buffer | number[]): void {
    const b = toBytes(report);
    this.reports.push(b);
    this.emit('report', b);
    for (const h of this.handles) h.deliver(b);
  }

  clearLog(): void {
    this.writes.length = 0;
    this.reports.length = 0;
  }

  private press(button: 'mute' | 'hook'): void {
    if (!this.plugged) return;
    if (this.input.absolute) {
      if (button === 'mute') this.own.mute = !this.own.mute;
      else this.own.offHook = !this.own.offHook;
      this.sendReport(encodeInputReport(this.input, { hook: this.own.offHook, mute: this.own.mute }, this.inputLength));
    } else {
      this.sendReport(encodeInputReport(this.input, { hook: button === 'hook', mute: button === 'mute' }, this.inputLength));
      this.sendReport(encodeInputReport(this.input, { hook: false, mute: false }, this.inputLength));
    }
  }

  // Called by FakeHidDevice ------------------------------------------------------------------

  /** @internal Validates a write like Windows' HID stack: exact length and the output report's ID. */
  acceptWrite(bytes: Buffer): number {
    let leds: HookMuteState;
    try {
      leds = decodeLedReport(this.output, bytes);
    } catch {
      this.recordWrite(bytes, WRITE_ERROR);
      throw new Error(WRITE_ERROR);
    }
    this.leds = leds;
    this.own = { ...leds }; // the host owns the state; the device follows its LEDs
    this.recordWrite(bytes, null);
    return bytes.length;
  }

  /** @internal */
  recordWrite(bytes: Buffer, error: string | null): void {
    const w: HidSimWrite = { data: Buffer.from(bytes), accepted: error === null, error, time: process.hrtime.bigint() };
    this.writes.push(w);
    if (this.writes.length > 10_000) this.writes.splice(0, this.writes.length - 10_000);
    this.emit('write', w);
  }

  /** @internal */
  forget(h: FakeHidDevice): void {
    this.handles.delete(h);
  }
}
