// Displays, projectors and audio devices as the panel sees them (D4, D6): always read from the server's
// state tree, so every control shows what the device last reported. `pending` marks a command in flight
// for one control of one device, `errors` the last failure per device.
import { defineStore } from 'pinia';
import { computed, reactive } from 'vue';
import type { DeviceView } from '../../../../appliance/ws-protocol';
import { useConnectionStore } from '../../shared/connection';
import { describeError } from '../../shared/errors';

export type AvControl = 'power' | 'input' | 'volume' | 'mute';
/** The inputs offered on the panel; a reported input outside this list is shown as well. */
export const DISPLAY_INPUTS = ['hdmi1', 'hdmi2', 'dp1', 'rgb1'] as const;

const byName = (a: DeviceView, b: DeviceView) => a.name.localeCompare(b.name, 'vi') || a.id.localeCompare(b.id);
const key = (id: string, c: AvControl) => `${id}:${c}`;

/** The state fields the display drivers report (PJLink, Samsung MDC, LG); null when not (yet) known. */
export interface DisplayReport {
  power: boolean | null;
  input: string | null;
  volume: number | null;
  mute: boolean | null;
}

export function displayReport(d: DeviceView): DisplayReport {
  const s = d.state ?? {};
  return {
    power: typeof s.power === 'boolean' ? s.power : null,
    input: typeof s.input === 'string' ? s.input : null,
    volume: typeof s.volume === 'number' ? s.volume : null,
    mute: typeof s.mute === 'boolean' ? s.mute : null,
  };
}

/**
 * The inputs offered for a display: the standard four (PJLink has no DisplayPort type, so dp1 only where the
 * connection maps it), the names the technician mapped in connection.inputs, and the reported one.
 */
export function displayInputs(d: DeviceView): string[] {
  const mapped = d.connection.inputs && typeof d.connection.inputs === 'object' ? Object.keys(d.connection.inputs as object) : [];
  const list: string[] = DISPLAY_INPUTS.filter((s) => d.driver !== 'pjlink' || !s.startsWith('dp') || mapped.includes(s));
  for (const s of mapped) if (!list.includes(s)) list.push(s);
  const reported = displayReport(d).input;
  if (reported && !list.includes(reported)) list.push(reported);
  return list;
}

export function audioMute(d: DeviceView): boolean | null {
  return typeof d.state?.mute === 'boolean' ? (d.state.mute as boolean) : null;
}

/** Meter readings in dB by channel, when the driver publishes them (Tesira, Shure subscriptions). */
export function audioLevels(d: DeviceView): Array<{ channel: string; db: number }> {
  const l = d.state?.levels;
  if (!l || typeof l !== 'object') return [];
  return Object.entries(l as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
    .map(([channel, db]) => ({ channel, db }))
    .sort((a, b) => Number(a.channel) - Number(b.channel) || a.channel.localeCompare(b.channel));
}

export const useAvDevicesStore = defineStore('avdevices', () => {
  const conn = useConnectionStore();
  const all = computed(() => Object.values(conn.state?.devices ?? {}));
  const displays = computed(() => all.value.filter((d) => d.kind === 'display').sort(byName));
  const audio = computed(() => all.value.filter((d) => d.kind === 'audio').sort(byName));

  const pending = reactive<Record<string, boolean>>({});
  const errors = reactive<Record<string, string | null>>({});

  const isPending = (id: string, c: AvControl) => pending[key(id, c)] === true;
  /** Controls work while the box is connected and the device answers (online, or degraded but alive). */
  function controllable(d: DeviceView): boolean {
    return conn.connected && (d.status === 'online' || d.status === 'degraded');
  }

  async function run(id: string, control: AvControl, cmd: string, args: Record<string, unknown>): Promise<boolean> {
    const k = key(id, control);
    if (pending[k]) return false;
    pending[k] = true;
    errors[id] = null;
    try {
      await conn.send(cmd, args, id);
      return true;
    } catch (err) {
      errors[id] = describeError(err);
      return false;
    } finally {
      pending[k] = false;
    }
  }

  const setPower = (id: string, on: boolean) => run(id, 'power', 'power', { on });
  const setInput = (id: string, source: string) => run(id, 'input', 'input', { source });
  const setVolume = (id: string, level: number) => run(id, 'volume', 'volume', { level: Math.max(0, Math.min(100, Math.round(level))) });
  const setMute = (id: string, on: boolean) => run(id, 'mute', 'mute', { on });
  function clearError(id: string): void {
    errors[id] = null;
  }

  return { displays, audio, pending, errors, isPending, controllable, setPower, setInput, setVolume, setMute, clearError };
});
