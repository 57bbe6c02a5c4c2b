// A5 a room that joins, and then leaves, while the meeting is being recorded: the recorder starts a new
// segment each time (the latecomer appears in the grid from then on), and the composed files still last as
// long as the recording did. Central in a bare Fastify instance, two RoomMedia boxes over real pipes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { pino } from 'pino';
import { openStore, type Store } from '../../appliance/store/store.js';
import type { AuditEntry } from '../../appliance/audit.js';
import { createWorkerPool, type WorkerPool } from '../../media/worker-pool.js';
import { RoomMedia } from '../../media/room-media.js';
import { centralPlugin } from '../../central/plugin.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
let dataDir: string;
let store: Store;
let pool: WorkerPool;
let app: FastifyInstance;
let centralUrl: string;
let roomA: RoomMedia;
let roomB: RoomMedia;
const audit: AuditEntry[] = [];

async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'diemcau-recseg-'));
  store = openStore(dataDir);
  pool = await createWorkerPool({ log, workers: 2 });
  app = Fastify({ loggerInstance: log as any });
  app.decorate('store', store);
  app.decorate('audit', (e: AuditEntry) => audit.push(e));
  app.decorate('verifyToken', () => null);
  app.decorateRequest('user', null);
  await app.register(websocket);
  // Full CPU priority for composing: the test machine is shared.
  await app.register(centralPlugin, { pool, recording: { nice: 0 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  centralUrl = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  roomA = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong A' } });
  roomB = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong B' } });
  await Promise.all([roomA.start(), roomB.start()]);
}, 60_000);

afterAll(async () => {
  await roomA?.close();
  await roomB?.close();
  await app?.close();
  await pool?.close();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('recording across joins and leaves', () => {
  it('A5 a room joining and leaving mid-recording starts new segments; the files keep the whole length', async () => {
    const rec = app.central.recordings;
    const m = app.central.meetings.create({ title: 'Ghi giữa chừng', createdBy: 'test' });
    await roomA.join({ centralUrl, boxToken: app.central.registerBox('box-a', 'Phòng họp A'), code: m.code, name: 'Phòng họp A' });
    const live = app.central.meetings.liveByCode(m.code)!;
    await until(async () => {
      const st = await Promise.all([...live.producersExcept('none')].map(({ producer }) => producer.getStats()));
      return st.length === 2 && st.every((s) => s.some((x) => x.byteCount > 0));
    }, 'room A media at central');

    const started = await rec.start(m.id, { user: 'chutoa' });
    const t0 = Date.now();
    expect(started).toMatchObject({ recording: true, segments: 1, streams: { audio: 1, video: 1 } });
    await until(() => (rec.status(m.id).segmentBytes ?? 0) > 30_000, 'segment 1 captured');

    // Room B joins: within about two seconds a second segment records both rooms.
    await roomB.join({ centralUrl, boxToken: app.central.registerBox('box-b', 'Phòng họp B'), code: m.code, name: 'Phòng họp B' });
    await until(() => {
      const s = rec.status(m.id);
      return s.segments === 2 && s.streams?.audio === 2 && s.streams?.video === 2;
    }, 'a segment with both rooms');
    await until(() => rec.status(m.id).segmentBytes! > 60_000, 'segment 2 captured');

    // Room B leaves: the grid goes back to one room.
    await roomB.leave();
    await until(() => {
      const s = rec.status(m.id);
      return s.segments === 3 && s.streams?.audio === 1 && s.streams?.video === 1;
    }, 'a segment with room A alone');
    await until(() => rec.status(m.id).segmentBytes! > 30_000, 'segment 3 captured');

    // The recording ends when stop is asked for (ffmpeg closing its files afterwards adds nothing).
    const wall = (Date.now() - t0) / 1000;
    const stopped = await rec.stop(m.id, { user: 'chutoa' });
    console.log(`stop took ${Date.now() - t0 - wall * 1000} ms`);
    expect(stopped).toMatchObject({ recording: false, state: 'finalizing', segments: 3 });
    await rec.whenFinalized(stopped.sessionId!);
    expect(rec.status(m.id).state).toBe('done');
    const files = rec.list(m.id);
    expect(files.map((f) => f.kind).sort()).toEqual(['audio', 'av']);
    for (const f of files) {
      const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', rec.filePath(f)], { encoding: 'utf8' }));
      const d = Number(probe.format.duration);
      expect(Math.abs(d - wall), `${f.kind} lasts ${d} s of ${wall} s`).toBeLessThanOrEqual(wall * 0.1);
      expect(probe.streams.map((s: any) => s.codec_type).sort()).toEqual(f.kind === 'av' ? ['audio', 'video'] : ['audio']);
    }
    expect(audit.map((e) => `${e.action}:${e.result}`)).toEqual(['recording.start:ok', 'recording.stop:ok']);
    await roomA.leave();
  }, 180_000);
});
