// The room as the panel sees it: call, microphone, camera and layout, always read from the server's state
// tree (the connection store). Buttons show the server's value; `pending` marks a command in flight and
// `error` the last failure of each control.
import { defineStore } from 'pinia';
import { computed, reactive } from 'vue';
import type { CallState, Layout } from '../../../../appliance/ws-protocol';
import { useConnectionStore } from '../../shared/connection';
import { describeError } from '../../shared/errors';

/** room.join is bounded by the server at 15 s (central admission + media); wait a little longer for its result. */
const JOIN_TIMEOUT_MS = 20_000;
export const MEETING_CODE = /^[A-Za-z0-9-]{3,32}$/;

type Control = 'call' | 'leave' | 'mic' | 'camera' | 'layout';

export const useRoomStore = defineStore('room', () => {
  const conn = useConnectionStore();
  const room = computed(() => conn.state?.room ?? null);

  const roomName = computed(() => room.value?.name ?? '');
  const call = computed(() => room.value?.call ?? null);
  const callState = computed<CallState>(() => call.value?.state ?? 'idle');
  /** A meeting is under way or being set up: the panel shows it instead of the join form. */
  const inMeeting = computed(() => ['joining', 'in-call', 'leaving', 'reconnecting'].includes(callState.value));
  const micMuted = computed(() => room.value?.mic.muted ?? false);
  const cameraOn = computed(() => room.value?.camera.on ?? false);
  const layout = computed<Layout>(() => room.value?.layout ?? 'grid');
  const participants = computed(() => room.value?.participants ?? []);

  const pending = reactive<Record<Control, boolean>>({ call: false, leave: false, mic: false, camera: false, layout: false });
  /** Which layout button was pressed, so only that one shows progress. */
  const pendingLayout = reactive<{ value: Layout | null }>({ value: null });
  const errors = reactive<Record<Control, string | null>>({ call: null, leave: null, mic: null, camera: null, layout: null });

  async function run(control: Control, cmd: string, args: Record<string, unknown>, timeoutMs?: number): Promise<boolean> {
    if (pending[control]) return false;
    pending[control] = true;
    errors[control] = null;
    try {
      await conn.send(cmd, args, undefined, { timeoutMs });
      return true;
    } catch (err) {
      errors[control] = describeError(err);
      return false;
    } finally {
      pending[control] = false;
    }
  }

  function join(code: string, password?: string, chairPin?: string): Promise<boolean> {
    const args: Record<string, unknown> = { code };
    if (password) args.password = password;
    if (chairPin) args.chairPin = chairPin;
    return run('call', 'room.join', args, JOIN_TIMEOUT_MS);
  }
  /** Allowed while a join is still in flight, so a wrong or hanging join can be abandoned. */
  const leave = () => run('leave', 'room.leave', {});
  const setMuted = (muted: boolean) => run('mic', 'room.mute', { muted });
  const toggleMic = () => setMuted(!micMuted.value);
  const setCamera = (on: boolean) => run('camera', 'room.camera', { on });
  const toggleCamera = () => setCamera(!cameraOn.value);
  async function setLayout(l: Layout): Promise<boolean> {
    pendingLayout.value = l;
    try {
      return await run('layout', 'room.layout', { layout: l });
    } finally {
      pendingLayout.value = null;
    }
  }
  function clearError(control: Control): void {
    errors[control] = null;
  }

  return {
    roomName,
    call,
    callState,
    inMeeting,
    micMuted,
    cameraOn,
    layout,
    participants,
    pending,
    pendingLayout,
    errors,
    join,
    leave,
    setMuted,
    toggleMic,
    setCamera,
    toggleCamera,
    setLayout,
    clearError,
  };
});
