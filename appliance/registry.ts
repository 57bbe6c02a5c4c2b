// The command registry: a command is declared once (name, argument schema, roles, handler) and served by
// REST, the WebSocket, the Vue apps and the OpenAPI document alike. Every run is validated, role-checked,
// bounded in time, measured and audited here, so no transport can forget one of those steps.
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { AuthUser, Role } from './roles.js';
import { ApiError, toApiError } from './errors.js';
import type { AuditLog } from './audit.js';
import type { CommandInfo } from './ws-protocol.js';

export type Scope = 'room' | 'device' | 'system';

export interface CommandContext {
  user: AuthUser;
  source: 'rest' | 'ws' | 'internal';
  /** Device id for scope 'device'. */
  target?: string;
}

export interface CommandDef<A = any> {
  name: string;
  scope: Scope;
  summary: string;
  args: Record<string, unknown>;
  roles: readonly Role[];
  /** Argument names never written to the audit log (passwords, PINs). */
  redact?: string[];
  /** Read-only commands need no audit entry; everything that changes something is audited. */
  audit?: boolean;
  timeoutMs?: number;
  handler(ctx: CommandContext, args: A): Promise<unknown>;
}

export interface CommandObserver {
  (name: string, seconds: number, outcome: 'ok' | 'error'): void;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class CommandRegistry {
  private defs = new Map<string, CommandDef>();
  private validators = new Map<string, ValidateFunction>();
  private ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: true });
  observe: CommandObserver = () => {};

  constructor(private audit: AuditLog) {}

  register(def: CommandDef): void {
    if (this.defs.has(def.name)) throw new Error(`command ${def.name} declared twice`);
    if (!def.roles.length) throw new Error(`command ${def.name} declares no roles`);
    this.defs.set(def.name, def);
    this.validators.set(def.name, this.ajv.compile(def.args));
  }

  get(name: string): CommandDef | undefined {
    return this.defs.get(name);
  }

  list(): CommandDef[] {
    return [...this.defs.values()];
  }

  info(role?: Role): CommandInfo[] {
    return this.list()
      .filter((d) => !role || d.roles.includes(role))
      .map((d) => ({ name: d.name, scope: d.scope, summary: d.summary, args: d.args, roles: [...d.roles] }));
  }

  async run(name: string, ctx: CommandContext, rawArgs: unknown): Promise<unknown> {
    const def = this.defs.get(name);
    if (!def) throw new ApiError(404, 'unknown_command', `Không có lệnh ${name} / unknown command`);
    if (!def.roles.includes(ctx.user.role))
      throw new ApiError(403, 'forbidden', `Vai trò ${ctx.user.role} không được dùng ${name} / role not allowed`);
    if (def.scope === 'device' && !ctx.target) throw new ApiError(400, 'missing_target', `${name} needs a target device`);
    const args = structuredClone(rawArgs ?? {}) as Record<string, unknown>;
    const validate = this.validators.get(name)!;
    if (!validate(args)) {
      const e = validate.errors?.[0];
      throw new ApiError(400, 'invalid_arguments', `${name}: ${e?.instancePath || 'args'} ${e?.message ?? 'invalid'}`);
    }
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await withTimeout(def.handler(ctx, args), def.timeoutMs ?? DEFAULT_TIMEOUT_MS, name);
    } catch (err) {
      const api = toApiError(err);
      outcome = `error:${api.code}`;
      throw api;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.observe(name, seconds, outcome === 'ok' ? 'ok' : 'error');
      if (def.audit !== false)
        this.audit.append({
          user: ctx.user.username,
          action: name,
          target: ctx.target ?? def.scope,
          args: redact(args, def.redact),
          result: outcome,
        });
    }
  }

  /** One REST route per command, with its schema, so OpenAPI lists every command with its arguments. */
  mountRest(app: FastifyInstance): void {
    for (const def of this.defs.values()) {
      const url =
        def.scope === 'device'
          ? `/api/v1/devices/:id/commands/${def.name}`
          : def.scope === 'room'
            ? `/api/v1/room/commands/${def.name}`
            : `/api/v1/commands/${def.name}`;
      app.post(
        url,
        {
          config: { roles: def.roles },
          schema: {
            tags: [def.scope],
            summary: def.summary,
            description: `Roles: ${def.roles.join(', ')}`,
            ...(def.scope === 'device' ? { params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } : {}),
            body: def.args,
          },
          // A command without arguments may be posted with no body at all.
          preValidation: async (req) => {
            if (req.body === undefined || req.body === null) req.body = {};
          },
        },
        async (req) => {
          const target = def.scope === 'device' ? (req.params as { id: string }).id : undefined;
          const result = await this.run(def.name, { user: req.user!, source: 'rest', target }, req.body);
          return { result: result ?? null };
        },
      );
    }
  }
}

function redact(args: Record<string, unknown>, fields?: string[]): Record<string, unknown> {
  if (!fields?.length) return args;
  const out = { ...args };
  for (const f of fields) if (f in out) out[f] = '***';
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(504, 'timeout', `${name} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}
