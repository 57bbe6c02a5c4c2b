// Starts a real appliance on a loopback port with a fresh data directory, and a tiny REST client for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startAppliance, type Appliance, type StartOptions } from '../../appliance/server.js';

export const ADMIN_PASSWORD = 'mat-khau-thu-nghiem-1';

export interface TestBox {
  box: Appliance;
  url: string;
  dataDir: string;
  token: string;
  api<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: T }>;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestBox(opts: Partial<StartOptions> = {}): Promise<TestBox> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'diemcau-test-'));
  const box = await startAppliance({ port: 0, host: '127.0.0.1', dataDir, adminPassword: ADMIN_PASSWORD, simulate: false, media: false, logLevel: 'error', ...opts });
  const api = async (method: string, path: string, body?: unknown, token?: string | null) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(box.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON (e.g. /metrics) */
    }
    return { status: res.status, body: parsed };
  };
  const login = async (username: string, password: string) => {
    const r = await api('POST', '/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };
  const token = await login('admin', ADMIN_PASSWORD);
  return {
    box,
    url: box.url,
    dataDir,
    token,
    api: (m, p, b, t) => api(m, p, b, t === undefined ? token : t),
    login,
    async close() {
      await box.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A WebSocket client for /api/v1/ws that collects messages and lets a test await one. */
export async function openWs(url: string, token: string) {
  const ws = new WebSocket(url.replace('http', 'ws') + `/api/v1/ws?token=${encodeURIComponent(token)}`);
  const messages: any[] = [];
  const waiters: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void }> = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const next = (pred: (m: any) => boolean, timeoutMs = 5000) =>
    new Promise<any>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => reject(new Error('timed out waiting for a WebSocket message')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return {
    ws,
    messages,
    next,
    async command(cmd: string, args: unknown = {}, target?: string) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, cmd, args, target }));
      return next((m) => m.type === 'result' && m.id === id);
    },
    close: () => ws.close(),
  };
}

/** Polls until fn returns a truthy value or the deadline passes (for state that has no event to await). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
