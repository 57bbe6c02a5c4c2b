// A USB HID telephony speakerphone (Jabra, Poly, Teams-certified) through node-hid, protocols.md §4.1–4.2.
//
// Open (like Jitsi's webhid-manager): LEDs on-hook + mute off, then OFF_HOOK, which switches headsets and
// speakerphones into the call state where the mute button works. Then:
//  * setMute(on) writes the LED output report (the host owns the mute state; the device only shows it);
//  * a Phone Mute / Hook Switch press arrives as an input report, decoded with absolute or relative
//    (press-to-toggle) semantics; the driver answers with the LED report (as Jitsi does), updates state()
//    and emits 'button' so the room can mute the meeting.
//
// Faults: an 'error' from node-hid (the device was unplugged), a failed write or a write that does not finish
// within timeoutMs mark the device offline; the driver closes the handle and tries to open it again with back-off
// (opening enumerates USB, so not too often). After a re-open the LEDs show the mute state the room had.
import { EventEmitter } from 'node:events';
import { Backoff } from '../core/backoff.js';
import { CommandQueue } from '../core/command-queue.js';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { bounded } from '../core/timeout.js';
import { DeviceError, type DeviceHealth, type Driver, type DriverEvents, type Mute } from '../types.js';
import {
  DEFAULT_INPUT_LAYOUT,
  DEFAULT_OUTPUT_LAYOUT,
  HidDecodeError,
  checkInputLayout,
  checkOutputLayout,
  decodeInputReport,
  encodeLedReport,
  type HidInputLayout,
  type HidOutputLayout,
  type HookMuteState,
} from './codec.js';

export type HidTarget = { vendorId: number; productId: number } | { path: string };

/** What the driver needs of a node-hid HIDAsync handle (and what the simulator's fake implements). */
export interface HidDeviceLike {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  write(data: number[] | Buffer): Promise<number> | number;
  close(): Promise<void> | void;
}

/** Opens a device; the default is node-hid's `HID.HIDAsync.open(path)` / `open(vendorId, productId)`. */
export type HidOpener = (target: HidTarget) => Promise<HidDeviceLike>;

/** node-hid, loaded on first use so that a box without libusb still starts (the device is then offline). */
export const nodeHidOpener: HidOpener = async (target) => {
  const mod = (await import('node-hid')) as typeof import('node-hid') & { default?: typeof import('node-hid') };
  const HIDAsync = mod.HIDAsync ?? mod.default!.HIDAsync;
  const device = 'path' in target ? await HIDAsync.open(target.path) : await HIDAsync.open(target.vendorId, target.productId);
  return device as unknown as HidDeviceLike;
};

export interface HidSpeakerphoneConnection {
  vendorId?: number;
  productId?: number;
  /** hidraw path (Linux), preferred when several identical devices are attached. */
  path?: string;
  input?: Partial<HidInputLayout>;
  output?: Partial<HidOutputLayout>;
  /** Bound on opening the device and on each report write. */
  timeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const HID_SPEAKERPHONE_DEFAULTS = {
  timeoutMs: 1000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
} satisfies Partial<HidSpeakerphoneConnection>;

export interface HidSpeakerphoneState {
  mute: boolean;
  offHook: boolean;
  [key: string]: unknown;
}

export interface HidButtonEvent {
  button: 'mute' | 'hook';
  mute: boolean;
  offHook: boolean;
}

export interface HidSpeakerphoneEvents extends DriverEvents {
  /** A button pressed on the device: mute → the room should mute/unmute the meeting to match. */
  button: [HidButtonEvent];
}

type ButtonListener = (e: HidButtonEvent) => void;
/** The driver events plus 'button' (declaration merging keeps the class assignable to Driver). */
export interface HidSpeakerphoneDriver {
  on(event: 'button', listener: ButtonListener): this;
  on<K extends keyof DriverEvents>(event: K, listener: (...args: DriverEvents[K]) => void): this;
  once(event: 'button', listener: ButtonListener): this;
  once<K extends keyof DriverEvents>(event: K, listener: (...args: DriverEvents[K]) => void): this;
  off(event: 'button', listener: ButtonListener): this;
  off<K extends keyof DriverEvents>(event: K, listener: (...args: DriverEvents[K]) => void): this;
  emit(event: 'button', e: HidButtonEvent): boolean;
  emit<K extends keyof DriverEvents>(event: K, ...args: DriverEvents[K]): boolean;
}

export class HidSpeakerphoneDriver extends EventEmitter<DriverEvents> implements Driver, Mute {
  readonly driver = 'hid-speakerphone';
  readonly kind = 'audio' as const;
  readonly connection: HidSpeakerphoneConnection;
  readonly input: HidInputLayout;
  readonly output: HidOutputLayout;

  private readonly target: HidTarget;
  private readonly opener: HidOpener;
  private readonly lifecycle = new Lifecycle('speakerphone');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly phone = new DeviceState<HidSpeakerphoneState>({ mute: false, offHook: false }, () => this.emit('state', this.state()));

  private device: HidDeviceLike | null = null;
  /** One report write at a time. */
  private readonly writes = new CommandQueue();
  private readonly backoff: Backoff;

  constructor(connection: Partial<HidSpeakerphoneConnection>, opts: { hid?: HidOpener } = {}) {
    super();
    this.connection = { ...HID_SPEAKERPHONE_DEFAULTS, ...connection };
    const c = this.connection;
    if (typeof c.path === 'string' && c.path.length > 0) this.target = { path: c.path };
    else if (Number.isInteger(c.vendorId) && Number.isInteger(c.productId)) this.target = { vendorId: c.vendorId!, productId: c.productId! };
    else throw new DeviceError('invalid_argument', 'hid-speakerphone needs connection.path or connection.vendorId and productId');
    try {
      this.input = checkInputLayout({ ...DEFAULT_INPUT_LAYOUT, ...c.input });
      this.output = checkOutputLayout({ ...DEFAULT_OUTPUT_LAYOUT, ...c.output });
    } catch (err) {
      throw new DeviceError('invalid_argument', `hid-speakerphone layout: ${(err as Error).message}`);
    }
    this.opener = opts.hid ?? nodeHidOpener;
    this.backoff = new Backoff(c.reconnectMinMs, c.reconnectMaxMs);
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Opens the device once and sets its LEDs; resolves when that attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.tracker.set('connecting');
    await this.open();
  }

  /** Closes the device; a write in progress fails with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    this.backoff.cancel();
    const d = this.device;
    this.device = null;
    if (d) await closeQuietly(d);
    this.tracker.set('offline');
  }

  health(): DeviceHealth {
    return this.tracker.snapshot();
  }

  state(): Record<string, unknown> {
    return this.phone.copy();
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** Writes the LED output report with the mute LED on or off (and the current off-hook LED). */
  async setMute(on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new DeviceError('invalid_argument', 'on must be a boolean');
    await this.writeLeds({ offHook: this.phone.values.offHook, mute: on }, `mute LED ${on ? 'on' : 'off'}`);
    this.phone.patch({ mute: on });
  }

  // -------------------------------------------------------------------------------------------
  // Device
  // -------------------------------------------------------------------------------------------

  private describeTarget(): string {
    const t = this.target;
    return 'path' in t ? t.path : `${hex4(t.vendorId)}:${hex4(t.productId)}`;
  }

  private async open(): Promise<boolean> {
    if (this.lifecycle.stopped) return false;
    const c = this.connection;
    let device: HidDeviceLike;
    try {
      const opening = this.opener(this.target);
      let late = false;
      // A handle that arrives after the timeout is closed, not leaked.
      opening.then((d) => late && void closeQuietly(d), () => {});
      device = await bounded(opening, c.timeoutMs, () => `opening ${this.describeTarget()} did not finish within ${c.timeoutMs} ms`).catch((err) => {
        late = true;
        throw err;
      });
    } catch (err) {
      this.tracker.noteError(`cannot open speakerphone ${this.describeTarget()}: ${(err as Error)?.message ?? String(err)}`);
      this.goOffline();
      return false;
    }
    if (this.lifecycle.stopped) {
      await closeQuietly(device);
      return false;
    }
    this.device = device;
    device.on('data', (data) => this.onReport(device, data));
    device.on('error', (err) => this.lost(device, `device error: ${err?.message ?? String(err)}`));
    try {
      // Jitsi: reset to on-hook + mute off, then OFF_HOOK so the mute button works. After a re-open the mute
      // LED comes back to what the room has.
      await this.write(device, { offHook: false, mute: false }, 'LED reset (on-hook, mute off)');
      await this.write(device, { offHook: true, mute: this.phone.values.mute }, 'LED off-hook');
    } catch (err) {
      if (this.device === device) this.lost(device, (err as Error).message);
      return false;
    }
    if (this.device !== device) return false;
    this.phone.patch({ offHook: true });
    this.backoff.reset();
    this.tracker.set('online');
    return true;
  }

  private async writeLeds(leds: HookMuteState, what: string): Promise<void> {
    const refusal = this.lifecycle.refusal();
    if (refusal) throw refusal;
    const device = this.device;
    if (!device || this.tracker.status === 'offline' || this.tracker.status === 'connecting') throw this.unreachable();
    try {
      await this.write(device, leds, what);
    } catch (err) {
      const e = err as DeviceError;
      if (this.device === device && e.code !== 'closed') this.lost(device, e.message);
      throw e;
    }
  }

  /** One report write at a time, bounded by timeoutMs; every failure is a DeviceError. */
  private write(device: HidDeviceLike, leds: HookMuteState, what: string): Promise<void> {
    const report = encodeLedReport(this.output, leds);
    const timeoutMs = this.connection.timeoutMs;
    const run = async () => {
      if (this.device !== device) throw this.lifecycle.stopped ? this.lifecycle.stoppedError() : this.unreachable();
      try {
        await bounded(Promise.resolve().then(() => device.write([...report])), timeoutMs, () => `the speakerphone did not take the ${what} report within ${timeoutMs} ms`);
      } catch (err) {
        if (err instanceof DeviceError) throw err;
        if (this.device !== device)
          throw this.lifecycle.stopped
            ? this.lifecycle.stoppedError()
            : new DeviceError('unreachable', `the speakerphone went away while writing the ${what} report: ${(err as Error)?.message ?? err}`);
        throw new DeviceError(
          'unreachable',
          `${(err as Error)?.message ?? err} (${what}: ${report.length}-byte report ${hexBytes(report)}; check that connection.output matches the device's LED report)`,
        );
      }
      this.tracker.noteReply();
    };
    return this.writes.push(run);
  }

  private onReport(device: HidDeviceLike, data: Buffer): void {
    if (this.device !== device) return;
    this.tracker.noteReply();
    let decoded;
    try {
      decoded = decodeInputReport(this.input, data, { offHook: this.phone.values.offHook, mute: this.phone.values.mute });
    } catch (err) {
      const why = err instanceof HidDecodeError ? err.message : String(err);
      this.tracker.noteBadReply(`undecodable input report ${hexBytes(data)}: ${why}`);
      return;
    }
    if (!decoded) return; // another report (volume keys, vendor data)
    this.tracker.recover();
    if (decoded.events.length === 0) return;
    this.phone.patch({ ...decoded.state });
    for (const e of decoded.events) this.emit('button', { button: e.type, mute: decoded.state.mute, offHook: decoded.state.offHook });
    // Answer with the LEDs, as Jitsi's sendReplyReport: a relative device only shows the state it is told.
    this.write(device, decoded.state, 'LED reply').catch((err: DeviceError) => {
      if (this.device === device && err.code !== 'closed') this.lost(device, err.message);
    });
  }

  /** The handle is unusable (unplugged, write failed, hung): close it, go offline, try again later. */
  private lost(device: HidDeviceLike, why: string): void {
    if (this.device !== device) return;
    this.device = null;
    this.tracker.noteError(`speakerphone ${this.describeTarget()}: ${why}`);
    void closeQuietly(device);
    this.goOffline();
  }

  private goOffline(): void {
    if (this.lifecycle.stopped) return;
    this.tracker.set('offline');
    this.backoff.schedule(() => void this.open());
  }

  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Speakerphone ${this.describeTarget()} is not connected; retrying in the background`);
  }
}

async function closeQuietly(d: HidDeviceLike): Promise<void> {
  try {
    await d.close();
  } catch {
    /* already gone */
  }
  try {
    d.removeAllListeners();
  } catch {
    /* ignore */
  }
  // node-hid may still emit a late 'error' from its read thread; without a listener that would throw.
  d.on('error', () => {});
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const hexBytes = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');
