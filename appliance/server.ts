// Builds and starts the appliance: store, accounts, registry, devices, room, embedded central, pages.
// `startAppliance` is what the CLI (`diemcau start`) and the integration tests call.
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { pino, type Logger } from 'pino';
import { Ajv } from 'ajv';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { openStore, type Store } from './store/store.js';
import { Accounts, authRoutes, installAuth } from './auth.js';
import { AuditLog, auditRoutes } from './audit.js';
import { CommandRegistry } from './registry.js';
import { StateTree, initialState } from './state.js';
import { DeviceManager, deviceRoutes, registerDeviceCommands, type DeviceDefinition } from './devices.js';
import { registerRoomCommands } from './room.js';
import { Alerts, alertRoutes } from './alerts.js';
import { registerDiscovery } from './discovery.js';
import { Metrics, metricsRoute } from './metrics.js';
import { wsRoute, WS_MAX_MESSAGE_BYTES } from './ws.js';
import { toApiError } from './errors.js';
import { ROOM_OPERATORS } from './roles.js';
import { driverFactories } from '../drivers/index.js';
import { createWorkerPool } from '../media/worker-pool.js';
import { RoomMedia } from '../media/room-media.js';
import { centralPlugin } from '../central/plugin.js';
import { displayPlugin } from './display-plugin.js';
import { loadConfig, type ApplianceConfig } from './config.js';
import { ViscaIpSimulator } from '../drivers/sim/visca-ip-sim.js';

export interface StartOptions {
  port?: number; // 0 = any free port
  host?: string;
  dataDir: string;
  adminPassword?: string;
  configFile?: string;
  /** With no config file the box simulates a room (camera simulator, test pattern). Default: true then. */
  simulate?: boolean;
  logLevel?: string;
  /** Tests and the latency bench need no ffmpeg test pattern and no mediasoup when they only drive devices. */
  media?: boolean;
  /** `diemcau central`: the meeting service alone, with no room, devices or simulators. */
  centralOnly?: boolean;
}

export interface Appliance {
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  devices: DeviceManager;
  state: StateTree;
  registry: CommandRegistry;
  simulators: { camera?: ViscaIpSimulator };
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
  }
}

/** The meeting a simulated room offers at first start (no configuration). */
export const DEMO_MEETING_CODE = '100200300';

function uiDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const d of [resolve(here, '../ui'), resolve(here, '../dist/ui')]) if (existsSync(join(d, 'index.html'))) return d;
  return resolve(here, '../dist/ui');
}

function ensureAdmin(accounts: Accounts, dataDir: string, password: string | undefined, log: Logger): void {
  if (accounts.hasUser('admin') && !password) return;
  const pw = password ?? randomBytes(9).toString('base64url');
  accounts.upsertUser('admin', 'admin', pw, 'Quản trị');
  if (!password) {
    const file = join(dataDir, 'initial-admin-password');
    writeFileSync(file, pw + '\n', { mode: 0o600 });
    log.warn(`Mật khẩu ban đầu của admin / initial admin password: ${pw} (also in ${file})`);
  }
}

export async function startAppliance(opts: StartOptions): Promise<Appliance> {
  const log = pino({ level: opts.logLevel ?? process.env.DIEMCAU_LOG_LEVEL ?? 'info', base: { svc: 'diemcau' } });
  const config: ApplianceConfig = loadConfig(opts.configFile);
  const simulate = !opts.centralOnly && (opts.simulate ?? !opts.configFile);
  const withMedia = opts.media ?? true;
  const store = openStore(opts.dataDir);
  const accounts = new Accounts(store);
  ensureAdmin(accounts, opts.dataDir, opts.adminPassword ?? process.env.DIEMCAU_ADMIN_PASSWORD, log);
  const audit = new AuditLog(store);
  const metrics = new Metrics();
  const state = new StateTree(initialState(config.room.name));
  const registry = new CommandRegistry(audit);
  registry.observe = (name, seconds, outcome) => metrics.commandSeconds.observe({ command: name, outcome }, seconds);

  let ready = false;
  // pino's Logger and Fastify's base logger type differ only in generics; one cast here keeps the rest plain.
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // Per-request info lines would drown the log of a box that runs for years; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    // A stuck client must not keep the service from stopping (systemd restarts, tests).
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  // JSON bodies are validated strictly (a string is not a number); query strings and path parameters are
  // text by nature and are coerced.
  const strictAjv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
  const textAjv = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : textAjv).compile(schema));
  app.decorate('store', store);
  app.decorate('audit', (e) => audit.append(e));
  // Before the auth hook: @fastify/websocket's own onRequest hook must run first so that a refused upgrade
  // (401) still has its socket closed.
  await app.register(websocket, { options: { maxPayload: WS_MAX_MESSAGE_BYTES } });
  installAuth(app, accounts);

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500 && !e.code.startsWith('device_')) req.log.error({ err, url: req.url }, 'request failed');
    else if (e.status >= 500) req.log.warn({ url: req.url, code: e.code, msg: e.message }, 'device command failed');
    reply.code(e.status).send({ error: e.code, message: e.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `Không có ${req.method} ${req.url.split('?')[0]} / not found` });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'diemcau appliance and central API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: false,
  });
  await app.register(fastifyStatic, { root: uiDir(), prefix: '/', index: false, wildcard: false, serve: true });

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    if (!ready) return reply.code(503).send({ status: 'starting' });
    try {
      store.db.prepare('SELECT 1').get();
    } catch {
      return reply.code(503).send({ status: 'store_unavailable' });
    }
    return { status: 'ok' };
  });
  metricsRoute(app, metrics);
  app.get('/api/openapi.json', { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger());
  authRoutes(app);
  auditRoutes(app, audit);

  const alerts = new Alerts(store, state);
  alertRoutes(app, alerts);
  // Central (embedded) raises connection-quality alerts here too (central/monitoring.ts).
  app.decorate('alerts', alerts);
  const devices = new DeviceManager(store, state, driverFactories, log.child({ part: 'devices' }), alerts);
  registerDeviceCommands(registry, devices);
  registerDiscovery(registry);
  deviceRoutes(app, devices, Object.keys(driverFactories));
  app.get('/api/v1/room', { config: { roles: ROOM_OPERATORS }, schema: { tags: ['room'], summary: 'Room state / Trạng thái phòng họp' } }, async () => ({
    ...state.snapshot(),
    media: roomMedia ? await roomMedia.stats() : null,
  }));

  const simulators: Appliance['simulators'] = {};
  let roomMedia: RoomMedia | undefined;
  let pool: Awaited<ReturnType<typeof createWorkerPool>> | undefined;
  let listenPort = 0;
  if (withMedia) {
    pool = await createWorkerPool({ log: log.child({ part: 'media' }) });
    await app.register(centralPlugin, { pool });
  }
  if (withMedia && pool && !opts.centralOnly) {
    roomMedia = new RoomMedia({ log: log.child({ part: 'room-media' }), pool, source: { kind: 'test-pattern' } });
    await roomMedia.start();
    await app.register(displayPlugin, { roomMedia });
    const boxToken = app.central.registerBox('local-box', config.room.name);
    registerRoomCommands(registry, state, roomMedia, { url: () => config.central.url ?? `ws://127.0.0.1:${listenPort}`, boxToken }, devices);
  }
  registry.mountRest(app);
  wsRoute(app, registry, state, metrics);

  // Pages: the Vite build's entries (control-ui/).
  app.get('/', { schema: { hide: true } }, (_q, r) => r.sendFile('index.html'));
  app.get('/display', { schema: { hide: true } }, (_q, r) => r.sendFile('display.html'));
  app.get('/meet/:code', { schema: { hide: true } }, (_q, r) => r.sendFile('meet.html'));
  app.get('/admin', { schema: { hide: true } }, (_q, r) => r.sendFile('admin.html'));
  app.get('/assets/*', { schema: { hide: true } }, (q, r) => r.sendFile(`assets/${(q.params as { '*': string })['*']}`));

  await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '0.0.0.0' });
  listenPort = (app.server.address() as AddressInfo).port;

  await devices.startAll();
  if (simulate) {
    // A room with no configuration: a VISCA-IP camera simulator on loopback, added as device "sim-camera".
    const sim = new ViscaIpSimulator({ port: 0, host: '127.0.0.1' });
    const { port } = await sim.start();
    simulators.camera = sim;
    await devices.put({ id: 'sim-camera', name: 'Camera mô phỏng (VISCA-IP)', kind: 'camera', driver: 'visca-ip', connection: { host: '127.0.0.1', port } });
    // A demo meeting, so that a newcomer can join from the panel and from a browser straight away.
    if (withMedia && !app.central.meetings.repo.byCode(DEMO_MEETING_CODE))
      app.central.meetings.create({ title: 'Cuộc họp thử nghiệm / Demo meeting', code: DEMO_MEETING_CODE, createdBy: 'system' });
  }
  for (const d of config.devices) await devices.put(d as DeviceDefinition);
  ready = true;
  const url = `http://127.0.0.1:${listenPort}`;
  log.info({ url, simulate }, 'diemcau ready / sẵn sàng');
  if (simulate && withMedia)
    log.info(`Cuộc họp thử nghiệm / demo meeting: mã ${DEMO_MEETING_CODE} — panel ${url}/ , browser ${url}/meet/${DEMO_MEETING_CODE}`);

  return {
    url,
    port: listenPort,
    app,
    store,
    devices,
    state,
    registry,
    simulators,
    async close() {
      ready = false;
      await app.close();
      await devices.stopAll();
      await roomMedia?.close();
      await pool?.close();
      await simulators.camera?.stop();
      store.close();
    },
  };
}
