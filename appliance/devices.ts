// The room's devices: persisted definitions, one live driver each, their health in the state tree.
// A dead device never blocks another: drivers start in the background and fail their own commands only.
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { Store } from './store/store.js';
import type { StateTree } from './state.js';
import type { Driver, DriverFactory } from '../drivers/types.js';
import { deviceCommands, runDeviceCommand } from '../drivers/capabilities.js';
import type { CommandRegistry } from './registry.js';
import type { DeviceView } from './ws-protocol.js';
import { ApiError } from './errors.js';
import type { Alerts } from './alerts.js';
import { ROLES, ROOM_OPERATORS, type Role } from './roles.js';
import type { Logger } from 'pino';

export interface DeviceDefinition {
  id: string;
  name: string;
  kind: 'camera' | 'display' | 'audio';
  driver: string;
  connection: Record<string, unknown>;
}

interface Live {
  def: DeviceDefinition;
  driver: Driver;
}

export class DeviceManager {
  private live = new Map<string, Live>();
  private connectionValidators = new Map<string, ValidateFunction>();

  constructor(
    private store: Store,
    private state: StateTree,
    private factories: Record<string, DriverFactory>,
    private log: Logger,
    private alerts: Alerts,
  ) {
    const ajv = new Ajv({ strict: false, useDefaults: true, coerceTypes: false });
    for (const f of Object.values(factories)) this.connectionValidators.set(f.driver, ajv.compile(f.connectionSchema));
  }

  async startAll(): Promise<void> {
    const rows = this.store.db.prepare('SELECT id, name, kind, driver, connection FROM devices ORDER BY id').all() as any[];
    for (const r of rows) this.spawn({ ...r, connection: JSON.parse(r.connection) });
  }

  list(): DeviceView[] {
    return [...this.live.values()].map((l) => this.view(l));
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  validate(def: DeviceDefinition): DeviceDefinition {
    const factory = this.factories[def.driver];
    if (!factory)
      throw new ApiError(400, 'unknown_driver', `Trình điều khiển không hỗ trợ: ${def.driver} / unknown driver (known: ${Object.keys(this.factories).join(', ')})`);
    if (factory.kind !== def.kind) throw new ApiError(400, 'wrong_kind', `${def.driver} drives a ${factory.kind}, not a ${def.kind}`);
    // Validate a copy: the schema fills in defaults, but the stored definition keeps what the technician
    // wrote, so later default changes reach existing devices and the admin page stays readable.
    const probe = structuredClone(def.connection);
    const validate = this.connectionValidators.get(def.driver)!;
    if (!validate(probe)) {
      const e = validate.errors?.[0];
      throw new ApiError(400, 'invalid_connection', `connection${e?.instancePath ?? ''} ${e?.message ?? 'invalid'}`);
    }
    return def;
  }

  /** Creates or replaces a device; the old driver (if any) is stopped first so sockets are not shared. */
  async put(raw: DeviceDefinition): Promise<DeviceView> {
    const def = this.validate(raw);
    const now = Date.now();
    this.store.db
      .prepare(
        `INSERT INTO devices (id, name, kind, driver, connection, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, driver = excluded.driver,
           connection = excluded.connection, updated_at = excluded.updated_at`,
      )
      .run(def.id, def.name, def.kind, def.driver, JSON.stringify(def.connection), now, now);
    await this.stopOne(def.id);
    const l = this.spawn(def);
    return this.view(l);
  }

  async remove(id: string): Promise<boolean> {
    const r = this.store.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    await this.stopOne(id);
    return r.changes > 0;
  }

  async run(id: string, command: string, args: Record<string, unknown>): Promise<unknown> {
    const l = this.live.get(id);
    if (!l) throw new ApiError(404, 'unknown_device', `Không có thiết bị ${id} / no such device`);
    const result = await runDeviceCommand(l.driver, command, args);
    return result ?? { ok: true };
  }

  /**
   * Runs a command on every device of a kind that supports it (room-wide mute, all displays off), each on
   * its own: one device failing does not stop the others, and the result says which failed and why.
   */
  async runOnKind(kind: DeviceDefinition['kind'], command: string, args: Record<string, unknown>): Promise<Array<{ device: string; ok: boolean; error?: string }>> {
    const targets = [...this.live.values()].filter((l) => l.def.kind === kind && deviceCommands.find((c) => c.name === command)?.supports(l.driver));
    return Promise.all(
      targets.map(async (l) => {
        try {
          await runDeviceCommand(l.driver, command, args);
          return { device: l.def.id, ok: true };
        } catch (err) {
          return { device: l.def.id, ok: false, error: (err as Error).message };
        }
      }),
    );
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.stopOne(id)));
  }

  private spawn(def: DeviceDefinition): Live {
    const driver = this.factories[def.driver].create(def.connection);
    const l: Live = { def, driver };
    this.live.set(def.id, l);
    const publish = () => {
      if (this.live.get(def.id) === l) this.state.set(['devices', def.id], this.view(l));
    };
    driver.on('status', (s) => {
      this.log.info({ device: def.id, status: s }, 'device status');
      if (this.live.get(def.id) === l) this.updateAlerts(def, driver);
      publish();
    });
    driver.on('state', publish);
    publish();
    if (def.kind === 'camera' && !this.state.get().room.activeCamera) this.state.set(['room', 'activeCamera'], def.id);
    driver.start().catch((err) => this.log.warn({ device: def.id, err: String(err) }, 'device start failed'));
    return l;
  }

  /** offline → an error alert, degraded → a warning; both clear by themselves when the device is back. */
  private updateAlerts(def: DeviceDefinition, driver: Driver): void {
    const h = driver.health();
    const why = h.lastError ? `: ${h.lastError}` : '';
    if (h.status === 'offline')
      this.alerts.raise(`device:${def.id}:offline`, { device: def.id, severity: 'error', code: 'device_offline', message: `Thiết bị "${def.name}" mất kết nối${why} / device "${def.name}" offline${why}` });
    else this.alerts.clear(`device:${def.id}:offline`);
    if (h.status === 'degraded')
      this.alerts.raise(`device:${def.id}:degraded`, { device: def.id, severity: 'warning', code: 'device_degraded', message: `Thiết bị "${def.name}" trả lời bất thường${why} / device "${def.name}" degraded${why}` });
    else this.alerts.clear(`device:${def.id}:degraded`);
  }

  private async stopOne(id: string): Promise<void> {
    const l = this.live.get(id);
    if (!l) return;
    this.alerts.clearPrefix(`device:${id}:`);
    this.live.delete(id);
    l.driver.removeAllListeners();
    await l.driver.stop().catch(() => {});
    this.state.remove(['devices', id]);
    if (this.state.get().room.activeCamera === id) {
      const next = [...this.live.values()].find((x) => x.def.kind === 'camera');
      this.state.set(['room', 'activeCamera'], next ? next.def.id : null);
    }
  }

  private view(l: Live): DeviceView {
    const h = l.driver.health();
    return {
      id: l.def.id,
      name: l.def.name,
      kind: l.def.kind,
      driver: l.def.driver,
      connection: l.def.connection,
      status: h.status,
      health: { lastReplyAt: h.lastReplyAt, errorCount: h.errorCount, lastError: h.lastError },
      state: l.driver.state(),
    };
  }
}

export function registerDeviceCommands(registry: CommandRegistry, devices: DeviceManager): void {
  for (const spec of deviceCommands) {
    registry.register({
      name: spec.name,
      scope: 'device',
      summary: spec.summary,
      args: spec.args,
      roles: (spec.roles as Role[] | undefined) ?? ROOM_OPERATORS,
      timeoutMs: 10_000,
      handler: (ctx, args) => devices.run(ctx.target!, spec.name, args),
    });
  }
}

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } } };

export function deviceRoutes(app: FastifyInstance, devices: DeviceManager, kinds: string[]): void {
  app.get(
    '/api/v1/devices',
    { config: { roles: ROLES.filter((r) => r !== 'participant') }, schema: { tags: ['devices'], summary: 'List devices and their status / Danh sách thiết bị' } },
    async () => devices.list(),
  );
  app.put(
    '/api/v1/devices/:id',
    {
      config: { roles: ['technician', 'admin'] },
      schema: {
        tags: ['devices'],
        summary: 'Add or replace a device / Thêm hoặc sửa thiết bị',
        params: idParam,
        body: {
          type: 'object',
          required: ['name', 'kind', 'driver', 'connection'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            kind: { type: 'string', enum: ['camera', 'display', 'audio'] },
            driver: { type: 'string', enum: kinds },
            connection: { type: 'object' },
          },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as Omit<DeviceDefinition, 'id'>;
      try {
        const view = await devices.put({ id, ...body });
        app.audit({ user: req.user!.username, action: 'device.put', target: id, args: body, result: 'ok' });
        return view;
      } catch (err) {
        app.audit({ user: req.user!.username, action: 'device.put', target: id, args: body, result: `error:${(err as ApiError).code ?? 'internal'}` });
        throw err;
      }
    },
  );
  app.delete(
    '/api/v1/devices/:id',
    { config: { roles: ['technician', 'admin'] }, schema: { tags: ['devices'], summary: 'Remove a device / Xóa thiết bị', params: idParam } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const removed = await devices.remove(id);
      app.audit({ user: req.user!.username, action: 'device.delete', target: id, result: removed ? 'ok' : 'error:unknown_device' });
      if (!removed) throw new ApiError(404, 'unknown_device', `Không có thiết bị ${id} / no such device`);
      reply.code(204);
    },
  );
}
