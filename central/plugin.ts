// The central meeting service as a Fastify plugin: embedded in the box (`diemcau start`) or alone
// (`diemcau central`). Meetings over REST (DESIGN.md §3), browser participants over WS /api/v1/meet/ws,
// room boxes over WS /api/v1/central/box with a per-box token.
import fp from 'fastify-plugin';
import { dirname } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { ApiError } from '../appliance/errors.js';
import type { Role } from '../appliance/roles.js';
import { mediaNetworkFromEnv, type MediaNetwork } from '../media/network.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { BoxRepository, ChatRepository, CodeTakenError, MeetingRepository } from './repository.js';
import { CentralMeetings } from './service.js';
import { handleParticipant } from './participant.js';
import { BOX_UNAUTHORIZED, boxTokenFrom, handleBox } from './box.js';
import { RecordingRepository, RecordingService, recordingOptionsFromEnv, recordingRoutes, type RecordingOptions } from './recording.js';
import { MonitoringService, QualityRepository, monitoringOptionsFromEnv, monitoringRoutes, type MonitoringOptions } from './monitoring.js';

export interface CentralPluginOptions {
  pool: WorkerPool;
  /** Where browsers' WebRTC transports listen / what they announce (default: env or 127.0.0.1). */
  network?: Partial<MediaNetwork>;
  /** Where pipe transports to boxes listen / what they announce (default: same as network). */
  pipeNetwork?: Partial<MediaNetwork>;
  /** Where recordings are kept (<dataDir>/recordings); default: the store's directory. */
  dataDir?: string;
  /** Recording (A5): retention and tools; default from the environment (recording.ts). */
  recording?: Partial<RecordingOptions>;
  /** Quality monitoring (A4): interval, retention, thresholds; default from the environment (monitoring.ts). */
  monitoring?: Partial<MonitoringOptions>;
}

export interface Central {
  /** Creates the box or rotates its secret; returns the new bearer token (stored only hashed). */
  registerBox(boxId: string, name: string): string;
  meetings: CentralMeetings;
  recordings: RecordingService;
  monitoring: MonitoringService;
}

declare module 'fastify' {
  interface FastifyInstance {
    central: Central;
  }
}

const MEETING_READERS: Role[] = ['chair', 'secretary', 'admin', 'technician'];
const MEETING_CREATORS: Role[] = ['chair', 'secretary', 'admin'];
/** A6: who may read a meeting's chat afterwards. */
const CHAT_READERS: Role[] = ['chair', 'secretary', 'admin', 'auditor'];

const meetingSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    code: { type: 'string' },
    title: { type: 'string' },
    hasPassword: { type: 'boolean' },
    link: { type: 'string' },
    startsAt: { type: ['integer', 'null'] },
    createdBy: { type: 'string' },
    createdAt: { type: 'integer' },
    participants: { type: 'integer' },
    hasChairPin: { type: 'boolean' },
    invited: { type: 'array', items: { type: 'string' } },
    lobby: { type: 'boolean' },
    locked: { type: 'boolean' },
  },
} as const;

const plugin: FastifyPluginAsync<CentralPluginOptions> = async (app: FastifyInstance, opts) => {
  const log = app.log.child({ part: 'central' }) as unknown as import('pino').Logger;
  const net = mediaNetworkFromEnv(opts.network);
  const pipeNet = mediaNetworkFromEnv({ ...opts.network, ...opts.pipeNetwork });
  const meetings = new CentralMeetings(new MeetingRepository(app.store.db), opts.pool, log, new ChatRepository(app.store.db));
  meetings.audit = (e) => app.audit(e);
  const boxes = new BoxRepository(app.store.db);

  const dataDir = opts.dataDir ?? dirname(app.store.db.name);
  const recordings = new RecordingService(new RecordingRepository(app.store.db), meetings, (e) => app.audit(e), log.child({ part: 'recording' }), recordingOptionsFromEnv(dataDir, opts.recording));
  const monitoring = new MonitoringService(new QualityRepository(app.store.db), meetings, log.child({ part: 'monitoring' }), monitoringOptionsFromEnv(opts.monitoring), app.alerts);
  monitoring.isRecording = (id) => recordings.isRecording(id);

  app.decorate('central', {
    registerBox: (boxId: string, name: string) => boxes.register(boxId, name),
    meetings,
    recordings,
    monitoring,
  } satisfies Central);
  // Recordings first: live captures end cleanly (composed at the next start) before the routers close.
  app.addHook('onClose', async () => {
    await monitoring.close();
    await recordings.close();
  });
  app.addHook('onClose', async () => meetings.live.closeAll());
  recordingRoutes(app, recordings);
  monitoringRoutes(app, monitoring);
  recordings.init();
  monitoring.start();

  app.get(
    '/api/v1/meetings',
    {
      config: { roles: MEETING_READERS },
      schema: { tags: ['meetings'], summary: 'Meetings / Danh sách cuộc họp', response: { 200: { type: 'array', items: meetingSchema } } },
    },
    async () => meetings.list(),
  );

  app.post(
    '/api/v1/meetings',
    {
      config: { roles: MEETING_CREATORS },
      schema: {
        tags: ['meetings'],
        summary: 'Create a meeting / Tạo cuộc họp',
        body: {
          type: 'object',
          required: ['title'],
          additionalProperties: false,
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 200 },
            code: { type: 'string', pattern: '^[A-Za-z0-9-]{3,32}$' },
            password: { type: 'string', minLength: 1, maxLength: 128 },
            chairPin: { type: 'string', minLength: 4, maxLength: 128, description: 'host key: whoever knows it joins as chair' },
            invited: {
              type: 'array',
              maxItems: 500,
              items: { type: 'string', minLength: 1, maxLength: 128 },
              description: 'names or units admitted without waiting; the others wait in the lobby (M5.3)',
            },
            lobby: { type: 'boolean', description: 'everybody but a chair waits in the lobby' },
            startsAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', minimum: 0 }] },
          },
        },
        response: { 201: meetingSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as { title: string; code?: string; password?: string; chairPin?: string; invited?: string[]; lobby?: boolean; startsAt?: string | number };
      const startsAt = body.startsAt === undefined ? null : typeof body.startsAt === 'number' ? body.startsAt : Date.parse(body.startsAt);
      if (startsAt !== null && !Number.isFinite(startsAt)) throw new ApiError(400, 'invalid_arguments', 'startsAt: không hợp lệ / not a date');
      const user = req.user!.username;
      let created;
      try {
        created = meetings.create({
          title: body.title.trim(),
          code: body.code,
          password: body.password,
          chairPin: body.chairPin,
          invited: body.invited,
          lobby: body.lobby,
          startsAt,
          createdBy: user,
        });
      } catch (err) {
        if (err instanceof CodeTakenError) {
          app.audit({ user, action: 'meeting.create', target: body.code, args: { title: body.title }, result: 'code_taken' });
          throw new ApiError(409, 'code_taken', err.message);
        }
        throw err;
      }
      app.audit({
        user,
        action: 'meeting.create',
        target: created.code,
        args: {
          id: created.id,
          title: created.title,
          hasPassword: created.hasPassword,
          hasChairPin: created.hasChairPin,
          invited: created.invited.length,
          lobby: created.lobby,
          startsAt: created.startsAt,
        },
        result: 'ok',
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/v1/meetings/:id',
    {
      config: { roles: MEETING_READERS },
      schema: {
        tags: ['meetings'],
        summary: 'One meeting / Chi tiết cuộc họp',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: meetingSchema },
      },
    },
    async (req) => {
      const id = Number((req.params as { id: string }).id);
      const m = Number.isInteger(id) ? meetings.get(id) : undefined;
      if (!m) throw new ApiError(404, 'not_found', 'Không tìm thấy cuộc họp / meeting not found');
      return m;
    },
  );

  app.get(
    '/api/v1/meetings/:id/chat',
    {
      config: { roles: CHAT_READERS },
      schema: {
        tags: ['meetings'],
        summary: 'The meeting chat, oldest first / Tin nhắn của cuộc họp',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'integer' },
                from: { type: 'string' },
                unit: { type: 'string' },
                peerId: { type: 'string' },
                text: { type: 'string' },
                time: { type: 'integer' },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const id = Number((req.params as { id: string }).id);
      const m = Number.isInteger(id) ? meetings.repo.get(id) : undefined;
      if (!m) throw new ApiError(404, 'not_found', 'Không tìm thấy cuộc họp / meeting not found');
      return meetings.chat.list(m.id);
    },
  );

  // Participants need no account (F6); the meeting code and password admit them. With a token (?token=)
  // the account is known: the creator and chairs join as chair, technicians wait to be admitted (M5.3).
  // Hidden from OpenAPI because a WebSocket is not a REST operation and it is deliberately public.
  app.get('/api/v1/meet/ws', { websocket: true, config: { roles: 'public' }, schema: { hide: true } }, (socket: WebSocket, req) => {
    handleParticipant(socket, meetings, net, log.child({ ws: 'meet' }), req.user ?? null);
  });

  app.get('/api/v1/central/box', { websocket: true, config: { roles: 'public' }, schema: { hide: true } }, (socket: WebSocket, req) => {
    const box = boxes.verify(boxTokenFrom(req));
    if (!box) {
      log.warn({ ip: req.ip }, 'box connection with a missing or wrong token refused');
      socket.close(BOX_UNAUTHORIZED, 'unauthorized');
      return;
    }
    handleBox(socket, box, meetings, pipeNet, log.child({ ws: 'box' }));
  });
};

export const centralPlugin = fp(plugin, { name: 'diemcau-central', fastify: '5.x' });
