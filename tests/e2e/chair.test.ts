// The chair end to end (F4 F5 F6 A1 A2 A6 M5.3 M6.2 M6.4 M6.5): a room box chairing the meeting from its
// panel commands (joined with the chair PIN), several people in Debian's Chromium (one page each, their own
// WebSocket and media), and checks at central — paused/resumed audio producers, closed transports — rather
// than at the pages only. Ends with the meeting chat read back after the service restarted on the same data.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import type { Page } from 'playwright-core';
import { startTestBox, until, type TestBox } from '../helpers/appliance.js';
import { launchBrowser } from '../helpers/browser.js';
import { WsRpc } from '../../media/ws-rpc.js';
import type { BrowserPeer } from '../../central/participant.js';
import type { MeetingPeer } from '../../central/meeting.js';

const root = resolve(import.meta.dirname, '../..');
const PASSWORD = '2468';
const CHAIR_PIN = '135790';

/** The pages are served from the Vite build; rebuild it when a page's source is newer (running this file alone). */
function ensureUiBuilt(): void {
  const built = join(root, 'dist/ui/meet.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  const sources = ['control-ui/src', 'control-ui/meet.html', 'control-ui/index.html'].map((p) => join(root, p));
  const srcTime = Math.max(...sources.map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= srcTime) return;
  execFileSync('npx', ['vite', 'build', '--config', 'control-ui/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

let dataDir: string;
let t: TestBox;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
/** The room's touch panel, in its own profile: its sign-in must not reach the meet pages' storage. */
let panelBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let panel: Page;
let meeting: { id: number; code: string; link: string };
const pages: Page[] = [];

beforeAll(async () => {
  ensureUiBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'diemcau-chair-'));
  [t, browser, panelBrowser] = await Promise.all([startTestBox({ media: true, dataDir }), launchBrowser(), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await panelBrowser?.close();
  await t?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------------------------------------

const live = () => t.box.app.central.meetings.liveByCode(meeting.code)!;
const centralPeer = (name: string): MeetingPeer | undefined => [...(live()?.peers.values() ?? [])].find((p) => p.displayName === name);
const audioOf = (name: string) => [...(centralPeer(name)?.producers.values() ?? [])].find((p) => p.kind === 'audio');
const roomState = () => t.box.state.get().room;
const chair = async (cmd: string, args: Record<string, unknown> = {}) => {
  const r = await t.api('POST', `/api/v1/room/commands/room.chair.${cmd}`, args);
  expect(r.status, `room.chair.${cmd}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body.result;
};

/** Opens the meet page, fills the pre-join form (camera off: the machine has two cores) and joins. */
async function openMeet(name: string, unit: string, password = PASSWORD): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`${name} page error:`, e.message));
  pages.push(page);
  await page.goto(`${t.url}${meeting.link}`);
  await fillAndJoin(page, name, unit, password);
  return page;
}
async function fillAndJoin(page: Page, name: string, unit: string, password: string): Promise<void> {
  await page.getByTestId('meet-name').fill(name);
  await page.getByTestId('meet-unit').fill(unit);
  await page.getByTestId('meet-password').fill(password);
  await page.getByTestId('meet-camera').setChecked(false);
  await page.getByTestId('meet-join').click();
}
const phase = (page: Page, p: string, timeout = 15_000) => page.locator(`[data-testid="meet-status"][data-phase="${p}"]`).waitFor({ timeout });

/** A participant speaking the signaling protocol directly (what a non-browser client would do). */
async function rawParticipant(token?: string): Promise<WsRpc> {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/v1/meet/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  return new WsRpc(ws);
}
const nextNotification = (rpc: WsRpc, name: string, pred: (data: any) => boolean = () => true, timeoutMs = 5000) =>
  new Promise<any>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no ${name} notification`)), timeoutMs);
    const on = (n: string, data: unknown) => {
      if (n !== name || !pred(data)) return;
      clearTimeout(timer);
      rpc.off('notification', on);
      res(data);
    };
    rpc.on('notification', on);
  });

// ---- the scenario (the its run in order and share the meeting) ---------------------------------------------

describe('the chair controls the meeting', () => {
  let pageA: Page;
  let pageB: Page;
  let pageC: Page;

  it('F4 F5 A1 A2 the room box chairs with the chair PIN; a wrong password is refused; invited people join, with a pre-join check', async () => {
    const created = await t.api('POST', '/api/v1/meetings', {
      title: 'Họp điều hành',
      password: PASSWORD,
      chairPin: CHAIR_PIN,
      invited: ['Nguyễn Văn A', 'Sở Tài chính'],
      // M6.1: people join early to test their line; the meeting opens before its start time.
      startsAt: Date.now() + 3_600_000,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ hasPassword: true, hasChairPin: true, invited: ['Nguyễn Văn A', 'Sở Tài chính'], lobby: false, locked: false });
    expect(JSON.stringify(created.body)).not.toContain(CHAIR_PIN);
    meeting = created.body;

    const wrongPin = await t.api('POST', '/api/v1/room/commands/room.join', { code: meeting.code, chairPin: '000000' });
    expect(wrongPin.body.error).toBe('bad_chair_pin');
    const joined = await t.api('POST', '/api/v1/room/commands/room.join', { code: meeting.code, chairPin: CHAIR_PIN });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(roomState().meeting.role).toBe('chair');
    expect(centralPeer('Phòng họp')?.control.role).toBe('chair');
    // The room's panel shows the chair controls.
    panel = await panelBrowser.context.newPage();
    panel.on('pageerror', (e) => console.error('panel page error:', e.message));
    await panel.addInitScript((token) => localStorage.setItem('diemcau.token', token), t.token);
    await panel.goto(`${t.url}/`);
    await panel.locator('[data-testid="chair-panel"][data-role="chair"]').waitFor({ timeout: 10_000 });

    // A2: the pre-join screen previews the microphone (level meter) before anything is sent.
    const page = await browser.context.newPage();
    pages.push(page);
    await page.goto(`${t.url}${meeting.link}`);
    await page.getByTestId('meet-camera').setChecked(false);
    await until(async () => Number(await page.getByTestId('meet-mic-level').getAttribute('data-level')) > 0, 10_000, 'mic level meter moves');
    // A1: a wrong password is refused.
    await fillAndJoin(page, 'Nguyễn Văn A', 'Văn phòng Bộ', 'sai-mat-khau');
    await expect.poll(() => page.getByTestId('meet-error').textContent(), { timeout: 10_000 }).toContain('Sai mật khẩu');
    await page.getByTestId('meet-password').fill(PASSWORD);
    await page.getByTestId('meet-join').click();
    await phase(page, 'in-call');
    pageA = page;
    // Invited by unit.
    pageB = await openMeet('Trần Thị B', 'Sở Tài chính');
    await phase(pageB, 'in-call');
    // M6.2: everybody shows endpoint name and unit, the room as chair.
    await pageB.locator('[data-testid="meet-peer"][data-kind="room"][data-role="chair"]').waitFor({ timeout: 5000 });
    await until(() => audioOf('Nguyễn Văn A') && audioOf('Trần Thị B'), 10_000, 'both microphones at central');
  }, 60_000);

  it('M5.3 an uninvited participant waits until the chair admits them; a denied one never gets in', async () => {
    pageC = await openMeet('Lê Văn C', 'Công ty X');
    await pageC.getByTestId('meet-waiting').waitFor({ timeout: 10_000 });
    const waitingC = await until(() => roomState().meeting.lobby.find((w) => w.displayName === 'Lê Văn C'), 5000, 'the chair sees C in the lobby');
    expect(waitingC.reason).toBe('not_invited');
    expect(centralPeer('Lê Văn C')).toBeUndefined();

    const pageD = await openMeet('Phạm D', 'Không rõ');
    await pageD.getByTestId('meet-waiting').waitFor({ timeout: 10_000 });
    const waitingD = await until(() => roomState().meeting.lobby.find((w) => w.displayName === 'Phạm D'), 5000, 'the chair sees D');
    // The chair admits C from the room's panel.
    await panel.locator(`[data-testid="chair-lobby"] [data-peer-id="${waitingC.id}"] [data-testid="chair-admit"]`).click();
    await phase(pageC, 'in-call');
    await chair('deny', { peerId: waitingD.id });
    await phase(pageD, 'ended');
    await expect.poll(() => pageD.locator('.notice').first().textContent()).toContain('không cho bạn vào');
    expect(centralPeer('Phạm D')).toBeUndefined();
    expect(roomState().meeting.lobby).toEqual([]);
    await pageD.close();
    await until(() => audioOf('Lê Văn C'), 10_000, "C's microphone at central");
  }, 40_000);

  it('F5 mute all pauses every participant microphone at central and each page shows itself muted; self-unmute is allowed', async () => {
    const people = ['Nguyễn Văn A', 'Trần Thị B', 'Lê Văn C'];
    await until(() => people.every((n) => audioOf(n)?.paused === false), 10_000, 'everybody unmuted to start with');
    // From the room's panel.
    await panel.getByTestId('chair-mute-all').click();
    await until(() => people.every((n) => audioOf(n)?.paused === true), 5000, 'all audio producers paused at central');
    for (const page of [pageA, pageB, pageC]) {
      await page.locator('[data-testid="meet-toggle-mic"][aria-pressed="false"]').waitFor({ timeout: 5000 });
      await expect.poll(() => page.getByTestId('meet-mic-notice').textContent()).toContain('Chủ tọa đã tắt micro');
    }
    // The room's own microphone stays on: the chair muted the others.
    expect(audioOf('Phòng họp')?.paused).toBe(false);
    // Self-unmute is allowed by default: A turns the microphone back on, then the chair mutes A alone.
    await pageA.getByTestId('meet-toggle-mic').click();
    await until(() => audioOf('Nguyễn Văn A')?.paused === false, 5000, 'A unmuted itself');
    await until(() => roomState().participants.find((p) => p.name === 'Nguyễn Văn A')?.micOn, 5000, 'the panel sees A speaking');
    await chair('mutePeer', { peerId: centralPeer('Nguyễn Văn A')!.id });
    await until(() => audioOf('Nguyễn Văn A')?.paused === true, 5000, 'A muted by the chair');
    await pageA.locator('[data-testid="meet-toggle-mic"][aria-pressed="false"]').waitFor({ timeout: 5000 });
  }, 30_000);

  it('M6.5 the floor: raise hands → the chair sees the queue in order → give the floor resumes that microphone → end floor pauses it', async () => {
    await chair('setOptions', { floorControl: true });
    // Under floor control nobody unmutes by themselves.
    await pageB.getByTestId('meet-toggle-mic').click();
    await expect.poll(() => pageB.getByTestId('meet-mic-notice').textContent()).toContain('giơ tay');
    expect(audioOf('Trần Thị B')?.paused).toBe(true);

    await pageB.getByTestId('meet-raise-hand').click();
    await until(() => roomState().meeting.floor.queue.length === 1, 5000, 'B in the queue');
    await pageC.getByTestId('meet-raise-hand').click();
    const queue = await until(() => (roomState().meeting.floor.queue.length === 2 ? roomState().meeting.floor.queue : null), 5000, 'B and C in the queue');
    expect(queue.map((q) => q.displayName)).toEqual(['Trần Thị B', 'Lê Văn C']);
    expect(roomState().participants.find((p) => p.name === 'Trần Thị B')?.handRaised).toBe(true);

    await chair('giveFloor', { peerId: queue[0].peerId });
    await until(() => audioOf('Trần Thị B')?.paused === false, 5000, "B's audio resumed at central");
    await pageB.getByTestId('meet-speaking').waitFor({ timeout: 5000 });
    await pageB.locator('[data-testid="meet-toggle-mic"][aria-pressed="true"]').waitFor({ timeout: 5000 });
    expect(audioOf('Lê Văn C')?.paused).toBe(true);
    expect(roomState().meeting.floor.speaking).toBe(queue[0].peerId);
    expect(roomState().meeting.floor.queue.map((q) => q.displayName)).toEqual(['Lê Văn C']);

    await chair('endFloor');
    await until(() => audioOf('Trần Thị B')?.paused === true, 5000, "B's audio paused again");
    await pageB.locator('[data-testid="meet-toggle-mic"][aria-pressed="false"]').waitFor({ timeout: 5000 });
    expect(roomState().meeting.floor.speaking).toBeNull();
    await chair('setOptions', { floorControl: false });
  }, 30_000);

  it('F5 A1 removal closes the participant transports; with the meeting locked the rejoin is refused with locked', async () => {
    const peerC = centralPeer('Lê Văn C') as BrowserPeer;
    const transports = [...peerC.transports.values()];
    expect(transports.length).toBe(2);
    await chair('removePeer', { peerId: peerC.id });
    await until(() => transports.every((tr) => tr.closed), 5000, "C's transports closed");
    expect(centralPeer('Lê Văn C')).toBeUndefined();
    await phase(pageC, 'ended');
    await expect.poll(() => pageC.locator('.notice').first().textContent()).toContain('Bạn đã bị mời ra khỏi cuộc họp');

    await chair('lock', { locked: true });
    expect(roomState().meeting.locked).toBe(true);
    await pageC.getByTestId('meet-rejoin').click();
    await fillAndJoin(pageC, 'Lê Văn C', 'Công ty X', PASSWORD);
    await expect.poll(() => pageC.getByTestId('meet-error').textContent(), { timeout: 10_000 }).toContain('đã khóa');
    // The same at the protocol level, with the stable code.
    const raw = await rawParticipant();
    await expect(raw.request('join', { code: meeting.code, password: PASSWORD, displayName: 'Lê Văn C', unit: 'Công ty X' })).rejects.toMatchObject({ code: 'locked' });
    raw.close();
    expect(centralPeer('Lê Văn C')).toBeUndefined();
    await pageC.close();
  }, 30_000);

  it('F6 A6 a participant renames itself for everybody; a chat message reaches everyone, the room panel included', async () => {
    await pageA.getByTestId('meet-rename').click();
    await pageA.getByTestId('meet-rename-name').fill('Nguyễn Văn An');
    await pageA.getByTestId('meet-rename-save').click();
    await pageB.locator('[data-testid="meet-peer"]', { hasText: 'Nguyễn Văn An' }).waitFor({ timeout: 5000 });
    await until(() => roomState().participants.some((p) => p.name === 'Nguyễn Văn An'), 5000, 'the room sees the new name');

    await pageA.getByTestId('meet-chat-input').fill('Xin chào các điểm cầu');
    await pageA.getByTestId('meet-chat-send').click();
    await pageB.locator('[data-testid="meet-chat-message"]', { hasText: 'Xin chào các điểm cầu' }).waitFor({ timeout: 5000 });
    await until(() => roomState().chat.some((c) => c.text === 'Xin chào các điểm cầu' && c.from === 'Nguyễn Văn An'), 5000, 'the room receives the chat');
    await panel.locator('[data-testid="room-chat"] li', { hasText: 'Xin chào các điểm cầu' }).waitFor({ timeout: 5000 });
    const sent = await t.api('POST', '/api/v1/room/commands/room.chat.send', { text: 'Phòng họp đã sẵn sàng' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    await pageA.locator('[data-testid="meet-chat-message"]', { hasText: 'Phòng họp đã sẵn sàng' }).waitFor({ timeout: 5000 });
    expect((await t.api('POST', '/api/v1/room/commands/room.chat.send', { text: 'x'.repeat(2001) })).status).toBe(400);
  }, 20_000);

  it('M6.4 the chair ends the meeting for everybody; every chair action is in the audit log', async () => {
    await chair('endMeeting');
    for (const page of [pageA, pageB]) {
      await phase(page, 'ended');
      await expect.poll(() => page.locator('.notice').first().textContent()).toContain('Chủ tọa đã kết thúc cuộc họp');
    }
    await until(() => roomState().call.state === 'idle', 5000, 'the room left');
    expect(t.box.app.central.meetings.liveByCode(meeting.code)).toBeUndefined();

    const audit = (await t.api('GET', '/api/v1/audit?limit=1000')).body as Array<{ user: string; action: string; target: string; args: any; result: string }>;
    const central = audit.filter((e) => e.action.startsWith('meeting.chair.'));
    for (const action of ['muteAll', 'mutePeer', 'admit', 'deny', 'giveFloor', 'endFloor', 'removePeer', 'lock', 'setOptions', 'endMeeting'])
      expect(central.find((e) => e.action === `meeting.chair.${action}`), action).toMatchObject({ user: 'box:local-box', result: 'ok' });
    expect(central.find((e) => e.action === 'meeting.chair.removePeer')).toMatchObject({ target: `${meeting.code}/Lê Văn C`, args: { peerName: 'Lê Văn C' } });
    expect(audit.find((e) => e.action === 'room.chair.removePeer')).toMatchObject({ user: 'admin', result: 'ok' });
    expect(audit.find((e) => e.action === 'room.join' && e.result === 'ok')?.args).toMatchObject({ chairPin: '***' });
    expect(JSON.stringify(audit)).not.toContain(CHAIR_PIN);
  }, 20_000);

  it('A1 A6 F5 F6 M5.3 the chat survives a restart; an account with the role chair chairs; a technician and an uninvited room wait to be admitted', async () => {
    await t.close();
    t = await startTestBox({ media: true, dataDir });
    const chat = await t.api('GET', `/api/v1/meetings/${meeting.id}/chat`);
    expect(chat.status).toBe(200);
    expect(chat.body.map((c: any) => [c.from, c.text])).toEqual([
      ['Nguyễn Văn An', 'Xin chào các điểm cầu'],
      ['Phòng họp', 'Phòng họp đã sẵn sàng'],
    ]);
    t.box.app.accounts.upsertUser('kiemtoan', 'auditor', 'mat-khau-kiem-toan');
    expect((await t.api('GET', `/api/v1/meetings/${meeting.id}/chat`, undefined, await t.login('kiemtoan', 'mat-khau-kiem-toan'))).status).toBe(200);
    t.box.app.accounts.upsertUser('kythuat', 'technician', 'mat-khau-ky-thuat');
    expect((await t.api('GET', `/api/v1/meetings/${meeting.id}/chat`, undefined, await t.login('kythuat', 'mat-khau-ky-thuat'))).status).toBe(403);

    // The lock is stored too: a guest is still refused, an account with the role chair gets in as chair
    // (no password, no PIN) and finds the history.
    const guest = await rawParticipant();
    await expect(guest.request('join', { code: meeting.code, password: PASSWORD, displayName: 'Khách' })).rejects.toMatchObject({ code: 'locked' });
    guest.close();
    t.box.app.accounts.upsertUser('chutoa', 'chair', 'mat-khau-chu-toa');
    const chairRpc = await rawParticipant(await t.login('chutoa', 'mat-khau-chu-toa'));
    const welcome = await chairRpc.request('join', { code: meeting.code, displayName: 'Chủ tọa Bộ', unit: 'Văn phòng Bộ' });
    expect(welcome.role).toBe('chair');
    expect(welcome.chat.map((c: any) => c.text)).toEqual(['Xin chào các điểm cầu', 'Phòng họp đã sẵn sàng']);
    expect((await chairRpc.request('chatHistory')).messages).toHaveLength(2);
    await chairRpc.request('lock', { locked: false });

    // M5.3: a technician (even with the password) waits until the chair admits them.
    const techRpc = await rawParticipant(await t.login('kythuat', 'mat-khau-ky-thuat'));
    const lobby = nextNotification(chairRpc, 'lobbyChanged');
    const waiting = await techRpc.request('join', { code: meeting.code, password: PASSWORD, displayName: 'Kỹ thuật viên', unit: 'Trung tâm CNTT' });
    expect(waiting).toMatchObject({ waiting: true });
    expect((await lobby).waiting).toEqual([expect.objectContaining({ id: waiting.peerId, technician: true, reason: 'technician' })]);
    await expect(techRpc.request('chat', { text: 'chưa được vào' })).rejects.toMatchObject({ code: 'not_joined' });
    const admitted = nextNotification(techRpc, 'admitted');
    await chairRpc.request('admit', { peerId: waiting.peerId });
    expect(await admitted).toMatchObject({ peerId: waiting.peerId, role: 'participant' });
    // A participant may not use chair methods.
    await expect(techRpc.request('muteAll')).rejects.toMatchObject({ code: 'forbidden' });
    // A1: per-participant permissions; sharing content is refused once the chair took the right away.
    const told = nextNotification(techRpc, 'permissionsChanged');
    expect(await chairRpc.request('setPermissions', { peerId: waiting.peerId, share: false, recordAudio: true })).toEqual({
      share: false,
      recordAudio: true,
      recordVideo: false,
    });
    expect(await told).toEqual({ share: false, recordAudio: true, recordVideo: false });
    const send = await techRpc.request('createWebRtcTransport', { direction: 'send' });
    await expect(techRpc.request('produce', { transportId: send.id, kind: 'video', rtpParameters: {}, appData: { share: true } })).rejects.toMatchObject({
      code: 'not_allowed',
    });
    techRpc.close();

    // A room box that is not on the invitation list waits as well; admitted, it is in the call.
    const roomWaits = nextNotification(chairRpc, 'lobbyChanged', (d) => d.waiting.some((w: any) => w.kind === 'room'));
    const boxJoin = await t.api('POST', '/api/v1/room/commands/room.join', { code: meeting.code, password: PASSWORD });
    expect(boxJoin.body.result).toMatchObject({ state: 'joining', waiting: true });
    expect(roomState().meeting.waiting).toBe(true);
    const roomEntry = (await roomWaits).waiting.find((w: any) => w.kind === 'room');
    expect(roomEntry).toMatchObject({ displayName: 'Phòng họp', reason: 'not_invited' });
    await chairRpc.request('admit', { peerId: roomEntry.id });
    await until(() => roomState().call.state === 'in-call', 10_000, 'the admitted room in the call');
    expect(roomState().meeting).toMatchObject({ waiting: false, role: 'participant' });
    // F5: the chair's mute reaches the room's own microphone (the panel shows it muted).
    await chairRpc.request('mutePeer', { peerId: roomEntry.id });
    await until(() => roomState().mic.muted, 5000, 'the room microphone muted by the chair');
    // Locked, a box that was already in the meeting still rejoins by itself after its link dropped.
    await chairRpc.request('lock', { locked: true });
    const states: string[] = [];
    const onPatch = (ops: Array<{ path: string; value?: unknown }>) => {
      for (const o of ops) if (o.path === '/room/call') states.push((o.value as { state: string }).state);
    };
    t.box.state.on('patch', onPatch);
    const liveMeeting = live();
    // Drop the box's signaling socket at central (as a network cut would).
    ((centralPeer('Phòng họp') as unknown as { rpc: WsRpc }).rpc.ws as WebSocket).terminate();
    await until(() => states.includes('reconnecting') && roomState().call.state === 'in-call', 15_000, 'the room rejoined the locked meeting');
    t.box.state.off('patch', onPatch);
    expect(liveMeeting.isClosed).toBe(false);
    await chairRpc.request('lock', { locked: false });
    // Not chair: the panel's chair commands are refused; the chair PIN makes the room chair during the meeting.
    expect((await t.api('POST', '/api/v1/room/commands/room.chair.muteAll')).status).toBe(403);
    expect((await t.api('POST', '/api/v1/room/commands/room.chair.claim', { chairPin: '000000' })).body.error).toBe('bad_chair_pin');
    expect((await t.api('POST', '/api/v1/room/commands/room.chair.claim', { chairPin: CHAIR_PIN })).status).toBe(200);
    await until(() => roomState().meeting.role === 'chair', 5000, 'the room is chair');
    // A1: the chair sets a new password; the old one stops working.
    await chairRpc.request('setPassword', { password: 'mat-khau-moi' });
    const late = await rawParticipant();
    await expect(late.request('join', { code: meeting.code, password: PASSWORD, displayName: 'Nguyễn Văn A' })).rejects.toMatchObject({ code: 'bad_password' });
    expect(await late.request('join', { code: meeting.code, password: 'mat-khau-moi', displayName: 'Nguyễn Văn A' })).toMatchObject({ role: 'participant' });
    late.close();
    chairRpc.close();
    await t.api('POST', '/api/v1/room/commands/room.leave', {});
  }, 40_000);
});
