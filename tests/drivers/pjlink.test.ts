// PjlinkDriver against PjlinkSimulator over real TCP/UDP on 127.0.0.1 (ephemeral ports).
// Byte assertions read the lines the simulator received (protocols.md §3.1, §7 "PJLink projector").
import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { Ajv } from 'ajv';
import { PjlinkSimulator, type PjlinkSimulatorOptions } from '../../drivers/sim/pjlink-sim.js';
import { PjlinkDriver, discoverPjlink, type PjlinkConnection } from '../../drivers/pjlink/driver.js';
import { pjlinkFactory } from '../../drivers/pjlink/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { errorOf, useCleanups, waitForStatus } from '../helpers/drivers.js';

const cleanups = useCleanups();

interface Rig {
  sim: PjlinkSimulator;
  port: number;
  driver: PjlinkDriver;
}

async function startSim(opts: PjlinkSimulatorOptions = {}): Promise<{ sim: PjlinkSimulator; port: number; udpPort: number | null }> {
  const sim = new PjlinkSimulator({ port: 0, warmUpMs: 0, coolDownMs: 0, ...opts });
  const { port, udpPort } = await sim.start();
  cleanups.push(() => sim.stop());
  return { sim, port, udpPort };
}

/** A started simulator and a started driver; the simulator's log is cleared after start-up. */
async function rig(opts: { sim?: PjlinkSimulatorOptions; conn?: Partial<PjlinkConnection>; expectStatus?: DeviceStatus } = {}): Promise<Rig> {
  const { sim, port } = await startSim(opts.sim);
  const driver = new PjlinkDriver({ host: '127.0.0.1', port, timeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe(opts.expectStatus ?? 'online');
  sim.clearLog();
  return { sim, port, driver };
}

/** The lines the projector received, CR shown as \r. */
const lines = (sim: PjlinkSimulator, via: 'tcp' | 'udp' = 'tcp') => sim.received.filter((l) => l.via === via).map((l) => l.text);
const replies = (sim: PjlinkSimulator) => sim.sent.filter((l) => l.via === 'tcp').map((l) => l.text);

describe('D4 pjlink driver: connection and authentication', () => {
  it('D4 pjlink: PJLINK 0 greeting, start() asks CLSS then POWR/ERST/LAMP/NAME, goes online and fills state()', async () => {
    const { sim, port } = await startSim({ name: 'PHONG HOP 1', power: 'standby' });
    sim.setState({ errors: { lamp: 'warning' }, lampHours: 4321 });
    const driver = new PjlinkDriver({ host: '127.0.0.1', port, timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(sim.sent[0].text).toBe('PJLINK 0\r');
    expect(lines(sim)).toEqual(['%1CLSS ?\r', '%1POWR ?\r', '%1ERST ?\r', '%1LAMP ?\r', '%1NAME ?\r']);
    expect(replies(sim)).toEqual(['PJLINK 0\r', '%1CLSS=2\r', '%1POWR=0\r', '%1ERST=010000\r', '%1LAMP=4321 0\r', '%1NAME=PHONG HOP 1\r']);
    expect(driver.state()).toMatchObject({ power: false, powerState: 'standby', pjlinkClass: 2, lamps: [{ hours: 4321, on: false }] });
    expect((driver.state().errors as Record<string, string>).lamp).toBe('warning');
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
    expect(sim.state.connections).toBe(1); // one connection kept for all the start-up queries
  });

  it('D4 pjlink: MD5 auth with the spec example — random 498e4a67, password JBMIAProjectorLink → 5d8409bc1c3fa39749434aa3a5c38682 before the first command', async () => {
    const { sim, driver } = await rig({ sim: { password: 'JBMIAProjectorLink', random: () => '498e4a67' }, conn: { password: 'JBMIAProjectorLink' } });
    await driver.power(true);
    // Start-up used the first connection (and its digest); force a new connection to see the digest again.
    sim.dropConnections();
    await new Promise<void>((r) => sim.once('disconnect', () => r()));
    sim.clearLog();
    await driver.setMute(true);
    expect(sim.sent[0].text).toBe('PJLINK 1 498e4a67\r');
    expect(lines(sim)).toEqual(['5d8409bc1c3fa39749434aa3a5c38682%1AVMT 21\r']);
    expect(replies(sim).slice(1)).toEqual(['%1AVMT=OK\r']);
    await driver.setMute(false); // same connection: no digest
    expect(lines(sim)[1]).toBe('%1AVMT 20\r');
    expect(driver.health().status).toBe('online');
  });

  it('D4 pjlink: wrong password → PJLINK ERRA, connection closed, DeviceError rejected "wrong PJLink password", status degraded', async () => {
    const { sim, port } = await startSim({ password: 'right', random: () => '0a1b2c3d' });
    const driver = new PjlinkDriver({ host: '127.0.0.1', port, password: 'wrong', timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('degraded');
    expect(replies(sim)).toEqual(['PJLINK 1 0a1b2c3d\r', 'PJLINK ERRA\r']);
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/^wrong PJLink password/);
    expect(driver.health().status).toBe('degraded');
    expect(driver.health().lastError).toMatch(/wrong PJLink password/);
    expect(sim.state.power).toBe('standby');
    expect(sim.state.openConnections).toBe(0);
  });

  it('D4 pjlink: PJLINK 1 greeting with no password configured → rejected "PJLink password required", degraded, nothing sent', async () => {
    const { sim, port } = await startSim({ password: 'secret' });
    const driver = new PjlinkDriver({ host: '127.0.0.1', port, timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('degraded');
    const err = await errorOf(driver.setInput('hdmi1'));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/PJLink password required/);
    expect(lines(sim)).toEqual([]);
  });
});

describe('D4 pjlink driver: exact lines of each command', () => {
  it('D4 pjlink: power on sends %1POWR 1 and reads POWR back (warm-up); standby sends %1POWR 0', async () => {
    const { sim, driver } = await rig({ sim: { warmUpMs: 200, coolDownMs: 200 } });
    await driver.power(true);
    expect(lines(sim)).toEqual(['%1POWR 1\r', '%1POWR ?\r']);
    expect(replies(sim)).toEqual(['%1POWR=OK\r', '%1POWR=3\r']);
    expect(driver.state()).toMatchObject({ power: true, powerState: 'warm-up' });
    sim.setState({ power: 'on' });
    sim.clearLog();
    await runDeviceCommand(driver, 'power', { on: false });
    expect(lines(sim)).toEqual(['%1POWR 0\r', '%1POWR ?\r']);
    expect(driver.state()).toMatchObject({ power: false, powerState: 'cooling' });
  });

  it('D4 pjlink: input hdmi1→31, hdmi2→32, rgb1→11, video1→21, network→51, dp1 through connection.inputs', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', inputs: ['11', '21', '31', '32', '33', '51'] }, conn: { inputs: { dp1: '33' } } });
    const table: [string, string][] = [
      ['hdmi1', '%1INPT 31\r'],
      ['hdmi2', '%1INPT 32\r'],
      ['rgb1', '%1INPT 11\r'],
      ['video1', '%1INPT 21\r'],
      ['network', '%1INPT 51\r'],
      ['dp1', '%1INPT 33\r'],
    ];
    for (const [source, line] of table) {
      sim.clearLog();
      await runDeviceCommand(driver, 'input', { source });
      expect(lines(sim)).toEqual([line]);
      expect(replies(sim)).toEqual(['%1INPT=OK\r']);
      expect(sim.state.input).toBe(line.slice(7, 9));
      expect(driver.state().input).toBe(source === 'network' ? 'network1' : source);
    }
  });

  it('D4 pjlink: an unknown source is refused before any byte goes out (dp1 without a mapping, hdmi10, bad types)', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' } });
    for (const source of ['dp1', 'hdmi10', 'sdi1', '']) {
      const err = await errorOf(driver.setInput(source));
      expect(err.code).toBe('invalid_argument');
    }
    expect((await errorOf(driver.setVolume(101))).code).toBe('invalid_argument');
    expect((await errorOf(driver.setVolume(2.5))).code).toBe('invalid_argument');
    expect((await errorOf(driver.power('yes' as unknown as boolean))).code).toBe('invalid_argument');
    expect(lines(sim)).toEqual([]);
  });

  it('D4 pjlink: mute sends AVMT 21/20 (audio), or 31/30 with muteMode audio-video', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' } });
    await runDeviceCommand(driver, 'mute', { on: true });
    await driver.setMute(false);
    expect(lines(sim)).toEqual(['%1AVMT 21\r', '%1AVMT 20\r']);
    expect(driver.state().mute).toBe(false);

    const b = await rig({ sim: { power: 'on' }, conn: { muteMode: 'audio-video' } });
    await b.driver.setMute(true);
    expect(b.sim.state.mute).toEqual({ video: true, audio: true });
    await b.driver.setMute(false);
    expect(lines(b.sim)).toEqual(['%1AVMT 31\r', '%1AVMT 30\r']);
  });

  it('D4 pjlink: volume by class 2 SVOL steps — first call steps down to the floor, later calls step relative', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', maxVolume: 20 }, conn: { volumeSteps: 20 } });
    sim.setState({ volume: 13 });
    await runDeviceCommand(driver, 'volume', { level: 25 });
    expect(lines(sim)).toEqual([...Array(20).fill('%2SVOL 0\r'), ...Array(5).fill('%2SVOL 1\r')]);
    expect(sim.state.volume).toBe(5);
    expect(driver.state().volume).toBe(25);
    sim.clearLog();
    await driver.setVolume(10);
    expect(lines(sim)).toEqual(Array(3).fill('%2SVOL 0\r'));
    expect(sim.state.volume).toBe(2);
    expect(driver.state().volume).toBe(10);
  });

  it('D4 pjlink: a class 1 projector: volume is not_supported without a byte; %2 lines get ERR1', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', pjlinkClass: 1 } });
    expect(driver.state().pjlinkClass).toBe(1);
    const err = await errorOf(driver.setVolume(50));
    expect(err.code).toBe('not_supported');
    expect(lines(sim)).toEqual([]);
    expect(await driver.raw('%2SVOL 1')).toBe('%2SVOL=ERR1');
  });

  it('D4 C5 pjlink: raw console for the technician: one line in, the projector answer out (values, OK and ERRn alike)', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' } });
    expect(await driver.raw('%1POWR ?')).toBe('%1POWR=1');
    expect(await driver.raw('%1INPT 32\r')).toBe('%1INPT=OK');
    expect(await driver.raw('%1INF1 ?')).toBe('%1INF1=Diemcau');
    expect(await driver.raw('%1INST ?')).toBe('%1INST=11 21 31 32 33 51');
    expect(await driver.raw('%2SNUM ?')).toBe('%2SNUM=SIM0001');
    expect(await driver.raw('%1XXXX ?')).toBe('%1XXXX=ERR1');
    expect(await driver.raw('%1POWR 7')).toBe('%1POWR=ERR2');
    expect((await errorOf(driver.raw('POWR ?'))).code).toBe('invalid_argument');
    expect(lines(sim)).toEqual(['%1POWR ?\r', '%1INPT 32\r', '%1INF1 ?\r', '%1INST ?\r', '%2SNUM ?\r', '%1XXXX ?\r', '%1POWR 7\r']);
  });
});

describe('D4 pjlink driver: replies, errors and the power state machine', () => {
  it('D4 pjlink: ERR1 → not_supported, ERR2 → invalid_argument, ERR3 → busy "unavailable time", ERR4 → rejected "display failure"', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' } });
    const cases: [string, string, RegExp][] = [
      ['ERR1', 'not_supported', /ERR1 undefined command/],
      ['ERR2', 'invalid_argument', /ERR2 out of parameter/],
      ['ERR3', 'busy', /unavailable time/],
      ['ERR4', 'rejected', /display failure/],
    ];
    for (const [code, expected, message] of cases) {
      sim.failNext(code as 'ERR1');
      const err = await errorOf(driver.setInput('hdmi2'));
      expect(err.code).toBe(expected);
      expect(err.message).toMatch(message);
      expect(replies(sim).at(-1)).toBe(`%1INPT=${code}\r`);
    }
    expect(driver.health().status).toBe('online'); // the projector answered: it is there
    expect(driver.health().errorCount).toBe(4);
  });

  it('D4 pjlink: standby → POWR 1 → warm-up (ERR3 for INPT/AVMT) → on → POWR 0 → cooling (ERR3 for POWR 1) → standby (ERR3 for INPT)', async () => {
    const { sim, driver } = await rig({ sim: { warmUpMs: 150, coolDownMs: 150 } });
    expect((await errorOf(driver.setInput('hdmi1'))).code).toBe('busy'); // standby
    await driver.power(true);
    expect(sim.state.power).toBe('warm-up');
    const warm = await errorOf(driver.setInput('hdmi1'));
    expect(warm.code).toBe('busy');
    expect(warm.message).toMatch(/unavailable time/);
    expect((await errorOf(driver.setMute(true))).code).toBe('busy');
    expect((await errorOf(driver.power(false))).code).toBe('busy'); // POWR 0 during warm-up
    await expect.poll(() => sim.state.power, { interval: 20, timeout: 2000 }).toBe('on');
    await driver.setInput('hdmi1');
    await driver.power(false);
    expect(sim.state.power).toBe('cooling');
    expect((await errorOf(driver.power(true))).code).toBe('busy');
    await expect.poll(() => sim.state.power, { interval: 20, timeout: 2000 }).toBe('standby');
    expect((await errorOf(driver.setInput('hdmi2'))).code).toBe('busy');
    expect(replies(sim).filter((r) => r.endsWith('=ERR3\r'))).toEqual([
      '%1INPT=ERR3\r',
      '%1INPT=ERR3\r',
      '%1AVMT=ERR3\r',
      '%1POWR=ERR3\r',
      '%1POWR=ERR3\r',
      '%1INPT=ERR3\r',
    ]);
  });

  it('D4 pjlink: an input the projector does not have → ERR2 → invalid_argument; refreshState reads INPT/AVMT while on', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', inputs: ['31', '32'] } });
    const err = await errorOf(driver.setInput('rgb1'));
    expect(err.code).toBe('invalid_argument');
    expect(replies(sim)).toEqual(['%1INPT=ERR2\r']);
    sim.setState({ input: '32', mute: { video: false, audio: true } });
    sim.clearLog();
    await driver.refreshState();
    expect(lines(sim)).toEqual(['%1POWR ?\r', '%1INPT ?\r', '%1AVMT ?\r', '%1ERST ?\r', '%1LAMP ?\r']);
    expect(driver.state()).toMatchObject({ power: true, powerState: 'on', input: 'hdmi2', mute: true, videoMute: false });
  });

  it('D4 pjlink: every reply leaves within the spec 2 s; a slow (1 s) projector is still within timeoutMs 2000', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' }, conn: { timeoutMs: 2000 } });
    await driver.setInput('hdmi2');
    sim.replyDelayMs = 1000;
    const t0 = performance.now();
    await driver.setMute(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    // One reply per command on the one connection (the greeting was before the log was cleared).
    expect(sim.sent).toHaveLength(sim.received.length);
    const answered = sim.received.map((r, i) => Number(sim.sent[i].time - r.time) / 1e6);
    expect(answered[0]).toBeLessThan(100);
    expect(answered[1]).toBeGreaterThanOrEqual(990);
    for (const ms of answered) expect(ms).toBeLessThan(2000);
  });
});

describe('D4 pjlink driver: connections the projector closes', () => {
  it('D4 pjlink: a projector that closes after every command: each command opens a new connection transparently (with the digest each time)', async () => {
    const { sim, driver } = await rig({
      sim: { power: 'on', closeAfterCommand: true, password: 'pw', random: () => '498e4a67' },
      conn: { password: 'pw' },
    });
    const before = sim.state.connections;
    await driver.setInput('hdmi1');
    await driver.setMute(true);
    await driver.setInput('hdmi2');
    expect(sim.state.connections - before).toBe(3);
    expect(lines(sim).map((l) => l.slice(32))).toEqual(['%1INPT 31\r', '%1AVMT 21\r', '%1INPT 32\r']);
    expect(lines(sim).every((l) => /^[0-9a-f]{32}%/.test(l))).toBe(true);
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 pjlink: the projector drops the connection as the command arrives → resent once on a fresh connection, no error', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' } });
    sim.hangUpNext(1);
    await driver.setInput('hdmi2');
    expect(lines(sim)).toEqual(['%1INPT 32\r', '%1INPT 32\r']);
    expect(sim.received.map((l) => l.connection)).toEqual([1, 2]);
    expect(sim.state.input).toBe('32');
    expect(driver.health().status).toBe('online');
  });

  it('D4 pjlink: a projector that drops the connection on POWR 0: standby succeeds and the next command reconnects', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', closeOnPowerOff: true, coolDownMs: 0 } });
    await driver.power(false);
    expect(lines(sim)).toEqual(['%1POWR 0\r', '%1POWR ?\r']);
    expect(sim.received.map((l) => l.connection)).toEqual([1, 2]);
    expect(driver.state()).toMatchObject({ power: false, powerState: 'standby' });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 pjlink: the projector closes an idle connection (30 s in the spec, 100 ms here); the next command reconnects by itself', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on', idleTimeoutMs: 100 } });
    if (sim.state.openConnections > 0) await new Promise<void>((r) => sim.once('disconnect', () => r()));
    expect(sim.state.openConnections).toBe(0);
    await driver.setInput('hdmi2');
    expect(sim.received.at(-1)!.connection).toBe(2);
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 pjlink: the driver closes its own idle connection after idleCloseMs', async () => {
    const { sim } = await rig({ sim: { power: 'on' }, conn: { idleCloseMs: 80 } });
    const t0 = performance.now();
    if (sim.state.openConnections > 0) await new Promise<void>((r) => sim.once('disconnect', () => r()));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sim.state.openConnections).toBe(0);
  });
});

describe('D4 pjlink driver: faults and reconnect', () => {
  it('D4 pjlink: no answer → DeviceError timeout within timeoutMs, status offline, fail fast, and back online by itself', async () => {
    const { sim, driver } = await rig({ sim: { power: 'on' }, conn: { timeoutMs: 250, reconnectMinMs: 50 } });
    sim.silenceNext(1);
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setInput('hdmi2'));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/did not answer %1INPT 32 within 250 ms/);
    expect(took).toBeGreaterThanOrEqual(245);
    expect(took).toBeLessThan(250 + 500);
    await offline;
    const online = waitForStatus(driver, 'online');
    await online; // the background probe (CLSS ?) finds the projector answering again
    await driver.setInput('hdmi2');
    expect(sim.state.input).toBe('32');
  });

  it('D4 pjlink: projector killed in the middle of a command → clear DeviceError inside the timeout, offline, fail fast; restarted on the same port → online by itself', async () => {
    const { sim, port, driver } = await rig({ sim: { power: 'on' }, conn: { timeoutMs: 400, reconnectMinMs: 50, reconnectMaxMs: 200 } });
    const crashed = sim.crashOnNextCommand();
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setInput('hdmi2'));
    expect(performance.now() - t0).toBeLessThan(400);
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/Connection lost during %1INPT 32 and reconnecting failed: Cannot connect to projector 127\.0\.0\.1:\d+: ECONNREFUSED/);
    await crashed;
    await offline;
    const t1 = performance.now();
    expect((await errorOf(driver.setMute(true))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);

    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    await driver.setInput('hdmi1');
    expect(sim.state.input).toBe('31');
    expect(driver.health().status).toBe('online');
  });

  it('D4 pjlink: nothing listening at start → offline within the timeout; stop() fails pending commands with closed', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const driver = new PjlinkDriver({ host: '127.0.0.1', port, timeoutMs: 200, reconnectMinMs: 5000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.power(true))).code).toBe('unreachable');

    const { sim, driver: d2 } = await rig({ sim: { power: 'on' }, conn: { timeoutMs: 2000 } });
    sim.silenceNext(1);
    const pending = errorOf(d2.setInput('hdmi2'));
    await new Promise<void>((r) => sim.once('command', () => r()));
    await d2.stop();
    expect((await pending).code).toBe('closed');
    expect(d2.health().status).toBe('offline');
    expect((await errorOf(d2.power(true))).code).toBe('closed');
  });
});

describe('D4 pjlink class 2 search (UDP)', () => {
  it('D4 C5 pjlink: discoverPjlink sends %2SRCH and returns the %2ACKN=<MAC> answers, bounded by timeoutMs', async () => {
    const { sim, udpPort } = await startSim({ udpPort: 0, mac: '00:1C:2B:3D:4E:5F' });
    const t0 = performance.now();
    const found = await discoverPjlink({ port: udpPort!, timeoutMs: 200 });
    const took = performance.now() - t0;
    expect(found).toEqual([{ address: '127.0.0.1', mac: '00:1c:2b:3d:4e:5f' }]);
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(700);
    expect(lines(sim, 'udp')).toEqual(['%2SRCH\r']);
    expect(sim.sent.filter((l) => l.via === 'udp').map((l) => l.text)).toEqual(['%2ACKN=00:1C:2B:3D:4E:5F\r']);

    const class1 = await startSim({ udpPort: 0, pjlinkClass: 1 });
    expect(await discoverPjlink({ port: class1.udpPort!, timeoutMs: 100 })).toEqual([]);
  });
});

describe('D4 pjlink factory', () => {
  it('D4 pjlinkFactory: JSON Schema fills defaults (port 4352, timeoutMs 2000) and refuses bad connections; create() builds a pjlink display', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(pjlinkFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '192.168.1.50', password: 'JBMIAProjectorLink', inputs: { dp1: '33' } };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 4352, timeoutMs: 2000, muteMode: 'audio', volumeSteps: 20 });
    expect(validate({ host: 'x', port: 0 })).toBe(false);
    expect(validate({ port: 4352 })).toBe(false);
    expect(validate({ host: 'x', inputs: { dp1: '3' } })).toBe(false);
    expect(validate({ host: 'x', bogus: 1 })).toBe(false);
    const d = pjlinkFactory.create(conn);
    expect(d).toBeInstanceOf(PjlinkDriver);
    expect([d.driver, d.kind, pjlinkFactory.driver, pjlinkFactory.kind]).toEqual(['pjlink', 'display', 'pjlink', 'display']);
    expect(() => pjlinkFactory.create({})).toThrow(DeviceError);
    expect(() => pjlinkFactory.create({ host: 'x', inputs: { dp1: 'zz' } })).toThrow(DeviceError);
  });
});
