// The README's start command, as a newcomer runs it: the compiled CLI with no configuration starts a
// simulated room, serves /healthz and the panel, and stops cleanly on SIGTERM.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers/appliance.js';

let child: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'diemcau-cli-'));
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('D8 diemcau start with no configuration', () => {
  it('serves /healthz ok, the panel at /, and a simulated camera that is online', async () => {
    const env = { ...process.env, DIEMCAU_ADMIN_PASSWORD: '', DIEMCAU_LOG_LEVEL: 'warn' };
    delete (env as Record<string, string | undefined>).DIEMCAU_ADMIN_PASSWORD;
    child = spawn(process.execPath, ['dist/appliance/cli.js', 'start', '--port', '0', '--data', dataDir, '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const url = await until(() => /diemcau start: (http:\/\/\S+)/.exec(out)?.[1], 60_000, 'the start banner');
    const base = url.replace('localhost', '127.0.0.1');
    expect(await (await fetch(base + '/healthz')).json()).toEqual({ status: 'ok' });
    const panel = await (await fetch(base + '/')).text();
    expect(panel).toContain('<html lang="vi"');
    // No DIEMCAU_ADMIN_PASSWORD: a generated one is printed and kept in the data directory (0600).
    const pw = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim();
    expect(out).toContain(pw);
    const login = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: pw }) });
    const { token } = (await login.json()) as { token: string };
    const cam = await until(async () => {
      const list = (await (await fetch(base + '/api/v1/devices', { headers: { authorization: `Bearer ${token}` } })).json()) as any[];
      return list.find((d) => d.id === 'sim-camera' && d.status === 'online');
    }, 10_000, 'sim-camera online');
    expect(cam.driver).toBe('visca-ip');
    // The simulated room offers a demo meeting; the panel's join path works out of the box.
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const joined = await fetch(base + '/api/v1/room/commands/room.join', { method: 'POST', headers: auth, body: JSON.stringify({ code: '100200300' }) });
    expect(joined.status, await joined.clone().text()).toBe(200);
    const room = (await (await fetch(base + '/api/v1/room', { headers: auth })).json()) as any;
    expect(room.room.call.state).toBe('in-call');
    expect(room.room.call.meetingTitle).toMatch(/Cuộc họp thử nghiệm/);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('C5 diemcau sim <kind> for technicians', () => {
  it('starts a PJLink simulator that greets like a projector, and a serial one on a pty; both stop on SIGTERM', async () => {
    const { connect } = await import('node:net');
    const { existsSync } = await import('node:fs');
    const run = async (args: string[]) => {
      const p = spawn(process.execPath, ['dist/appliance/cli.js', 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (out += d));
      const address = JSON.parse(await until(() => /listening: (\{.*\})/.exec(out)?.[1], 15_000, `sim ${args[0]} banner`));
      return { p, address };
    };
    const pj = await run(['pjlink', '--port', '0']);
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = connect(pj.address.port, pj.address.host);
      s.once('data', (d) => (resolve(d.toString()), s.destroy()));
      s.once('error', reject);
    });
    expect(greeting).toBe('PJLINK 0\r');
    const lg = await run(['lg-serial']);
    expect(existsSync(lg.address.path)).toBe(true);
    for (const { p } of [pj, lg]) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(lg.address.path)).toBe(false); // socat was stopped with it
  }, 40_000);
});
