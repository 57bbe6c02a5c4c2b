// A5 M6.3 M9.3 recording end to end: the appliance with its embedded central, the room box joined through
// its room command and a person in Debian's Chromium; a chair-level account records about 20 seconds and
// stops. One WebM (VP8 video in the grid + all audio mixed, Opus) and one Ogg (Opus, audio only) come out,
// ffprobe checks them, their SHA-256 in the store matches the files, downloading is refused to a
// participant and audited for an admin, and the retention purge removes them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestBox, until, type TestBox } from '../helpers/appliance.js';
import { launchBrowser } from '../helpers/browser.js';
import { ensureUiBuilt } from '../helpers/ui-build.js';

const RECORD_S = 20;

let t: TestBox;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let adminBrowser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let page: Page;
let chair: string;
let participant: string;
let auditor: string;
let meeting: { id: number; code: string; link: string };

interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
  format: { duration: string; format_name: string };
}
const ffprobe = (file: string): Probe =>
  JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' }));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  ensureUiBuilt();
  // The test machine is shared: compose at full priority (a box uses nice 10), sample every second.
  process.env.DIEMCAU_RECORDING_NICE = '0';
  process.env.DIEMCAU_MONITORING_INTERVAL_S = '1';
  [t, browser] = await Promise.all([startTestBox({ media: true, logLevel: process.env.TEST_LOG_LEVEL ?? 'error' }), launchBrowser()]);
  delete process.env.DIEMCAU_RECORDING_NICE;
  delete process.env.DIEMCAU_MONITORING_INTERVAL_S;
  const accounts = t.box.app.accounts;
  accounts.upsertUser('chutoa', 'chair', 'mat-khau-chu-toa');
  accounts.upsertUser('thamdu', 'participant', 'mat-khau-tham-du');
  accounts.upsertUser('kiemtoan', 'auditor', 'mat-khau-kiem-toan');
  [chair, participant, auditor] = await Promise.all([
    t.login('chutoa', 'mat-khau-chu-toa'),
    t.login('thamdu', 'mat-khau-tham-du'),
    t.login('kiemtoan', 'mat-khau-kiem-toan'),
  ]);
}, 180_000);

afterAll(async () => {
  await adminBrowser?.close();
  await browser?.close();
  await t?.close();
});

/** Bytes received so far by every producer of the live meeting (to see that media flows at central). */
async function producerBytes(): Promise<number[]> {
  const live = t.box.app.central.meetings.liveByCode(meeting.code);
  if (!live) return [];
  const out: number[] = [];
  for (const { producer } of live.producersExcept('nobody')) {
    const st = await producer.getStats().catch(() => []);
    out.push(st.reduce((a, s) => a + s.byteCount, 0));
  }
  return out;
}

describe('recording', () => {
  it('A5 M6.3 a 20-second meeting of a room and a browser is recorded into one WebM (video + mixed audio) and one Ogg', async () => {
    meeting = (await t.api('POST', '/api/v1/meetings', { title: 'Họp có ghi hình', password: '1357' }, chair)).body;
    expect((await t.api('POST', '/api/v1/room/commands/room.join', { code: meeting.code, password: '1357' })).status).toBe(200);
    page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error('meet page error:', e.message));
    await page.goto(`${t.url}${meeting.link}`);
    await page.getByTestId('meet-name').fill('Trần Thị B');
    await page.getByTestId('meet-unit').fill('Văn phòng Bộ');
    await page.getByTestId('meet-password').fill('1357');
    await page.getByTestId('meet-join').click();
    await page.locator('[data-testid="meet-status"][data-phase="in-call"]').waitFor({ timeout: 20_000 });
    // Both endpoints send audio and video, and it reaches central.
    await until(async () => {
      const b = await producerBytes();
      return b.length === 4 && b.every((x) => x > 0);
    }, 20_000, 'four producers with media at central');

    // Not recorded yet; a participant account cannot give the consent, nor can an unknown meeting be recorded.
    expect((await t.api('GET', `/api/v1/meetings/${meeting.id}/recording`, undefined, chair)).body).toMatchObject({ recording: false, state: 'idle' });
    expect((await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'start' }, participant)).status).toBe(403);
    expect((await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'start' }, auditor)).status).toBe(403);
    expect((await t.api('POST', `/api/v1/meetings/999999/recording`, { action: 'start' }, chair)).status).toBe(404);
    expect((await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'stop' }, chair)).body.error).toBe('not_recording');

    // The chair watches on the admin page's "Giám sát" tab (A4): the session, its two endpoints and line
    // charts of the selected endpoint (in its own browser profile: its sign-in stays out of the meet page).
    adminBrowser = await launchBrowser();
    const admin = await adminBrowser.context.newPage();
    admin.on('pageerror', (e) => console.error('admin page error:', e.message));
    await admin.goto(`${t.url}/admin`);
    await admin.getByTestId('login-username').fill('chutoa');
    await admin.getByTestId('login-password').fill('mat-khau-chu-toa');
    await admin.getByTestId('login-submit').click();
    await admin.getByTestId('tab-monitoring').click();
    const row = admin.getByTestId(`mon-session-${meeting.code}`);
    await row.getByTestId('mon-endpoint').nth(1).waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('mon-endpoint-count').textContent()).toContain('2');
    expect(await row.getByTestId('mon-recording').count()).toBe(0);
    const line = admin.locator('[data-testid="mon-chart-bitrate"] path[data-series]').first();
    await until(async () => ((await line.getAttribute('d').catch(() => null)) ?? '').includes('L'), 20_000, 'a bitrate line with two points');
    for (const c of ['mon-chart-rtt', 'mon-chart-loss']) expect(await admin.getByTestId(c).locator('svg').count()).toBe(1);

    const started = await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'start' }, chair);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body).toMatchObject({ recording: true, state: 'recording', startedBy: 'chutoa', withVideo: true, streams: { audio: 2, video: 2 } });
    const t0 = Date.now();
    expect((await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'start' }, chair)).body.error).toBe('already_recording');
    const mon = (await t.api('GET', '/api/v1/monitoring/sessions', undefined, chair)).body;
    expect(mon.sessions.find((s: any) => s.meetingId === meeting.id)).toMatchObject({ recording: true, endpointCount: 2 });
    // The page shows the recording within its 5-second refresh.
    try {
      await row.getByTestId('mon-recording').waitFor({ timeout: 8000 });
      if (process.env.DIEMCAU_E2E_SCREENSHOTS) await admin.screenshot({ path: join(process.env.DIEMCAU_E2E_SCREENSHOTS, 'monitoring.png'), fullPage: true });
    } finally {
      await adminBrowser.close();
      adminBrowser = undefined;
    }

    // The recording itself: the only fixed wait of the test.
    await new Promise((r) => setTimeout(r, RECORD_S * 1000 - (Date.now() - t0)));
    const stopped = await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'stop' }, chair);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body).toMatchObject({ recording: false, state: 'finalizing' });
    console.log(`stopped after ${Date.now() - t0} ms, ${stopped.body.segments} segment(s)`);

    const composeStart = Date.now();
    const files = await until(async () => {
      const r = (await t.api('GET', `/api/v1/recordings?meeting=${meeting.id}`, undefined, chair)).body as any[];
      return r.length === 2 ? r : null;
    }, 240_000, 'the two recorded files');
    console.log(`recording composed in ${Date.now() - composeStart} ms`);
    expect((await t.api('GET', `/api/v1/meetings/${meeting.id}/recording`, undefined, chair)).body).toMatchObject({ recording: false, state: 'done' });

    const av = files.find((f) => f.kind === 'av');
    const audio = files.find((f) => f.kind === 'audio');
    expect(av).toMatchObject({ meetingId: meeting.id, mime: 'video/webm', purgedAt: null, download: `/api/v1/recordings/${av.id}/file` });
    expect(audio).toMatchObject({ meetingId: meeting.id, mime: 'audio/ogg', purgedAt: null });
    expect(av.file).toMatch(/\.webm$/);
    expect(audio.file).toMatch(/\.ogg$/);
    expect(av.expiresAt - av.endedAt).toBe(90 * 86_400_000);

    // ffprobe: ONE file with a video and an audio stream, about 20 s; and an audio-only file.
    const dir = join(t.dataDir, 'recordings');
    const avProbe = ffprobe(join(dir, av.file));
    expect(avProbe.format.format_name).toContain('webm');
    expect(avProbe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
    expect(avProbe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    const avDuration = Number(avProbe.format.duration);
    expect(Math.abs(avDuration - RECORD_S)).toBeLessThanOrEqual(RECORD_S * 0.1);
    const audioProbe = ffprobe(join(dir, audio.file));
    expect(audioProbe.format.format_name).toBe('ogg');
    expect(audioProbe.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['audio:opus']);
    expect(Math.abs(Number(audioProbe.format.duration) - RECORD_S)).toBeLessThanOrEqual(RECORD_S * 0.1);
    expect(Math.abs(av.durationMs / 1000 - avDuration)).toBeLessThan(0.01);
    console.log(`durations: av ${avDuration} s, audio ${audioProbe.format.duration} s`);

    // The store's SHA-256 and size are those of the files on disk.
    for (const f of [av, audio]) {
      const bytes = readFileSync(join(dir, f.file));
      expect(f.bytes).toBe(bytes.length);
      expect(f.sha256).toBe(sha256(bytes));
    }
    // The segments were removed once the files existed.
    expect(existsSync(join(dir, 'work', started.body.sessionId))).toBe(false);
  }, 360_000);

  it('A5 M6.3 downloads: refused to a participant, allowed to an admin (audited); start and stop are audited', async () => {
    const [av] = ((await t.api('GET', `/api/v1/recordings?meeting=${meeting.id}`)).body as any[]).filter((f) => f.kind === 'av');
    expect((await t.api('GET', '/api/v1/recordings', undefined, participant)).status).toBe(403);
    expect((await t.api('GET', `/api/v1/recordings/${av.id}/file`, undefined, participant)).status).toBe(403);
    expect((await t.api('GET', `/api/v1/recordings/${av.id}/file`, undefined, null)).status).toBe(401);

    const res = await fetch(`${t.url}/api/v1/recordings/${av.id}/file`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('content-disposition')).toContain(av.file);
    expect(res.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(av.sha256, 'hex').toString('base64')}:`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(av.sha256);
    // An auditor may download too.
    expect((await fetch(`${t.url}/api/v1/recordings/${av.id}/file`, { headers: { authorization: `Bearer ${auditor}` } })).status).toBe(200);

    const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as Array<{ user: string; action: string; target: string; result: string; args: any }>;
    expect(audit.find((e) => e.action === 'recording.start' && e.result === 'ok')).toMatchObject({ user: 'chutoa', target: meeting.code });
    expect(audit.find((e) => e.action === 'recording.stop' && e.result === 'ok')).toMatchObject({ user: 'chutoa', target: meeting.code });
    expect(audit.filter((e) => e.action === 'recording.start').map((e) => e.result)).toContain('already_recording');
    const downloads = audit.filter((e) => e.action === 'recording.download' && e.target === String(av.id) && e.result === 'ok');
    expect(downloads.map((e) => e.user).sort()).toEqual(['admin', 'kiemtoan']);
  });

  it('A5 the retention purge (0 days) deletes the files, marks the rows and audits it', async () => {
    const before = (await t.api('GET', `/api/v1/recordings?meeting=${meeting.id}`)).body as any[];
    const dir = join(t.dataDir, 'recordings');
    expect(t.box.app.central.recordings.purge(1)).toBe(0); // younger than a day: kept
    expect(t.box.app.central.recordings.purge(0)).toBe(2);
    for (const f of before) expect(existsSync(join(dir, f.file))).toBe(false);
    const after = (await t.api('GET', `/api/v1/recordings?meeting=${meeting.id}`)).body as any[];
    expect(after).toHaveLength(2);
    for (const f of after) expect(f).toMatchObject({ download: null, purgedAt: expect.any(Number) });
    const gone = await t.api('GET', `/api/v1/recordings/${after[0].id}/file`);
    expect(gone.status).toBe(410);
    expect(gone.body.error).toBe('purged');
    const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as Array<{ user: string; action: string; target: string }>;
    expect(audit.filter((e) => e.action === 'recording.purge' && e.user === 'system').map((e) => e.target).sort()).toEqual(before.map((f) => String(f.id)).sort());
  });

  it('A5 a recording stops with the meeting: the last endpoint leaving ends it and the files are made', async () => {
    await page.getByTestId('meet-leave').click();
    await page.locator('[data-testid="meet-status"][data-phase="ended"]').waitFor({ timeout: 10_000 });
    await until(async () => (await producerBytes()).length === 2, 10_000, 'only the room left');
    const started = await t.api('POST', `/api/v1/meetings/${meeting.id}/recording`, { action: 'start', video: false }, chair);
    expect(started.body).toMatchObject({ recording: true, withVideo: false, streams: { audio: 1, video: 0 } });
    await until(async () => {
      const st = (await t.api('GET', `/api/v1/meetings/${meeting.id}/recording`, undefined, chair)).body;
      return st.segments >= 1 && st.streams.audio === 1 && st.segmentBytes > 8000;
    }, 15_000, 'audio captured');
    expect((await t.api('POST', '/api/v1/room/commands/room.leave', {})).status).toBe(200);
    const files = await until(async () => {
      const r = ((await t.api('GET', `/api/v1/recordings?meeting=${meeting.id}`)).body as any[]).filter((f) => f.sessionId === started.body.sessionId);
      return r.length ? r : null;
    }, 60_000, 'the audio-only recording of the ended meeting');
    expect(files.map((f) => f.kind)).toEqual(['audio']);
    const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as Array<{ user: string; action: string; args: any; result: string }>;
    expect(audit.find((e) => e.action === 'recording.stop' && e.user === 'system' && e.args?.session === started.body.sessionId)?.result).toBe('ok');
  }, 90_000);
});
