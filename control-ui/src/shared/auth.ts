// Who is signed in. The token lives in localStorage (`diemcau.token`) so the panel survives a reload; a 401
// from any request or WebSocket close code 4401 sends the user back to the login view.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, getToken, onUnauthorized, setToken } from './api';
import { UiError } from './errors';

export interface SessionUser {
  username: string;
  role: string;
}

const USER_KEY = 'diemcau.user';

function storedUser(): SessionUser | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    const u = raw ? JSON.parse(raw) : null;
    return u && typeof u.username === 'string' && typeof u.role === 'string' ? u : null;
  } catch {
    return null;
  }
}

function storeUser(u: SessionUser | null): void {
  try {
    if (u) localStorage.setItem(USER_KEY, JSON.stringify(u));
    else localStorage.removeItem(USER_KEY);
  } catch {
    /* ignore */
  }
}

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(getToken());
  const user = ref<SessionUser | null>(token.value ? storedUser() : null);
  /** Set when the server ended the session; the login view says so. */
  const expired = ref(false);

  function clear(): void {
    token.value = null;
    user.value = null;
    setToken(null);
    storeUser(null);
  }

  async function login(username: string, password: string): Promise<void> {
    try {
      const r = await api<{ token: string; user: SessionUser }>('/api/v1/auth/login', {
        method: 'POST',
        body: { username, password },
        auth: false,
      });
      token.value = r.token;
      user.value = r.user;
      expired.value = false;
      setToken(r.token);
      storeUser(r.user);
    } catch (err) {
      if (err instanceof UiError && err.status === 401) throw new UiError('bad_credentials', err.message, 401);
      throw err;
    }
  }

  async function logout(): Promise<void> {
    const had = token.value;
    clear();
    expired.value = false;
    if (had) {
      try {
        await fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${had}` } });
      } catch {
        /* the session ends on the server when it expires */
      }
    }
  }

  function expire(): void {
    if (!token.value) return;
    clear();
    expired.value = true;
  }

  function setUser(u: SessionUser): void {
    user.value = u;
    storeUser(u);
  }

  onUnauthorized(expire);

  return { token, user, expired, login, logout, expire, setUser };
});
