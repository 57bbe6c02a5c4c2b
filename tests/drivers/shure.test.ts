// ShureDriver against ShureSimulator over real TCP on 127.0.0.1 (ephemeral ports).
// Byte assertions read the frames the simulator received and sent.
import { describe, it, expect } from 'vitest';
import { Ajv } from 'ajv';
import { ShureSimulator, type ShureSimulatorOptions } from '../../drivers/sim/shure-sim.js';
import { ShureDriver, type ShureConnection } from '../../drivers/shure/driver.js';
import { shureFactory } from '../../drivers/shure/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { ShureStreamParser } from '../../drivers/shure/codec.js';
import { errorOf, rawTcpServer, useCleanups, waitForState, waitForStatus } from '../helpers/drivers.js';

const cleanups = useCleanups();

interface Rig {
  sim: ShureSimulator;
  port: number;
  driver: ShureDriver;
}

async function rig(opts: { sim?: ShureSimulatorOptions; conn?: Partial<ShureConnection> } = {}): Promise<Rig> {
  const sim = new ShureSimulator({ port: 0, ...opts.sim });
  const { port } = await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new ShureDriver({ host: '127.0.0.1', port, timeoutMs: 300, reconnectMinMs: 30, reconnectMaxMs: 120, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, port, driver };
}

const received = (sim: ShureSimulator) => sim.received.map((f) => f.frame);
const sent = (sim: ShureSimulator) => sim.sent.map((f) => f.frame);

/** A scripted peer: `answer(frame)` returns what to write back (or nothing). */
async function rawServer(answer: (frame: string) => string | null) {
  return rawTcpServer(cleanups, (socket) => {
    const p = new ShureStreamParser();
    socket.on('data', (b) => {
      for (const f of p.push(b)) {
        const out = answer(f);
        if (out !== null) socket.write(out);
      }
    });
  });
}

describe('D4 shure driver: connection', () => {
  it('D4 shure: start() sends exactly "< GET DEVICE_AUDIO_MUTE >" (raw TCP, no Telnet bytes), reads the REP, goes online', async () => {
    const sim = new ShureSimulator({ port: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    sim.pressMute(); // muted on the array before we connect
    const clients: number[] = [];
    sim.on('connection', (id) => clients.push(id));
    const driver = new ShureDriver({ host: '127.0.0.1', port, timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(received(sim)).toEqual(['< GET DEVICE_AUDIO_MUTE >']);
    expect(sent(sim)).toEqual(['< REP DEVICE_AUDIO_MUTE ON >']);
    expect(sim.bytesFrom(clients[0]).toString('latin1')).toBe('< GET DEVICE_AUDIO_MUTE >'); // not one byte more
    expect(driver.state()).toEqual({ mute: true, levels: {} });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
  });

  it('D4 shure: nothing listening → start() ends offline, commands fail fast with unreachable', async () => {
    const sim = new ShureSimulator({ port: 0 });
    const { port } = await sim.start();
    await sim.stop();
    const driver = new ShureDriver({ host: '127.0.0.1', port, timeoutMs: 300, reconnectMinMs: 10_000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/ECONNREFUSED/);
    const t0 = performance.now();
    expect((await errorOf(driver.setMute(true))).code).toBe('unreachable');
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('D4 shure: something that accepts TCP but never answers → start() ends offline within timeoutMs', async () => {
    const srv = await rawServer(() => null);
    const driver = new ShureDriver({ host: '127.0.0.1', port: srv.port, timeoutMs: 150, reconnectMinMs: 10_000 });
    cleanups.push(() => driver.stop());
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(150 + 300);
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toBe('Shure did not answer mute state within 150 ms');
  });
});

describe('D4 F1 shure driver: commands and replies', () => {
  it('D4 F1 shure: mute → "< SET DEVICE_AUDIO_MUTE ON|OFF >", resolved by "< REP DEVICE_AUDIO_MUTE ON|OFF >"', async () => {
    const { sim, driver } = await rig();
    const states: Record<string, unknown>[] = [];
    driver.on('state', (s) => states.push(s));
    await runDeviceCommand(driver, 'mute', { on: true });
    expect(sim.state.mute).toBe(true);
    await driver.setMute(false);
    expect(received(sim)).toEqual(['< SET DEVICE_AUDIO_MUTE ON >', '< SET DEVICE_AUDIO_MUTE OFF >']);
    expect(sent(sim)).toEqual(['< REP DEVICE_AUDIO_MUTE ON >', '< REP DEVICE_AUDIO_MUTE OFF >']);
    expect(states.map((s) => s.mute)).toEqual([true, false]);
  });

  it('D4 F1 shure: the mute touched on the array → unsolicited REP → state and a state event, no command sent', async () => {
    const { sim, driver } = await rig();
    const muted = waitForState(driver, (s) => s.mute === true);
    sim.pressMute();
    await muted;
    const unmuted = waitForState(driver, (s) => s.mute === false);
    sim.pressMute();
    await unmuted;
    expect(received(sim)).toEqual([]);
    expect(sent(sim)).toEqual(['< REP DEVICE_AUDIO_MUTE ON >', '< REP DEVICE_AUDIO_MUTE OFF >']);
  });

  it('D4 shure: an unsolicited REP crossing a SET is not taken for its answer; the state ends as the device', async () => {
    const { sim, driver } = await rig();
    // While our SET ON is on the wire, someone presses mute twice: REP ON, REP OFF, then the answer REP ON.
    sim.once('command', () => {
      sim.pressMute();
      sim.pressMute();
    });
    await driver.setMute(true);
    expect(sent(sim)).toEqual(['< REP DEVICE_AUDIO_MUTE ON >', '< REP DEVICE_AUDIO_MUTE OFF >', '< REP DEVICE_AUDIO_MUTE ON >']);
    await waitForState(driver, (s) => s.mute === true);
    expect(sim.state.mute).toBe(true);
  });

  it('D4 shure: every REP updates the state, including one from another controller', async () => {
    const { sim, port, driver } = await rig();
    const other = new ShureDriver({ host: '127.0.0.1', port, timeoutMs: 300 });
    cleanups.push(() => other.stop());
    await other.start();
    const seen = waitForState(driver, (s) => s.mute === true);
    await other.setMute(true); // the simulator reports the change to every client
    await seen;
    expect(sim.state.mute).toBe(true);
  });

  it('D4 shure: raw console — GET/SET per channel, strings in braces, < REP ERR > for unknown params and bad values', async () => {
    const { sim, driver } = await rig();
    const cases: [string, string][] = [
      ['< GET DEVICE_ID >', '< REP DEVICE_ID {Phong hop 1                    } >'],
      ['GET MODEL', '< REP MODEL {MXA910W-US                     } >'],
      ['< GET 01 AUDIO_GAIN_HI_RES >', '< REP 01 AUDIO_GAIN_HI_RES 1100 >'],
      ['< SET 01 AUDIO_GAIN_HI_RES 1050 >', '< REP 01 AUDIO_GAIN_HI_RES 1050 >'],
      ['< SET 02 AUDIO_MUTE ON >', '< REP 02 AUDIO_MUTE ON >'],
      ['< SET 02 AUDIO_MUTE TOGGLE >', '< REP 02 AUDIO_MUTE OFF >'],
      ['< SET DEVICE_AUDIO_MUTE TOGGLE >', '< REP DEVICE_AUDIO_MUTE ON >'],
      ['< SET PRESET 3 >', '< REP PRESET 03 >'],
      ['< SET DEVICE_ID {Hoi truong A} >', '< REP DEVICE_ID {Hoi truong A                   } >'],
      ['< GET NOT_A_PARAM >', '< REP ERR >'],
      ['< SET DEVICE_AUDIO_MUTE MAYBE >', '< REP ERR >'],
      ['< SET METER_RATE 00050 >', '< REP ERR >'], // below the 100 ms minimum
      ['< GET 12 AUDIO_MUTE >', '< REP ERR >'], // the MXA910 has channels 01–09
      ['< SET 01 AUDIO_GAIN_HI_RES 1401 >', '< REP ERR >'],
    ];
    for (const [request, reply] of cases) expect(await driver.raw(request), request).toBe(reply);
    expect(sim.state.gain[0]).toBe(1050);
    expect(sim.state.name).toBe('Hoi truong A');
    expect(driver.state().mute).toBe(true); // the TOGGLE's REP updated the state
    expect(received(sim)[1]).toBe('< GET MODEL >');
    for (const bad of ['< REP MODEL X >', 'hello there', '< GET >', '']) expect((await errorOf(driver.raw(bad))).code).toBe('invalid_argument');
  });

  it('D4 shure: GET ALL → the burst of REPs (many frames per TCP chunk) comes back one per line', async () => {
    const { sim, driver } = await rig();
    const all = (await driver.raw('< GET ALL >')).split('\n');
    expect(all).toHaveLength(7 + 2 * 9);
    expect(all.slice(0, 4)).toEqual([
      '< REP DEVICE_ID {Phong hop 1                    } >',
      '< REP MODEL {MXA910W-US                     } >',
      '< REP FW_VER {4.7.13.0          } >',
      '< REP DEVICE_AUDIO_MUTE OFF >',
    ]);
    expect(all.at(-1)).toBe('< REP 09 AUDIO_GAIN_HI_RES 1100 >');
    expect(sent(sim)).toEqual(all);
    await driver.setMute(true); // the line is free again
  });

  it('D4 shure: setMute answered by < REP ERR > → DeviceError rejected', async () => {
    const srv = await rawServer((f) => (f.includes('GET') ? '< REP DEVICE_AUDIO_MUTE OFF >' : '< REP ERR >'));
    const driver = new ShureDriver({ host: '127.0.0.1', port: srv.port, timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start();
    const err = await errorOf(driver.setMute(true));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/< REP ERR >/);
    expect(driver.health().status).toBe('online');
  });

  it('D4 shure: replies split across TCP chunks and several per chunk are reassembled (fragmentReplies)', async () => {
    const { sim, driver } = await rig({ sim: { fragmentReplies: true } });
    for (let i = 0; i < 5; i++) {
      await driver.setMute(i % 2 === 0);
      expect(driver.state().mute).toBe(i % 2 === 0);
    }
    expect((await driver.raw('< GET ALL >')).split('\n')).toHaveLength(25);
    await driver.subscribeLevels(100);
    sim.setMeters([30, 45]);
    await waitForState(driver, (s) => s.levels['2'] === -15);
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0 });
  });

  it('D4 shure: an undecodable frame → degraded; the next good reply → online', async () => {
    let garbage = false;
    const srv = await rawServer((f) => {
      if (garbage) {
        garbage = false;
        return '< BOGUS 1 2 >< REP DEVICE_AUDIO_MUTE ON >';
      }
      return f.includes('ON') ? '< REP DEVICE_AUDIO_MUTE ON >' : '< REP DEVICE_AUDIO_MUTE OFF >';
    });
    const driver = new ShureDriver({ host: '127.0.0.1', port: srv.port, timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start();
    const degraded = waitForStatus(driver, 'degraded');
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    garbage = true;
    await driver.setMute(true);
    await degraded;
    expect(statuses).toEqual(['degraded', 'online']);
    expect(driver.health().lastError).toMatch(/undecodable reply: unknown message type "BOGUS"/);
  });

  it('D4 shure: bad arguments are refused before any byte goes out', async () => {
    const { sim, driver } = await rig();
    expect((await errorOf(driver.setMute(1 as unknown as boolean))).code).toBe('invalid_argument');
    expect((await errorOf(driver.subscribeLevels(50))).code).toBe('invalid_argument');
    expect((await errorOf(driver.subscribeLevels(100_000))).code).toBe('invalid_argument');
    expect((await errorOf(driver.subscribeLevels(150.5))).code).toBe('invalid_argument');
    expect(sim.received).toEqual([]);
  });
});

describe('D4 shure driver: metering', () => {
  it('D4 shure: subscribeLevels(100) → "< SET METER_RATE 00100 >"; "< SAMPLE … >" every 100 ms → state().levels in dB; 0 stops it', async () => {
    const { sim, driver } = await rig();
    sim.setMeters([60, 54, 0, 30, 0, 0, 0, 0, 51]);
    await driver.subscribeLevels(100);
    expect(received(sim)).toEqual(['< SET METER_RATE 00100 >']);
    expect(sent(sim)[0]).toBe('< REP METER_RATE 00100 >');
    const t0 = performance.now();
    const s = await waitForState(driver, (st) => st.levels['1'] === 0);
    expect(performance.now() - t0).toBeLessThan(100 + 150);
    expect(s.levels).toEqual({ 1: 0, 2: -6, 3: -60, 4: -30, 5: -60, 6: -60, 7: -60, 8: -60, 9: -9 });
    expect(sent(sim)).toContain('< SAMPLE 060 054 000 030 000 000 000 000 051 >');
    sim.setMeters([40]);
    await waitForState(driver, (st) => st.levels['1'] === -20);
    await driver.subscribeLevels(0);
    expect(received(sim).at(-1)).toBe('< SET METER_RATE 00000 >');
    expect(sim.state.meterRate).toBe(0);
    expect(driver.state().levels).toEqual({});
  });
});

describe('D4 M9.2 shure driver: faults and reconnect', () => {
  it('D4 M9.2 shure: the device killed mid-command → unreachable at once, offline; back on the same port → online by itself, metering set again', async () => {
    const { sim, port, driver } = await rig({ conn: { timeoutMs: 1000 } });
    await driver.subscribeLevels(100);
    sim.once('command', () => void sim.stop()); // dies with our SET unanswered
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setMute(true));
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/closed the connection.*while mute on was waiting for its reply/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await offline;
    expect((await errorOf(driver.setMute(true))).code).toBe('unreachable');
    expect(sim.state.meterRate).toBe(0); // a power cycle forgets it

    sim.clearLog();
    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    expect(received(sim)).toEqual(['< GET DEVICE_AUDIO_MUTE >', '< SET METER_RATE 00100 >']);
    expect(sim.state.meterRate).toBe(100);
    sim.setMeters([12]);
    await waitForState(driver, (s) => s.levels['1'] === -48);
    await driver.setMute(true);
    expect(sim.state.mute).toBe(true);
  });

  it('D4 M9.2 shure: a hung device → timeout within timeoutMs, connection dropped (offline), then online again', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 150 } });
    sim.hangNext(1);
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setMute(true));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toBe('Shure did not answer mute on within 150 ms');
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(150 + 300);
    await offline;
    await waitForStatus(driver, 'online');
    await driver.setMute(true);
    expect(sim.state.mute).toBe(true);
  });

  it('D4 M9.2 shure: an idle connection is probed (< GET DEVICE_AUDIO_MUTE >); a device gone silent is noticed without any user command', async () => {
    const { sim, driver } = await rig({ conn: { keepaliveMs: 60, timeoutMs: 100 } });
    const probe = await new Promise<string>((r) => sim.once('command', (f) => r(f.frame)));
    expect(probe).toBe('< GET DEVICE_AUDIO_MUTE >');
    sim.hangNext(1);
    await waitForStatus(driver, 'offline');
    expect(driver.health().lastError).toBe('Shure did not answer keepalive (mute state) within 100 ms');
    await waitForStatus(driver, 'online');
  });

  it('D4 shure: one command at a time; stop() fails the pending and queued ones with closed', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 5000 } });
    sim.hangNext(1);
    const first = errorOf(driver.setMute(true));
    const second = errorOf(driver.subscribeLevels(200));
    await new Promise<void>((r) => sim.once('command', () => r()));
    await new Promise((r) => setTimeout(r, 30));
    expect(received(sim)).toEqual(['< SET DEVICE_AUDIO_MUTE ON >']);
    await driver.stop();
    expect((await first).code).toBe('closed');
    expect((await second).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
  });
});

describe('D4 shure factory', () => {
  it('D4 shureFactory: JSON Schema fills defaults and refuses bad connections; create() builds a shure audio driver', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(shureFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '10.0.0.6' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 2202, timeoutMs: 2000 });
    expect(validate({})).toBe(false);
    expect(validate({ host: 'x', port: 0 })).toBe(false);
    expect(validate({ host: 'x', channel: 1 })).toBe(false);
    const d = shureFactory.create(conn);
    expect(d).toBeInstanceOf(ShureDriver);
    expect([d.driver, d.kind, shureFactory.driver, shureFactory.kind]).toEqual(['shure', 'audio', 'shure', 'audio']);
    expect(() => shureFactory.create({})).toThrow(DeviceError);
  });
});
