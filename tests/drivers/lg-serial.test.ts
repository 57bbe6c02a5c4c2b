// LgSerialDriver against LgSerialSimulator over a socat pty pair (driver on ttyA, simulator on ttyB).
// Lines: protocols.md §3.3; simulator duties: §7 "LG: x terminator, NG codes, delayed ka ACK".
import { describe, it, expect, beforeAll } from 'vitest';
import { Ajv } from 'ajv';
import { LgSerialSimulator, type LgSerialSimulatorOptions } from '../../drivers/sim/lg-serial-sim.js';
import { LgSerialDriver, type LgSerialConnection } from '../../drivers/lg/driver.js';
import { lgSerialFactory } from '../../drivers/lg/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { errorOf, useCleanups, usePtyPairs, waitForStatus, type PtyPair } from '../helpers/drivers.js';

const cleanups = useCleanups();
/** socat pty pairs: spawned here, killed after the file. */
const ptyPair = usePtyPairs();

let shared: PtyPair;
beforeAll(async () => {
  shared = ptyPair();
  await shared.start();
});

async function rig(opts: { sim?: Partial<LgSerialSimulatorOptions>; conn?: Partial<LgSerialConnection>; pair?: PtyPair; expectStatus?: DeviceStatus } = {}) {
  const pair = opts.pair ?? shared;
  const sim = new LgSerialSimulator({ path: pair.b, power: true, powerOnMs: 100, ...opts.sim });
  await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new LgSerialDriver({ path: pair.a, timeoutMs: 150, retries: 1, powerOnTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe(opts.expectStatus ?? 'online');
  sim.clearLog();
  return { sim, driver, pair };
}

const lines = (sim: LgSerialSimulator) => sim.received.map((l) => l.text);
const replies = (sim: LgSerialSimulator) => sim.sent.map((l) => l.text);

describe('D4 lg-serial over a pty: lines', () => {
  it('D4 lg-serial: start() asks power (ka 01 ff), then volume/mute/input when on; online with the state', async () => {
    const sim = new LgSerialSimulator({ path: shared.b, power: true });
    sim.setState({ volume: 0x1e, mute: true, input: 0x91 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const driver = new LgSerialDriver({ path: shared.a, timeoutMs: 150 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(lines(sim)).toEqual(['ka 01 ff\r', 'kf 01 ff\r', 'ke 01 ff\r', 'xb 01 ff\r']);
    expect(replies(sim)).toEqual(['a 01 OK01x', 'f 01 OK1ex', 'e 01 OK00x', 'b 01 OK91x']);
    expect(driver.state()).toEqual({ power: true, volume: 30, mute: true, input: 'hdmi2' });
  });

  it('D4 lg-serial: every command byte-exact with its ACK (ke 00 = mute ON, 01 = mute off)', async () => {
    const { sim, driver } = await rig();
    const table: [string, () => Promise<unknown>, string, string][] = [
      ['volume 30', () => runDeviceCommand(driver, 'volume', { level: 30 }), 'kf 01 1e\r', 'f 01 OK1ex'],
      ['volume 100', () => driver.setVolume(100), 'kf 01 64\r', 'f 01 OK64x'],
      ['mute on', () => runDeviceCommand(driver, 'mute', { on: true }), 'ke 01 00\r', 'e 01 OK00x'],
      ['mute off', () => driver.setMute(false), 'ke 01 01\r', 'e 01 OK01x'],
      ['hdmi1', () => runDeviceCommand(driver, 'input', { source: 'hdmi1' }), 'xb 01 90\r', 'b 01 OK90x'],
      ['hdmi2', () => driver.setInput('hdmi2'), 'xb 01 91\r', 'b 01 OK91x'],
      ['hdmi3', () => driver.setInput('hdmi3'), 'xb 01 92\r', 'b 01 OK92x'],
      ['rgb1', () => driver.setInput('rgb1'), 'xb 01 60\r', 'b 01 OK60x'],
      ['dp1', () => driver.setInput('dp1'), 'xb 01 c0\r', 'b 01 OKc0x'],
      ['power off', () => runDeviceCommand(driver, 'power', { on: false }), 'ka 01 00\r', 'a 01 OK00x'],
      ['power on', () => driver.power(true), 'ka 01 01\r', 'a 01 OK01x'],
    ];
    for (const [what, run, line, ack] of table) {
      sim.clearLog();
      await run();
      expect([what, ...lines(sim)]).toEqual([what, line]);
      expect([what, ...replies(sim)]).toEqual([what, ack]);
    }
    expect(sim.state).toMatchObject({ power: true, volume: 100, mute: false, input: 0xc0 });
    expect(driver.state()).toEqual({ power: true, volume: 100, mute: false, input: 'dp1' });
  });

  it('D4 lg-serial: set ID 10 is sent as hex 0a and answered as 0a; another set ID on the line stays silent (timeout)', async () => {
    const { sim, driver } = await rig({ sim: { setId: 10 }, conn: { setId: 10 } });
    await driver.setVolume(50);
    expect(lines(sim)).toEqual(['kf 0a 32\r']);
    expect(replies(sim)).toEqual(['f 0a OK32x']);
    await driver.stop();
    const other = new LgSerialDriver({ path: shared.a, setId: 11, timeoutMs: 80, retries: 0, reconnectMinMs: 5000 });
    cleanups.push(() => other.stop());
    await other.start();
    expect(other.health().status).toBe('offline');
    expect(other.health().lastError).toMatch(/set 11\) did not answer power query within 80 ms/);
  });

  it('D4 lg-serial: the power-on ACK comes only after power-on completes — power(true) waits powerOnMs, not timeoutMs', async () => {
    const { sim, driver } = await rig({ sim: { power: false, powerOnMs: 400 }, conn: { timeoutMs: 100, powerOnTimeoutMs: 2000 } });
    const t0 = performance.now();
    await driver.power(true);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(395);
    expect(took).toBeLessThan(400 + 500);
    expect(lines(sim)).toEqual(['ka 01 01\r']);
    expect(replies(sim)).toEqual(['a 01 OK01x']);
    expect(Number(sim.sent[0].time - sim.received[0].time) / 1e6).toBeGreaterThanOrEqual(395);
    expect(driver.state().power).toBe(true);
  });

  it('D4 lg-serial: a power-on ACK later than powerOnTimeoutMs → timeout saying why', async () => {
    const { driver } = await rig({ sim: { power: false, powerOnMs: 1000 }, conn: { powerOnTimeoutMs: 200, reconnectMinMs: 5000 } });
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/did not acknowledge power on within 200 ms \(LG acknowledges power on once it has finished powering on\)/);
  });

  it('D4 lg-serial: NG 01 illegal code → invalid_argument, NG 02 not supported → not_supported, NG 03 wait more time → busy', async () => {
    const { sim, driver } = await rig({ sim: { powerOnMs: 300, inputs: [0x90, 0x91] } });
    const notSupported = await errorOf(driver.setInput('hdmi4')); // 0x93 is an LG code, not on this model
    expect(notSupported.code).toBe('not_supported');
    expect(notSupported.message).toMatch(/NG02 not supported function/);
    sim.ngNext(1, 'kf');
    const illegal = await errorOf(driver.setVolume(20));
    expect(illegal.code).toBe('invalid_argument');
    expect(illegal.message).toMatch(/NG01 illegal code/);
    await driver.power(false);
    const standby = await errorOf(driver.setMute(true));
    expect(standby.code).toBe('busy');
    expect(standby.message).toMatch(/NG03 wait more time/);
    expect(replies(sim)).toEqual(['b 01 NG02x', 'f 01 NG01x', 'a 01 OK00x', 'e 01 NG03x']);
    expect(driver.health().status).toBe('online');
    expect(driver.health().errorCount).toBe(3);
    // C5 raw console: NG answers come back as text.
    expect(await driver.raw('kf 01 65')).toBe('f 01 NG03x'); // still off: wait more time
    await driver.power(true);
    expect(await driver.raw('kf 01 65')).toBe('f 01 NG01x'); // above 64h
    expect(await driver.raw('zz 01 00')).toBe('z 01 NG02x');
  });

  it('D4 lg-serial: set ID 00 (all sets): executed by the set, no ACK sent, nothing waited for', async () => {
    const sim = new LgSerialSimulator({ path: shared.b, power: true });
    await sim.start();
    cleanups.push(() => sim.stop());
    const driver = new LgSerialDriver({ path: shared.a, setId: 0, timeoutMs: 2000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('online');
    const t0 = performance.now();
    await driver.setVolume(9);
    await driver.setInput('hdmi3');
    expect(performance.now() - t0).toBeLessThan(200);
    await expect.poll(() => sim.state.input, { interval: 5, timeout: 1000 }).toBe(0x92);
    expect(sim.state.volume).toBe(9);
    expect(lines(sim)).toEqual(['kf 00 09\r', 'xb 00 92\r']);
    expect(sim.sent).toEqual([]);
    expect(await driver.raw('ka 00 00')).toBe('');
  });

  it('D4 lg-serial: a garbled reply → bad_reply and degraded; the next good reply → online', async () => {
    const { sim, driver } = await rig();
    sim.garbleNextReply();
    const degraded = waitForStatus(driver, 'degraded');
    const err = await errorOf(driver.setVolume(3));
    expect(err.code).toBe('bad_reply');
    expect(err.message).toMatch(/not an LG reply: "f 01 OQ03x"/);
    await degraded;
    const online = waitForStatus(driver, 'online');
    await driver.setVolume(3);
    await online;
  });

  it('D4 lg-serial: the reply is paced at 9600 baud (10 bytes ≥ 10.4 ms) and arrives in several writes', async () => {
    const { sim, driver } = await rig();
    const t0 = performance.now();
    await driver.setVolume(42);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(10 * (10_000 / 9600) - 0.5);
    expect(replies(sim)).toEqual(['f 01 OK2ax']);
    expect(sim.sent[0].chunks).toBeGreaterThan(1);
  });

  it('D4 lg-serial: bad arguments are refused before any byte goes out', async () => {
    const { sim, driver } = await rig();
    expect((await errorOf(driver.setVolume(101))).code).toBe('invalid_argument');
    expect((await errorOf(driver.setInput('hdmi9'))).code).toBe('invalid_argument');
    expect((await errorOf(driver.raw('ka01ff'))).code).toBe('invalid_argument');
    expect((await errorOf(driver.setMute('on' as unknown as boolean))).code).toBe('invalid_argument');
    expect(sim.received).toEqual([]);
  });
});

describe('D4 lg-serial: faults', () => {
  it('D4 lg-serial: set killed in the middle of a command → timeout inside (retries+1)×timeoutMs, offline, fail fast; back on the same pty → online by itself', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 150, retries: 1 } });
    const crashed = sim.crashOnNextCommand();
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setInput('hdmi2'));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/\(set 1\) did not answer input hdmi2 within 300 ms \(2 attempts of 150 ms\)/);
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(300 + 500);
    await crashed;
    await offline;
    const t1 = performance.now();
    expect((await errorOf(driver.setVolume(1))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
    const online = waitForStatus(driver, 'online');
    await sim.start();
    await online;
    await driver.setInput('hdmi2');
    expect(sim.state.input).toBe(0x91);
  });

  it('D4 lg-serial: the serial port vanishes (socat killed, like an unplugged adapter) → offline at once; it returns → reopened, online', async () => {
    const pair = ptyPair();
    await pair.start();
    const { sim, driver } = await rig({ pair });
    const offline = waitForStatus(driver, 'offline');
    await sim.stop();
    await pair.kill();
    await offline;
    expect((await errorOf(driver.setVolume(5))).code).toBe('unreachable');
    const online = waitForStatus(driver, 'online');
    await pair.start();
    await sim.start();
    await online;
    await driver.setVolume(5);
    expect(sim.state.volume).toBe(5);
  });

  it('D4 lg-serial: stop() fails a pending command with closed', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 5000 } });
    sim.silenceNext(1);
    const pending = errorOf(driver.setVolume(8));
    await new Promise<void>((r) => sim.once('command', () => r()));
    await driver.stop();
    expect((await pending).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
  });
});

describe('D4 lg-serial factory', () => {
  it('D4 lgSerialFactory: JSON Schema fills defaults (9600, set 1) and refuses bad connections; create() builds an lg-serial display', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(lgSerialFactory.connectionSchema);
    const conn: Record<string, unknown> = { path: '/dev/ttyUSB1' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ baudRate: 9600, setId: 1, timeoutMs: 1000, powerOnTimeoutMs: 15_000 });
    expect(validate({ path: '/dev/ttyUSB1', setId: 100 })).toBe(false);
    expect(validate({ setId: 1 })).toBe(false);
    expect(validate({ path: 'x', host: 'y' })).toBe(false);
    const d = lgSerialFactory.create(conn);
    expect(d).toBeInstanceOf(LgSerialDriver);
    expect([d.driver, d.kind, lgSerialFactory.driver, lgSerialFactory.kind]).toEqual(['lg-serial', 'display', 'lg-serial', 'display']);
    expect(() => lgSerialFactory.create({})).toThrow(DeviceError);
    expect(() => lgSerialFactory.create({ path: 'x', setId: 120 })).toThrow(DeviceError);
  });
});
