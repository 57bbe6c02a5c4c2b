// The central meeting service as a Fastify plugin: embedded in the box (`diemcau start`) or alone
// (`diemcau central`). Meetings over REST (DESIGN.md §3), browser participants over WS /api/v1/meet/ws,
// room boxes over WS /api/v1/central/box with a per-box token.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { ApiError } from '../appliance/errors.js';
import type { Role } from '../appliance/roles.js';
import { mediaNetworkFromEnv, type MediaNetwork } from '../media/network.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { BoxRepository, CodeTakenError, MeetingRepository } from './repository.js';
import { CentralMeetings } from './service.js';
import { handleParticipant } from './participant.js';
import { BOX_UNAUTHORIZED, boxTokenFrom, handleBox } from './box.js';

export interface CentralPluginOptions {
  pool: WorkerPool;
  /** Where browsers' WebRTC transports listen / what they announce (default: env or 127.0.0.1). */
  network?: Partial<MediaNetwork>;
  /** Where pipe transports to boxes listen / what they announce (default: same as network). */
  pipeNetwork?: Partial<MediaNetwork>;
}

export interface Central {
  /** Creates the box or rotates its secret; returns the new bearer token (stored only hashed). */
  registerBox(boxId: string, name: string): string;
  meetings: CentralMeetings;
}

declare module 'fastify' {
  interface FastifyInstance {
    central: Central;
  }
}

const MEETING_READERS: Role[] = ['chair', 'secretary', 'admin', 'technician'];
const MEETING_CREATORS: Role[] = ['chair', 'secretary', 'admin'];

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
  },
} as const;

const plugin: FastifyPluginAsync<CentralPluginOptions> = async (app: FastifyInstance, opts) => {
  const log = app.log.child({ part: 'central' }) as unknown as import('pino').Logger;
  const net = mediaNetworkFromEnv(opts.network);
  const pipeNet = mediaNetworkFromEnv({ ...opts.network, ...opts.pipeNetwork });
  const meetings = new CentralMeetings(new MeetingRepository(app.store.db), opts.pool, log);
  const boxes = new BoxRepository(app.store.db);

  app.decorate('central', {
    registerBox: (boxId: string, name: string) => boxes.register(boxId, name),
    meetings,
  } satisfies Central);
  app.addHook('onClose', async () => meetings.live.closeAll());

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
            startsAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', minimum: 0 }] },
          },
        },
        response: { 201: meetingSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as { title: string; code?: string; password?: string; startsAt?: string | number };
      const startsAt = body.startsAt === undefined ? null : typeof body.startsAt === 'number' ? body.startsAt : Date.parse(body.startsAt);
      if (startsAt !== null && !Number.isFinite(startsAt)) throw new ApiError(400, 'invalid_arguments', 'startsAt: không hợp lệ / not a date');
      const user = req.user!.username;
      let created;
      try {
        created = meetings.create({ title: body.title.trim(), code: body.code, password: body.password, startsAt, createdBy: user });
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
        args: { id: created.id, title: created.title, hasPassword: created.hasPassword, startsAt: created.startsAt },
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

  // Participants need no account (F6); the meeting code and password admit them. Hidden from OpenAPI
  // because a WebSocket is not a REST operation and it is deliberately public.
  app.get('/api/v1/meet/ws', { websocket: true, config: { roles: 'public' }, schema: { hide: true } }, (socket: WebSocket) => {
    handleParticipant(socket, meetings, net, log.child({ ws: 'meet' }));
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
