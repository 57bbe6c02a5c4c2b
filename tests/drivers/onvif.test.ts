// OnvifDriver (npm `onvif` 0.8.x underneath) against OnvifSimulator over real HTTP, UDP and RTSP on 127.0.0.1
// (ephemeral ports). Assertions read what the simulator received: the SOAP action, how it authenticated, the body.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { Ajv } from 'ajv';
import { OnvifSimulator, type OnvifSimRequest, type OnvifSimulatorOptions } from '../../drivers/sim/onvif-sim.js';
import { OnvifDriver, type OnvifConnection } from '../../drivers/onvif/driver.js';
import { onvifFactory, discoverOnvif } from '../../drivers/onvif/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { errorOf, useCleanups, waitForState, waitForStatus } from '../helpers/drivers.js';

const USER = 'operator';
const PASS = 'S3cret&<pass>';

const cleanups = useCleanups();

interface Rig {
  sim: OnvifSimulator;
  port: number;
  driver: OnvifDriver;
}

/** A started simulator and a started driver (online unless the options prevent it); the log is cleared after start-up. */
async function rig(opts: { sim?: OnvifSimulatorOptions; conn?: Partial<OnvifConnection>; keepLog?: boolean } = {}): Promise<Rig> {
  const sim = new OnvifSimulator({ username: USER, password: PASS, moveTimeMs: 0, ...opts.sim });
  const { port } = await sim.start();
  cleanups.push(() => sim.stop());
  const driver = newDriver(port, opts.conn);
  await driver.start();
  if (!opts.keepLog) sim.clearLog();
  return { sim, port, driver };
}

function newDriver(port: number, conn: Partial<OnvifConnection> = {}): OnvifDriver {
  const driver = new OnvifDriver({
    host: '127.0.0.1',
    port,
    username: USER,
    password: PASS,
    timeoutMs: 1000,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    statusPollMs: 40,
    keepaliveMs: 0,
    ...conn,
  });
  cleanups.push(() => driver.stop());
  return driver;
}

/** The SOAP actions the simulator received, without the driver's background GetStatus polling. */
const commands = (sim: OnvifSimulator) => sim.requests.filter((r) => r.action !== 'GetStatus').map((r) => r.action);

function nextRequest(sim: OnvifSimulator, action: string): Promise<OnvifSimRequest> {
  return new Promise((resolve) => {
    const on = (r: OnvifSimRequest) => {
      if (r.action === action) {
        sim.off('request', on);
        resolve(r);
      }
    };
    sim.on('request', on);
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('D3 onvif driver: connection', () => {
  it('D3 onvif: start() reads the clock unauthenticated, then services and media with WS-UsernameToken, goes online and reads info, presets, position', async () => {
    const sim = new OnvifSimulator({ username: USER, password: PASS });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    sim.setPosition({ pan: 0.25, tilt: -0.5, zoom: 0.75 });
    const driver = newDriver(port);
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(driver.health().status).toBe('online');
    expect(statuses).toEqual(['online']); // 'connecting' from construction
    const seen = sim.requests.map((r) => `${r.action}:${r.auth}`);
    expect(seen.slice(0, 2)).toEqual(['GetSystemDateAndTime:pre-auth', 'GetServices:pre-auth']);
    expect(seen.slice(2, 4).sort()).toEqual(['GetProfiles:wsse', 'GetVideoSources:wsse']);
    expect(seen.slice(4).sort()).toEqual(['GetDeviceInformation:wsse', 'GetPresets:wsse', 'GetStatus:wsse']);
    // The client's envelope: UsernameToken with a PasswordDigest, never the password itself.
    expect(sim.requests[2].body).toMatch(/<Password Type="[^"]*#PasswordDigest">[A-Za-z0-9+/=]{28}<\/Password>/);
    expect(sim.requests.every((r) => !r.body.includes(PASS))).toBe(true);
    expect(driver.state()).toEqual({ pan: 0.25, tilt: -0.5, zoom: 0.75, moving: false, preset: null });
    expect(driver.deviceInformation()).toMatchObject({ manufacturer: 'diemcau', model: 'diemcau ONVIF simulator', firmwareVersion: '1.0.0' });
    expect(Math.abs(driver.clockOffsetMs()!)).toBeLessThan(1000);
    expect(await driver.profiles()).toEqual([
      { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 320, height: 240, fps: 10, ptz: true },
      { token: 'Profile_2', name: 'subStream', encoding: 'H264', width: 160, height: 120, fps: 5, ptz: false },
    ]);
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
    expect(driver.health().lastReplyAt).toBeGreaterThan(Date.now() - 5000);
  });

  it('D3 onvif: a camera without GetServices (older firmware): the client falls back to GetCapabilities', async () => {
    const { sim, driver } = await rig({ sim: { services: false }, keepLog: true });
    expect(driver.health().status).toBe('online');
    expect(sim.actions().slice(0, 3)).toEqual(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities']);
    expect(sim.requests[1].status).toBe(500); // ter:ActionNotSupported
    await driver.absolute({ pan: 0.1, tilt: 0.1, zoom: 0.1 });
    expect(sim.requests.find((r) => r.action === 'AbsoluteMove')!.path).toBe('/onvif/ptz_service');
  });

  it('D3 onvif: nothing listening → start() ends offline at once; commands fail fast with unreachable', async () => {
    const sim = new OnvifSimulator({});
    const { port } = await sim.start();
    await sim.stop();
    const driver = newDriver(port, { reconnectMinMs: 10_000 });
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/ECONNREFUSED/);
    const t1 = performance.now();
    expect((await errorOf(driver.absolute({ pan: 0, tilt: 0, zoom: 0 }))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);
  });
});

describe('D3 onvif driver: PTZ (M10.4 soft control only)', () => {
  it('D3 onvif: ptz.move sends ContinuousMove with velocities and a Timeout; the camera moves; ptz.stop sends Stop and the position holds', async () => {
    const { sim, driver } = await rig();
    await driver.move({ pan: 0.5, tilt: -0.25, zoom: 0 });
    const cm = sim.requests.find((r) => r.action === 'ContinuousMove')!;
    expect(cm.body).toContain('<ProfileToken>Profile_1</ProfileToken>');
    expect(cm.body).toMatch(/<Velocity><PanTilt x="0.5" y="-0.25"[^>]*\/><Zoom x="0"[^>]*\/><\/Velocity><Timeout>PT10S<\/Timeout>/);
    await waitForState(driver, (s) => (s.pan as number) > 0.05 && (s.tilt as number) < -0.02);
    expect(sim.state.moving).toBe(true);

    await runDeviceCommand(driver, 'ptz.stop', {});
    expect(commands(sim)).toEqual(['ContinuousMove', 'Stop']);
    expect(sim.requests.find((r) => r.action === 'Stop')!.body).toContain('<PanTilt>true</PanTilt><Zoom>true</Zoom>');
    expect(sim.state.moving).toBe(false);
    const held = sim.state.pan;
    const rest = await waitForState(driver, (s) => s.moving === false);
    expect(rest.pan).toBeCloseTo(held, 5);
    await delay(120);
    expect(sim.state.pan).toBe(held);
    expect((await driver.status()).pan).toBeCloseTo(held, 5);
    expect(driver.health().status).toBe('online'); // ptz.stop did not close the driver
  });

  it('D3 onvif: a lost Stop cannot leave the camera moving: ContinuousMove carries moveTimeoutMs and the camera stops by itself', async () => {
    const { sim, driver } = await rig({ conn: { moveTimeoutMs: 300 } });
    const t0 = performance.now();
    await driver.move({ pan: -1, tilt: 0, zoom: 0 });
    expect(sim.requests.find((r) => r.action === 'ContinuousMove')!.body).toContain('<Timeout>PT0.3S</Timeout>');
    await waitForState(driver, (s) => s.moving === true);
    await waitForState(driver, (s) => s.moving === false);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1500);
    expect(commands(sim)).toEqual(['ContinuousMove']); // no Stop was sent
    expect(sim.state.pan).toBeLessThan(-0.1);
    expect(sim.state.pan).toBeGreaterThan(-0.3); // 300 ms at full speed of a 4 s range
  });

  it('D3 onvif: joystick burst: motion commands go in order, moves still waiting are superseded, Stop never overtakes the move in flight', async () => {
    const { sim, driver } = await rig();
    sim.setReplyDelay(150, 'ContinuousMove');
    const first = driver.move({ pan: 0.2, tilt: 0, zoom: 0 });
    await nextRequest(sim, 'ContinuousMove');
    const results = await Promise.all([
      first,
      driver.move({ pan: 0.4, tilt: 0, zoom: 0 }),
      driver.move({ pan: 0.6, tilt: 0, zoom: 0 }),
      driver.ptzStop(),
    ]);
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
    expect(commands(sim)).toEqual(['ContinuousMove', 'Stop']);
    const [move, stop] = sim.requests.filter((r) => r.action !== 'GetStatus');
    expect(move.body).toContain('x="0.2"');
    expect(stop.time).toBeGreaterThan(move.time + 140); // it waited for the move's answer
    expect(sim.state.moving).toBe(false);

    // Within one tick nothing has left yet: only the newest move goes out.
    sim.setReplyDelay(0);
    sim.clearLog();
    await Promise.all([driver.move({ pan: 0, tilt: 0.1, zoom: 0 }), driver.move({ pan: 0, tilt: 0.3, zoom: 0 })]);
    expect(commands(sim)).toEqual(['ContinuousMove']);
    expect(sim.requests.find((r) => r.action === 'ContinuousMove')!.body).toContain('y="0.3"');
  });

  it('D3 onvif: ptz.absolute sends AbsoluteMove; GetStatus mid-move returns an intermediate position and MOVING, then the target and IDLE', async () => {
    const { sim, driver } = await rig({ sim: { moveTimeMs: 600 } });
    await runDeviceCommand(driver, 'ptz.absolute', { pan: 0.5, tilt: -0.25, zoom: 0.5 });
    expect(sim.requests.find((r) => r.action === 'AbsoluteMove')!.body).toMatch(/<Position><PanTilt x="0.5" y="-0.25"[^>]*\/><Zoom x="0.5"[^>]*\/><\/Position>/);
    const mid = await driver.status();
    expect(mid.moving).toBe(true);
    expect(mid.moveStatus).toEqual({ panTilt: 'MOVING', zoom: 'MOVING' });
    expect(mid.pan).toBeGreaterThan(0);
    expect(mid.pan).toBeLessThan(0.5);
    expect(mid.tilt).toBeLessThan(0);
    expect(mid.tilt).toBeGreaterThan(-0.25);
    const end = await driver.waitForIdle(3000);
    expect(end).toMatchObject({ pan: 0.5, tilt: -0.25, zoom: 0.5, moving: false, moveStatus: { panTilt: 'IDLE', zoom: 'IDLE' } });
    expect(end.utcTime).toBeInstanceOf(Date);
    expect(driver.state()).toMatchObject({ pan: 0.5, tilt: -0.25, zoom: 0.5, moving: false, preset: null });
  });

  it('D3 onvif: relative(dx, dy, dz) sends RelativeMove with a Translation from where the camera is', async () => {
    const { sim, driver } = await rig({ sim: { moveTimeMs: 100 } });
    sim.setPosition({ pan: 0.2, tilt: 0.1, zoom: 0.1 });
    await driver.relative(0.3, -0.2, 0.4);
    expect(sim.requests.find((r) => r.action === 'RelativeMove')!.body).toMatch(/<Translation><PanTilt x="0.3" y="-0.2"[^>]*\/><Zoom x="0.4"[^>]*\/><\/Translation>/);
    const end = await driver.waitForIdle(3000);
    expect(end.pan).toBeCloseTo(0.5, 6);
    expect(end.tilt).toBeCloseTo(-0.1, 6);
    expect(end.zoom).toBeCloseTo(0.5, 6);
  });

  it('D3 onvif: presets by our numbers: save stores a camera token named "<name> #n", recall sends GotoPreset with that token', async () => {
    const { sim, driver } = await rig();
    await driver.absolute({ pan: -0.5, tilt: 0.5, zoom: 0.25 });
    await driver.savePreset(5, 'Bục phát biểu');
    await driver.absolute({ pan: 0.75, tilt: 0, zoom: 1 });
    await runDeviceCommand(driver, 'preset.save', { preset: 7 });
    expect(sim.state.presets.map((p) => [p.token, p.name])).toEqual([
      ['Preset_1', 'Bục phát biểu #5'],
      ['Preset_2', 'Preset #7'],
    ]);
    expect(driver.presetMap()).toEqual({ 5: 'Preset_1', 7: 'Preset_2' });

    await runDeviceCommand(driver, 'preset.recall', { preset: 5 });
    expect(sim.requests.filter((r) => r.action === 'GotoPreset').at(-1)!.body).toContain('<PresetToken>Preset_1</PresetToken>');
    expect(await driver.waitForIdle()).toMatchObject({ pan: -0.5, tilt: 0.5, zoom: 0.25 });
    expect(driver.state().preset).toBe(5);
    await driver.recallPreset(7);
    expect(await driver.waitForIdle()).toMatchObject({ pan: 0.75, tilt: 0, zoom: 1 });

    // Saving 5 again overwrites its token instead of creating a new preset.
    await driver.absolute({ pan: 0, tilt: -1, zoom: 0 });
    await driver.savePreset(5, 'Bục phát biểu');
    expect(sim.requests.filter((r) => r.action === 'SetPreset').at(-1)!.body).toContain('<PresetToken>Preset_1</PresetToken>');
    expect(sim.state.presets).toHaveLength(2);
    expect(sim.state.presets[0]).toMatchObject({ token: 'Preset_1', pan: 0, tilt: -1, zoom: 0 });

    const unknown = await errorOf(driver.recallPreset(9));
    expect(unknown.code).toBe('rejected');
    expect(unknown.message).toMatch(/Preset 9 is not stored on the camera/);
    expect(driver.health().status).toBe('online');
  });

  it('D3 onvif: a new driver maps the camera presets back to our numbers (names "#n", numeric tokens); a preset removed on the camera fails clearly', async () => {
    const { sim, port, driver } = await rig();
    await driver.absolute({ pan: 0.3, tilt: 0.3, zoom: 0.3 });
    await driver.savePreset(12, 'Cửa');
    sim.addPreset({ token: '3', name: 'Made in the camera UI', pan: -0.9, tilt: 0, zoom: 0 });
    sim.addPreset({ token: 'Preset_99', name: 'Không đánh số' });
    await driver.stop();

    const second = newDriver(port);
    await second.start();
    expect(second.presetMap()).toEqual({ 3: '3', 12: 'Preset_1' });
    await second.recallPreset(12);
    expect(await second.waitForIdle()).toMatchObject({ pan: 0.3, tilt: 0.3, zoom: 0.3 });
    await second.recallPreset(3);
    expect(await second.waitForIdle()).toMatchObject({ pan: -0.9 });

    // Removed in the camera's UI meanwhile: the camera answers ter:NoToken.
    sim.faultNext('GotoPreset', ['ter:InvalidArgVal', 'ter:NoToken'], 'No preset with token Preset_1');
    const err = await errorOf(second.recallPreset(12));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/GotoPreset 12: No preset with token Preset_1/);
    expect(second.presetMap()).toEqual({ 3: '3' });
    expect(second.health().status).toBe('online');
  });

  it('D3 onvif: arguments are checked before any request; power is not supported by ONVIF', async () => {
    const { sim, driver } = await rig();
    expect((await errorOf(driver.move({ pan: 2, tilt: 0, zoom: 0 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.move({ pan: Number.NaN, tilt: 0, zoom: 0 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.absolute({ pan: 0, tilt: 0, zoom: -0.1 }))).code).toBe('invalid_argument');
    expect((await errorOf(driver.relative(0, 1.5, 0))).code).toBe('invalid_argument');
    expect((await errorOf(driver.recallPreset(128))).code).toBe('invalid_argument');
    expect((await errorOf(driver.savePreset(1.5))).code).toBe('invalid_argument');
    expect((await errorOf(driver.savePreset(1, 'x'.repeat(65)))).code).toBe('invalid_argument');
    const power = await errorOf(runDeviceCommand(driver, 'power', { on: false }));
    expect(power.code).toBe('not_supported');
    expect(sim.requests).toEqual([]);
  });

  it('D3 onvif: a SOAP fault from the camera is DeviceError rejected with its reason; the camera stays online', async () => {
    const { sim, driver } = await rig();
    sim.faultNext('AbsoluteMove', ['ter:InvalidArgVal', 'ter:InvalidPosition'], 'The requested position is out of bounds');
    const err = await errorOf(driver.absolute({ pan: 1, tilt: 1, zoom: 1 }));
    expect(err.code).toBe('rejected');
    expect(err.message).toBe('Camera refused AbsoluteMove: The requested position is out of bounds');
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 1 });
    await driver.absolute({ pan: 1, tilt: 1, zoom: 1 });
  });

  it('D3 onvif: an HTML page instead of SOAP → bad_reply and degraded; the next good answer makes it online again', async () => {
    const { sim, driver } = await rig();
    sim.garbageNext(1, 'GetStatus');
    const degraded = waitForStatus(driver, 'degraded');
    const err = await errorOf(driver.status());
    expect(err.code).toBe('bad_reply');
    expect(err.message).toMatch(/Wrong ONVIF SOAP response/);
    await degraded;
    const online = waitForStatus(driver, 'online');
    await driver.status();
    await online;
  });
});

describe('D3 onvif driver: media', () => {
  it('D3 onvif: streamUri() is GetStreamUri RTSP/RTP-Unicast for the profile; snapshotUri() serves a JPEG', async () => {
    const { sim, port, driver } = await rig();
    expect(await driver.streamUri()).toBe('rtsp://127.0.0.1:554/stream');
    expect(sim.requests.at(-1)!.body).toMatch(/<Stream[^>]*>RTP-Unicast<\/Stream><Transport[^>]*><Protocol>RTSP<\/Protocol><\/Transport>/);
    expect(await driver.streamUri('Profile_2')).toBe('rtsp://127.0.0.1:554/sub');
    const snap = await driver.snapshotUri();
    expect(snap).toBe(`http://127.0.0.1:${port}/onvif/snapshot.jpg`);
    const jpeg = await new Promise<{ type: string | undefined; bytes: Buffer }>((resolve, reject) => {
      http
        .get(snap, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ type: res.headers['content-type'], bytes: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(jpeg.type).toBe('image/jpeg');
    expect(jpeg.bytes.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect((await errorOf(driver.streamUri('NoSuchProfile'))).message).toMatch(/does not exist/);
  });

  it('D3 onvif: a camera advertising a private address (NAT): services still reach it, preserveAddress puts the configured host into media URIs', async () => {
    const { sim, driver, port } = await rig({ sim: { advertisedHost: '127.0.0.2' } });
    expect(driver.health().status).toBe('online');
    // onvif 0.8.x takes only the path from a service XAddr and keeps the configured host:port.
    await driver.absolute({ pan: 0.1, tilt: 0, zoom: 0 });
    expect(sim.requests.find((r) => r.action === 'AbsoluteMove')!.path).toBe('/onvif/ptz_service');
    expect(await driver.streamUri()).toBe('rtsp://127.0.0.1:554/stream');
    expect(await driver.snapshotUri()).toBe(`http://127.0.0.1:${port}/onvif/snapshot.jpg`);
    const raw = newDriver(port, { preserveAddress: false });
    await raw.start();
    expect(await raw.streamUri()).toBe('rtsp://127.0.0.2:554/stream'); // what the camera said, unreachable from here
  });

  it('D3 onvif: the RTSP URI from GetStreamUri plays: ffprobe over RTSP/TCP sees an H.264 320x240 video stream', async () => {
    const { driver } = await rig({ sim: { rtsp: true } });
    const uri = await driver.streamUri();
    expect(uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    const probe = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', uri], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const kill = setTimeout(() => p.kill('SIGKILL'), 15_000);
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => {
        clearTimeout(kill);
        resolve({ code, out, err });
      });
    });
    expect(probe.err).toBe('');
    expect(probe.code).toBe(0);
    const streams = (JSON.parse(probe.out) as { streams: Record<string, unknown>[] }).streams;
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 320, height: 240 });
  });
});

describe('D3 onvif driver: authentication and camera clock (M5.2)', () => {
  it('D3 onvif: a wrong password → offline with a clear DeviceError rejected; no hammering of the account', async () => {
    const sim = new OnvifSimulator({ username: USER, password: PASS });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    const driver = newDriver(port, { password: 'wrong', reconnectMinMs: 20, reconnectMaxMs: 60_000 });
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/refused the username\/password \("operator"\) for connect: Sender not Authorized/);
    expect(sim.requests.filter((r) => r.auth === 'refused').length).toBeGreaterThan(0);
    const err = await errorOf(driver.absolute({ pan: 0, tilt: 0, zoom: 0 }));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/username\/password/);
    const attempts = sim.requests.length;
    await delay(150); // reconnectMinMs is 20: an auth failure waits reconnectMaxMs instead
    expect(sim.requests.length).toBe(attempts);
  });

  it('D3 onvif: the password changed on the camera mid-session → rejected, offline; put back → online again by itself (slow retry)', async () => {
    const { sim, driver } = await rig();
    sim.password = 'changed-by-someone';
    const err = await errorOf(driver.absolute({ pan: 0.5, tilt: 0, zoom: 0 }));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/username\/password/);
    // Refused once, the clock read again, refused again: then it gives up (no loop against a locking account).
    expect(commands(sim)).toEqual(['AbsoluteMove', 'GetSystemDateAndTime', 'AbsoluteMove']);
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.ptzStop())).message).toBe(err.message);
    sim.password = PASS;
    await waitForStatus(driver, 'online'); // after reconnectMaxMs (200 ms here)
    await driver.absolute({ pan: 0.5, tilt: 0, zoom: 0 });
  });

  it('D3 onvif: HTTP Digest only (401 + WWW-Authenticate, qop=auth): works with useWSSecurity false and as the fallback with it on', async () => {
    const { sim, port, driver } = await rig({ sim: { authMode: 'digest', moveTimeMs: 0 }, conn: { useWSSecurity: false }, keepLog: true });
    expect(driver.health().status).toBe('online');
    const profiles = sim.requests.filter((r) => r.action === 'GetProfiles');
    expect(profiles.map((r) => [r.status, r.auth])).toEqual([
      [401, 'refused'],
      [200, 'digest'],
    ]);
    expect(profiles.every((r) => !r.body.includes('UsernameToken'))).toBe(true);
    await driver.absolute({ pan: 0.4, tilt: 0.2, zoom: 0.1 });
    expect(sim.state).toMatchObject({ pan: 0.4, tilt: 0.2, zoom: 0.1 });

    const fallback = newDriver(port); // useWSSecurity: true against a Digest-only camera
    await fallback.start();
    expect(fallback.health().status).toBe('online');
    await fallback.savePreset(1);
    expect(sim.requests.filter((r) => r.action === 'SetPreset').map((r) => r.auth)).toEqual(['refused', 'digest']);

    const wrong = newDriver(port, { useWSSecurity: false, password: 'nope', reconnectMaxMs: 60_000 });
    await wrong.start();
    expect(wrong.health().status).toBe('offline');
    const err = await errorOf(wrong.ptzStop());
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/username\/password.*Digest authentication failed 401/);
  });

  it('D3 onvif: a camera clock an hour ahead is followed (timeShift); after an NTP jump the driver re-reads the clock once and the command succeeds', async () => {
    const { sim, driver } = await rig({ sim: { clockSkewSeconds: 3600, maxSkewSeconds: 5 } });
    expect(driver.health().status).toBe('online');
    expect(Math.abs(driver.clockOffsetMs()! - 3_600_000)).toBeLessThan(1000);
    sim.clockSkewSeconds = -1800; // the camera's NTP client corrected it
    await driver.absolute({ pan: 0.3, tilt: 0, zoom: 0 });
    expect(sim.requests.filter((r) => r.action !== 'GetStatus').map((r) => `${r.action}:${r.auth}:${r.status}`)).toEqual([
      'AbsoluteMove:refused:400',
      'GetSystemDateAndTime:pre-auth:200',
      'AbsoluteMove:wsse:200',
    ]);
    expect(Math.abs(driver.clockOffsetMs()! + 1_800_000)).toBeLessThan(1000);
    expect(sim.state.pan).toBe(0.3);
    expect(driver.health().status).toBe('online');
  });

  it('D3 onvif: impossible clocks fail clearly as "camera clock …": a window smaller than the network jitter, a camera reporting local time as UTC', async () => {
    for (const sim of [
      new OnvifSimulator({ username: USER, password: PASS, maxSkewSeconds: 0 }),
      new OnvifSimulator({ username: USER, password: PASS, reportedTimeOffsetSeconds: 7 * 3600 }),
    ]) {
      const { port } = await sim.start();
      cleanups.push(() => sim.stop());
      const driver = newDriver(port, { reconnectMaxMs: 60_000 });
      await driver.start();
      expect(driver.health().status).toBe('offline');
      expect(driver.health().lastError).toMatch(/^camera clock check failed: .* refused the WS-Security timestamp of connect .*Wsse authorized time check failed/);
      const err = await errorOf(driver.ptzStop());
      expect(err.code).toBe('rejected');
      expect(err.message).toMatch(/^camera clock/);
      // Read once at connect and once more to re-sync: never a loop.
      expect(sim.requests.filter((r) => r.action === 'GetSystemDateAndTime').length).toBeLessThanOrEqual(3);
    }
  });
});

describe('M9.2 onvif driver: lost connections and recovery', () => {
  it('M9.2 onvif: the simulator stops in the middle of a command → DeviceError inside the timeout, offline; back on the same port → online by itself', async () => {
    const { sim, port, driver } = await rig({ conn: { timeoutMs: 1000 } });
    sim.setReplyDelay(5000, 'AbsoluteMove');
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const pending = errorOf(driver.absolute({ pan: 0.9, tilt: 0, zoom: 0 }));
    await nextRequest(sim, 'AbsoluteMove');
    await sim.stop();
    const err = await pending;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/127\.0\.0\.1:\d+ .*during AbsoluteMove/);
    await offline;
    const t1 = performance.now();
    expect((await errorOf(driver.status())).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);

    sim.setReplyDelay(0);
    sim.clearLog();
    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    expect(sim.actions()[0]).toBe('GetSystemDateAndTime');
    await driver.absolute({ pan: -0.4, tilt: 0, zoom: 0 });
    expect(sim.state.pan).toBe(-0.4);
  });

  it('M9.2 onvif: a camera that accepts the connection but never answers → DeviceError timeout within timeoutMs, offline, then reconnects', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 300 } });
    sim.setReplyDelay(3000, 'AbsoluteMove');
    const t0 = performance.now();
    const err = await errorOf(driver.absolute({ pan: 0.2, tilt: 0, zoom: 0 }));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/did not answer AbsoluteMove within 300 ms/);
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(800);
    expect(driver.health().status).toBe('offline');
    await waitForStatus(driver, 'online'); // the other services still answer
  });

  it('M9.2 onvif: a connection reset (ECONNRESET) → unreachable and offline, then online again', async () => {
    const { sim, driver } = await rig();
    await driver.savePreset(2);
    sim.resetNext(1, 'GotoPreset');
    const err = await errorOf(driver.recallPreset(2));
    expect(err.code).toBe('unreachable');
    expect(driver.health().status).toBe('offline');
    await waitForStatus(driver, 'online');
    await driver.recallPreset(2);
    expect(driver.health().errorCount).toBe(1);
  });

  it('M9.2 onvif: the keepalive notices a camera that vanished while idle', async () => {
    const { sim, driver } = await rig({ conn: { keepaliveMs: 50, reconnectMinMs: 10_000 } });
    await sim.stop();
    await waitForStatus(driver, 'offline');
    expect(driver.health().lastError).toMatch(/GetSystemDateAndTime/);
  });

  it('D3 onvif: stop() fails pending commands with closed and never hangs', async () => {
    const { sim, driver } = await rig();
    sim.setReplyDelay(5000, 'AbsoluteMove');
    const pending = errorOf(driver.absolute({ pan: 1, tilt: 0, zoom: 0 }));
    await nextRequest(sim, 'AbsoluteMove');
    const t0 = performance.now();
    await driver.stop();
    expect((await pending).code).toBe('closed');
    expect(performance.now() - t0).toBeLessThan(100);
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.ptzStop())).code).toBe('closed');
  });
});

describe('D7 onvif discovery (technician commissioning)', () => {
  it('D7 discoverOnvif: a WS-Discovery Probe finds the simulator within its timeout, and its XAddr connects', async () => {
    const sim = new OnvifSimulator({ username: USER, password: PASS, discoveryPort: 0, name: 'Phòng họp A' });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    const t0 = performance.now();
    const found = await discoverOnvif({ timeoutMs: 300, address: '127.0.0.1', port: sim.discoveryAddress!.port });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(800);
    expect(found).toEqual([
      {
        urn: sim.urn,
        xaddrs: [`http://127.0.0.1:${port}/onvif/device_service`],
        name: 'Phòng họp A',
        hardware: 'ONVIF-SIM',
        scopes: expect.arrayContaining(['onvif://www.onvif.org/type/ptz']),
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        from: '127.0.0.1',
      },
    ]);
    expect(sim.probes.length).toBeGreaterThanOrEqual(1); // sent twice against UDP loss, merged by URN
    expect(sim.probes[0].messageId).toMatch(/^urn:uuid:/);

    const xaddr = new URL(found[0].xaddrs[0]);
    const driver = newDriver(Number(xaddr.port), { host: xaddr.hostname, path: xaddr.pathname });
    await driver.start();
    expect(driver.health().status).toBe('online');
  });

  it('D7 discoverOnvif: with nobody answering it returns [] after the timeout', async () => {
    const silent = net.createServer();
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port; // a UDP port nobody listens on (probably)
    silent.close();
    const t0 = performance.now();
    expect(await discoverOnvif({ timeoutMs: 150, address: '127.0.0.1', port })).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(600);
  });
});

describe('D3 onvif simulator fidelity', () => {
  it('D3 onvif sim: the onvif client itself parses GetNodes, GetConfigurations, GetScopes, GetHostname, home position and RemovePreset', async () => {
    const sim = new OnvifSimulator({ username: USER, password: PASS, moveTimeMs: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    const { Cam } = createRequire(import.meta.url)('onvif/promises') as { Cam: new (o: object) => Record<string, (...a: unknown[]) => Promise<any>> };
    const cam = new Cam({ hostname: '127.0.0.1', port, username: USER, password: PASS, timeout: 2000 });
    await cam.connect();
    const nodes = await cam.getNodes();
    expect(nodes.PTZNode_1).toMatchObject({ name: 'PTZ', maximumNumberOfPresets: 128, homeSupported: true });
    const configurations = await cam.getConfigurations();
    expect(configurations.PTZ).toMatchObject({ token: 'PTZConfig_1', nodeToken: 'PTZNode_1', defaultPTZTimeout: 'PT10S', useCount: 1 });
    expect(configurations.PTZ.panTiltLimits).toEqual({ XRange: { min: '-1', max: '1' }, YRange: { min: '-1', max: '1' } });
    expect((await cam.getScopes()).map((x: { scopeItem: string }) => x.scopeItem)).toContain('onvif://www.onvif.org/type/ptz');
    expect(await cam.getHostname()).toEqual({ fromDHCP: false, name: 'onvif-sim' });
    await cam.absoluteMove({ x: 0.2, y: 0.4, zoom: 0.6 });
    await cam.setHomePosition({});
    await cam.absoluteMove({ x: -1, y: -1, zoom: 0 });
    await cam.gotoHomePosition({});
    expect(sim.state).toMatchObject({ pan: 0.2, tilt: 0.4, zoom: 0.6 });
    await cam.setPreset({ presetName: 'tmp' });
    expect(Object.keys(await cam.getPresets())).toEqual(['tmp']);
    await cam.removePreset({ presetToken: 'Preset_1' });
    expect(await cam.getPresets()).toEqual({});
    await expect(cam.removePreset({ presetToken: 'Preset_1' })).rejects.toThrow(/No preset with token Preset_1/);
    expect(sim.requests.every((r) => r.auth !== 'refused')).toBe(true);
  });
});

describe('D3 onvif factory', () => {
  it('D3 onvifFactory: JSON Schema fills defaults and refuses bad connections; create() builds an onvif camera', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(onvifFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '192.168.1.30', username: 'admin', password: 'x' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 80, path: '/onvif/device_service', timeoutMs: 5000, useWSSecurity: true, preserveAddress: true });
    expect(validate({ host: '10.0.0.1', port: 70000 })).toBe(false);
    expect(validate({ port: 80 })).toBe(false);
    expect(validate({ host: 'x', bogus: 1 })).toBe(false);
    expect(validate({ host: 'x', useWSSecurity: 'yes' })).toBe(false);
    const d = onvifFactory.create(conn);
    expect(d).toBeInstanceOf(OnvifDriver);
    expect([d.driver, d.kind, onvifFactory.driver, onvifFactory.kind]).toEqual(['onvif', 'camera', 'onvif', 'camera']);
    expect(() => onvifFactory.create({})).toThrow(DeviceError);
    expect(() => onvifFactory.create({ host: 'x', timeoutMs: 'soon' })).toThrow(/timeoutMs/);
  });
});
