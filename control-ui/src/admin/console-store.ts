// The raw console's transcript (C5), kept while the technician switches between admin tabs.
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface ConsoleEntry {
  n: number;
  at: number;
  device: string;
  request: string;
  /** null while waiting for the device. */
  ok: boolean | null;
  reply: string;
  ms: number | null;
}

const MAX_ENTRIES = 500;
const MAX_HISTORY = 50;

export const useConsoleStore = defineStore('console', () => {
  const entries = ref<ConsoleEntry[]>([]);
  /** Requests sent, newest last, without repeats in a row (recalled with ↑/↓). */
  const history = ref<string[]>([]);
  let next = 1;

  function begin(device: string, request: string): ConsoleEntry {
    const e: ConsoleEntry = { n: next++, at: Date.now(), device, request, ok: null, reply: '', ms: null };
    entries.value = [...entries.value.slice(-(MAX_ENTRIES - 1)), e];
    if (history.value[history.value.length - 1] !== request) history.value = [...history.value.slice(-(MAX_HISTORY - 1)), request];
    return entries.value[entries.value.length - 1];
  }

  function clear(): void {
    entries.value = [];
  }

  return { entries, history, begin, clear };
});
