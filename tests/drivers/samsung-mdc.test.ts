// SamsungMdcDriver against SamsungMdcSimulator over real TCP on 127.0.0.1 and over a socat pty pair
// (driver on ttyA, simulator on ttyB). Frames: protocols.md §3.2; simulator duties: §7 "Samsung MDC".
import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { Ajv } from 'ajv';
import { SamsungMdcSimulator, NAK_NO_INPUT, NAK_NOT_NOW, type SamsungMdcSimulatorOptions } from '../../drivers/sim/samsung-mdc-sim.js';
import { SamsungMdcDriver, type SamsungMdcConnectionInput } from '../../drivers/samsung-mdc/driver.js';
import { samsungMdcFactory } from '../../drivers/samsung-mdc/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { MdcStreamParser, encodeFrame } from '../../drivers/samsung-mdc/codec.js';
import { bytes, hex, prng } from '../helpers/bytes.js';
import { errorOf, useCleanups, usePtyPairs, waitForStatus, type PtyPair } from '../helpers/drivers.js';

const cleanups = useCleanups();

async function startSim(opts: SamsungMdcSimulatorOptions = {}): Promise<SamsungMdcSimulator> {
  const sim = new SamsungMdcSimulator({ port: 0, random: prng(7), power: true, ...opts });
  await sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

interface Rig {
  sim: SamsungMdcSimulator;
  driver: SamsungMdcDriver;
  port: number;
}

async function tcpRig(opts: { sim?: SamsungMdcSimulatorOptions; conn?: Partial<SamsungMdcConnectionInput>; expectStatus?: DeviceStatus } = {}): Promise<Rig> {
  const sim = await startSim(opts.sim);
  const port = tcpPort(sim);
  const driver = new SamsungMdcDriver({ host: '127.0.0.1', port, timeoutMs: 150, retries: 1, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn } as SamsungMdcConnectionInput);
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe(opts.expectStatus ?? 'online');
  sim.clearLog();
  return { sim, driver, port };
}

const tcpPort = (sim: SamsungMdcSimulator) => (sim.address as { port: number }).port;
const received = (sim: SamsungMdcSimulator) => sim.received.map((f) => hex(f.data));
const sentOut = (sim: SamsungMdcSimulator) => sim.sent.map((f) => hex(f.data));

/** A bare TCP client that reassembles reply frames, to poke the simulator directly. */
async function rawClient(port: number) {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  cleanups.push(async () => socket.destroy());
  const parser = new MdcStreamParser({ replies: true });
  const inbox: Buffer[] = [];
  socket.on('data', (c) => inbox.push(...parser.push(c)));
  return {
    send: (b: Buffer) => socket.write(b),
    /** The frames that arrived within ms (an event cannot tell us that nothing arrives). */
    async collectFor(ms: number): Promise<string[]> {
      await new Promise((r) => setTimeout(r, ms));
      return inbox.splice(0).map(hex);
    },
    async collect(n: number): Promise<string[]> {
      for (let i = 0; inbox.length < n && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
      return inbox.splice(0, n).map(hex);
    },
  };
}

describe('D4 samsung-mdc over TCP: frames', () => {
  it('D4 samsung-mdc: start() sends power get AA 11 00 00 11, then status get AA 00 00 00 00, goes online with the display state', async () => {
    const sim = await startSim({ power: true, volume: 35 });
    sim.setState({ input: 0x23, mute: true });
    const port = tcpPort(sim);
    const driver = new SamsungMdcDriver({ host: '127.0.0.1', port, timeoutMs: 150 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(received(sim)).toEqual(['aa 11 00 00 11', 'aa 00 00 00 00']);
    // ACK: AA FF id len 'A' r-cmd val chk; status: power volume mute input aspect N-time F-time.
    expect(sentOut(sim)).toEqual(['aa ff 00 03 41 11 01 55', 'aa ff 00 09 41 00 01 23 01 23 10 00 00 a1']);
    expect(driver.state()).toEqual({ power: true, volume: 35, mute: true, input: 'hdmi2' });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 samsung-mdc: power/volume/mute/input frames byte-exact, checksum = sum of all bytes but AA (power on ID 0: AA 11 00 01 01 13)', async () => {
    const { sim, driver } = await tcpRig();
    const table: [string, () => Promise<unknown>, string, string][] = [
      ['power on', () => runDeviceCommand(driver, 'power', { on: true }), 'aa 11 00 01 01 13', 'aa ff 00 03 41 11 01 55'],
      ['volume 30', () => runDeviceCommand(driver, 'volume', { level: 30 }), 'aa 12 00 01 1e 31', 'aa ff 00 03 41 12 1e 73'],
      ['mute on', () => runDeviceCommand(driver, 'mute', { on: true }), 'aa 13 00 01 01 15', 'aa ff 00 03 41 13 01 57'],
      ['mute off', () => driver.setMute(false), 'aa 13 00 01 00 14', 'aa ff 00 03 41 13 00 56'],
      ['hdmi1 0x21', () => runDeviceCommand(driver, 'input', { source: 'hdmi1' }), 'aa 14 00 01 21 36', 'aa ff 00 03 41 14 21 78'],
      ['hdmi2 0x23', () => driver.setInput('hdmi2'), 'aa 14 00 01 23 38', 'aa ff 00 03 41 14 23 7a'],
      ['dp1 0x25', () => driver.setInput('dp1'), 'aa 14 00 01 25 3a', 'aa ff 00 03 41 14 25 7c'],
      ['hdmi3 0x31', () => driver.setInput('hdmi3'), 'aa 14 00 01 31 46', 'aa ff 00 03 41 14 31 88'],
      ['hdmi4 0x33', () => driver.setInput('hdmi4'), 'aa 14 00 01 33 48', 'aa ff 00 03 41 14 33 8a'],
      ['power off', () => driver.power(false), 'aa 11 00 01 00 12', 'aa ff 00 03 41 11 00 54'],
    ];
    for (const [what, run, frame, ack] of table) {
      sim.clearLog();
      await run();
      expect([what, ...received(sim)]).toEqual([what, frame]);
      expect([what, ...sentOut(sim)]).toEqual([what, ack]);
    }
    expect(sim.state).toMatchObject({ power: false, volume: 30, mute: false, input: 0x33 });
    expect(driver.state()).toEqual({ power: false, volume: 30, mute: false, input: 'hdmi4' });
  });

  it('D4 samsung-mdc: display ID 5 is in every frame and in the ACK; another ID on the line stays silent', async () => {
    const { sim, driver } = await tcpRig({ sim: { displayId: 5 }, conn: { displayId: 5 } });
    await driver.setVolume(100);
    expect(received(sim)).toEqual(['aa 12 05 01 64 7c']);
    expect(sentOut(sim)).toEqual(['aa ff 05 03 41 12 64 be']);
    const c = await rawClient(tcpPort(sim));
    c.send(bytes('aa 11 03 00 14')); // ID 3: not this display
    expect(await c.collectFor(120)).toEqual([]);
  });

  it('D4 samsung-mdc: NAK (N = 4E) → DeviceError rejected: input not present, panel off, forced', async () => {
    const { sim, driver } = await tcpRig({ sim: { inputs: [0x21, 0x23] } });
    const noInput = await errorOf(driver.setInput('dp1'));
    expect(noInput.code).toBe('rejected');
    expect(noInput.message).toMatch(/NAK, error code 0x03/);
    expect(sentOut(sim).at(-1)).toBe(`aa ff 00 03 4e 14 0${NAK_NO_INPUT} ${(0xff + 3 + 0x4e + 0x14 + NAK_NO_INPUT).toString(16).slice(-2)}`);
    await driver.power(false);
    const off = await errorOf(driver.setVolume(10));
    expect(off.code).toBe('rejected');
    expect(off.message).toMatch(`0x0${NAK_NOT_NOW}`);
    sim.nakNext(0x07, 0x11);
    expect((await errorOf(driver.power(true))).code).toBe('rejected');
    expect(sentOut(sim).at(-1)).toBe('aa ff 00 03 4e 11 07 68');
    expect(driver.health().status).toBe('online'); // it answered: it is there
    expect(driver.health().errorCount).toBe(3);
  });

  it('D4 samsung-mdc: a reply with a bad checksum → DeviceError bad_reply and status degraded; the next good reply → online', async () => {
    const { sim, driver } = await tcpRig();
    sim.corruptNextReply(1);
    const degraded = waitForStatus(driver, 'degraded');
    const err = await errorOf(driver.setVolume(40));
    expect(err.code).toBe('bad_reply');
    expect(err.message).toMatch(/checksum is 27, expected 7d: aa ff 00 03 41 12 28 27/); // 0x7d ^ 0x5a
    await degraded;
    expect(driver.health().lastError).toMatch(/checksum/);
    const online = waitForStatus(driver, 'online');
    await driver.setVolume(40);
    await online;
  });

  it('D4 samsung-mdc: ID 0xFE (all displays): the display executes silently and the driver does not wait for a reply', async () => {
    const sim = await startSim({ power: false, replyDelayMs: 0 });
    const port = tcpPort(sim);
    const driver = new SamsungMdcDriver({ host: '127.0.0.1', port, displayId: 0xfe, timeoutMs: 2000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('online');
    const t0 = performance.now();
    await driver.power(true);
    await driver.setInput('hdmi2');
    expect(performance.now() - t0).toBeLessThan(200); // far below one 2 s timeout
    await expect.poll(() => sim.state.input, { interval: 5, timeout: 1000 }).toBe(0x23);
    expect(received(sim)).toEqual(['aa 11 fe 01 01 11', 'aa 14 fe 01 23 36']);
    expect(sim.sent).toEqual([]);
    expect(driver.state()).toMatchObject({ power: true, input: 'hdmi2' });
  });

  it('D4 samsung-mdc: the simulator verifies checksums — silent by default, NAK 00 in nak mode; unknown commands get NAK 01', async () => {
    const sim = await startSim();
    const c = await rawClient(tcpPort(sim));
    c.send(bytes('aa 11 00 01 01 14')); // checksum should be 13
    expect(await c.collectFor(120)).toEqual([]);
    sim.badChecksum = 'nak';
    c.send(bytes('aa 11 00 01 01 14'));
    expect(await c.collect(1)).toEqual(['aa ff 00 03 4e 11 00 61']);
    c.send(encodeFrame({ cmd: 0x99, id: 0, data: [1] }));
    expect(await c.collect(1)).toEqual(['aa ff 00 03 4e 99 01 ea']);
    c.send(bytes('aa 11 00 01 07 19')); // power takes 0/1/2
    expect(await c.collect(1)).toEqual(['aa ff 00 03 4e 11 01 62']);
    // The manual's example AA 11 FF 01 01 12 (MD40B p41 "ID 0"): its checksum is right for ID 0xFF — not this display.
    c.send(bytes('aa 11 ff 01 01 12'));
    expect(await c.collectFor(80)).toEqual([]);
  });

  it('D4 samsung-mdc: replies split across 2–3 TCP chunks are reassembled (splitReplies 1)', async () => {
    const { sim, driver } = await tcpRig({ sim: { splitReplies: 1 } });
    for (let v = 0; v <= 100; v += 10) {
      await driver.setVolume(v);
      expect(sim.state.volume).toBe(v);
    }
    await driver.refreshState();
    expect(sim.sent.every((f) => (f.chunks ?? 1) >= 2)).toBe(true);
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 samsung-mdc: a display that wants TLS (MDCSTART<<TLS>>) → not_supported with advice, status degraded', async () => {
    const sim = await startSim({ tlsRequired: true });
    const port = tcpPort(sim);
    const driver = new SamsungMdcDriver({ host: '127.0.0.1', port, timeoutMs: 150 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('degraded');
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('not_supported');
    expect(err.message).toMatch(/MDCSTART<<TLS>>.*Secured Protocol/);
  });

  it('D4 C5 samsung-mdc: raw console — cmd+data or a whole frame in, the reply frame out; a bad checksum is refused before sending', async () => {
    const { sim, driver } = await tcpRig();
    expect(await driver.raw('11')).toBe('aa ff 00 03 41 11 01 55');
    expect(await driver.raw('AA 14 00 01 25 3A')).toBe('aa ff 00 03 41 14 25 7c');
    expect(await driver.raw('14 99')).toBe('aa ff 00 03 4e 14 03 67'); // NAK returned, not thrown
    expect((await errorOf(driver.raw('AA 11 00 01 01 14'))).code).toBe('invalid_argument');
    expect((await errorOf(driver.raw('hello'))).code).toBe('invalid_argument');
    expect(received(sim)).toEqual(['aa 11 00 00 11', 'aa 14 00 01 25 3a', 'aa 14 00 01 99 ae']);
  });
});

describe('D4 samsung-mdc over TCP: faults', () => {
  it('D4 samsung-mdc: no answer → resent once, DeviceError timeout after (retries+1)×timeoutMs, offline, fail fast; then online by itself', async () => {
    const { sim, driver } = await tcpRig({ conn: { timeoutMs: 120, retries: 1 } });
    sim.silenceNext(2);
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setVolume(12));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/did not answer volume 12 within 240 ms \(2 attempts of 120 ms\)/);
    expect(took).toBeGreaterThanOrEqual(235);
    expect(took).toBeLessThan(240 + 500);
    expect(received(sim)).toEqual(['aa 12 00 01 0c 1f', 'aa 12 00 01 0c 1f']);
    await offline;
    const t1 = performance.now();
    expect((await errorOf(driver.setVolume(12))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
    await waitForStatus(driver, 'online');
    await driver.setVolume(12);
    expect(sim.state.volume).toBe(12);
  });

  it('D4 samsung-mdc: display killed in the middle of a command → clear DeviceError inside the timeout, offline; back on the same port → online by itself', async () => {
    const { sim, driver, port } = await tcpRig({ conn: { timeoutMs: 300, retries: 1, reconnectMinMs: 50, reconnectMaxMs: 200 } });
    const crashed = sim.crashOnNextCommand();
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setInput('hdmi2'));
    expect(performance.now() - t0).toBeLessThan(2 * 300);
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/Cannot connect to display 127\.0\.0\.1:\d+: ECONNREFUSED/);
    await crashed;
    await offline;
    expect((await errorOf(driver.setInput('hdmi2'))).code).toBe('unreachable');
    const online = waitForStatus(driver, 'online');
    expect(await sim.start()).toEqual({ host: '127.0.0.1', port });
    await online;
    await driver.setInput('hdmi2');
    expect(sim.state.input).toBe(0x23);
  });

  it('D4 samsung-mdc: stop() fails a pending command with closed and never hangs', async () => {
    const { sim, driver } = await tcpRig({ conn: { timeoutMs: 5000 } });
    sim.silenceNext(1);
    const pending = errorOf(driver.setVolume(1));
    await new Promise<void>((r) => sim.once('command', () => r()));
    await driver.stop();
    expect((await pending).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
  });
});

// ---------------------------------------------------------------------------------------------
// RS-232C through a socat pty pair
// ---------------------------------------------------------------------------------------------

/** socat pty pairs: spawned here, killed after the file. */
const ptyPair = usePtyPairs();

async function serialRig(pair: PtyPair, opts: { sim?: SamsungMdcSimulatorOptions; conn?: Partial<SamsungMdcConnectionInput> } = {}) {
  const sim = new SamsungMdcSimulator({ path: pair.b, power: true, ...opts.sim });
  await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new SamsungMdcDriver({ path: pair.a, timeoutMs: 200, retries: 1, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn } as SamsungMdcConnectionInput);
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, driver };
}

describe('D4 samsung-mdc over RS-232C (socat pty pair)', () => {
  it('D4 samsung-mdc serial: the same frames over the pty; the reply is paced at 9600 baud (8 bytes ≥ 8.3 ms) and arrives in pieces', async () => {
    const pair = ptyPair();
    await pair.start();
    const { sim, driver } = await serialRig(pair);
    const t0 = performance.now();
    await driver.setInput('hdmi1');
    const took = performance.now() - t0;
    expect(received(sim)).toEqual(['aa 14 00 01 21 36']);
    expect(sentOut(sim)).toEqual(['aa ff 00 03 41 14 21 78']);
    expect(took).toBeGreaterThanOrEqual(8 * (10_000 / 9600) - 0.5);
    expect(sim.sent[0].chunks).toBeGreaterThan(1);
    await driver.power(false);
    await driver.power(true);
    await driver.setVolume(55);
    await driver.setMute(true);
    expect(received(sim).slice(1)).toEqual(['aa 11 00 01 00 12', 'aa 11 00 01 01 13', 'aa 12 00 01 37 4a', 'aa 13 00 01 01 15']);
    expect(sim.state).toMatchObject({ power: true, volume: 55, mute: true, input: 0x21 });
  });

  it('D4 samsung-mdc serial: at 1200 baud the 8-byte ACK takes ≥ 66 ms — the simulator paces its bytes', async () => {
    const pair = ptyPair();
    await pair.start();
    const { driver } = await serialRig(pair, { sim: { baudRate: 1200 }, conn: { baudRate: 1200, timeoutMs: 500 } });
    const t0 = performance.now();
    await driver.setMute(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(8 * (10_000 / 1200) - 1);
  });

  it('D4 samsung-mdc serial: display killed mid-command → timeout inside (retries+1)×timeoutMs, offline; simulator back on the same pty → online by itself', async () => {
    const pair = ptyPair();
    await pair.start();
    const { sim, driver } = await serialRig(pair, { conn: { timeoutMs: 150, retries: 1 } });
    const crashed = sim.crashOnNextCommand();
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setVolume(77));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(new RegExp(`Display ${pair.a.replace(/[/.]/g, '\\$&')} @9600 \\(ID 0\\) did not answer volume 77 within 300 ms`));
    expect(took).toBeLessThan(300 + 500);
    await crashed;
    await offline;
    const online = waitForStatus(driver, 'online');
    await sim.start();
    await online;
    await driver.setVolume(77);
    expect(sim.state.volume).toBe(77);
  });

  it('D4 samsung-mdc serial: the port itself vanishes (socat killed, like an unplugged USB adapter) → offline at once; the port returns → reopened, online', async () => {
    const pair = ptyPair();
    await pair.start();
    const { sim, driver } = await serialRig(pair);
    const offline = waitForStatus(driver, 'offline');
    await sim.stop();
    await pair.kill();
    await offline;
    expect(driver.health().lastError).toMatch(/serial port closed|Cannot open serial port/);
    expect((await errorOf(driver.setVolume(5))).code).toBe('unreachable');
    const online = waitForStatus(driver, 'online');
    await pair.start();
    await sim.start();
    await online;
    await driver.setVolume(5);
    expect(sim.state.volume).toBe(5);
  });
});

describe('D4 samsung-mdc factory', () => {
  it('D4 samsungMdcFactory: {host, port} or {path, baudRate}, not both; defaults displayId 0; create() builds a samsung-mdc display', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(samsungMdcFactory.connectionSchema);
    const tcp: Record<string, unknown> = { host: '10.0.0.9' };
    expect(validate(tcp)).toBe(true);
    expect(tcp).toEqual({ host: '10.0.0.9', displayId: 0, timeoutMs: 1000, retries: 1, reconnectMinMs: 500, reconnectMaxMs: 10_000 });
    expect(validate({ path: '/dev/ttyUSB0', baudRate: 9600, displayId: 1 })).toBe(true);
    expect(validate({ host: 'x', path: '/dev/ttyUSB0' })).toBe(false);
    expect(validate({ displayId: 1 })).toBe(false);
    expect(validate({ path: '/dev/ttyUSB0', baudRate: 1234 })).toBe(false);
    expect(validate({ host: 'x', displayId: 256 })).toBe(false);
    const d = samsungMdcFactory.create(tcp);
    expect(d).toBeInstanceOf(SamsungMdcDriver);
    expect((d as SamsungMdcDriver).connection).toMatchObject({ host: '10.0.0.9', port: 1515, displayId: 0 });
    const s = samsungMdcFactory.create({ path: '/dev/ttyUSB0' }) as SamsungMdcDriver;
    expect(s.connection).toMatchObject({ path: '/dev/ttyUSB0', baudRate: 9600, displayId: 0 });
    expect([d.driver, d.kind, samsungMdcFactory.driver, samsungMdcFactory.kind]).toEqual(['samsung-mdc', 'display', 'samsung-mdc', 'display']);
    expect(() => samsungMdcFactory.create({})).toThrow(DeviceError);
    expect(() => samsungMdcFactory.create({ host: 'x', path: 'y' })).toThrow(DeviceError);
  });
});
