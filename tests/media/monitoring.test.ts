// A4 M9.2 monitoring: two meetings on one central (the appliance's embedded one), three room boxes — the
// box itself and two more RoomMedia boxes on their own worker — sampled every second. The API must count
// the sessions and their endpoints, give every endpoint a non-empty quality series, raise an alert (in
// central's list and the appliance's) when an endpoint is below the thresholds and clear it after, and
// keep the samples in the store under a retention rule.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { pino } from 'pino';
import { startTestBox, until, type TestBox } from '../helpers/appliance.js';
import { createWorkerPool, type WorkerPool } from '../../media/worker-pool.js';
import { RoomMedia } from '../../media/room-media.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
let t: TestBox;
let pool: WorkerPool;
let roomB: RoomMedia;
let roomC: RoomMedia;
let m1: { id: number; code: string };
let m2: { id: number; code: string };

interface Sessions {
  count: number;
  endpoints: number;
  intervalMs: number;
  sessions: Array<{ meetingId: number; code: string; endpointCount: number; recording: boolean; endpoints: Array<{ peerId: string; displayName: string; kind: string; latest: any; alert: boolean }> }>;
}

beforeAll(async () => {
  process.env.DIEMCAU_MONITORING_INTERVAL_S = '1';
  t = await startTestBox({ media: true });
  delete process.env.DIEMCAU_MONITORING_INTERVAL_S;
  pool = await createWorkerPool({ log, workers: 1 });
  roomB = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong B' } });
  roomC = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong C' } });
  await Promise.all([roomB.start(), roomC.start()]);
}, 60_000);

afterAll(async () => {
  await roomB?.close();
  await roomC?.close();
  await t?.close();
  await pool?.close();
});

describe('monitoring', () => {
  it('A4 M9.2 sessions, endpoints per session and a quality series for every endpoint', async () => {
    m1 = (await t.api('POST', '/api/v1/meetings', { title: 'Giao ban hai điểm cầu' })).body;
    m2 = (await t.api('POST', '/api/v1/meetings', { title: 'Một điểm cầu' })).body;
    const centralUrl = t.url.replace('http', 'ws');
    const central = t.box.app.central;
    // The box itself joins m1 through its room command; boxes B and C join with their own tokens.
    expect((await t.api('POST', '/api/v1/room/commands/room.join', { code: m1.code })).status).toBe(200);
    await roomB.join({ centralUrl, boxToken: central.registerBox('box-b', 'Phòng họp B'), code: m1.code, name: 'Phòng họp B' });
    await roomC.join({ centralUrl, boxToken: central.registerBox('box-c', 'Phòng họp C'), code: m2.code, name: 'Phòng họp C' });

    const sessions = await until(async () => {
      const r = (await t.api('GET', '/api/v1/monitoring/sessions')).body as Sessions;
      return r.count === 2 && r.sessions.every((s) => s.endpoints.every((e) => e.latest)) ? r : null;
    }, 15_000, 'two sessions with sampled endpoints');
    expect(sessions.intervalMs).toBe(1000);
    expect(sessions.endpoints).toBe(3);
    const s1 = sessions.sessions.find((s) => s.meetingId === m1.id)!;
    const s2 = sessions.sessions.find((s) => s.meetingId === m2.id)!;
    expect(s1.endpointCount).toBe(2);
    expect(s2.endpointCount).toBe(1);
    expect(s1.endpoints.map((e) => e.displayName).sort()).toEqual(['Phòng họp', 'Phòng họp B']);
    expect(s2.endpoints[0]).toMatchObject({ displayName: 'Phòng họp C', kind: 'room', alert: false });

    // Every endpoint gets a series: its camera and microphone flow in; in m1 the other room flows out to it.
    for (const s of [s1, s2])
      for (const e of s.endpoints) {
        const series = await until(async () => {
          const r = (await t.api('GET', `/api/v1/monitoring/endpoints/${e.peerId}/samples`)).body;
          const withMedia = r.samples.filter((x: any) => x.bitrateIn > 0 && (s === s2 || x.bitrateOut > 0));
          return withMedia.length >= 3 ? r : null;
        }, 20_000, `three samples with media for ${e.displayName}`);
        expect(series).toMatchObject({ peerId: e.peerId, endpoint: e.displayName, live: true });
        const times = series.samples.map((x: any) => x.time);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        for (const x of series.samples) {
          expect(x.lossPct === null || (x.lossPct >= 0 && x.lossPct <= 100)).toBe(true);
          expect(x.rttMs === null || x.rttMs >= 0).toBe(true);
          expect(x.score === null || (x.score >= 0 && x.score <= 10)).toBe(true);
        }
        const last = series.samples.at(-1);
        // The test pattern sends ~500 kbit/s of video and 64 kbit/s of audio (less on a busy machine).
        expect(Math.max(...series.samples.map((x: any) => x.bitrateIn))).toBeGreaterThan(30_000);
        expect(last.lossPct).toBeLessThan(5); // loopback
        // since= returns only newer samples
        const newer = (await t.api('GET', `/api/v1/monitoring/endpoints/${e.peerId}/samples?since=${last.time}`)).body;
        expect(newer.samples.every((x: any) => x.time > last.time)).toBe(true);
      }
    const stored = t.box.store.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT peer_id) AS peers FROM quality_samples').get() as { n: number; peers: number };
    expect(stored.peers).toBe(3);
    expect(stored.n).toBeGreaterThanOrEqual(9);
    // What the quarterly report (C2) reads.
    const q = (await t.api('GET', `/api/v1/monitoring/meetings/${m1.id}/quality`)).body;
    expect(q).toMatchObject({ meetingId: m1.id, endpoints: 2, goodShare: 1 });
  }, 90_000);

  it('A4 roles: technician, chair and auditor read monitoring; a participant does not', async () => {
    const users = { kythuat: 'technician', chutoa: 'chair', kiemtoan: 'auditor', thamdu: 'participant' } as const;
    for (const [u, role] of Object.entries(users)) t.box.app.accounts.upsertUser(u, role, `mat-khau-${u}`);
    for (const u of ['kythuat', 'chutoa', 'kiemtoan']) expect((await t.api('GET', '/api/v1/monitoring/sessions', undefined, await t.login(u, `mat-khau-${u}`))).status).toBe(200);
    expect((await t.api('GET', '/api/v1/monitoring/sessions', undefined, await t.login('thamdu', 'mat-khau-thamdu'))).status).toBe(403);
    expect((await t.api('GET', '/api/v1/monitoring/sessions', undefined, null)).status).toBe(401);
    expect((await t.api('GET', '/api/v1/monitoring/endpoints/khong-co/samples')).status).toBe(404);
  });

  it('M9.2 an endpoint below the thresholds raises an alert (central list and the appliance alerts) that clears when it recovers', async () => {
    const mon = t.box.app.central.monitoring;
    const saved = { ...mon.opts.thresholds };
    // Loopback never loses packets; a negative RTT threshold makes every reported RTT "too slow".
    mon.opts.thresholds.rttMs = -1;
    try {
      const raised = await until(async () => {
        const r = (await t.api('GET', '/api/v1/monitoring/alerts')).body;
        return r.active.length > 0 ? r : null;
      }, 15_000, 'a quality alert');
      expect(raised.active[0]).toMatchObject({ code: 'quality_poor', reasons: ['rtt'] });
      expect(raised.active[0].message).toContain('Chất lượng kết nối kém');
      const applianceAlerts = (await t.api('GET', '/api/v1/alerts')).body as Array<{ key: string; code: string }>;
      expect(applianceAlerts.some((a) => a.code === 'quality_poor' && a.key === raised.active[0].key)).toBe(true);
      const s = (await t.api('GET', '/api/v1/monitoring/sessions')).body as Sessions;
      expect(s.sessions.flatMap((x) => x.endpoints).some((e) => e.alert)).toBe(true);
    } finally {
      Object.assign(mon.opts.thresholds, saved);
    }
    await until(async () => (await t.api('GET', '/api/v1/monitoring/alerts')).body.active.length === 0, 15_000, 'alerts cleared');
    const recent = (await t.api('GET', '/api/v1/monitoring/alerts')).body.recent;
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.every((a: any) => a.clearedAt !== null)).toBe(true);
    await until(async () => !((await t.api('GET', '/api/v1/alerts')).body as any[]).some((a) => a.code === 'quality_poor'), 5000, 'appliance alerts cleared');
  }, 60_000);

  it('A4 an endpoint that leaves ends its session; old samples go by retention', async () => {
    await roomC.leave();
    await until(async () => {
      const r = (await t.api('GET', '/api/v1/monitoring/sessions')).body as Sessions;
      return r.count === 1 && r.sessions[0].meetingId === m1.id && r.sessions[0].endpointCount === 2;
    }, 10_000, 'one session left');
    await roomB.leave();
    await until(async () => (await t.api('GET', '/api/v1/monitoring/sessions')).body.sessions[0]?.endpointCount === 1, 10_000, 'B left');
    const mon = t.box.app.central.monitoring;
    const before = (t.box.store.db.prepare('SELECT COUNT(*) AS n FROM quality_samples').get() as { n: number }).n;
    expect(mon.purge(Date.now())).toBe(0); // nothing is 90 days old
    expect(mon.purge(Date.now() + 91 * 86_400_000)).toBeGreaterThanOrEqual(before);
    expect((await t.api('POST', '/api/v1/room/commands/room.leave', {})).status).toBe(200);
    await until(async () => (await t.api('GET', '/api/v1/monitoring/sessions')).body.count === 0, 10_000, 'no session');
  }, 40_000);
});
