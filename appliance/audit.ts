// The append-only audit log (who, when, what, result). Written synchronously inside SQLite so that an
// entry exists before the API answers; UPDATE and DELETE are refused by triggers (001_core.sql).
import type { FastifyInstance } from 'fastify';
import type { Store } from './store/store.js';

export interface AuditEntry {
  user: string;
  action: string;
  target?: string | null;
  args?: unknown;
  result: string;
}

export interface AuditRow {
  id: number;
  time: number;
  user: string;
  action: string;
  target: string | null;
  args: unknown;
  result: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    audit(entry: AuditEntry): number;
  }
}

export class AuditLog {
  private insert;
  constructor(private store: Store) {
    this.insert = store.db.prepare('INSERT INTO audit (time, user, action, target, args, result) VALUES (?, ?, ?, ?, ?, ?)');
  }

  append(e: AuditEntry): number {
    const args = e.args === undefined ? null : JSON.stringify(e.args);
    return Number(this.insert.run(Date.now(), e.user, e.action, e.target ?? null, args, e.result).lastInsertRowid);
  }

  list(since = 0, limit = 100): AuditRow[] {
    const rows = this.store.db
      .prepare('SELECT id, time, user, action, target, args, result FROM audit WHERE id > ? ORDER BY id ASC LIMIT ?')
      .all(since, limit) as Array<AuditRow & { args: string | null }>;
    return rows.map((r) => ({ ...r, args: r.args === null ? null : JSON.parse(r.args) }));
  }
}

export function auditRoutes(app: FastifyInstance, log: AuditLog): void {
  app.get(
    '/api/v1/audit',
    {
      config: { roles: ['admin', 'auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'Read the audit log, oldest first / Nhật ký kiểm toán',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'integer', minimum: 0, default: 0, description: 'return entries with id > since' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { since: number; limit: number };
      return log.list(q.since, q.limit);
    },
  );
}
