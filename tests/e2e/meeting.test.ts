// The foundation's acceptance test (D5, F1, F2, F6, M6.2): the whole appliance with its embedded central,
// a meeting created over REST, the room joining through the room command, a browser participant in
// Debian's Chromium joining /meet/<code>, and the room display page — media asserted from WebRTC stats.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestBox, until, type TestBox } from '../helpers/appliance.js';
import { launchBrowser } from '../helpers/browser.js';

/** Set to a directory to keep screenshots of the pages (to look at what the assertions saw). */
const SHOTS = process.env.DIEMCAU_E2E_SCREENSHOTS;
const root = resolve(import.meta.dirname, '../..');

/** The pages are served from the Vite build; rebuild it when a page's source is newer (running this file alone). */
function ensureUiBuilt(): void {
  const built = join(root, 'dist/ui/meet.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  const sources = ['control-ui/src', 'control-ui/meet.html', 'control-ui/display.html'].map((p) => join(root, p));
  const srcTime = Math.max(...sources.map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= srcTime) return;
  execFileSync('npx', ['vite', 'build', '--config', 'control-ui/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

interface Summary {
  inbound: Array<{ kind: string; packets: number; bytes: number; framesDecoded?: number; totalAudioEnergy?: number }>;
  outbound: Array<{ kind: string; packets: number; bytes: number }>;
}
const pageStats = (page: Page): Promise<Summary> => page.evaluate(() => window.__diemcau!.stats()) as Promise<Summary>;
const framesDecoded = (s: Summary) => s.inbound.filter((x) => x.kind === 'video').reduce((a, x) => a + (x.framesDecoded ?? 0), 0);

let t: TestBox;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let ctx: BrowserContext;

beforeAll(async () => {
  ensureUiBuilt();
  t = await startTestBox({ media: true });
  // Debian's Chromium, fake camera (a moving pattern) and microphone (a beep).
  browser = await launchBrowser();
  ctx = browser.context;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('meeting end to end', () => {
  it('D5 F1 F2 F6 M6.2 a browser participant and the room see and hear each other; the room display shows the participant', async () => {
    // A meeting with a password, created by the admin (DESIGN.md §3).
    const created = await t.api('POST', '/api/v1/meetings', { title: 'Họp giao ban tuần', password: '2468' });
    expect(created.status).toBe(201);
    const { code, link } = created.body;
    expect(code).toMatch(/^\d{9}$/);
    expect(link).toBe(`/meet/${code}`);
    expect(created.body.hasPassword).toBe(true);
    expect(JSON.stringify(created.body)).not.toContain('2468');

    // The room joins through the same command the panel uses.
    const wrong = await t.api('POST', '/api/v1/room/commands/room.join', { code, password: 'sai' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe('bad_password');
    const joined = await t.api('POST', '/api/v1/room/commands/room.join', { code, password: '2468' });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body.result).toEqual({ state: 'in-call', meetingTitle: 'Họp giao ban tuần' });

    // A person joins from the browser, without an account.
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('meet page error:', e.message));
    await page.goto(`${t.url}${link}`);
    await page.getByTestId('meet-name').fill('Nguyễn Văn A');
    await page.getByTestId('meet-unit').fill('Sở Tài nguyên và Môi trường');
    await page.getByTestId('meet-password').fill('2468');
    await page.getByTestId('meet-join').click();
    await page.locator('[data-testid="meet-status"][data-phase="in-call"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('remote-video').first().waitFor({ timeout: 15_000 });
    await page.getByTestId('meet-participants').locator('[data-kind="room"]').first().waitFor({ timeout: 5000 });

    // The browser decodes the room's video and hears its microphone.
    const first = await until(async () => {
      const s = await pageStats(page);
      return framesDecoded(s) > 0 ? s : null;
    }, 15_000, 'browser decodes the room video');
    const audio = await until(async () => {
      const a = (await pageStats(page)).inbound.find((x) => x.kind === 'audio');
      return a && a.packets > 0 && (a.totalAudioEnergy ?? 0) > 0 ? a : null;
    }, 15_000, 'browser receives the room audio with energy');
    expect(audio!.packets).toBeGreaterThan(0);
    await until(async () => framesDecoded(await pageStats(page)) > framesDecoded(first!) + 5, 10_000, 'video frames keep coming');

    // The box receives the browser's camera over the pipe (RoomMedia stats in GET /api/v1/room)…
    await until(async () => {
      const room = (await t.api('GET', '/api/v1/room')).body;
      const remote = room.media?.remote ?? [];
      return remote.some((r: any) => r.kind === 'video' && r.packets > 0 && r.peerName === 'Nguyễn Văn A');
    }, 15_000, 'box receives the browser video');
    const room = (await t.api('GET', '/api/v1/room')).body;
    expect(room.room.participants).toEqual([expect.objectContaining({ name: 'Nguyễn Văn A', unit: 'Sở Tài nguyên và Môi trường', kind: 'browser' })]);

    // …and the room display page shows it, decoded (a kiosk signs in with #token=).
    const display = await ctx.newPage();
    display.on('pageerror', (e) => console.error('display page error:', e.message));
    await display.goto(`${t.url}/display#token=${encodeURIComponent(t.token)}`);
    await display.getByTestId('display-video').first().waitFor({ timeout: 15_000 });
    await until(async () => framesDecoded(await pageStats(display)) > 0, 15_000, 'display decodes the browser video');
    await until(async () => {
      const a = (await pageStats(display)).inbound.find((x) => x.kind === 'audio');
      return a && a.packets > 0;
    }, 15_000, 'display receives the browser audio');

    if (SHOTS) {
      console.log('meet stats', JSON.stringify(await pageStats(page)), 'display stats', JSON.stringify(await pageStats(display)));
      await page.screenshot({ path: join(SHOTS, 'meet.png') });
      await display.screenshot({ path: join(SHOTS, 'display.png') });
    }

    // F2: the room turns its camera off → the browser shows the room's tile as paused; on again.
    expect((await t.api('POST', '/api/v1/room/commands/room.camera', { on: false })).status).toBe(200);
    await page.locator('.tile.paused').waitFor({ timeout: 10_000 });
    expect((await t.api('POST', '/api/v1/room/commands/room.camera', { on: true })).status).toBe(200);
    await page.locator('.tile.paused').waitFor({ state: 'detached', timeout: 10_000 });
    // F1: the room mute reaches central as a paused producer.
    expect((await t.api('POST', '/api/v1/room/commands/room.mute', { muted: true })).status).toBe(200);
    const live = t.box.app.central.meetings.liveByCode(code)!;
    const roomAudio = () => live.producersExcept('none').find((p) => p.owner.kind === 'room' && p.producer.kind === 'audio')?.producer;
    await until(() => roomAudio()?.paused, 5000, 'room audio paused at central');
    expect((await t.api('POST', '/api/v1/room/commands/room.mute', { muted: false })).status).toBe(200);
    await until(() => roomAudio()?.paused === false, 5000, 'room audio resumed at central');

    // The participant leaves: the box and the display drop their media.
    await page.getByTestId('meet-leave').click();
    await page.locator('[data-testid="meet-status"][data-phase="ended"]').waitFor({ timeout: 10_000 });
    await until(async () => ((await t.api('GET', '/api/v1/room')).body.media?.remote ?? []).length === 0, 10_000, 'box dropped the browser media');
    await display.getByTestId('display-video').first().waitFor({ state: 'detached', timeout: 10_000 });
    expect((await t.api('GET', '/api/v1/room')).body.room.participants).toEqual([]);

    const left = await t.api('POST', '/api/v1/room/commands/room.leave', {});
    expect(left.status).toBe(200);
    expect((await t.api('GET', `/api/v1/meetings/${created.body.id}`)).body.participants).toBe(0);
    await page.close();
    await display.close();
  }, 120_000);

  it('F4 A1 meetings over REST: roles, generated or chosen code, hashed password, audit entry', async () => {
    t.box.app.accounts.upsertUser('thuky', 'secretary', 'mat-khau-thu-ky');
    t.box.app.accounts.upsertUser('kiemtoan', 'auditor', 'mat-khau-kiem-toan');
    const secretary = await t.login('thuky', 'mat-khau-thu-ky');
    const auditor = await t.login('kiemtoan', 'mat-khau-kiem-toan');

    const made = await t.api('POST', '/api/v1/meetings', { title: 'Tập huấn', code: 'tap-huan-01', startsAt: '2030-01-02T08:00:00+07:00' }, secretary);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ code: 'tap-huan-01', title: 'Tập huấn', hasPassword: false, link: '/meet/tap-huan-01', createdBy: 'thuky' });
    expect(made.body.startsAt).toBe(Date.parse('2030-01-02T08:00:00+07:00'));
    expect((await t.api('POST', '/api/v1/meetings', { title: 'Trùng mã', code: 'tap-huan-01' }, secretary)).body.error).toBe('code_taken');
    expect((await t.api('POST', '/api/v1/meetings', { title: '' }, secretary)).status).toBe(400);
    expect((await t.api('POST', '/api/v1/meetings', { title: 'x' }, auditor)).status).toBe(403);
    expect((await t.api('POST', '/api/v1/meetings', { title: 'x' }, null)).status).toBe(401);

    const list = await t.api('GET', '/api/v1/meetings', undefined, secretary);
    expect(list.body.map((m: any) => m.code)).toContain('tap-huan-01');
    const one = await t.api('GET', `/api/v1/meetings/${made.body.id}`);
    expect(one.body).toMatchObject({ id: made.body.id, code: 'tap-huan-01', participants: 0 });
    expect((await t.api('GET', '/api/v1/meetings/999999')).status).toBe(404);

    const audit = (await t.api('GET', '/api/v1/audit')).body as Array<{ user: string; action: string; target: string; result: string; args: unknown }>;
    const entry = audit.find((e) => e.action === 'meeting.create' && e.target === 'tap-huan-01');
    expect(entry).toMatchObject({ user: 'thuky', result: 'ok' });
    const all = JSON.stringify(audit);
    expect(all).not.toContain('2468'); // the first test's meeting password is never logged
  });
});
