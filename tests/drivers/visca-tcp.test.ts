// ViscaTcpDriver against ViscaTcpSimulator: raw VISCA packets (no header) on TCP, 127.0.0.1, ephemeral ports.
// Byte assertions read the packets the simulated camera received and sent.
import { describe, it, expect, afterEach } from 'vitest';
import net from 'node:net';
import { Ajv } from 'ajv';
import { ViscaTcpSimulator } from '../../drivers/sim/visca-tcp-sim.js';
import { ViscaTcpDriver, type ViscaTcpConnection } from '../../drivers/visca/visca-tcp.js';
import { viscaTcpFactory } from '../../drivers/visca/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').match(/../g)!.join(' ');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

interface Rig {
  sim: ViscaTcpSimulator;
  port: number;
  driver: ViscaTcpDriver;
}

async function rig(opts: { moveTimeMs?: number; splitReplies?: boolean; conn?: Partial<ViscaTcpConnection> } = {}): Promise<Rig> {
  const sim = new ViscaTcpSimulator({ port: 0, moveTimeMs: opts.moveTimeMs ?? 0, splitReplies: opts.splitReplies });
  const { port } = await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new ViscaTcpDriver({ host: '127.0.0.1', port, timeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 200, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, port, driver };
}

/** Packets the camera received, as hex. */
const received = (sim: ViscaTcpSimulator) => sim.received.map((p) => hex(p.data));
const sent = (sim: ViscaTcpSimulator) => sim.sent.map((p) => hex(p.data));

function waitForStatus(driver: ViscaTcpDriver, status: DeviceStatus): Promise<void> {
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

/** Resolves when the simulator sends a reply whose bytes match. */
const replySent = (sim: ViscaTcpSimulator, bytes: string) =>
  new Promise<void>((resolve) => {
    const on = (p: { data: Buffer }) => {
      if (hex(p.data) === bytes) {
        sim.off('reply', on);
        resolve();
      }
    };
    sim.on('reply', on);
  });

describe('D3 visca-tcp driver: connection', () => {
  it('D3 visca-tcp: start() connects, sends IF_Clear 81 01 00 01 FF (→ 90 50 FF), goes online and reads power, pan/tilt and zoom', async () => {
    const sim = new ViscaTcpSimulator({ port: 0, moveTimeMs: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    sim.setState({ power: true, pan: -0x0990, tilt: 0x0510, zoom: 0x1000 });
    const driver = new ViscaTcpDriver({ host: '127.0.0.1', port });
    cleanups.push(() => driver.stop());
    expect(driver.connection).toMatchObject({ port, address: 1, timeoutMs: 1000 });
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(received(sim)).toEqual(['81 01 00 01 ff', '81 09 04 00 ff', '81 09 06 12 ff', '81 09 04 47 ff']);
    expect(sent(sim)).toEqual(['90 50 ff', '90 50 02 ff', '90 50 0f 06 07 00 00 05 01 00 ff', '90 50 01 00 00 00 ff']);
    expect(driver.state()).toEqual({ power: true, pan: -1, tilt: 1, zoom: 0.25, preset: null });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
    expect([driver.driver, driver.kind]).toEqual(['visca-tcp', 'camera']);
  });

  it('D3 visca-tcp: with nothing listening, start() ends offline at once and commands fail fast with unreachable', async () => {
    const sim = new ViscaTcpSimulator({ port: 0 });
    const { port } = await sim.start();
    await sim.stop();
    const driver = new ViscaTcpDriver({ host: '127.0.0.1', port, timeoutMs: 200, reconnectMinMs: 5000 });
    cleanups.push(() => driver.stop());
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(700);
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    const t1 = performance.now();
    expect((await errorOf(driver.power(true))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
  });
});

describe('D3 visca-tcp driver: exact bytes of each command', () => {
  it('D3 visca-tcp: ptz.move in every direction sends the pan-tilt drive of protocols.md §1.7 and a zoom command', async () => {
    const { sim, driver } = await rig();
    const table: [{ pan: number; tilt: number; zoom: number }, string, string][] = [
      [{ pan: 1, tilt: 0, zoom: 0 }, '81 01 06 01 18 01 02 03 ff', '81 01 04 07 00 ff'],
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
      expect(received(sim)).toEqual([panTilt, zoom]);
      // Each command: ACK 90 4y FF then completion 90 5y FF.
      expect(sent(sim)).toEqual(['90 41 ff', '90 51 ff', '90 41 ff', '90 51 ff']);
    }
  });

  it('D3 visca-tcp: ptz.stop sends 81 01 06 01 01 01 03 03 FF and 81 01 04 07 00 FF, then reads the position; the driver stays open', async () => {
    const { sim, driver } = await rig();
    await runDeviceCommand(driver, 'ptz.stop', {});
    await expect.poll(() => received(sim).length).toBe(4);
    expect(received(sim)).toEqual(['81 01 06 01 01 01 03 03 ff', '81 01 04 07 00 ff', '81 09 06 12 ff', '81 09 04 47 ff']);
    expect(driver.health().status).toBe('online');
    await driver.power(true);
  });

  it('D3 visca-tcp: ptz.absolute sends absolute position (signed nibbles) and zoom direct', async () => {
    const { sim, driver } = await rig();
    await driver.absolute({ pan: 0.5, tilt: -0.25, zoom: 0.5 });
    expect(received(sim)).toEqual(['81 01 06 02 18 14 00 04 0c 08 0f 0e 0b 0c ff', '81 01 04 47 02 00 00 00 ff']);
    expect(sim.state).toMatchObject({ pan: 0x04c8, tilt: -324, zoom: 0x2000 });
    expect(driver.state()).toMatchObject({ pan: 0.5, tilt: -0.25, zoom: 0.5 });
  });

  it('D3 visca-tcp: preset save/recall send 81 01 04 3F 01|02 pp FF; power sends 81 01 04 00 02|03 FF; inquiries 81 09 …', async () => {
    const { sim, driver } = await rig();
    await driver.absolute({ pan: -0.5, tilt: 0.5, zoom: 0.25 });
    sim.clearLog();
    await driver.savePreset(5, 'Bục phát biểu');
    expect(received(sim)).toEqual(['81 01 04 3f 01 05 ff']);
    await driver.absolute({ pan: 0, tilt: 0, zoom: 0 });
    sim.clearLog();
    await driver.recallPreset(5);
    expect(received(sim)).toEqual(['81 01 04 3f 02 05 ff', '81 09 06 12 ff', '81 09 04 47 ff']);
    expect(sim.state).toMatchObject({ pan: -1224, tilt: 648, zoom: 0x1000, preset: 5 });
    expect(driver.state()).toMatchObject({ preset: 5, pan: -0.5, tilt: 0.5, zoom: 0.25 });
    sim.clearLog();
    await driver.power(false);
    await driver.power(true);
    await driver.refreshState();
    expect(received(sim)).toEqual(['81 01 04 00 03 ff', '81 01 04 00 02 ff', '81 09 04 00 ff', '81 09 06 12 ff', '81 09 04 47 ff']);
    expect(sent(sim).slice(4)).toEqual(['90 50 02 ff', '90 50 0f 0b 03 08 00 02 08 08 ff', '90 50 01 00 00 00 ff']);
  });
});

describe('D3 visca-tcp driver: replies', () => {
  it('D3 visca-tcp: ACK 90 4y FF first, completion 90 5y FF after the travel; the zoom goes out after the first ACK (two sockets)', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 150 });
    const events: string[] = [];
    sim.on('reply', (r) => events.push(hex(r.data)));
    sim.on('command', (c) => events.push(`> ${hex(c.data)}`));
    await driver.absolute({ pan: 0.2, tilt: 0, zoom: 0.1 }).then(() => events.push('resolved'));
    expect(events).toEqual(['> 81 01 06 02 18 14 00 01 0e 0a 00 00 00 00 ff', '90 41 ff', '> 81 01 04 47 00 06 06 06 ff', '90 42 ff', '90 51 ff', '90 52 ff', 'resolved']);
  });

  it('D3 visca-tcp: an inquiry mid-move returns an intermediate position', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 400 });
    const acked = replySent(sim, '90 41 ff');
    const move = driver.absolute({ pan: 1, tilt: 0, zoom: 0 });
    await acked;
    await driver.refreshPosition();
    const pan = driver.state().pan as number;
    expect(pan).toBeGreaterThan(0);
    expect(pan).toBeLessThan(1);
    await move;
    await driver.refreshPosition();
    expect(driver.state().pan).toBe(1);
  });

  it('D3 visca-tcp: buffer full 90 60 03 FF → one retry of the same bytes, then DeviceError busy; a real third command gets 90 60 03 FF', async () => {
    const { sim, driver, port } = await rig();
    sim.failNext(0x03, 1);
    await driver.power(true);
    expect(received(sim)).toEqual(['81 01 04 00 02 ff', '81 01 04 00 02 ff']);
    sim.clearLog();
    sim.failNext(0x03, 2);
    const err = await errorOf(driver.power(true));
    expect(err.code).toBe('busy');
    expect(sent(sim)).toEqual(['90 60 03 ff', '90 60 03 ff']);
    expect(driver.health().status).toBe('online');

    sim.moveTimeMs = 300;
    const c = await rawClient(port);
    c.write('81 01 06 02 18 14 00 00 01 00 00 00 00 00 ff'); // absolute: socket 1
    c.write('81 01 04 47 00 01 00 00 ff'); // zoom direct: socket 2
    c.write('81 01 04 3f 01 01 ff'); // preset set: no socket left
    c.write('81 09 04 00 ff'); // inquiries need no socket
    expect(await c.collect(4)).toEqual(['90 41 ff', '90 42 ff', '90 60 03 ff', '90 50 02 ff']);
    expect(sim.state.busySockets).toEqual([1, 2]);
  });

  it('D3 visca-tcp: not executable 90 6y 41 FF → rejected (a move in standby); syntax 02 and length 01 → syntax; no socket 05 → rejected', async () => {
    const { sim, driver } = await rig();
    await driver.power(false);
    sim.clearLog();
    const standby = await errorOf(driver.move({ pan: 1, tilt: 0, zoom: 0 }));
    expect(standby.code).toBe('rejected');
    expect(standby.message).toMatch(/cannot execute/);
    expect(sent(sim)[0]).toMatch(/^90 6[12] 41 ff$/);
    await driver.power(true);
    sim.clearLog();
    sim.failNext(0x02);
    const a = await errorOf(driver.power(true));
    expect([a.code, a.message]).toEqual(['syntax', 'Camera did not understand power on (VISCA syntax error)']);
    sim.failNext(0x01);
    const b = await errorOf(driver.power(true));
    expect(b.code).toBe('syntax');
    expect(b.message).toMatch(/length/);
    sim.failNext(0x05);
    const d = await errorOf(driver.power(true));
    expect(d.code).toBe('rejected');
    expect(d.message).toMatch(/no socket/);
    sim.failNext(0x41);
    expect((await errorOf(driver.power(true))).code).toBe('rejected');
    expect(sent(sim)).toEqual(['90 60 02 ff', '90 60 01 ff', '90 61 05 ff', '90 61 41 ff']);
    expect(driver.health().status).toBe('online');
  });

  it('D3 visca-tcp: cancelled 90 6y 04 FF → rejected "cancelled"; a stop overtakes a long absolute move', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 2000 });
    sim.failNext(0x04);
    const forced = await errorOf(driver.power(true));
    expect([forced.code, forced.message]).toEqual(['rejected', 'cancelled: the camera cancelled power on (a newer command replaced it)']);
    const t0 = performance.now();
    const move = errorOf(driver.absolute({ pan: 1, tilt: 1, zoom: 1 }));
    await driver.ptzStop();
    const err = await move;
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/cancelled/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sent(sim)).toContain('90 61 04 ff');
    expect(sim.state.moving).toBe(false);
  });

  it('D3 visca-tcp: replies split across reads (1, 2, 4-byte pieces) are reassembled', async () => {
    const { sim, driver } = await rig({ splitReplies: true, moveTimeMs: 20 });
    const chunks: Buffer[] = [];
    (driver as unknown as { stream: NodeJS.EventEmitter }).stream.on('data', (c: Buffer) => chunks.push(c));
    await driver.absolute({ pan: 0.25, tilt: 0.25, zoom: 0.5 });
    await driver.refreshState();
    expect(driver.state()).toMatchObject({ power: true, pan: 0.25, tilt: 0.25, zoom: 0.5 });
    const bytes = sim.sent.reduce((n, p) => n + p.data.length, 0);
    expect(Buffer.concat(chunks).length).toBe(bytes);
    expect(chunks.length).toBeGreaterThan(sim.sent.length); // more reads than packets
    expect(chunks.some((c) => c.at(-1) !== 0xff)).toBe(true); // some read ended mid-packet
    expect(driver.health().errorCount).toBe(0);
  });

  it('D3 visca-tcp: an undecodable reply makes the status degraded; the next good reply makes it online again', async () => {
    const server = net.createServer((s) =>
      s.on('data', (d) => {
        const cmd = hex(d);
        if (cmd === '81 01 00 01 ff') s.write(Buffer.from([0x90, 0x50, 0xff]));
        else if (cmd === '81 09 04 00 ff') s.write(Buffer.from([0x90, 0x7f, 0xff, 0x90, 0x50, 0x02, 0xff])); // junk, then the answer
        else s.write(Buffer.from([0x90, 0x60, 0x02, 0xff]));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const driver = new ViscaTcpDriver({ host: '127.0.0.1', port, timeoutMs: 200 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start(); // power inquiry: junk (degraded) then 90 50 02 (online); position inquiries: syntax errors
    expect(statuses).toEqual(['online', 'degraded', 'online']);
    expect(driver.health().lastError).toMatch(/syntax error|undecodable/);
  });
});

describe('D3 visca-tcp driver: faults and reconnect', () => {
  it('D3 visca-tcp: camera killed mid-command → DeviceError unreachable at once, offline; back on the same port → online by itself', async () => {
    const { sim, port, driver } = await rig({ moveTimeMs: 3000, conn: { timeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 200 } });
    const acked = replySent(sim, '90 41 ff');
    const offline = waitForStatus(driver, 'offline');
    const move = errorOf(driver.absolute({ pan: 1, tilt: 0, zoom: 0 }));
    await acked;
    const t0 = performance.now();
    await sim.stop(); // mid-travel: the ACK came, the completion never will
    const err = await move;
    expect(performance.now() - t0).toBeLessThan(300); // well inside the 300 ms answer timeout
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/^Camera 127\.0\.0\.1:\d+: connection (closed by the camera|lost .*); reconnecting in the background$/);
    await offline;
    expect((await errorOf(driver.power(true))).code).toBe('unreachable');

    sim.clearLog();
    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    expect(received(sim)[0]).toBe('81 01 00 01 ff');
    await driver.power(false);
    expect(sim.state.power).toBe(false);
    expect(sim.connectionCount).toBe(1);
  });

  it('D3 visca-tcp: a camera that stops answering (connection open) → timeout within timeoutMs, offline, reconnect when it answers again', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 200, reconnectMinMs: 50, reconnectMaxMs: 100 } });
    const model = sim.model;
    const execute = model.execute.bind(model);
    model.execute = () => {}; // hung firmware: reads, never answers
    const t0 = performance.now();
    const err = await errorOf(driver.power(true));
    expect(performance.now() - t0).toBeLessThan(200 + 300);
    expect([err.code, err.message]).toEqual(['timeout', 'Camera did not answer within 200 ms to power on']);
    await waitForStatus(driver, 'offline');
    const online = waitForStatus(driver, 'online');
    model.execute = execute;
    await online;
    await driver.power(true);
  });

  it('D3 visca-tcp: stop() fails pending commands with closed and never hangs', async () => {
    const { sim, driver } = await rig({ moveTimeMs: 5000 });
    const acked = replySent(sim, '90 41 ff');
    const pending = errorOf(driver.absolute({ pan: 1, tilt: 0, zoom: 0 }));
    await acked;
    await driver.stop();
    expect((await pending).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.power(true))).code).toBe('closed');
  });
});

describe('D3 visca-tcp factory', () => {
  it('D3 viscaTcpFactory: JSON Schema fills port 5678, address 1, timeoutMs 1000 and refuses bad connections', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(viscaTcpFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '192.168.1.30' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 5678, address: 1, timeoutMs: 1000 });
    expect(validate({ host: '10.0.0.1', port: 0 })).toBe(false);
    expect(validate({ host: '10.0.0.1', address: 8 })).toBe(false);
    expect(validate({ port: 5678 })).toBe(false);
    expect(validate({ host: 'x', path: '/dev/ttyUSB0' })).toBe(false);
    const d = viscaTcpFactory.create(conn);
    expect(d).toBeInstanceOf(ViscaTcpDriver);
    expect([d.driver, d.kind, viscaTcpFactory.driver, viscaTcpFactory.kind]).toEqual(['visca-tcp', 'camera', 'visca-tcp', 'camera']);
    expect(() => viscaTcpFactory.create({})).toThrow(DeviceError);
    expect(() => viscaTcpFactory.create({ host: 'x', port: 'x' })).toThrow(DeviceError);
  });
});

/** A bare TCP client writing hex packets and collecting whole reply packets. */
async function rawClient(port: number) {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  cleanups.push(async () => socket.destroy());
  let buffered = Buffer.alloc(0);
  const inbox: string[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (d) => {
    buffered = Buffer.concat([buffered, d]);
    for (let i = buffered.indexOf(0xff); i >= 0; i = buffered.indexOf(0xff)) {
      inbox.push(hex(buffered.subarray(0, i + 1)));
      buffered = buffered.subarray(i + 1);
    }
    wake?.();
  });
  return {
    write: (h: string) => socket.write(Buffer.from(h.replace(/\s+/g, ''), 'hex')),
    async collect(n: number): Promise<string[]> {
      while (inbox.length < n) await new Promise<void>((r) => (wake = r));
      return inbox.splice(0, n);
    },
  };
}
