// The touch panel as a person uses it: sign in, hold the pad, let go. The VISCA-IP simulator must see a
// pan-tilt drive while the finger is down and a stop when it lifts — bytes on the wire, not UI state.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestBox, until, ADMIN_PASSWORD, type TestBox } from '../helpers/appliance.js';
import { launchBrowser } from '../helpers/browser.js';

let t: TestBox;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

// VISCA-over-IP payloads (after the 8-byte header) of the commands the pad must send.
const payloadOf = (d: { data: Buffer }) => d.data.subarray(8).toString('hex');
const isDriveRight = (hex: string) => /^81010601[0-9a-f]{4}0203ff$/.test(hex);
const isDriveStop = (hex: string) => /^81010601[0-9a-f]{4}0303ff$/.test(hex);

beforeAll(async () => {
  t = await startTestBox({ simulate: true });
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('D6 touch panel moves the room camera', () => {
  it('signs in, holds pad-right → pan-tilt drive right, releases → stop', async () => {
    const sim = t.box.simulators.camera!;
    await page.goto(t.url + '/');
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="camera-status"][data-status="online"]').waitFor({ timeout: 10_000 });
    sim.clearLog();

    const box = (await page.getByTestId('pad-right').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await until(() => sim.received.some((d) => isDriveRight(payloadOf(d))), 5000, 'a drive-right datagram');
    expect(sim.state.moving).toBe(true);
    const panWhileHeld = sim.state.pan;
    await page.mouse.up();
    await until(() => sim.received.some((d) => isDriveStop(payloadOf(d))), 5000, 'a stop datagram');
    await until(() => !sim.state.moving, 2000, 'the camera to stop');
    expect(sim.state.pan).toBeGreaterThanOrEqual(panWhileHeld);

    // The panel speaks Vietnamese first; the toggle switches to English.
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    const before = await page.getByTestId('camera-status').innerText();
    await page.getByTestId('lang-toggle').click();
    await until(async () => (await page.getByTestId('camera-status').innerText()) !== before, 3000, 'English labels');
  });

  it('a tapped preset recalls that preset on the camera', async () => {
    const sim = t.box.simulators.camera!;
    sim.clearLog();
    await page.getByTestId('preset-2').click();
    await until(() => sim.received.some((d) => payloadOf(d) === '8101043f0202ff'), 5000, 'preset recall 2');
  });
});
