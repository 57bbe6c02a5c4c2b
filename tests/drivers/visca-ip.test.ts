// ViscaIpDriver against ViscaIpSimulator over real UDP on 127.0.0.1 (ephemeral ports).
// Byte assertions read what the simulator received: the 8-byte header and the VISCA payload.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { Ajv } from 'ajv';
import { ViscaIpSimulator, type SimDatagram } from '../../drivers/sim/visca-ip-sim.js';
import { startSimulator } from '../../drivers/sim/index.js';
import { ViscaIpDriver, type ViscaIpConnection } from '../../drivers/visca/visca-ip.js';
import { viscaIpFactory } from '../../drivers/visca/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { decodeIpMessage, encodeIpMessage, encodeIpReset, type IpMessage } from '../../drivers/visca/codec.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').match(/../g)!.join(' ');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

interface Rig {
  sim: ViscaIpSimulator;
  port: number;
  driver: ViscaIpDriver;
}

/** A started simulator and a started (online) driver; the simulator's log is cleared after start-up. */
async function rig(opts: { moveTimeMs?: number; conn?: Partial<ViscaIpConnection> } = {}): Promise<Rig> {
  const sim = new ViscaIpSimulator({ port: 0, host: '127.0.0.1', moveTimeMs: opts.moveTimeMs ?? 0 });
  const { port } = await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new ViscaIpDriver({ host: '127.0.0.1', port, timeoutMs: 100, retries: 2, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, port, driver };
}

/** Datagrams that reached the camera (not lost), as `header | payload` hex. */
const arrived = (sim: ViscaIpSimulator, filter: (d: SimDatagram) => boolean = () => true) =>
  sim.received.filter((d) => !d.dropped && filter(d)).map((d) => hex(d.data));
const isCommand = (d: SimDatagram) => d.data.readUInt16BE(0) === 0x0100;
const seqOf = (d: SimDatagram) => d.data.readUInt32BE(4);

function waitForStatus(driver: ViscaIpDriver, status: DeviceStatus): Promise<void> {
  return new Promise((resolve) => {
    if (driver.health().status === status) return resolve();
    const on = (s: DeviceStatus) => {
      if (s === status) {
        driver.off('status', on);
        resolve();
      }
    };
    driver.on('status', on);
  });
}

function errorOf(p: Promise<unknown>): Promise<DeviceError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => {
      expect(e).toBeInstanceOf(DeviceError);
      return e as DeviceError;
    },
  );
}

describe('D3 visca-ip driver: connection', () => {
  it('D3 visca-ip: start() sends RESET 02 00 00 01 00 00 00 00 01, gets the control ACK, goes online, reads the camera state', async () => {
    const sim = new ViscaIpSimulator({ port: 0, moveTimeMs: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    sim.setState({ power: true, pan: 0x0990, tilt: -0x0510, zoom: 0x2000 });
    const driver = new ViscaIpDriver({ host: '127.0.0.1', port, timeoutMs: 100 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(driver.health().status).toBe('online');
    expect(statuses).toEqual(['online']); // it was 'connecting' from construction
    expect(hex(sim.received[0].data)).toBe('02 00 00 01 00 00 00 00 01');
    expect(hex(sim.sent[0].data)).toBe('02 01 00 01 00 00 00 00 01');
    // After RESET the sequence starts at 0: power, pan-tilt and zoom inquiries (type 01 10).
    expect(arrived(sim).slice(1)).toEqual([
      '01 10 00 05 00 00 00 00 81 09 04 00 ff',
      '01 10 00 05 00 00 00 01 81 09 06 12 ff',
      '01 10 00 05 00 00 00 02 81 09 04 47 ff',
    ]);
    expect(driver.state()).toEqual({ power: true, pan: 1, tilt: -1, zoom: 0.5, preset: null });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
    expect(driver.health().lastReplyAt).toBeGreaterThan(Date.now() - 5000);
  });

  it('D3 visca-ip: with nothing answering, start() ends offline within (retries+1)×timeout and commands fail fast with unreachable', async () => {
    const sim = new ViscaIpSimulator({ port: 0 });
    const { port } = await sim.start();
    await sim.stop(); // nothing listens there now
    const driver = new ViscaIpDriver({ host: '127.0.0.1', port, timeoutMs: 80, retries: 1, reconnectMinMs: 5000 });
    cleanups.push(() => driver.stop());
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(2 * 80 + 500);
    expect(driver.health().status).toBe('offline');
    const t1 = performance.now();
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
  });
});

describe('D3 visca-ip driver: exact bytes of each command', () => {
  it('D3 visca-ip: ptz.move right sends pan-tilt drive 81 01 06 01 18 01 02 03 FF then zoom stop 81 01 04 07 00 FF', async () => {
    const { sim, driver } = await rig();
    await driver.move({ pan: 1, tilt: 0, zoom: 0 });
    expect(arrived(sim)).toEqual(['01 00 00 09 00 00 00 03 81 01 06 01 18 01 02 03 ff', '01 00 00 06 00 00 00 04 81 01 04 07 00 ff']);
  });

  it('D3 visca-ip: ptz.move directions and speeds follow the pan-tilt table (protocols.md §1.7)', async () => {
    const { sim, driver } = await rig();
    const table: [{ pan: number; tilt: number; zoom: number }, string, string][] = [
      [{ pan: -0.5, tilt: 0, zoom: 0 }, '81 01 06 01 0c 01 01 03 ff', '81 01 04 07 00 ff'],
      [{ pan: 0, tilt: 1, zoom: 0 }, '81 01 06 01 01 14 03 01 ff', '81 01 04 07 00 ff'],
      [{ pan: 0, tilt: -1, zoom: 0 }, '81 01 06 01 01 14 03 02 ff', '81 01 04 07 00 ff'],
      [{ pan: -1, tilt: 1, zoom: 0 }, '81 01 06 01 18 14 01 01 ff', '81 01 04 07 00 ff'],
      [{ pan: 1, tilt: 1, zoom: 0 }, '81 01 06 01 18 14 02 01 ff', '81 01 04 07 00 ff'],
      [{ pan: -1, tilt: -1, zoom: 0 }, '81 01 06 01 18 14 01 02 ff', '81 01 04 07 00 ff'],
      [{ pan: 1, tilt: -1, zoom: 0 }, '81 01 06 01 18 14 02 02 ff', '81 01 04 07 00 ff'],
      [{ pan: 0, tilt: 0, zoom: 1 }, '81 01 06 01 01 01 03 03 ff', '81 01 04 07 27 ff'],
      [{ pan: 0, tilt: 0, zoom: -0.5 }, '81 01 06 01 01 01 03 03 ff', '81 01 04 07 34 ff'],
    ];
    for (const [speed, panTilt, zoom] of table) {
      sim.clearLog();
      await driver.move(speed);
      const got = sim.received.filter(isCommand);
      expect(got.map((d) => hex(d.data.subarray(8)))).toEqual([panTilt, zoom]);
      expect(got.map((d) => hex(d.data.subarray(0, 4)))).toEqual(['01 00 00 09', '01 00 00 06']);
      expect(seqOf(got[1])).toBe(seqOf(got[0]) + 1);
    }
  });

  it('D3 visca-ip: ptz.stop sends pan-tilt stop 81 01 06 01 01 01 03 03 FF and zoom stop, and does not close the driver', async () => {
    const { sim, driver } = await rig();
    await runDeviceCommand(driver, 'ptz.stop', {});
    expect(arrived(sim, isCommand)).toEqual(['01 00 00 09 00 00 00 03 81 01 06 01 01 01 03 03 ff', '01 00 00 06 00 00 00 04 81 01 04 07 00 ff']);
    expect(driver.health().status).toBe('online');
    await driver.power(true); // still usable
  });

  it('D3 visca-ip: ptz.absolute sends absolute position (PTZOptics layout, signed nibbles) and zoom direct', async () => {
    const { sim, driver } = await rig();
    const states: Record<string, unknown>[] = [];
    driver.on('state', (s) => states.push(s));
    await driver.absolute({ pan: 0.5, tilt: -0.25, zoom: 0.5 });
    // pan 0.5 × 0x0990 = 0x04C8; tilt −0.25 × 0x0510 = −324 = 0xFEBC; zoom 0.5 × 0x4000 = 0x2000.
    expect(arrived(sim)).toEqual(['01 00 00 0f 00 00 00 03 81 01 06 02 18 14 00 04 0c 08 0f 0e 0b 0c ff', '01 00 00 09 00 00 00 04 81 01 04 47 02 00 00 00 ff']);
    expect(sim.state).toMatchObject({ pan: 0x04c8, tilt: -324, zoom: 0x2000 });
    expect(driver.state()).toMatchObject({ pan: 0.5, tilt: -0.25, zoom: 0.5 });
    expect(states.at(-1)).toMatchObject({ pan: 0.5, tilt: -0.25, zoom: 0.5 });
  });

  it('D3 visca-ip: preset save/recall send 81 01 04 3F 01|02 pp FF; recall reads the position back', async () => {
    const { sim, driver } = await rig();
    await driver.absolute({ pan: -0.5, tilt: 0.5, zoom: 0.25 }); // seq 3, 4
    sim.clearLog();
    await driver.savePreset(5, 'Bục phát biểu');
    expect(arrived(sim)).toEqual(['01 00 00 07 00 00 00 05 81 01 04 3f 01 05 ff']);
    await driver.absolute({ pan: 0, tilt: 0, zoom: 0 }); // seq 6, 7
    expect(sim.state).toMatchObject({ pan: 0, tilt: 0, zoom: 0 });
    sim.clearLog();
    await driver.recallPreset(5);
    expect(arrived(sim)).toEqual([
      '01 00 00 07 00 00 00 08 81 01 04 3f 02 05 ff',
      '01 10 00 05 00 00 00 09 81 09 06 12 ff',
      '01 10 00 05 00 00 00 0a 81 09 04 47 ff',
    ]);
    expect(sim.state).toMatchObject({ pan: -1224, tilt: 648, zoom: 0x1000, preset: 5 });
    expect(driver.state()).toMatchObject({ preset: 5, pan: -0.5, tilt: 0.5, zoom: 0.25 });
  });

  it('D3 visca-ip: power on/standby send 81 01 04 00 02|03 FF and state follows', async () => {
    const { sim, driver } = await rig();
    await driver.power(false);
    await driver.power(true);
    expect(arrived(sim)).toEqual(['01 00 00 06 00 00 00 03 81 01 04 00 03 ff', '01 00 00 06 00 00 00 04 81 01 04 00 02 ff']);
    expect(driver.state().power).toBe(true);
  });

  it('D3 visca-ip: bad arguments are refused before any byte goes out', async () => {
    const { sim, driver } = await rig();
    expect((await errorOf(driver.move({ pan: 2, tilt: 0, zoom: 0 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.move({ pan: Number.NaN, tilt: 0, zoom: 0 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.absolute({ pan: 0, tilt: 0, zoom: -0.1 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.recallPreset(128))).code).toBe('invalid_argument');
    expect((await errorOf(driver.savePreset(1.5))).code).toBe('invalid_argument');
    expect(sim.received).toEqual([]);
  });
});

describe('D3 visca-ip driver: replies', () => {
  it('D3 visca-ip: ACK 90 4y FF first, the promise resolves only after the completion 90 5y FF (same seq)', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 120 });
    const events: string[] = [];
    sim.on('reply', (r) => events.push(`${r.data.readUInt32BE(4)}:${hex(r.data.subarray(8))}`));
    await driver.absolute({ pan: 0.2, tilt: 0, zoom: 0.1 }).then(() => events.push('resolved'));
    const [abs, zoom] = sim.received.filter(isCommand).map(seqOf);
    expect(events.indexOf(`${abs}:90 41 ff`)).toBeLessThan(events.indexOf(`${abs}:90 51 ff`));
    expect(events.indexOf(`${zoom}:90 42 ff`)).toBeLessThan(events.indexOf(`${zoom}:90 52 ff`));
    // Both moves run at once (two sockets): the zoom went out after the first ACK, not after its completion.
    expect(events.indexOf(`${zoom}:90 42 ff`)).toBeLessThan(events.indexOf(`${abs}:90 51 ff`));
    expect(events.at(-1)).toBe('resolved');
  });

  it('D3 visca-ip: an inquiry mid-move returns an intermediate position (no ACK for inquiries)', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 400 });
    const acked = new Promise<void>((resolve) => sim.on('reply', (r) => r.data.subarray(8, 10).equals(Buffer.from([0x90, 0x41])) && resolve()));
    const move = driver.absolute({ pan: 1, tilt: 0, zoom: 0 });
    await acked;
    await driver.refreshPosition();
    const pan = driver.state().pan as number;
    expect(pan).toBeGreaterThan(0);
    expect(pan).toBeLessThan(1);
    const inquiryReplies = sim.sent.filter((d) => d.data.readUInt16BE(0) === 0x0111 && d.data[9] === 0x50 && d.data.length > 11);
    expect(inquiryReplies.length).toBeGreaterThan(0);
    await move;
    await driver.refreshPosition();
    expect(driver.state().pan).toBe(1);
  });

  it('D3 visca-ip: buffer full 90 60 03 FF → one retry with a new sequence number, then DeviceError busy', async () => {
    const { sim, driver } = await rig();
    sim.failNext(0x03, 1);
    await driver.power(true); // the retry succeeds
    let cmds = sim.received.filter(isCommand);
    expect(cmds).toHaveLength(2);
    expect(seqOf(cmds[1])).toBe(seqOf(cmds[0]) + 1);

    sim.clearLog();
    sim.failNext(0x03, 2);
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('busy');
    cmds = sim.received.filter(isCommand);
    expect(cmds).toHaveLength(2);
    expect(hex(sim.sent.at(-1)!.data.subarray(8))).toBe('90 60 03 ff');
    expect(driver.health().status).toBe('online'); // the camera answered; it is not gone
    expect(driver.health().errorCount).toBe(1);
  });

  it('D3 visca-ip: the real buffer-full: a third command while two moves run gets 90 60 03 FF from the simulator', async () => {
    const { sim, port } = await rig({ moveTimeMs: 300 });
    const c = await rawClient(port);
    c.send(0x0100, 100, [0x81, 0x01, 0x06, 0x02, 0x18, 0x14, 0, 0, 1, 0, 0, 0, 0, 0, 0xff]); // absolute: socket 1
    c.send(0x0100, 101, [0x81, 0x01, 0x04, 0x47, 0, 1, 0, 0, 0xff]); // zoom direct: socket 2
    c.send(0x0100, 102, [0x81, 0x01, 0x04, 0x3f, 0x01, 0x01, 0xff]); // preset set: no socket left
    c.send(0x0110, 103, [0x81, 0x09, 0x04, 0x00, 0xff]); // inquiries need no socket
    const replies = await c.collect(4);
    expect(replies.map((m) => `${m.seq}:${hex(m.payload)}`)).toEqual(['100:90 41 ff', '101:90 42 ff', '102:90 60 03 ff', '103:90 50 02 ff']);
    expect(sim.state.busySockets).toEqual([1, 2]);
  });

  it('D3 visca-ip: not executable 90 6y 41 FF → DeviceError rejected (a move while in standby)', async () => {
    const { sim, driver } = await rig();
    await driver.power(false);
    const err = await errorOf(driver.move({ pan: 1, tilt: 0, zoom: 0 }));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/cannot execute/);
    expect(hex(sim.sent.filter((d) => d.data[9] === 0x61 || d.data[9] === 0x62).at(-1)!.data.subarray(8))).toMatch(/^90 6[12] 41 ff$/);
    sim.failNext(0x41);
    expect((await errorOf(driver.power(true))).code).toBe('rejected');
  });

  it('D3 visca-ip: syntax 90 60 02 FF and length 90 60 01 FF → DeviceError syntax', async () => {
    const { sim, driver } = await rig();
    sim.failNext(0x02);
    const a = await errorOf(driver.power(true));
    expect(a.code).toBe('syntax');
    expect(a.message).toMatch(/syntax error/);
    sim.failNext(0x01);
    const b = await errorOf(driver.power(true));
    expect(b.code).toBe('syntax');
    expect(b.message).toMatch(/length/);
    expect(sim.sent.filter((d) => d.data.readUInt16BE(0) === 0x0111).map((d) => hex(d.data.subarray(8)))).toEqual(['90 60 02 ff', '90 60 01 ff']);
  });

  it('D3 visca-ip: cancelled 90 6y 04 FF → DeviceError rejected "cancelled"; a stop overtakes a long absolute move', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 2000 });
    sim.failNext(0x04);
    const forced = await errorOf(driver.power(true));
    expect(forced.code).toBe('rejected');
    expect(forced.message).toMatch(/cancelled/);

    const t0 = performance.now();
    const move = errorOf(driver.absolute({ pan: 1, tilt: 1, zoom: 1 }));
    await driver.ptzStop();
    const err = await move;
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/cancelled/);
    expect(performance.now() - t0).toBeLessThan(1000); // did not wait for the 2 s travel
    expect(sim.state.moving).toBe(false);
    expect(sim.state.pan).toBeLessThan(0x0990);
  });

  it('D3 visca-ip: no socket 90 6y 05 FF → DeviceError rejected', async () => {
    const { sim, driver } = await rig();
    sim.failNext(0x05);
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/no socket/);
  });

  it('D3 visca-ip: an undecodable reply counts an error and makes the status degraded; a good reply makes it online again', async () => {
    const { sim, driver } = await rig();
    await driver.power(true);
    const driverPort = sim.received.at(-1)!.peer.port;
    const degraded = waitForStatus(driver, 'degraded');
    const garbage = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => garbage.close(() => r())));
    const before = driver.health().errorCount;
    garbage.send(Buffer.from([0x01, 0x11, 0x00, 0x09, 0, 0, 0, 0, 0x90, 0x41]), driverPort, '127.0.0.1'); // length says 9, 2 follow
    await degraded;
    expect(driver.health().errorCount).toBe(before + 1);
    expect(driver.health().lastError).toMatch(/undecodable/);
    const online = waitForStatus(driver, 'online');
    await driver.power(true);
    await online;
  });
});

describe('D3 visca-ip driver: loss, sequence numbers, reconnect', () => {
  it('D3 visca-ip: a lost command is retransmitted with the SAME sequence number after the per-attempt timeout', async () => {
    const { sim, driver } = await rig();
    sim.dropIncomingNext(1);
    const t0 = performance.now();
    await driver.power(false);
    const cmds = sim.received.filter(isCommand);
    expect(cmds).toHaveLength(2);
    expect(cmds[0].dropped).toBe(true);
    expect(hex(cmds[1].data)).toBe(hex(cmds[0].data)); // same header (same seq) and payload
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(sim.state.power).toBe(false);
  });

  it('D3 visca-ip: lost replies → same seq again → camera says 0F 01 (already executed) → resent once with a new seq', async () => {
    const { sim, driver } = await rig();
    sim.dropRepliesNext(2); // the ACK and the completion of the first transmission
    await driver.savePreset(9);
    const cmds = sim.received.filter(isCommand);
    expect(cmds.map(seqOf)).toEqual([3, 3, 4]);
    expect(cmds.every((d) => hex(d.data.subarray(8)) === '81 01 04 3f 01 09 ff')).toBe(true);
    const controlErrors = sim.sent.filter((d) => d.data.readUInt16BE(0) === 0x0201);
    expect(controlErrors.map((d) => hex(d.data))).toEqual(['02 01 00 02 00 00 00 03 0f 01']);
    expect(driver.health().status).toBe('online');
  });

  it('D3 visca-ip: a lost completion after the ACK → same seq again → 0F 01 → new seq; the command resolves', async () => {
    const { sim, driver } = await rig();
    sim.dropRepliesNext(1, (p) => p[1] === 0x51 || p[1] === 0x52); // the completion only
    await driver.power(false);
    expect(sim.received.filter(isCommand).map(seqOf)).toEqual([3, 3, 4]);
    expect(sim.sent.filter((d) => !d.dropped).map((d) => `${seqOf(d)}:${hex(d.data.subarray(8))}`)).toEqual(['3:90 41 ff', '3:0f 01', '4:90 41 ff', '4:90 51 ff']);
  });

  it('D3 visca-ip: a travel whose ACK was lost is resent under a new seq; the 6y 04 for the replaced old seq is ignored', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 150 });
    sim.dropRepliesNext(1); // the ACK of the absolute move
    await driver.absolute({ pan: 0.3, tilt: 0, zoom: 0 });
    const abs = sim.received.filter((d) => isCommand(d) && d.data[11] === 0x02);
    expect(abs.map(seqOf)).toEqual([3, 3, 4]); // the zoom direct waits behind it until its ACK: seq 5
    expect(seqOf(sim.received.filter((d) => isCommand(d) && d.data[11] === 0x47)[0])).toBe(5);
    expect(sim.sent.some((d) => seqOf(d) === 3 && hex(d.data.subarray(8)) === '90 61 04 ff')).toBe(true);
    expect(sim.state.pan).toBe(Math.round(0.3 * 0x0990));
  });

  it('D3 visca-ip: a travel whose completion never comes resolves after completionTimeoutMs if the camera still answers', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 20, conn: { completionTimeoutMs: 200 } });
    sim.dropRepliesNext(1, (p) => p[1] === 0x51); // the absolute's completion (socket 1)
    const t0 = performance.now();
    await driver.absolute({ pan: -0.3, tilt: 0, zoom: 0 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(arrived(sim).at(-1)).toMatch(/^01 10 00 05 .* 81 09 04 00 ff$/); // the liveness inquiry
    expect(driver.health().status).toBe('online');
  });

  it('D3 visca-ip: both travel completions lost while a preset save waits for a socket: nothing deadlocks', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 20, conn: { completionTimeoutMs: 150 } });
    sim.dropRepliesNext(2, (p) => p[1] === 0x51 || p[1] === 0x52);
    const t0 = performance.now();
    const move = driver.absolute({ pan: 0.4, tilt: 0.1, zoom: 0.3 });
    const save = driver.savePreset(2); // needs a socket: waits while both travels count as executing
    await Promise.all([move, save]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sim.state.presets[2]).toEqual({ pan: Math.round(0.4 * 0x0990), tilt: Math.round(0.1 * 0x0510), zoom: Math.round(0.3 * 0x4000) });
  });

  it('D3 visca-ip: repeated 0F 01 → RESET and restart the sequence from 0', async () => {
    const { sim, driver } = await rig();
    sim.sequenceErrorNext(2);
    await driver.power(true);
    expect(arrived(sim)).toEqual([
      '01 00 00 06 00 00 00 03 81 01 04 00 02 ff',
      '01 00 00 06 00 00 00 04 81 01 04 00 02 ff',
      '02 00 00 01 00 00 00 00 01',
      '01 00 00 06 00 00 00 00 81 01 04 00 02 ff',
    ]);
    await driver.power(true);
    expect(seqOf(sim.received.at(-1)!)).toBe(1);
  });

  it('D3 visca-ip: the simulator answers a duplicate sequence number with 0F 01 without executing it again', async () => {
    const { sim, port } = await rig();
    const c = await rawClient(port);
    c.sendRaw(encodeIpReset());
    c.send(0x0100, 0, [0x81, 0x01, 0x04, 0x00, 0x03, 0xff]);
    expect((await c.collect(3)).map((m) => hex(m.payload))).toEqual(['01', '90 41 ff', '90 51 ff']);
    sim.setState({ power: true });
    c.send(0x0100, 0, [0x81, 0x01, 0x04, 0x00, 0x03, 0xff]);
    const [dup] = await c.collect(1);
    expect(dup).toEqual({ type: 0x0201, seq: 0, payload: Buffer.from([0x0f, 0x01]) });
    expect(sim.state.power).toBe(true); // not executed twice
    c.send(0x0999, 1, [0x81, 0x09, 0x04, 0x00, 0xff]);
    expect(await c.collect(1)).toEqual([{ type: 0x0201, seq: 1, payload: Buffer.from([0x0f, 0x02]) }]);
    c.sendRaw(Buffer.from([0x01, 0x00, 0x00, 0x09, 0, 0, 0, 2, 0x81, 0x01, 0xff])); // length field lies
    c.send(0x0100, 3, [0x81, 0x01, 0x05, 0x00, 0x02, 0xff]); // unknown category
    expect((await c.collect(2)).map((m) => `${m.seq}:${hex(m.payload)}`)).toEqual(['2:90 60 01 ff', '3:90 60 02 ff']);
  });

  it('D3 visca-ip: when nothing answers, the command rejects with timeout within (retries+1)×timeout + 500 ms, same seq each attempt', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 150, retries: 2, reconnectMinMs: 10_000 } });
    sim.lossRate = 1;
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.absolute({ pan: 0.1, tilt: 0, zoom: 0 }));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/^Camera did not answer within 450 ms/);
    expect(took).toBeGreaterThanOrEqual(3 * 150 - 5);
    expect(took).toBeLessThan(3 * 150 + 500);
    const cmds = sim.received.filter((d) => isCommand(d) && d.data[11] === 0x02); // the absolute-position datagrams
    expect(cmds).toHaveLength(3);
    expect(new Set(cmds.map(seqOf)).size).toBe(1);
    await offline;
    const t1 = performance.now();
    expect((await errorOf(driver.power(true))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
    expect(driver.health().lastError).toMatch(/did not answer/);
  });

  it('D3 visca-ip: simulator stopped → driver offline → simulator restarted on the same port → driver online by itself, sequence from 0', async () => {
    const { sim, port, driver } = await rig({ conn: { timeoutMs: 80, retries: 1, reconnectMinMs: 50, reconnectMaxMs: 200 } });
    await sim.stop();
    const offline = waitForStatus(driver, 'offline');
    expect((await errorOf(driver.power(true))).code).toBe('timeout');
    await offline;
    expect((await errorOf(driver.power(true))).code).toBe('unreachable');

    sim.clearLog();
    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    expect(hex(sim.received.find((d) => !d.dropped)!.data)).toBe('02 00 00 01 00 00 00 00 01');
    await driver.power(false);
    expect(sim.state.power).toBe(false);
    const lastCommand = sim.received.filter(isCommand).at(-1)!;
    expect(seqOf(lastCommand)).toBeLessThan(10); // restarted from 0 after the RESET (plus the state inquiries)
  });

  it('D3 visca-ip: stop() fails pending commands with closed and never hangs', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 5000 });
    const pending = errorOf(driver.absolute({ pan: 1, tilt: 0, zoom: 0 }));
    await new Promise<void>((resolve) => sim.once('reply', () => resolve())); // the ACK: it is executing
    await driver.stop();
    expect((await pending).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.power(true))).code).toBe('closed');
  });

  it('D3 visca-ip: 20% packet loss both ways still completes every command (retransmission and 0F 01 handling)', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const sim = new ViscaIpSimulator({ port: 0, moveTimeMs: 0, lossRate: 0, random });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    const driver = new ViscaIpDriver({ host: '127.0.0.1', port, timeoutMs: 40, retries: 6, reconnectMinMs: 20 });
    cleanups.push(() => driver.stop());
    await driver.start();
    sim.lossRate = 0.2;
    sim.replyLossRate = 0.2;
    for (let i = 0; i < 30; i++) {
      const on = i % 2 === 0;
      await driver.power(on);
      expect(sim.state.power).toBe(on);
    }
    expect(sim.received.some((d) => d.dropped)).toBe(true);
    expect(sim.sent.some((d) => d.dropped)).toBe(true);
    expect(driver.health().status).toBe('online');
  });
});

describe('D3 visca-ip factory and simulator entry point', () => {
  it('D3 viscaIpFactory: JSON Schema fills defaults and refuses bad connections; create() builds a visca-ip camera', async () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(viscaIpFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '192.168.1.20' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 52381, address: 1, timeoutMs: 1000, retries: 2, localPort: 0 });
    expect(validate({ host: '10.0.0.1', port: 70000 })).toBe(false);
    expect(validate({ port: 52381 })).toBe(false);
    expect(validate({ host: 'x', bogus: 1 })).toBe(false);
    const d = viscaIpFactory.create(conn);
    expect(d).toBeInstanceOf(ViscaIpDriver);
    expect([d.driver, d.kind, viscaIpFactory.driver, viscaIpFactory.kind]).toEqual(['visca-ip', 'camera', 'visca-ip', 'camera']);
    expect(() => viscaIpFactory.create({})).toThrow(DeviceError);
  });

  it('D3 startSimulator("visca-ip") listens on UDP and answers a RESET; other kinds give a clear error', async () => {
    const s = await startSimulator('visca-ip', { port: 0, host: '127.0.0.1' });
    cleanups.push(() => s.stop());
    expect(s.address.port).toBeGreaterThan(0);
    const c = await rawClient(s.address.port);
    c.sendRaw(encodeIpReset());
    expect(await c.collect(1)).toEqual([{ type: 0x0201, seq: 0, payload: Buffer.from([0x01]) }]);
    await expect(startSimulator('polycom-hdx', {})).rejects.toThrow(/unknown simulator kind "polycom-hdx".*visca-ip/);
  });
});

/** A bare UDP client speaking VISCA over IP, to poke the simulator directly. */
async function rawClient(port: number) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  const inbox: IpMessage[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (m) => {
    inbox.push(decodeIpMessage(m));
    wake?.();
  });
  return {
    sendRaw: (buf: Buffer) => socket.send(buf, port, '127.0.0.1'),
    send: (type: number, seq: number, payload: number[]) => socket.send(encodeIpMessage({ type, seq, payload: Buffer.from(payload) }), port, '127.0.0.1'),
    async collect(n: number): Promise<IpMessage[]> {
      while (inbox.length < n) await new Promise<void>((r) => (wake = r));
      return inbox.splice(0, n);
    },
  };
}
