// fetch wrapper for /api: adds the bearer token kept in localStorage, turns {error, message} replies into
// UiError, and tells the auth store when the server answers 401 to a signed-in request.
import { UiError } from './errors';

export const TOKEN_KEY = 'diemcau.token';
const REQUEST_TIMEOUT_MS = 15_000;

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable: the session lasts for this page only */
  }
}

let unauthorizedHandler: (() => void) | null = null;
/** Called when a request that carried a token gets 401 (expired or revoked session). */
export function onUnauthorized(fn: () => void): void {
  unauthorizedHandler = fn;
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Send the bearer token (default true). */
  auth?: boolean;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

/** Performs the request; resolves with status and parsed body on 2xx, rejects with UiError otherwise. */
export async function apiRequest<T = unknown>(path: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = opts.auth === false ? null : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const ctrl = new AbortController();
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: ctrl.signal,
    });
  } catch (err) {
    if (ctrl.signal.aborted)
      throw new UiError('client_timeout', `no reply within ${timeoutMs} ms`, 0, { seconds: Math.round(timeoutMs / 1000) });
    throw new UiError('network', (err as Error).message || 'network error');
  } finally {
    clearTimeout(timer);
  }
  const text = await res.text().catch(() => '');
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && token) unauthorizedHandler?.();
    const body = (data && typeof data === 'object' ? data : {}) as { error?: unknown; message?: unknown };
    const code = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    const message = typeof body.message === 'string' ? body.message : typeof data === 'string' && data ? data : res.statusText;
    // A proxy with no appliance behind it answers 502/504 without our JSON: that is a network problem.
    if (typeof body.error !== 'string' && (res.status === 502 || res.status === 503 || res.status === 504))
      throw new UiError('network', message, res.status);
    throw new UiError(code, message, res.status);
  }
  return { status: res.status, data: data as T };
}

export async function api<T = unknown>(path: string, opts: ApiOptions = {}): Promise<T> {
  return (await apiRequest<T>(path, opts)).data;
}
