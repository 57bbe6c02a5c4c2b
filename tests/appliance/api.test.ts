// The appliance's public contract (DESIGN.md §3) through real HTTP and WebSocket on loopback.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestBox, openWs, until, type TestBox } from '../helpers/appliance.js';
import { ViscaIpSimulator } from '../../drivers/sim/visca-ip-sim.js';
import WebSocket from 'ws';

let t: TestBox;
let sim: ViscaIpSimulator;
let simPort: number;

beforeAll(async () => {
  t = await startTestBox();
  sim = new ViscaIpSimulator({ port: 0, host: '127.0.0.1', moveTimeMs: 50 });
  simPort = (await sim.start()).port;
});
afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

describe('appliance basics', () => {
  it('D8 /healthz answers ok once ready, /metrics is Prometheus text', async () => {
    expect(await t.api('GET', '/healthz', undefined, null)).toEqual({ status: 200, body: { status: 'ok' } });
    const m = await t.api('GET', '/metrics', undefined, null);
    expect(m.status).toBe(200);
    expect(String(m.body)).toContain('diemcau_command_duration_seconds');
  });

  it('M5.2 login: wrong password is refused with 401 and a clear message; right password gives a token', async () => {
    const bad = await t.api('POST', '/api/v1/auth/login', { username: 'admin', password: 'nope' }, null);
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('bad_credentials');
    expect(bad.body.message).toMatch(/Sai tên đăng nhập/);
    expect(typeof t.token).toBe('string');
    expect((await t.api('GET', '/api/v1/auth/me')).body).toEqual({ username: 'admin', role: 'admin' });
  });

  it('M5.2 every /api route in the OpenAPI document except login refuses a request without a token (401)', async () => {
    const doc = (await t.api('GET', '/api/openapi.json', undefined, null)).body;
    const paths = Object.entries(doc.paths as Record<string, Record<string, unknown>>);
    expect(paths.length).toBeGreaterThan(10);
    let checked = 0;
    for (const [path, methods] of paths) {
      for (const method of Object.keys(methods)) {
        if (path === '/api/v1/auth/login') continue;
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        const r = await t.api(method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? undefined : {}, null);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.body.error).toBe('unauthorized');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('M5.2 a role that is not allowed gets 403 (participant driving a camera)', async () => {
    t.box.app.accounts.upsertUser('khach', 'participant', 'khach-pass-1');
    const token = await t.login('khach', 'khach-pass-1');
    const r = await t.api('POST', '/api/v1/devices/any/commands/ptz.stop', {}, token);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden');
  });

  it('D1 OpenAPI lists every registry command with its argument schema', async () => {
    const doc = (await t.api('GET', '/api/openapi.json', undefined, null)).body;
    for (const c of t.box.registry.list()) {
      const path =
        c.scope === 'device' ? `/api/v1/devices/{id}/commands/${c.name}` : c.scope === 'room' ? `/api/v1/room/commands/${c.name}` : `/api/v1/commands/${c.name}`;
      expect(doc.paths[path]?.post, path).toBeDefined();
    }
    const move = doc.paths['/api/v1/devices/{id}/commands/ptz.move'].post;
    expect(JSON.stringify(move.requestBody)).toContain('"maximum":1');
  });
});

describe('D3 visca-ip through the public API', () => {
  it('PUT a device, see it online, drive it; the simulator state follows', async () => {
    const put = await t.api('PUT', '/api/v1/devices/cam1', { name: 'Camera chính', kind: 'camera', driver: 'visca-ip', connection: { host: '127.0.0.1', port: simPort } });
    expect(put.status).toBe(200);
    await until(async () => (await t.api('GET', '/api/v1/devices')).body.find((d: any) => d.id === 'cam1')?.status === 'online', 5000, 'cam1 online');

    const abs = await t.api('POST', '/api/v1/devices/cam1/commands/ptz.absolute', { pan: 0.5, tilt: -0.25, zoom: 0.5 });
    expect(abs.status, JSON.stringify(abs.body)).toBe(200);
    const after = sim.state;
    expect(after.pan).toBeGreaterThan(0);
    expect(after.tilt).toBeLessThan(0);
    expect(after.zoom).toBeGreaterThan(0);

    expect((await t.api('POST', '/api/v1/devices/cam1/commands/preset.save', { preset: 3 })).status).toBe(200);
    await t.api('POST', '/api/v1/devices/cam1/commands/ptz.absolute', { pan: -0.5, tilt: 0, zoom: 0 });
    expect(sim.state.pan).toBeLessThan(0);
    expect((await t.api('POST', '/api/v1/devices/cam1/commands/preset.recall', { preset: 3 })).status).toBe(200);
    expect(sim.state.pan).toBe(after.pan);
    expect(sim.state.tilt).toBe(after.tilt);

    const move = await t.api('POST', '/api/v1/devices/cam1/commands/ptz.move', { pan: 1, tilt: 0, zoom: 0 });
    expect(move.status).toBe(200);
    const stop = await t.api('POST', '/api/v1/devices/cam1/commands/ptz.stop');
    expect(stop.status).toBe(200);

    expect((await t.api('POST', '/api/v1/devices/cam1/commands/power', { on: false })).status).toBe(200);
    expect(sim.state.power).toBe(false);
    expect((await t.api('POST', '/api/v1/devices/cam1/commands/power', { on: true })).status).toBe(200);
    expect(sim.state.power).toBe(true);
  });

  it('bad arguments are refused with 400 before any byte goes out', async () => {
    const before = sim.received?.length ?? 0;
    const r = await t.api('POST', '/api/v1/devices/cam1/commands/ptz.move', { pan: 7 });
    expect(r.status).toBe(400);
    expect(r.body.error).toBeDefined();
    expect(r.body.message).not.toMatch(/at .*\.ts:/); // no stack traces to the client
    expect(sim.received?.length ?? 0).toBe(before);
  });

  it('an unknown device gives 404', async () => {
    const r = await t.api('POST', '/api/v1/devices/nope/commands/ptz.stop');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('unknown_device');
  });

  it('an unreachable device gives a clear error within the bounded timeout', async () => {
    const dead = new ViscaIpSimulator({ port: 0, host: '127.0.0.1' });
    const deadPort = (await dead.start()).port;
    await dead.stop(); // nothing listens there any more
    await t.api('PUT', '/api/v1/devices/cam-dead', { name: 'Camera hỏng', kind: 'camera', driver: 'visca-ip', connection: { host: '127.0.0.1', port: deadPort, timeoutMs: 300, retries: 1 } });
    const started = Date.now();
    const r = await t.api('POST', '/api/v1/devices/cam-dead/commands/ptz.absolute', { pan: 0, tilt: 0 });
    const took = Date.now() - started;
    expect([503, 504]).toContain(r.status);
    expect(['device_timeout', 'device_unreachable']).toContain(r.body.error);
    expect(r.body.message.length).toBeGreaterThan(10);
    expect(took).toBeLessThan(2 * 300 + 1500);
    const list = (await t.api('GET', '/api/v1/devices')).body;
    expect(list.find((d: any) => d.id === 'cam-dead').status).toMatch(/offline|connecting/);
    expect((await t.api('DELETE', '/api/v1/devices/cam-dead')).status).toBe(204);
  });

  it('D3 M10.3 a camera that goes away raises an alert, and coming back clears it by itself', async () => {
    await sim.stop();
    const r = await t.api('POST', '/api/v1/devices/cam1/commands/ptz.absolute', { pan: 0, tilt: 0 });
    expect([503, 504]).toContain(r.status);
    const alert = await until(async () => (await t.api('GET', '/api/v1/alerts')).body.find((a: any) => a.key === 'device:cam1:offline'), 5000, 'an offline alert');
    expect(alert).toMatchObject({ device: 'cam1', severity: 'error', code: 'device_offline' });
    expect(alert.message).toMatch(/mất kết nối/);
    await sim.start(); // same port: the camera is plugged back in
    await until(async () => (await t.api('GET', '/api/v1/devices')).body.find((d: any) => d.id === 'cam1')?.status === 'online', 15_000, 'cam1 back online');
    expect((await t.api('GET', '/api/v1/alerts')).body.find((a: any) => a.key === 'device:cam1:offline')).toBeUndefined();
    const history = (await t.api('GET', '/api/v1/alerts?history=10')).body;
    expect(history.find((a: any) => a.key === 'device:cam1:offline').clearedAt).toBeGreaterThan(alert.raisedAt);
    expect((await t.api('POST', '/api/v1/devices/cam1/commands/ptz.absolute', { pan: 0.5, tilt: -0.25, zoom: 0.5 })).status).toBe(200);
  });

  it('each command leaves an audit entry: who, when, what, result', async () => {
    const rows = (await t.api('GET', '/api/v1/audit?limit=1000')).body as any[];
    const abs = rows.find((r) => r.action === 'ptz.absolute' && r.target === 'cam1');
    expect(abs).toMatchObject({ user: 'admin', target: 'cam1', result: 'ok', args: { pan: 0.5, tilt: -0.25, zoom: 0.5 } });
    expect(abs.time).toBeGreaterThan(Date.now() - 60_000);
    expect(rows.find((r) => r.action === 'ptz.absolute' && r.target === 'cam-dead')?.result).toMatch(/^error:device_/);
    expect(rows.find((r) => r.action === 'device.put' && r.target === 'cam1')?.user).toBe('admin');
    expect(rows.find((r) => r.action === 'auth.login' && r.result === 'denied')).toBeDefined();
    const ids = rows.map((r) => r.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids); // oldest first
  });

  it('M10.5 the audit log cannot be changed, even by SQL inside the process', () => {
    const db = t.box.store.db;
    expect(() => db.prepare("UPDATE audit SET result = 'ok'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
  });
});

describe('D6 WebSocket: state and commands through the same registry', () => {
  it('refuses an upgrade without a token', async () => {
    const ws = new WebSocket(t.url.replace('http', 'ws') + '/api/v1/ws');
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (req, res) => (resolve(res.statusCode ?? 0), req.destroy())));
    expect(status).toBe(401);
  });

  it('sends a snapshot, runs commands and pushes patches', async () => {
    const c = await openWs(t.url, t.token);
    const hello = await c.next((m) => m.type === 'hello');
    expect(hello.state.devices.cam1.status).toBe('online');
    expect(hello.commands.map((x: any) => x.name)).toContain('ptz.move');

    const patch = c.next((m) => m.type === 'patch' && m.ops.some((o: any) => o.path === '/devices/cam1'));
    const res = await c.command('ptz.absolute', { pan: 0.1, tilt: 0.1 }, 'cam1');
    expect(res.ok, JSON.stringify(res)).toBe(true);
    expect((await patch).ops[0].value.state.pan).toBeCloseTo(0.1, 1);
    const bad = await c.command('ptz.absolute', { pan: 'x' }, 'cam1');
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('invalid_arguments');
    c.ws.send('not json');
    expect((await c.next((m) => m.type === 'result' && m.ok === false && m.error.code === 'bad_message')).ok).toBe(false);
    const rows = (await t.api('GET', '/api/v1/audit?limit=1000')).body as any[];
    expect(rows.some((x) => x.action === 'ptz.absolute' && x.args?.pan === 0.1)).toBe(true);
    c.close();
  });

  it('D6 a panel whose socket drops while the camera moves gets its camera stopped', async () => {
    const c = await openWs(t.url, t.token);
    await c.next((m) => m.type === 'hello');
    const before = ((await t.api('GET', '/api/v1/audit?limit=1000')).body as any[]).at(-1).id;
    expect((await c.command('ptz.move', { pan: 0.5, tilt: 0, zoom: 0 }, 'cam1')).ok).toBe(true);
    c.close();
    const stop = await until(async () => {
      const rows = (await t.api('GET', `/api/v1/audit?since=${before}`)).body as any[];
      return rows.find((r) => r.action === 'ptz.stop' && r.target === 'cam1');
    }, 5000, 'an automatic ptz.stop');
    expect(stop.result).toBe('ok');
  });
});
