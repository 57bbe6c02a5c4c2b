// A small message catalogue instead of vue-i18n: Vietnamese by default, English on request, the choice
// remembered in localStorage. `t()` reads the reactive locale, so every rendered string switches at once.
import { computed, ref } from 'vue';
import { ROLE_LABELS, type Role } from '../../../appliance/roles';
import { en, vi, type MessageKey } from './messages';

export type Locale = 'vi' | 'en';
export type { MessageKey };

const LANG_KEY = 'diemcau.lang';
const catalogues: Record<Locale, Record<MessageKey, string>> = { vi, en };

function storedLocale(): Locale {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

export const locale = ref<Locale>(storedLocale());
applyDocumentLang();

function applyDocumentLang(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale.value;
}

export function setLocale(l: Locale): void {
  locale.value = l;
  try {
    localStorage.setItem(LANG_KEY, l);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  applyDocumentLang();
}

export function toggleLocale(): void {
  setLocale(locale.value === 'vi' ? 'en' : 'vi');
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const s = catalogues[locale.value][key] ?? vi[key] ?? key;
  return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s;
}

export function roleLabel(role: string | null | undefined): string {
  if (!role) return '';
  const l = ROLE_LABELS[role as Role];
  return l ? l[locale.value] : role;
}

/**
 * The server writes its messages as "Vietnamese / English"; show the half in the user's language.
 * Messages without the separator are shown as they are.
 */
export function localizeServerMessage(message: string): string {
  const i = message.indexOf(' / ');
  if (i < 0) return message;
  return locale.value === 'vi' ? message.slice(0, i) : message.slice(i + 3);
}

export function formatTime(ms: number | null | undefined, withDate = false): string {
  if (ms == null) return '';
  const d = new Date(ms);
  const tag = locale.value === 'vi' ? 'vi-VN' : 'en-GB';
  return withDate ? d.toLocaleString(tag) : d.toLocaleTimeString(tag);
}

export function useI18n() {
  return { t, locale: computed(() => locale.value), toggleLocale, setLocale, roleLabel, formatTime, localizeServerMessage };
}
