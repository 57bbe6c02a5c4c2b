// Alerts: conditions that are true now (a device offline, a device answering badly), kept in SQLite with
// when they were raised and cleared, mirrored into the state tree so panels and the admin page see them.
import type { FastifyInstance } from 'fastify';
import type { Store } from './store/store.js';
import type { StateTree } from './state.js';
import type { AlertView } from './ws-protocol.js';
import { ROLES } from './roles.js';

export class Alerts {
  constructor(
    private store: Store,
    private state: StateTree,
  ) {
    this.publish();
  }

  raise(key: string, a: { device?: string; severity: 'warning' | 'error'; code: string; message: string }): void {
    const db = this.store.db;
    const active = db.prepare('SELECT id, message FROM alerts WHERE key = ? AND cleared_at IS NULL').get(key) as { id: number; message: string } | undefined;
    if (active) {
      if (active.message !== a.message) db.prepare('UPDATE alerts SET message = ? WHERE id = ?').run(a.message, active.id);
    } else {
      db.prepare('INSERT INTO alerts (key, device, severity, code, message, raised_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        key,
        a.device ?? null,
        a.severity,
        a.code,
        a.message,
        Date.now(),
      );
    }
    this.publish();
  }

  clear(key: string): void {
    const r = this.store.db.prepare('UPDATE alerts SET cleared_at = ? WHERE key = ? AND cleared_at IS NULL').run(Date.now(), key);
    if (r.changes) this.publish();
  }

  clearPrefix(prefix: string): void {
    const r = this.store.db.prepare("UPDATE alerts SET cleared_at = ? WHERE key LIKE ? ESCAPE '\\' AND cleared_at IS NULL").run(Date.now(), prefix.replace(/[%_\\]/g, '\\$&') + '%');
    if (r.changes) this.publish();
  }

  active(): AlertView[] {
    return this.rows('WHERE cleared_at IS NULL ORDER BY raised_at ASC', []);
  }

  history(limit: number): AlertView[] {
    return this.rows('ORDER BY id DESC LIMIT ?', [limit]);
  }

  private rows(where: string, params: unknown[]): AlertView[] {
    return (
      this.store.db
        .prepare(`SELECT id, key, device, severity, code, message, raised_at AS raisedAt, cleared_at AS clearedAt FROM alerts ${where}`)
        .all(...params) as AlertView[]
    ).map((r) => ({ ...r }));
  }

  private publish(): void {
    this.state.set(['alerts'], this.active());
  }
}

export function alertRoutes(app: FastifyInstance, alerts: Alerts): void {
  app.get(
    '/api/v1/alerts',
    {
      config: { roles: ROLES.filter((r) => r !== 'participant') },
      schema: {
        tags: ['devices'],
        summary: 'Current alerts (or the recent history with ?history=N) / Cảnh báo hiện tại',
        querystring: { type: 'object', additionalProperties: false, properties: { history: { type: 'integer', minimum: 1, maximum: 1000 } } },
      },
    },
    async (req) => {
      const q = req.query as { history?: number };
      return q.history ? alerts.history(q.history) : alerts.active();
    },
  );
}
