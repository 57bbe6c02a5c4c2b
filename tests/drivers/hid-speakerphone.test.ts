// HidSpeakerphoneDriver against the in-process HidSpeakerphoneSimulator (node-hid's HIDAsync interface).
// Byte assertions read the output reports the fake device received.
import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import { HidSpeakerphoneSimulator, FakeHidDevice, type HidSpeakerphoneSimOptions } from '../../drivers/sim/hid-speakerphone-sim.js';
import { HidSpeakerphoneDriver, nodeHidOpener, type HidButtonEvent, type HidSpeakerphoneConnection } from '../../drivers/hid-speakerphone/driver.js';
import { hidSpeakerphoneFactory, createHidSpeakerphone } from '../../drivers/hid-speakerphone/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { hex } from '../helpers/bytes.js';
import { errorOf, useCleanups, waitForStatus } from '../helpers/drivers.js';

const cleanups = useCleanups();

interface Rig {
  sim: HidSpeakerphoneSimulator;
  driver: HidSpeakerphoneDriver;
}

async function rig(opts: { sim?: HidSpeakerphoneSimOptions; conn?: Partial<HidSpeakerphoneConnection> } = {}): Promise<Rig> {
  const sim = new HidSpeakerphoneSimulator(opts.sim);
  const { vendorId, productId } = await sim.start();
  const driver = new HidSpeakerphoneDriver({ vendorId, productId, timeoutMs: 300, reconnectMinMs: 20, reconnectMaxMs: 80, ...opts.conn }, { hid: sim.opener });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, driver };
}

/** Accepted output reports since the last clearLog(), as hex. */
const written = (sim: HidSpeakerphoneSimulator) => sim.writes.filter((w) => w.accepted).map((w) => hex(w.data));

/** Resolves once the simulator has taken n more accepted writes. */
function writesSettled(sim: HidSpeakerphoneSimulator, n: number): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const on = (w: { accepted: boolean }) => {
      if (w.accepted && --left === 0) {
        sim.off('write', on);
        resolve();
      }
    };
    sim.on('write', on);
  });
}

describe('D4 hid-speakerphone driver: open and LEDs (protocols.md §4.1)', () => {
  it('D4 hid-speakerphone: start() opens by vendor/product ID, writes on-hook + mute off (03 00) then OFF_HOOK (03 01), goes online', async () => {
    const sim = new HidSpeakerphoneSimulator();
    const opened: FakeHidDevice[] = [];
    sim.on('open', (h) => opened.push(h));
    const driver = new HidSpeakerphoneDriver({ vendorId: 0x0b0e, productId: 0x0422 }, { hid: sim.opener });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(opened).toHaveLength(1);
    expect(sim.writes.map((w) => [hex(w.data), w.accepted])).toEqual([
      ['03 00', true],
      ['03 01', true],
    ]);
    expect(sim.leds).toEqual({ offHook: true, mute: false });
    expect(driver.state()).toEqual({ mute: false, offHook: true });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
    expect(opened[0].listenerCount('data')).toBe(1);
    expect(opened[0].listenerCount('error')).toBe(1);
  });

  it('D4 F1 hid-speakerphone: mute → the LED output report 03 03, unmute → 03 01 (exact length, report ID first)', async () => {
    const { sim, driver } = await rig();
    const states: Record<string, unknown>[] = [];
    driver.on('state', (s) => states.push(s));
    await runDeviceCommand(driver, 'mute', { on: true });
    expect(sim.leds).toEqual({ offHook: true, mute: true });
    await driver.setMute(false);
    expect(written(sim)).toEqual(['03 03', '03 01']);
    expect(states.map((s) => s.mute)).toEqual([true, false]);
  });

  it('D4 hid-speakerphone: unnumbered reports (ID 0) and a 2-byte LED report: writes are 00 + 2 bytes', async () => {
    const { sim, driver } = await rig({
      sim: { input: { reportId: 0, hookBit: 0, muteBit: 9 }, output: { reportId: 0, offHookBit: 3, muteBit: 8, length: 2 } },
      conn: { input: { reportId: 0, hookBit: 0, muteBit: 9 }, output: { reportId: 0, offHookBit: 3, muteBit: 8, length: 2 } },
    });
    await driver.setMute(true);
    expect(written(sim)).toEqual(['00 08 01']);
    sim.clearLog();
    const press = new Promise<HidButtonEvent>((r) => driver.once('button', r));
    sim.pressMute();
    expect(sim.reports.map(hex)).toEqual(['00 02', '00 00']); // no report ID byte on the wire
    expect(await press).toEqual({ button: 'mute', mute: false, offHook: true });
  });

  it('D4 hid-speakerphone: wrong output length → "Cannot write to HID device" (Windows behaviour) → start() ends offline with a clear lastError', async () => {
    const sim = new HidSpeakerphoneSimulator({ output: { length: 2 } });
    const driver = new HidSpeakerphoneDriver({ vendorId: 0x0b0e, productId: 0x0422, reconnectMinMs: 10_000 }, { hid: sim.opener });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/Cannot write to HID device \(LED reset \(on-hook, mute off\): 2-byte report 03 00; check that connection.output/);
    expect(sim.writes.map((w) => [hex(w.data), w.accepted, w.error])).toEqual([['03 00', false, 'Cannot write to HID device']]);
    expect(sim.openHandles).toBe(0); // the driver closed what it opened
    expect((await errorOf(driver.setMute(true))).code).toBe('unreachable');
  });
});

describe('D4 F1 hid-speakerphone driver: buttons', () => {
  it('D4 F1 hid-speakerphone: relative (press-to-toggle) mute button → button event, state, LED reply; release reports change nothing', async () => {
    const { sim, driver } = await rig({ sim: { style: 'relative' } });
    const buttons: HidButtonEvent[] = [];
    const states: Record<string, unknown>[] = [];
    driver.on('button', (b) => buttons.push(b));
    driver.on('state', (s) => states.push(s));
    const replied = writesSettled(sim, 1);
    sim.pressMute();
    await replied;
    expect(sim.reports.map(hex)).toEqual(['03 04', '03 00']); // press, release
    expect(buttons).toEqual([{ button: 'mute', mute: true, offHook: true }]);
    expect(states).toEqual([{ mute: true, offHook: true }]);
    expect(written(sim)).toEqual(['03 03']); // Jitsi's reply report: the LED follows
    expect(sim.leds.mute).toBe(true);
    const again = writesSettled(sim, 1);
    sim.pressMute();
    await again;
    expect(buttons.at(-1)).toEqual({ button: 'mute', mute: false, offHook: true });
    expect(written(sim).at(-1)).toBe('03 01');
  });

  it('D4 hid-speakerphone: relative hook button toggles off-hook → on-hook; the LED reply carries both bits', async () => {
    const { sim, driver } = await rig({ sim: { style: 'relative' } });
    await driver.setMute(true);
    sim.clearLog();
    const press = new Promise<HidButtonEvent>((r) => driver.once('button', r));
    const replied = writesSettled(sim, 1);
    sim.pressHook();
    expect(await press).toEqual({ button: 'hook', mute: true, offHook: false });
    await replied;
    expect(sim.reports.map(hex)).toEqual(['03 01', '03 00']);
    expect(written(sim)).toEqual(['03 02']); // on-hook, mute LED still on
    expect(driver.state()).toEqual({ mute: true, offHook: false });
  });

  it('D4 F1 hid-speakerphone: absolute buttons carry the state; the device follows the host LEDs between presses', async () => {
    const { sim, driver } = await rig({ sim: { style: 'absolute' }, conn: { input: { absolute: true } } });
    const buttons: HidButtonEvent[] = [];
    driver.on('button', (b) => buttons.push(b));
    let replied = writesSettled(sim, 1);
    sim.pressMute();
    await replied;
    expect(sim.reports.map(hex)).toEqual(['03 05']); // one report: hook 1 (off-hook), mute 1
    expect(buttons).toEqual([{ button: 'mute', mute: true, offHook: true }]);
    await driver.setMute(false); // the room unmuted: the device's mute follows the LED
    replied = writesSettled(sim, 1);
    sim.pressMute();
    await replied;
    expect(sim.reports.map(hex).at(-1)).toBe('03 05');
    expect(buttons.at(-1)).toEqual({ button: 'mute', mute: true, offHook: true });
    replied = writesSettled(sim, 1);
    sim.pressHook();
    await replied;
    expect(sim.reports.map(hex).at(-1)).toBe('03 04');
    expect(buttons.at(-1)).toEqual({ button: 'hook', mute: true, offHook: false });
    // The same absolute state again is not a press.
    const before = buttons.length;
    sim.sendReport([0x03, 0x04]);
    expect(buttons.length).toBe(before);
  });

  it('D4 hid-speakerphone: reports with another ID are ignored; a short report → degraded, the next good one → online', async () => {
    const { sim, driver } = await rig({ conn: { input: { muteBit: 10 } }, sim: { input: { muteBit: 10 } } });
    const buttons: HidButtonEvent[] = [];
    driver.on('button', (b) => buttons.push(b));
    sim.sendReport([0x05, 0xff, 0xff]); // a vendor report
    expect(driver.health().status).toBe('online');
    const degraded = waitForStatus(driver, 'degraded');
    sim.sendReport([0x03, 0x00]); // bit 10 needs two data bytes
    await degraded;
    expect(driver.health().lastError).toMatch(/undecodable input report 03 00: input report has 1 data byte\(s\); bits 0\/10 need 2/);
    const online = waitForStatus(driver, 'online');
    sim.pressMute();
    await online;
    expect(buttons).toEqual([{ button: 'mute', mute: true, offHook: true }]);
  });
});

describe('D4 M9.2 hid-speakerphone driver: unplug and re-open', () => {
  it('D4 M9.2 hid-speakerphone: unplugged mid-write → unreachable at once, offline; plugged back → re-opened by itself, LEDs restored to the room state', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 1000 } });
    await driver.setMute(true);
    sim.writeDelayMs = 200;
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const pending = errorOf(driver.setMute(false));
    await new Promise((r) => setTimeout(r, 20));
    sim.unplug(); // the cable is pulled while the write is in progress
    const err = await pending;
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/Cannot write to HID device/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await offline;
    expect(driver.health().lastError).toMatch(/could not read from HID device|Cannot write to HID device/);
    expect((await errorOf(driver.setMute(false))).code).toBe('unreachable');
    // Re-open attempts fail while unplugged.
    await new Promise((r) => setTimeout(r, 60));
    expect(driver.health().lastError).toMatch(/cannot open device with vendor id 0xb0e and product id 0x422/);

    sim.writeDelayMs = 0;
    sim.clearLog();
    const online = waitForStatus(driver, 'online');
    sim.plug();
    await online;
    expect(written(sim)).toEqual(['03 00', '03 03']); // reset, then off-hook with the mute the room still has
    expect(driver.state()).toEqual({ mute: true, offHook: true });
    await driver.setMute(false);
    expect(sim.leds).toEqual({ offHook: true, mute: false });
    expect(sim.openHandles).toBe(1);
  });

  it('D4 M9.2 hid-speakerphone: a write that hangs → timeout within timeoutMs, handle closed, re-opened', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 100 } });
    sim.writeDelayMs = 5000;
    const t0 = performance.now();
    const err = await errorOf(driver.setMute(true));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toBe('the speakerphone did not take the mute LED on report within 100 ms');
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(100 + 300);
    expect(driver.health().status).toBe('offline');
    sim.writeDelayMs = 0;
    await waitForStatus(driver, 'online');
    await driver.setMute(true);
    expect(sim.leds.mute).toBe(true);
  });

  it('D4 hid-speakerphone: stop() closes the handle; later commands fail with closed', async () => {
    const { sim, driver } = await rig();
    expect(sim.openHandles).toBe(1);
    await driver.stop();
    expect(sim.openHandles).toBe(0);
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.setMute(true))).code).toBe('closed');
    sim.pressMute(); // nobody listening: nothing happens
    expect(driver.state().mute).toBe(false);
  });

  it('D4 hid-speakerphone: opening by path; a path that does not exist → offline with node-hid-style message', async () => {
    const sim = new HidSpeakerphoneSimulator({ path: '/dev/hidraw7' });
    const good = new HidSpeakerphoneDriver({ path: '/dev/hidraw7', reconnectMinMs: 10_000 }, { hid: sim.opener });
    const bad = new HidSpeakerphoneDriver({ path: '/dev/hidraw9', reconnectMinMs: 10_000 }, { hid: sim.opener });
    cleanups.push(() => good.stop(), () => bad.stop());
    await Promise.all([good.start(), bad.start()]);
    expect(good.health().status).toBe('online');
    expect(bad.health().status).toBe('offline');
    expect(bad.health().lastError).toBe('cannot open speakerphone /dev/hidraw9: cannot open device with path /dev/hidraw9');
  });

  it('D4 hid-speakerphone: the default opener is node-hid (HIDAsync.open); no such device → offline, not a crash', async () => {
    await expect(nodeHidOpener({ path: '/dev/hidraw-diemcau-none' })).rejects.toThrow();
    const driver = hidSpeakerphoneFactory.create({ path: '/dev/hidraw-diemcau-none', reconnectMinMs: 10_000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/^cannot open speakerphone \/dev\/hidraw-diemcau-none: /);
  });
});

describe('D4 hid-speakerphone simulator: node-hid behaviour', () => {
  it('D4 fake node-hid device: write() resolves to report length + 1; wrong length or ID → "Cannot write to HID device"', async () => {
    const sim = new HidSpeakerphoneSimulator({ output: { reportId: 2, length: 3 } });
    const dev = await sim.open({ vendorId: 0x0b0e, productId: 0x0422 });
    expect(await dev.write([0x02, 0x03, 0x00, 0x00])).toBe(4);
    expect(await dev.write(Buffer.from([0x02, 0x00, 0x00, 0x00]))).toBe(4);
    await expect(dev.write([0x02, 0x03])).rejects.toThrow('Cannot write to HID device');
    await expect(dev.write([0x03, 0x03, 0x00, 0x00])).rejects.toThrow('Cannot write to HID device');
    await expect(dev.write([0x02, 0x03, 0x00, 0x00, 0x00])).rejects.toThrow('Cannot write to HID device');
    await expect(dev.write([0x02, 300, 0, 0])).rejects.toThrow('Cannot write to HID device');
    expect(sim.writes.map((w) => w.accepted)).toEqual([true, true, false, false, false]);
    expect(sim.leds).toEqual({ offHook: false, mute: false });
    expect(await dev.sendFeatureReport([0x05, 1, 2])).toBe(3);
    expect(hex(await dev.getFeatureReport(0x05, 4))).toBe('05 00 00 00');
    expect(await dev.getDeviceInfo()).toMatchObject({ vendorId: 0x0b0e, productId: 0x0422, usagePage: 0x0b });
    await dev.close();
    await expect(dev.write([0x02, 0x03, 0x00, 0x00])).rejects.toThrow('Cannot write to HID device');
    await expect(sim.open({ path: '/nope' })).rejects.toThrow('cannot open device with path /nope');
  });

  it('D4 fake node-hid device: no buffering without a data listener; unplug emits error and fails opening until plug()', async () => {
    const sim = new HidSpeakerphoneSimulator({ style: 'absolute' });
    const dev = await sim.open({ path: '/dev/hidraw-sim0' });
    sim.pressMute(); // nobody reading: lost
    const got: Buffer[] = [];
    dev.on('data', (b: Buffer) => got.push(b));
    sim.pressMute();
    expect(got.map(hex)).toEqual(['03 00']); // absolute: mute toggled on (lost), then off
    dev.pause();
    sim.pressMute();
    dev.resume();
    expect(got).toHaveLength(1);
    const errors: Error[] = [];
    dev.on('error', (e: Error) => errors.push(e));
    sim.unplug();
    expect(errors.map((e) => e.message)).toEqual(['could not read from HID device']);
    await expect(sim.open({ path: '/dev/hidraw-sim0' })).rejects.toThrow(/cannot open device/);
    sim.plug();
    await expect(sim.open({ path: '/dev/hidraw-sim0' })).resolves.toBeInstanceOf(FakeHidDevice);
  });
});

describe('D4 hid-speakerphone factory', () => {
  it('D4 hidSpeakerphoneFactory: JSON Schema (vendor/product or path, layouts with defaults); create() builds a hid-speakerphone audio driver', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(hidSpeakerphoneFactory.connectionSchema);
    const conn: Record<string, unknown> = { vendorId: 0x0b0e, productId: 0x0422, input: {}, output: {} };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ timeoutMs: 1000, input: { reportId: 3, hookBit: 0, muteBit: 2, absolute: false }, output: { reportId: 3, offHookBit: 0, muteBit: 1, length: 1 } });
    expect(validate({ path: '/dev/hidraw0' })).toBe(true);
    expect(validate({ vendorId: 1 })).toBe(false);
    expect(validate({})).toBe(false);
    expect(validate({ path: '/dev/hidraw0', output: { length: 0 } })).toBe(false);
    expect(validate({ path: '/dev/hidraw0', bogus: 1 })).toBe(false);
    const d = hidSpeakerphoneFactory.create(conn);
    expect(d).toBeInstanceOf(HidSpeakerphoneDriver);
    expect([d.driver, d.kind, hidSpeakerphoneFactory.driver, hidSpeakerphoneFactory.kind]).toEqual(['hid-speakerphone', 'audio', 'hid-speakerphone', 'audio']);
    expect(() => hidSpeakerphoneFactory.create({})).toThrow(DeviceError);
    expect(() => createHidSpeakerphone({ path: 'x', input: { hookBit: 2, muteBit: 2 } })).toThrow(/hookBit and input.muteBit must differ/);
    expect(() => createHidSpeakerphone({ path: 'x', output: { length: 1, muteBit: 8 } })).toThrow(DeviceError);
  });
});
