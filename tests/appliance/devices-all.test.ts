// Every driver of DESIGN.md §3 through the public API, each against its simulator (issue 3): a technician
// adds the device, sees it online, drives it; the device is unplugged → offline and an alert, while the
// other devices keep working; it is plugged back → online again and the alert clears by itself.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestBox, until, type TestBox } from '../helpers/appliance.js';
import { startSimulator, type RunningSimulator } from '../../drivers/sim/index.js';

interface Case {
  kind: 'camera' | 'display' | 'audio';
  driver: string;
  connection: (address: Record<string, any>) => Record<string, unknown>;
  command: [string, Record<string, unknown>];
  effect: (sim: any) => boolean;
  /** Network simulators can be stopped and restarted on the same port: "unplugged and back". */
  replug: boolean;
}

const CASES: Case[] = [
  { kind: 'camera', driver: 'visca-ip', connection: (a) => ({ host: a.host, port: a.port }), command: ['power', { on: false }], effect: (s) => s.state.power === false, replug: true },
  { kind: 'camera', driver: 'visca-tcp', connection: (a) => ({ host: a.host, port: a.port }), command: ['power', { on: false }], effect: (s) => s.state.power === false, replug: true },
  { kind: 'camera', driver: 'visca-serial', connection: (a) => ({ path: a.path }), command: ['power', { on: false }], effect: (s) => s.state.power === false, replug: false },
  {
    kind: 'camera',
    driver: 'onvif',
    connection: (a) => ({ host: a.host, port: a.port, username: 'admin', password: 'admin' }),
    command: ['ptz.absolute', { pan: 0.5, tilt: 0.25, zoom: 0 }],
    effect: (s) => s.state.pan > 0,
    replug: true,
  },
  { kind: 'display', driver: 'samsung-mdc', connection: (a) => ({ host: a.host, port: a.port }), command: ['power', { on: true }], effect: (s) => s.state.power === true, replug: true },
  { kind: 'display', driver: 'pjlink', connection: (a) => ({ host: a.host, port: a.port }), command: ['power', { on: true }], effect: (s) => s.state.power !== 0, replug: true },
  { kind: 'display', driver: 'lg-serial', connection: (a) => ({ path: a.path }), command: ['power', { on: true }], effect: (s) => s.state.power === true, replug: false },
  { kind: 'audio', driver: 'tesira', connection: (a) => ({ host: a.host, port: a.port, instance: 'Level1', channel: 1 }), command: ['mute', { on: true }], effect: (s) => s.getAttribute('Level1', 'mute', 1) === true, replug: true },
  { kind: 'audio', driver: 'shure', connection: (a) => ({ host: a.host, port: a.port }), command: ['mute', { on: true }], effect: (s) => JSON.stringify(s.state).includes('"deviceMute":true') || s.state.mute === true, replug: true },
];

let t: TestBox;
const sims = new Map<string, RunningSimulator>();

beforeAll(async () => {
  t = await startTestBox();
  for (const c of CASES) sims.set(c.driver, await startSimulator(c.driver, { port: 0, host: '127.0.0.1' }));
});
afterAll(async () => {
  await t?.close();
  for (const s of sims.values()) await s.stop().catch(() => {});
});

const status = async (id: string) => (await t.api('GET', '/api/v1/devices')).body.find((d: any) => d.id === id)?.status;

describe('D3 D4 every driver through the public API', () => {
  for (const c of CASES) {
    it(`${c.driver}: add, online, drive`, async () => {
      const sim = sims.get(c.driver)!;
      const id = `dev-${c.driver}`;
      const put = await t.api('PUT', `/api/v1/devices/${id}`, { name: `Thiết bị ${c.driver}`, kind: c.kind, driver: c.driver, connection: c.connection(sim.address) });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      await until(async () => (await status(id)) === 'online', 10_000, `${id} online`);
      const r = await t.api('POST', `/api/v1/devices/${id}/commands/${c.command[0]}`, c.command[1]);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      await until(() => c.effect(sim.simulator), 5000, `${c.driver} simulator state`);
    });
  }

  for (const c of CASES.filter((x) => x.replug)) {
    it(`M10.3 ${c.driver}: unplugged → offline + alert, others unaffected; back → online, alert cleared`, async () => {
      const sim = sims.get(c.driver)!;
      const id = `dev-${c.driver}`;
      await sim.simulator.stop();
      // The next command notices (or the driver's own keep-alive does); either way: a clear error, bounded.
      const started = Date.now();
      const r = await t.api('POST', `/api/v1/devices/${id}/commands/${c.command[0]}`, c.command[1]);
      expect(r.status).toBeGreaterThanOrEqual(500);
      expect(r.body.error).toMatch(/^device_/);
      expect(Date.now() - started).toBeLessThan(12_000);
      await until(async () => (await t.api('GET', '/api/v1/alerts')).body.some((a: any) => a.key === `device:${id}:offline`), 15_000, `${id} alert`);
      // Nothing else in the box is disturbed: another device answers meanwhile.
      const other = CASES.find((x) => x.driver !== c.driver && x.replug)!;
      expect((await t.api('POST', `/api/v1/devices/dev-${other.driver}/commands/${other.command[0]}`, other.command[1])).status).toBe(200);
      await (sim.simulator as any).start();
      await until(async () => (await status(id)) === 'online', 30_000, `${id} back online`);
      await until(async () => !(await t.api('GET', '/api/v1/alerts')).body.some((a: any) => a.key === `device:${id}:offline`), 5000, `${id} alert cleared`);
    }, 60_000);
  }
});

describe('C5 discovery', () => {
  it('discovery.scan finds an ONVIF camera (WS-Discovery) and a PJLink projector (%2SRCH) within its time bound', async () => {
    const { OnvifSimulator } = await import('../../drivers/sim/onvif-sim.js');
    const { PjlinkSimulator } = await import('../../drivers/sim/pjlink-sim.js');
    const cam = new OnvifSimulator({ port: 0, host: '127.0.0.1', username: 'admin', password: 'admin', discoveryPort: 0 });
    const proj = new PjlinkSimulator({ port: 0, host: '127.0.0.1', udpPort: 0 });
    const { ViscaIpSimulator } = await import('../../drivers/sim/visca-ip-sim.js');
    const sony = new ViscaIpSimulator({ port: 0, host: '127.0.0.1', discoveryPort: 0, name: 'CAM-HOITRUONG' });
    await sony.start();
    await cam.start();
    const p = await proj.start();
    try {
      const started = Date.now();
      const r = await t.api('POST', '/api/v1/commands/discovery.scan', {
        timeoutMs: 800,
        onvif: { address: '127.0.0.1', port: cam.discoveryAddress!.port },
        pjlink: { address: '127.0.0.1', port: p.udpPort! },
        visca: { address: '127.0.0.1', port: sony.discoveryAddress!.port },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(Date.now() - started).toBeLessThan(3000);
      const found = r.body.result.devices;
      expect(found.find((d: any) => d.driver === 'onvif')?.connection).toMatchObject({ host: '127.0.0.1', port: cam.address!.port });
      expect(found.find((d: any) => d.driver === 'pjlink')?.kind).toBe('display');
      expect(found.find((d: any) => d.driver === 'visca-ip')).toMatchObject({ name: 'CAM-HOITRUONG', connection: { host: '127.0.0.1', port: 52381 } });
      const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as any[];
      expect(audit.some((a) => a.action === 'discovery.scan' && a.result === 'ok')).toBe(true);
    } finally {
      await cam.stop();
      await proj.stop();
      await sony.stop();
    }
  });
});

describe('C5 technician raw console', () => {
  it('console.raw sends a VISCA inquiry and shows the camera reply; only technicians and admins may; it is audited', async () => {
    const r = await t.api('POST', '/api/v1/devices/dev-visca-ip/commands/console.raw', { request: '81 09 04 00 FF' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.result.reply).toMatch(/^90 50 0[23] FF$/); // power inquiry: on (02) or standby (03)
    const bad = await t.api('POST', '/api/v1/devices/dev-visca-ip/commands/console.raw', { request: 'hello' });
    expect(bad.status).toBe(400);
    const pj = await t.api('POST', '/api/v1/devices/dev-pjlink/commands/console.raw', { request: '%1POWR ?' });
    expect(pj.status, JSON.stringify(pj.body)).toBe(200);
    expect(pj.body.result.reply).toMatch(/%1POWR=[0-3]/);
    t.box.app.accounts.upsertUser('panel1', 'panel', 'panel-pass-1');
    const panelToken = await t.login('panel1', 'panel-pass-1');
    expect((await t.api('POST', '/api/v1/devices/dev-visca-ip/commands/console.raw', { request: '81 09 04 00 FF' }, panelToken)).status).toBe(403);
    const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as any[];
    expect(audit.find((a) => a.action === 'console.raw' && a.target === 'dev-visca-ip')?.args).toEqual({ request: '81 09 04 00 FF' });
  });
});
