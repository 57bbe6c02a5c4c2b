// Short messages at the bottom of the screen (saved preset, failed command, …), read out by screen readers.
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ToastKind = 'info' | 'success' | 'error';
export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

export const useToastStore = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let next = 1;

  function push(kind: ToastKind, text: string, ms = kind === 'error' ? 6000 : 3500): void {
    const id = next++;
    items.value = [...items.value.slice(-3), { id, kind, text }];
    setTimeout(() => dismiss(id), ms);
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((x) => x.id !== id);
  }

  return { items, push, dismiss, info: (s: string) => push('info', s), success: (s: string) => push('success', s), error: (s: string) => push('error', s) };
});
