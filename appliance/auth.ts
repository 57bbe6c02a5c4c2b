// Accounts, sessions and the role check every route goes through (DESIGN.md §7).
// Passwords: scrypt with a per-user salt. Tokens: random 32 bytes, stored only as SHA-256.
import { randomBytes, scryptSync, timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from './store/store.js';
import { ROLES, type AuthUser, type Role } from './roles.js';
import { ApiError } from './errors.js';

const SCRYPT = { N: 16384, r: 8, p: 1 };
const SESSION_MS = 12 * 3600 * 1000;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [kind, N, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64');
  const got = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: +N, r: +r, p: +p });
  return timingSafeEqual(got, expected);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Accounts {
  constructor(private store: Store) {}

  /** Creates or resets a user; used at first start for `admin` and by tests. */
  upsertUser(username: string, role: Role, password: string, displayName = username): AuthUser {
    if (!ROLES.includes(role)) throw new ApiError(400, 'invalid_role', `unknown role ${role}`);
    const db = this.store.db;
    db.prepare(
      `INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash`,
    ).run(username, displayName, role, hashPassword(password), Date.now());
    const row = db.prepare('SELECT id, username, role FROM users WHERE username = ?').get(username) as AuthUser;
    return row;
  }

  hasUser(username: string): boolean {
    return !!this.store.db.prepare('SELECT 1 FROM users WHERE username = ?').get(username);
  }

  login(username: string, password: string): { token: string; user: AuthUser } | null {
    const row = this.store.db
      .prepare('SELECT id, username, role, password_hash FROM users WHERE username = ?')
      .get(username) as (AuthUser & { password_hash: string }) | undefined;
    // Hash even for unknown users so that timing does not tell which names exist.
    const ok = row ? verifyPassword(password, row.password_hash) : (verifyPassword(password, DUMMY_HASH), false);
    if (!row || !ok) return null;
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.store.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(sha256(token), row.id, now, now + SESSION_MS);
    return { token, user: { id: row.id, username: row.username, role: row.role } };
  }

  verifyToken(token: string | undefined | null): AuthUser | null {
    if (!token) return null;
    const row = this.store.db
      .prepare(
        `SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(sha256(token), Date.now()) as AuthUser | undefined;
    return row ?? null;
  }

  logout(token: string): void {
    this.store.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(sha256(token));
  }
}

const DUMMY_HASH = hashPassword(randomBytes(8).toString('hex'));

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h && h.startsWith('Bearer ')) return h.slice(7).trim();
  // Browsers cannot set headers on a WebSocket upgrade, so WebSocket routes accept ?token=.
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  if (req.headers.upgrade && typeof q === 'string') return q;
  return null;
}

export type RouteRoles = readonly Role[] | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    roles?: RouteRoles;
  }
  interface FastifyRequest {
    user: AuthUser | null;
  }
  interface FastifyInstance {
    verifyToken(token: string | null | undefined): AuthUser | null;
    accounts: Accounts;
  }
}

/**
 * Security by default: a route that does not declare its roles is a programming error and stops the
 * server from starting; a request without a valid token gets 401, a role not listed gets 403.
 */
export function installAuth(app: FastifyInstance, accounts: Accounts): void {
  app.decorate('accounts', accounts);
  app.decorate('verifyToken', (t: string | null | undefined) => accounts.verifyToken(t));
  app.decorateRequest('user', null);

  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (!url.startsWith('/api/')) return; // static pages and /healthz, /metrics are public by nature
    if (!route.config || !('roles' in route.config) || !route.config.roles)
      throw new Error(`route ${route.method} ${url} declares no roles`);
  });

  app.addHook('onRequest', async (req) => {
    const roles = (req.routeOptions.config as { roles?: RouteRoles }).roles;
    const token = bearerToken(req);
    req.user = token ? accounts.verifyToken(token) : null;
    if (!roles || roles === 'public') return;
    if (!req.user) throw new ApiError(401, 'unauthorized', 'Cần đăng nhập / Authentication required');
    if (!roles.includes(req.user.role)) throw new ApiError(403, 'forbidden', `Vai trò ${req.user.role} không được phép / role not allowed`);
  });
}

export function authRoutes(app: FastifyInstance): void {
  app.post(
    '/api/v1/auth/login',
    {
      config: { roles: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; returns a bearer token / Đăng nhập',
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    async (req) => {
      const { username, password } = req.body as { username: string; password: string };
      const r = app.accounts.login(username, password);
      app.audit({ user: username, action: 'auth.login', result: r ? 'ok' : 'denied' });
      if (!r) throw new ApiError(401, 'bad_credentials', 'Sai tên đăng nhập hoặc mật khẩu / Wrong username or password');
      return { token: r.token, user: { username: r.user.username, role: r.user.role } };
    },
  );
  app.post('/api/v1/auth/logout', { config: { roles: ROLES }, schema: { tags: ['auth'], summary: 'Sign out' } }, async (req) => {
    const t = bearerToken(req);
    if (t) app.accounts.logout(t);
    return { ok: true };
  });
  app.get('/api/v1/auth/me', { config: { roles: ROLES }, schema: { tags: ['auth'], summary: 'Who am I' } }, async (req) => ({
    username: req.user!.username,
    role: req.user!.role,
  }));
}
