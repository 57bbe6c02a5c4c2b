// Commissioning tried as a technician would (C5, M10.3): sign in at /admin, add a PJLink projector, a
// Tesira DSP and a VISCA-IP camera through the form, see them come online, poke the projector from the raw
// console, then drive the projector and the DSP from the touch panel's "Màn hình & âm thanh" tab. The
// simulators must see the bytes (power, input, volume, mute), not just the UI. Pulling the projector's
// plug raises the offline alert on /admin; plugging it back clears it without anyone touching anything.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestBox, until, ADMIN_PASSWORD, type TestBox } from '../helpers/appliance.js';
import { launchBrowser } from '../helpers/browser.js';
import { startSimulator, type RunningSimulator } from '../../drivers/sim/index.js';
import type { PjlinkSimulator } from '../../drivers/sim/pjlink-sim.js';
import type { TesiraSimulator } from '../../drivers/sim/tesira-sim.js';

let t: TestBox;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let pj: RunningSimulator;
let dsp: RunningSimulator;
let cam: RunningSimulator;
const projector = () => pj.simulator as PjlinkSimulator;
const tesira = () => dsp.simulator as TesiraSimulator;

beforeAll(async () => {
  [t, pj, dsp, cam] = await Promise.all([
    startTestBox({ simulate: false }),
    startSimulator('pjlink', { port: 0 }),
    startSimulator('tesira', { port: 0 }),
    startSimulator('visca-ip', { port: 0 }),
  ]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await Promise.all([pj?.stop(), dsp?.stop(), cam?.stop()].map((p) => p?.catch(() => {})));
});

/** Fills the admin device form the way a technician does: driver first (it sets the kind), then the fields. */
async function addDevice(page: Page, d: { id: string; name: string; driver: string; fields: Record<string, string | number> }): Promise<void> {
  await page.getByTestId('device-add').click();
  const form = page.getByTestId('device-form');
  await form.waitFor();
  await page.getByTestId('device-driver').selectOption(d.driver);
  await page.getByTestId('device-id').fill(d.id);
  await page.getByTestId('device-name').fill(d.name);
  for (const [k, v] of Object.entries(d.fields)) await page.getByTestId(`device-conn-${k}`).fill(String(v));
  await page.getByTestId('device-save').click();
  await form.waitFor({ state: 'detached' });
  await page.locator(`[data-testid="device-${d.id}"] [data-status="online"]`).waitFor({ timeout: 15_000 });
}

describe('C5 M10.3 D4 D6 technician commissions the room and checks it from the panel', () => {
  it('C5 M10.3 adds projector, DSP and camera in /admin, drives them from the panel, and sees the offline alert raise and clear', async () => {
    const admin = await browser.context.newPage();
    await admin.goto(t.url + '/admin');
    await admin.getByTestId('login-username').fill('admin');
    await admin.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await admin.getByTestId('login-submit').click();
    await admin.getByTestId('device-add').waitFor();

    // --- Add the three devices through the form; each must come online in the device table.
    const pjAddr = pj.address as { host: string; port: number };
    const dspAddr = dsp.address as { host: string; port: number };
    const camAddr = cam.address as { host: string; port: number };
    await addDevice(admin, { id: 'proj', name: 'Máy chiếu hội trường', driver: 'pjlink', fields: { host: pjAddr.host, port: pjAddr.port } });
    await addDevice(admin, { id: 'dsp', name: 'Bộ xử lý âm thanh', driver: 'tesira', fields: { host: dspAddr.host, port: dspAddr.port, instance: 'Level1', channel: 1 } });
    await addDevice(admin, { id: 'cam1', name: 'Camera chủ tọa', driver: 'visca-ip', fields: { host: camAddr.host, port: camAddr.port } });
    const kinds = await t.api('GET', '/api/v1/devices');
    expect(Object.fromEntries((kinds.body as any[]).map((d) => [d.id, d.kind]))).toEqual({ proj: 'display', dsp: 'audio', cam1: 'camera' });

    // --- Discovery runs and reports (what it finds depends on the network; it must finish either way).
    await admin.getByTestId('discover-run').click();
    await admin.locator('[data-testid="discover-status"][data-state="done"], [data-testid="discover-status"][data-state="failed"]').waitFor({ timeout: 20_000 });

    // --- Raw console: ask the projector for its power state in PJLink.
    await admin.getByTestId('tab-console').click();
    await admin.getByTestId('console-device').selectOption('proj');
    await admin.getByTestId('console-input').fill('%1POWR ?');
    await admin.getByTestId('console-send').click();
    await admin.getByTestId('console-transcript').getByText('%1POWR=0').waitFor({ timeout: 5000 });
    expect(projector().received.some((l) => l.text.startsWith('%1POWR ?'))).toBe(true);
    await admin.getByTestId('tab-devices').click();
    await admin.getByTestId('alerts-none').waitFor();

    // --- The touch panel (same browser, so already signed in): Displays & audio tab.
    const panel = await browser.context.newPage();
    await panel.goto(t.url + '/');
    await panel.locator('[data-testid="camera-status"][data-status="online"]').waitFor({ timeout: 10_000 });
    await panel.getByTestId('tab-av').click();
    await panel.locator('[data-testid="device-status-proj"][data-status="online"]').waitFor();
    await panel.locator('[data-testid="device-status-dsp"][data-status="online"]').waitFor();

    // Power on: the projector warms up, and the panel shows the state the projector reported.
    await panel.getByTestId('display-proj-power-on').click();
    await until(() => ['warm-up', 'on'].includes(projector().state.power), 5000, 'the projector to power on');
    await panel.locator('[data-testid="display-proj-power-on"][aria-pressed="true"]').waitFor();
    await until(() => projector().state.power === 'on', 5000, 'the warm-up to end');

    // Input and volume (sent once, on release).
    await panel.getByTestId('display-proj-input').selectOption('hdmi2');
    await until(() => projector().state.input === '32', 5000, 'INPT 32 (HDMI 2)');
    await expect.poll(() => panel.getByTestId('display-proj-input').inputValue()).toBe('hdmi2');
    projector().clearLog();
    await panel.getByTestId('display-proj-volume').fill('70');
    await until(() => projector().state.volume === 14, 5000, 'the speaker volume at 14/20');
    await expect.poll(() => panel.getByTestId('display-proj-volume-value').innerText()).toBe('70');

    // Mute the DSP from the panel: the Tesira's Level1 channel 1 is muted.
    await panel.getByTestId('audio-dsp-mute').click();
    await until(() => tesira().getAttribute('Level1', 'mute', 1) === true, 5000, 'Level1 mute 1 = true');
    await panel.locator('[data-testid="audio-dsp-mute"][data-state="muted"]').waitFor();

    // --- Pull the projector's plug; the next command finds it gone.
    await projector().stop();
    await panel.getByTestId('display-proj-power-on').click();
    await panel.locator('[data-testid="device-status-proj"][data-status="offline"]').waitFor({ timeout: 10_000 });
    await panel.getByTestId('display-proj-error').waitFor();
    expect(await panel.getByTestId('display-proj-power-on').isDisabled()).toBe(true);
    await panel.getByTestId('tab-av-alert').waitFor();

    await admin.bringToFront();
    const alert = admin.locator('[data-testid="alert-device:proj:offline"]');
    await alert.waitFor({ timeout: 10_000 });

    // --- Plug it back in: the driver reconnects with back-off and the alert clears by itself.
    await projector().start();
    await alert.waitFor({ state: 'detached', timeout: 30_000 });
    await admin.locator('[data-testid="device-proj"] [data-status="online"]').waitFor({ timeout: 5000 });
    await panel.locator('[data-testid="device-status-proj"][data-status="online"]').waitFor({ timeout: 5000 });
  }, 60_000);
});
