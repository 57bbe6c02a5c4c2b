// The meet page's state: the join form's choices, the call phase, the people and the media to show.
// Tracks and streams are kept raw (markRaw) — Vue must not wrap browser media objects in proxies.
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { MeetingSession, type JoinChoices, type Peer } from './session';
import type { RemoteTrack } from '../media/receiver';
import { SignalingError } from '../media/signaling';
import { joinErrorText, tm } from '../media/messages';
import { exposeTestHooks } from '../media/stats';

export type Phase = 'form' | 'joining' | 'in-call' | 'ended';

const PREFS_KEY = 'diemcau.meet';

function loadPrefs(): { displayName: string; unit: string } {
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}');
    return { displayName: typeof p.displayName === 'string' ? p.displayName : '', unit: typeof p.unit === 'string' ? p.unit : '' };
  } catch {
    return { displayName: '', unit: '' };
  }
}

export const useMeetStore = defineStore('meet', () => {
  const prefs = loadPrefs();
  const code = decodeURIComponent(location.pathname.match(/\/meet\/([^/]+)/)?.[1] ?? '');
  const displayName = ref(prefs.displayName);
  const unit = ref(prefs.unit);
  const password = ref('');
  const wantCamera = ref(true);
  const wantMic = ref(true);

  const phase = ref<Phase>('form');
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const meetingTitle = ref('');
  const peers = ref<Peer[]>([]);
  const tracks = shallowRef<RemoteTrack[]>([]);
  const localStream = shallowRef<MediaStream | null>(null);
  const cameraOn = ref(false);
  const micOn = ref(false);
  let session: MeetingSession | null = null;

  exposeTestHooks(() => session?.transports ?? {});

  async function join(): Promise<void> {
    error.value = null;
    notice.value = null;
    if (!displayName.value.trim()) {
      error.value = tm('meet.nameRequired');
      return;
    }
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify({ displayName: displayName.value.trim(), unit: unit.value.trim() }));
    } catch {
      /* private mode */
    }
    const choices: JoinChoices = {
      code,
      password: password.value,
      displayName: displayName.value.trim(),
      unit: unit.value.trim(),
      camera: wantCamera.value,
      mic: wantMic.value,
    };
    phase.value = 'joining';
    try {
      session = await MeetingSession.join(choices, {
        peers: (list) => (peers.value = list),
        tracks: (list) => (tracks.value = list.map((t) => markRaw(t))),
        local: (s) => {
          localStream.value = s.stream ? markRaw(s.stream) : null;
          cameraOn.value = s.camera;
          micOn.value = s.mic;
        },
        deviceError: (reason) => (notice.value = tm('meet.noDevices', { reason })),
        ended: (reason) => {
          session = null;
          phase.value = 'ended';
          tracks.value = [];
          peers.value = [];
          localStream.value = null;
          notice.value = tm(reason === 'left' ? 'meet.left' : reason === 'closed' ? 'meet.ended' : 'meet.disconnected');
        },
      });
      meetingTitle.value = session.meetingTitle;
      password.value = '';
      phase.value = 'in-call';
    } catch (err) {
      session = null;
      phase.value = 'form';
      const e = err instanceof SignalingError ? err : new SignalingError('other', (err as Error)?.message ?? String(err));
      error.value = joinErrorText(e.code, e.message);
    }
  }

  async function leave(): Promise<void> {
    await session?.leave();
  }

  async function toggleCamera(): Promise<void> {
    await session?.setCamera(!cameraOn.value);
  }

  async function toggleMic(): Promise<void> {
    await session?.setMic(!micOn.value);
  }

  return {
    code,
    displayName,
    unit,
    password,
    wantCamera,
    wantMic,
    phase,
    error,
    notice,
    meetingTitle,
    peers,
    tracks,
    localStream,
    cameraOn,
    micOn,
    join,
    leave,
    toggleCamera,
    toggleMic,
  };
});
