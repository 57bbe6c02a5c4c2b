// The camera the pad steers: which one, its status and power, and the PTZ / preset / power commands.
// Safety rule: every move is followed by a stop — on release, on leaving the button, on losing focus, on
// switching camera, when the camera stops being controllable, and when the pad goes away.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { DeviceView } from '../../../../appliance/ws-protocol';
import { useConnectionStore } from '../../shared/connection';
import { describeError } from '../../shared/errors';
import { t } from '../../shared/i18n';
import { useToastStore } from '../../shared/toasts';

export interface Direction {
  pan: number; // -1 left … 1 right
  tilt: number; // -1 down … 1 up
  zoom: number; // -1 wide … 1 tele
}

const round2 = (x: number) => Math.round(x * 100) / 100 || 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const useCameraStore = defineStore('camera', () => {
  const conn = useConnectionStore();
  const toasts = useToastStore();

  const cameras = computed<DeviceView[]>(() =>
    Object.values(conn.state?.devices ?? {})
      .filter((d) => d.kind === 'camera')
      .sort((a, b) => a.name.localeCompare(b.name, 'vi') || a.id.localeCompare(b.id)),
  );

  /** A choice made on this panel; the server's activeCamera wins again as soon as it changes. */
  const localChoice = ref<string | null>(null);
  watch(
    () => conn.state?.room.activeCamera,
    () => {
      localChoice.value = null;
    },
  );

  const activeId = computed<string | null>(() => {
    const ids = cameras.value.map((c) => c.id);
    if (localChoice.value && ids.includes(localChoice.value)) return localChoice.value;
    const server = conn.state?.room.activeCamera;
    if (server && ids.includes(server)) return server;
    return ids[0] ?? null;
  });
  const active = computed<DeviceView | null>(() => (activeId.value ? conn.state?.devices[activeId.value] ?? null : null));
  const status = computed(() => active.value?.status ?? null);
  /** The pad works while the box is connected and the camera answers (online, or degraded but alive). */
  const controllable = computed(() => conn.connected && (status.value === 'online' || status.value === 'degraded'));
  /** Power as the driver reports it in the device state, when it does. */
  const power = computed<boolean | null>(() => {
    const p = active.value?.state?.power;
    return typeof p === 'boolean' ? p : null;
  });

  const speed = ref(0.5);
  /** The move in progress: which camera and which button started it. */
  const moving = ref<{ target: string; key: string } | null>(null);
  const pendingPreset = ref<number | null>(null);
  const pendingPower = ref(false);
  const error = ref<string | null>(null);

  function fail(err: unknown): void {
    error.value = describeError(err);
  }

  function move(key: string, dir: Direction): void {
    const target = activeId.value;
    if (!target || !controllable.value) return;
    const s = speed.value;
    moving.value = { target, key };
    error.value = null;
    conn.send('ptz.move', { pan: round2(dir.pan * s), tilt: round2(dir.tilt * s), zoom: round2(dir.zoom * s) }, target).catch(fail);
  }

  async function sendStop(target: string): Promise<void> {
    // One retry: a camera left moving is worse than a duplicate stop.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await conn.send('ptz.stop', {}, target);
        return;
      } catch (err) {
        if (attempt === 1) {
          error.value = `${t('pad.stopFailed')}: ${describeError(err)}`;
          toasts.error(t('pad.stopFailed'));
        } else await sleep(250);
      }
    }
  }

  /** Ends the move in progress (no-op when none). */
  function stop(): Promise<void> {
    const m = moving.value;
    if (!m) return Promise.resolve();
    moving.value = null;
    return sendStop(m.target);
  }

  /** The Stop button: stops the selected camera whether or not this panel started a move. */
  function stopNow(): Promise<void> {
    const target = moving.value?.target ?? activeId.value;
    moving.value = null;
    return target ? sendStop(target) : Promise.resolve();
  }

  // Never leave a camera moving when it stops being controllable.
  watch(controllable, (ok) => {
    if (!ok && moving.value) void stop();
  });

  async function select(id: string): Promise<void> {
    if (id === activeId.value) return;
    await stop();
    localChoice.value = id;
    error.value = null;
    try {
      await conn.send('room.selectCamera', { device: id });
    } catch (err) {
      // Without a media path the box has no room.selectCamera; choosing locally is then enough.
      if (!(err as { code?: string }).code?.match(/^(unknown_command|not_connected)$/)) fail(err);
    }
  }

  async function recallPreset(n: number): Promise<void> {
    const target = activeId.value;
    if (!target || !controllable.value) return;
    pendingPreset.value = n;
    error.value = null;
    try {
      await conn.send('preset.recall', { preset: n }, target);
    } catch (err) {
      fail(err);
    } finally {
      pendingPreset.value = null;
    }
  }

  async function savePreset(n: number): Promise<void> {
    const target = activeId.value;
    if (!target || !controllable.value) return;
    pendingPreset.value = n;
    error.value = null;
    try {
      await conn.send('preset.save', { preset: n }, target);
      toasts.success(t('preset.saved', { n }));
    } catch (err) {
      fail(err);
      toasts.error(describeError(err));
    } finally {
      pendingPreset.value = null;
    }
  }

  async function setPower(on: boolean): Promise<void> {
    const target = activeId.value;
    // Power works on a degraded or standby camera; only a missing connection prevents it.
    if (!target || !conn.connected || status.value === 'offline') return;
    if (!on) await stop();
    pendingPower.value = true;
    error.value = null;
    try {
      await conn.send('power', { on }, target);
      if (power.value === null) toasts.info(t('power.done'));
    } catch (err) {
      fail(err);
    } finally {
      pendingPower.value = false;
    }
  }

  return {
    cameras,
    activeId,
    active,
    status,
    controllable,
    power,
    speed,
    moving,
    pendingPreset,
    pendingPower,
    error,
    move,
    stop,
    stopNow,
    select,
    recallPreset,
    savePreset,
    setPower,
  };
});
