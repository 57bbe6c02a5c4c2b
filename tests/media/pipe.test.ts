// D5 / F1 / F2 / M5.4 without a browser: the room's test source in a box router, central in a bare Fastify
// instance, and the box joining over a real WebSocket with media on an SRTP PipeTransport pair.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { pino } from 'pino';
import { openStore, type Store } from '../../appliance/store/store.js';
import { createWorkerPool, type WorkerPool } from '../../media/worker-pool.js';
import { RoomMedia, type CallEvent } from '../../media/room-media.js';
import { centralPlugin } from '../../central/plugin.js';
import type { BoxPeer } from '../../central/box.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
let dataDir: string;
let store: Store;
let pool: WorkerPool;
let app: FastifyInstance;
let centralUrl: string;
let boxToken: string;
let roomA: RoomMedia;

async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function producerBytes(p: { getStats(): Promise<Array<{ byteCount: number; packetCount: number }>> }) {
  const st = await p.getStats();
  return { bytes: st.reduce((a, s) => a + s.byteCount, 0), packets: st.reduce((a, s) => a + s.packetCount, 0) };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'diemcau-pipe-'));
  store = openStore(dataDir);
  pool = await createWorkerPool({ log, workers: 2 });
  app = Fastify({ logger: false });
  // The parts of the appliance core the central plugin uses.
  app.decorate('store', store);
  app.decorate('audit', () => 0);
  app.decorate('verifyToken', () => null);
  app.decorateRequest('user', null);
  await app.register(websocket);
  await app.register(centralPlugin, { pool });
  await app.listen({ port: 0, host: '127.0.0.1' });
  centralUrl = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  boxToken = app.central.registerBox('box-a', 'Phòng họp A');
  roomA = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong A' } });
  await roomA.start();
});

afterAll(async () => {
  await roomA?.close();
  await app?.close();
  await pool?.close();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('box ↔ central pipe', () => {
  it('D5 the test source produces RTP into the box router', async () => {
    const { audio, video } = roomA.localProducers;
    expect(audio?.kind).toBe('audio');
    expect(video?.kind).toBe('video');
    await until(async () => (await producerBytes(video!)).packets > 0 && (await producerBytes(audio!)).packets > 0, 'test source RTP');
  });

  it('M5.2 wrong password is refused (bad_password), unknown code is not_found, a wrong box token is refused', async () => {
    const m = app.central.meetings.create({ title: 'Họp có mật khẩu', password: 'bi-mat', createdBy: 'test' });
    await expect(roomA.join({ centralUrl, boxToken, code: m.code, password: 'sai', name: 'Phòng họp A' })).rejects.toMatchObject({ code: 'bad_password' });
    await expect(roomA.join({ centralUrl, boxToken, code: m.code, name: 'Phòng họp A' })).rejects.toMatchObject({ code: 'bad_password' });
    await expect(roomA.join({ centralUrl, boxToken, code: '000000000', name: 'Phòng họp A' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(roomA.join({ centralUrl, boxToken: 'not-a-token', code: m.code, password: 'bi-mat', name: 'Phòng họp A' })).rejects.toMatchObject({
      code: 'unauthorized',
    });
    await expect(roomA.join({ centralUrl: 'ws://127.0.0.1:1', boxToken, code: m.code, name: 'x' })).rejects.toMatchObject({ code: 'central_unreachable' });
    expect(roomA.callState).toBe('error');
    expect(app.central.meetings.liveByCode(m.code)).toBeUndefined();
  });

  it('D5 M5.4 the box joins; its camera and microphone reach the central router over an SRTP pipe', async () => {
    const m = app.central.meetings.create({ title: 'Giao ban tuần', password: '123456', createdBy: 'test' });
    const events: CallEvent[] = [];
    roomA.on('call', (e) => events.push(e));
    const r = await roomA.join({ centralUrl, boxToken, code: m.code, password: '123456', name: 'Phòng họp A' });
    expect(r.meetingTitle).toBe('Giao ban tuần');
    expect(events.map((e) => e.state)).toEqual(['joining', 'in-call']);

    const live = app.central.meetings.liveByCode(m.code)!;
    expect(live).toBeDefined();
    const peer = [...live.peers.values()][0] as BoxPeer;
    expect(peer.kind).toBe('room');
    expect(peer.displayName).toBe('Phòng họp A');
    // SRTP on both ends of the pipe (M5.4).
    expect(peer.pipe?.srtpParameters?.cryptoSuite).toMatch(/AES/);
    const boxStats = await roomA.stats();
    expect(boxStats.pipe).toEqual({ connected: true, srtp: true });

    const producers = [...peer.producers.values()];
    expect(producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    for (const p of producers) await until(async () => (await producerBytes(p)).bytes > 0, `central ${p.kind} RTP`);

    // F1: the room mute reaches central as a paused producer, and unmute resumes it.
    const audio = producers.find((p) => p.kind === 'audio')!;
    await roomA.setMicMuted(true);
    await until(() => audio.paused, 'central audio paused');
    await roomA.setMicMuted(false);
    await until(() => !audio.paused, 'central audio resumed');
    // F2: camera off likewise.
    const video = producers.find((p) => p.kind === 'video')!;
    await roomA.setCameraOn(false);
    await until(() => video.paused, 'central video paused');
    await roomA.setCameraOn(true);
    await until(() => !video.paused, 'central video resumed');

    await roomA.leave();
    expect(roomA.callState).toBe('idle');
    await until(() => !app.central.meetings.liveByCode(m.code), 'meeting closed after the last peer left');
  });

  it('D5 two rooms in one meeting: each box receives the other room over its pipe (downstream), and leaving closes it', async () => {
    const m = app.central.meetings.create({ title: 'Hai điểm cầu', createdBy: 'test' });
    const tokenB = app.central.registerBox('box-b', 'Phòng họp B');
    const roomB = new RoomMedia({ log, pool, source: { kind: 'test-pattern', label: 'Phong B' } });
    await roomB.start();
    try {
      const participantsA: unknown[][] = [];
      roomA.on('participants', (l) => participantsA.push(l));
      await roomA.join({ centralUrl, boxToken, code: m.code, name: 'Phòng họp A' });
      await roomB.join({ centralUrl, boxToken: tokenB, code: m.code, name: 'Phòng họp B' });
      await until(() => roomA.remoteProducers().length === 2 && roomB.remoteProducers().length === 2, 'both boxes see two remote producers');
      expect(roomA.remoteProducers().every((p) => p.peerName === 'Phòng họp B')).toBe(true);
      await until(async () => {
        const s = await roomA.stats();
        return s.remote.length === 2 && s.remote.every((x) => x.packets > 0);
      }, 'box A receives box B over the pipe');
      expect(participantsA.at(-1)).toEqual([expect.objectContaining({ name: 'Phòng họp B', kind: 'room' })]);

      // Room B's mute reaches room A's router as a paused producer.
      await roomB.setMicMuted(true);
      await until(() => roomA.remoteProducers().find((p) => p.kind === 'audio')?.paused, 'A sees B muted');
      await roomB.setMicMuted(false);

      const closed: string[] = [];
      roomA.on('remoteProducerClosed', (p: { id: string }) => closed.push(p.id));
      await roomB.leave();
      await until(() => roomA.remoteProducers().length === 0 && closed.length === 2, 'B left: its producers closed on A');
      await until(() => participantsA.at(-1)?.length === 0, 'participants updated');
    } finally {
      await roomA.leave();
      await roomB.close();
    }
  });

  it('D5 the box rejoins by itself when the central connection drops', async () => {
    const m = app.central.meetings.create({ title: 'Mạng chập chờn', createdBy: 'test' });
    await roomA.join({ centralUrl, boxToken, code: m.code, name: 'Phòng họp A' });
    const states: string[] = [];
    roomA.on('call', (e: CallEvent) => states.push(e.state));
    for (const c of app.websocketServer.clients) c.terminate();
    await until(() => states.includes('reconnecting') && roomA.callState === 'in-call', 'rejoined', 15_000);
    const live = app.central.meetings.liveByCode(m.code)!;
    const peer = [...live.peers.values()][0];
    await until(async () => [...peer.producers.values()].length === 2, 'room producers piped again');
    for (const p of peer.producers.values()) await until(async () => (await producerBytes(p)).bytes > 0, `central ${p.kind} RTP after rejoin`);
    await roomA.leave();
  });

  it('D5 a dead ffmpeg is restarted and the room video flows again (same producer)', async () => {
    const source = (roomA as unknown as { source: { pid?: number } }).source;
    const video = roomA.localProducers.video!;
    const pid = (await until(() => source.pid, 'ffmpeg running'))!;
    process.kill(pid, 'SIGKILL');
    await until(() => source.pid && source.pid !== pid, 'ffmpeg restarted');
    const before = (await producerBytes(video)).bytes;
    await until(async () => (await producerBytes(video)).bytes > before + 10_000, 'video RTP after the restart');
    expect(roomA.localProducers.video).toBe(video);
  });

  it('D5 a dead mediasoup worker is replaced; the box rebuilds its router and rejoins', async () => {
    const m = app.central.meetings.create({ title: 'Tiến trình media chết', createdBy: 'test' });
    await roomA.join({ centralUrl, boxToken, code: m.code, name: 'Phòng họp A' });
    const routerId = roomA.router.id;
    let victim: (typeof pool.workers)[number] | undefined;
    for (const w of pool.workers) if ((await w.dump()).routerIds.includes(routerId)) victim = w;
    expect(victim).toBeDefined();
    const oldPid = victim!.pid;
    const slot = pool.workers.indexOf(victim!);
    process.kill(oldPid, 'SIGKILL');
    await until(() => pool.workers[slot].pid !== oldPid && !pool.workers[slot].died, 'worker replaced');
    await until(() => roomA.callState === 'in-call' && roomA.router.id !== routerId, 'box back in the call on a new router', 20_000);
    // If central's router lived on the same worker the meeting ended instead; either way central must be sane.
    const live = app.central.meetings.liveByCode(m.code);
    if (live) {
      const peer = [...live.peers.values()][0];
      await until(() => peer && peer.producers.size === 2, 'room producers piped again');
      for (const p of peer.producers.values()) await until(async () => (await producerBytes(p)).bytes > 0, `central ${p.kind} RTP`);
    }
    await roomA.leave();
  });
});
