// The WebSocket to the appliance (/api/v1/ws): the state tree from `hello`, kept current by `patch`
// messages, and commands {id, cmd, args, target?} answered by `result`. Reconnects with back-off; a
// rejected session (close 4401, or HTTP 401 on the upgrade) returns the user to the login view.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CommandInfo, RoomStateTree, WsCommand, WsServerMessage } from '../../../appliance/ws-protocol';
import { apiRequest } from './api';
import { useAuthStore, type SessionUser } from './auth';
import { UiError } from './errors';
import { applyPatch } from './json-patch';

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting';

export const COMMAND_TIMEOUT_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface SendOptions {
  /** Defaults to 10 s; commands the server itself bounds by longer (room.join: 15 s) may pass more. */
  timeoutMs?: number;
}

export const useConnectionStore = defineStore('connection', () => {
  const auth = useAuthStore();
  const state = ref<RoomStateTree | null>(null);
  const user = ref<SessionUser | null>(null);
  const commands = shallowRef<CommandInfo[]>([]);
  const status = ref<ConnectionStatus>('idle');
  const connected = computed(() => status.value === 'open');

  let ws: WebSocket | null = null;
  let wanted = false;
  let everOpened = false;
  let attempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let nextId = 1;
  const pending = new Map<string, Pending>();
  const listeners = new Set<(event: string, data: unknown) => void>();

  function wsUrl(token: string): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/api/v1/ws?token=${encodeURIComponent(token)}`;
  }

  function connect(): void {
    wanted = true;
    if (ws) return;
    open();
  }

  function open(): void {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const token = auth.token;
    if (!wanted || !token) {
      status.value = 'idle';
      return;
    }
    status.value = everOpened || attempts > 0 ? 'reconnecting' : 'connecting';
    let opened = false;
    let sock: WebSocket;
    try {
      sock = new WebSocket(wsUrl(token));
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      opened = true;
    };
    sock.onmessage = (ev) => {
      if (ws === sock) handle(ev.data, sock);
    };
    sock.onerror = () => {
      /* a close event follows */
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      failPending('disconnected');
      void closed(ev.code, opened);
    };
  }

  async function closed(code: number, opened: boolean): Promise<void> {
    if (!wanted) return;
    status.value = 'reconnecting';
    if (code === 4401) {
      auth.expire();
      disconnect();
      return;
    }
    if (!opened) {
      // The upgrade was refused or the box is unreachable: a 401 here means the session is gone.
      try {
        await apiRequest('/api/v1/auth/me', { timeoutMs: 5000 });
      } catch (err) {
        if (err instanceof UiError && err.status === 401) {
          auth.expire();
          disconnect();
          return;
        }
      }
    }
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (!wanted) return;
    status.value = 'reconnecting';
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempts);
    attempts++;
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    reconnectTimer = setTimeout(open, delay);
  }

  function handle(raw: unknown, sock: WebSocket): void {
    if (typeof raw !== 'string') return;
    let msg: WsServerMessage;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'hello':
        state.value = msg.state;
        user.value = msg.user;
        auth.setUser(msg.user);
        commands.value = msg.commands;
        status.value = 'open';
        everOpened = true;
        attempts = 0;
        break;
      case 'patch':
        if (!state.value) return;
        try {
          state.value = applyPatch(state.value, msg.ops);
        } catch {
          // Out of step with the server: reconnect for a fresh snapshot.
          sock.close(4000, 'resync');
        }
        break;
      case 'result': {
        const p = pending.get(String(msg.id));
        if (!p) return;
        pending.delete(String(msg.id));
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new UiError(msg.error.code, msg.error.message));
        break;
      }
      case 'event':
        for (const l of listeners) l(msg.event, msg.data);
        break;
    }
  }

  function failPending(code: 'disconnected'): void {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new UiError(code, 'connection closed'));
      pending.delete(id);
    }
  }

  /** Sends a command; resolves with its result, rejects with UiError (server error, timeout, no connection). */
  function send(cmd: string, args: Record<string, unknown> = {}, target?: string, opts: SendOptions = {}): Promise<unknown> {
    const sock = ws;
    if (!sock || sock.readyState !== WebSocket.OPEN || status.value !== 'open')
      return Promise.reject(new UiError('not_connected', 'not connected'));
    const id = `c${nextId++}`;
    const msg: WsCommand = target ? { id, cmd, args, target } : { id, cmd, args };
    const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new UiError('client_timeout', `${cmd}: no result within ${timeoutMs} ms`, 0, { seconds: Math.round(timeoutMs / 1000) }));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      try {
        sock.send(JSON.stringify(msg));
      } catch {
        clearTimeout(timer);
        pending.delete(id);
        reject(new UiError('not_connected', 'send failed'));
      }
    });
  }

  function disconnect(): void {
    wanted = false;
    everOpened = false;
    attempts = 0;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const sock = ws;
    ws = null;
    if (sock && sock.readyState <= WebSocket.OPEN) sock.close(1000, 'bye');
    failPending('disconnected');
    state.value = null;
    user.value = null;
    commands.value = [];
    status.value = 'idle';
  }

  function onEvent(fn: (event: string, data: unknown) => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  return { state, user, commands, status, connected, connect, disconnect, send, onEvent };
});
