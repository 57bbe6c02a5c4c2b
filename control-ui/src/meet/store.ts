// The meet page's state: the join form's choices, the call phase, the people and the media to show.
// Tracks and streams are kept raw (markRaw) — Vue must not wrap browser media objects in proxies.
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { MeetingSession, type JoinChoices, type MeetingState, type MicNotice, type Peer } from './session';
import type { RemoteTrack } from '../media/receiver';
import { SignalingError } from '../media/signaling';
import { joinErrorText, tm, type MediaMessageKey } from '../media/messages';
import { exposeTestHooks } from '../media/stats';
import { getToken } from '../shared/api';
import type { ChatMessage } from '../../../central/protocol';

/** `waiting`: in the lobby until a chair admits us (M5.3). */
export type Phase = 'form' | 'joining' | 'waiting' | 'in-call' | 'ended';

const EMPTY_MEETING: MeetingState = {
  waiting: false,
  role: 'participant',
  permissions: { share: true, recordAudio: false, recordVideo: false },
  settings: null,
  floor: { queue: [], speaking: null },
  lobby: [],
};

const MIC_NOTICES: Record<MicNotice, MediaMessageKey> = {
  mutedByChair: 'meet.mutedByChair',
  floorHeld: 'meet.floorHeld',
  floorGiven: 'meet.floorGiven',
  floorEnded: 'meet.floorEnded',
  unmuteRefused: 'meet.unmuteRefused',
};

/** The signed-in account of this browser (panel/admin login on the same box), if any (F6). */
function storedAccount(): { token: string; username: string } | null {
  const token = getToken();
  if (!token) return null;
  try {
    const u = JSON.parse(localStorage.getItem('diemcau.user') ?? 'null');
    return { token, username: typeof u?.username === 'string' ? u.username : '' };
  } catch {
    return { token, username: '' };
  }
}

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
  const chairPin = ref('');
  const account = storedAccount();
  const useAccount = ref(!!account);

  const phase = ref<Phase>('form');
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const meetingTitle = ref('');
  const peers = ref<Peer[]>([]);
  const tracks = shallowRef<RemoteTrack[]>([]);
  const localStream = shallowRef<MediaStream | null>(null);
  const cameraOn = ref(false);
  const micOn = ref(false);
  const meeting = ref<MeetingState>(EMPTY_MEETING);
  const chat = ref<ChatMessage[]>([]);
  const peerId = ref('');
  /** The last thing central said about our microphone (muted by the chair, the floor, …). */
  const micNotice = ref<string | null>(null);
  /** The last failed meeting action (chat, chair buttons), as a sentence. */
  const actionError = ref<string | null>(null);
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
      chairPin: chairPin.value.trim() || undefined,
      token: useAccount.value && account ? account.token : undefined,
    };
    phase.value = 'joining';
    micNotice.value = null;
    actionError.value = null;
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
        meeting: (m) => (meeting.value = m),
        chat: (list) => (chat.value = list),
        self: (me) => {
          displayName.value = me.displayName;
          unit.value = me.unit ?? '';
        },
        micNotice: (kind, by) => (micNotice.value = tm(MIC_NOTICES[kind], { by })),
        admitted: (title) => {
          meetingTitle.value = title;
          phase.value = 'in-call';
        },
        ended: (reason) => {
          session = null;
          phase.value = 'ended';
          tracks.value = [];
          peers.value = [];
          localStream.value = null;
          meeting.value = EMPTY_MEETING;
          micNotice.value = null;
          const key: Record<typeof reason, MediaMessageKey> = {
            left: 'meet.left',
            closed: 'meet.ended',
            disconnected: 'meet.disconnected',
            removed: 'meet.removed',
            denied: 'meet.denied',
            ended_by_chair: 'meet.endedByChair',
          };
          notice.value = tm(key[reason]);
        },
      });
      meetingTitle.value = session.meetingTitle;
      peerId.value = session.peerId;
      password.value = '';
      chairPin.value = '';
      phase.value = session.waiting ? 'waiting' : 'in-call';
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
    micNotice.value = null;
    await session?.setMic(!micOn.value);
  }

  /** A meeting method; a refusal becomes `actionError` (shown), never an unhandled rejection. */
  async function act(method: string, data: Record<string, unknown> = {}): Promise<boolean> {
    if (!session) return false;
    actionError.value = null;
    try {
      await session.request(method, data);
      return true;
    } catch (err) {
      const e = err instanceof SignalingError ? err : new SignalingError('other', (err as Error)?.message ?? String(err));
      actionError.value = joinErrorText(e.code, e.message);
      return false;
    }
  }

  const raiseHand = () => act('raiseHand');
  const lowerHand = () => act('lowerHand');
  const sendChat = (text: string) => act('chat', { text });
  /** Become chair during the meeting with the chair PIN (host key). */
  const claimChair = (pin: string) => act('claimChair', { chairPin: pin });
  async function rename(name: string, newUnit: string): Promise<boolean> {
    const ok = await act('setDisplayName', { displayName: name, unit: newUnit });
    if (ok) {
      try {
        localStorage.setItem(PREFS_KEY, JSON.stringify({ displayName: name.trim(), unit: newUnit.trim() }));
      } catch {
        /* private mode */
      }
    }
    return ok;
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
    chairPin,
    account,
    useAccount,
    meeting,
    chat,
    peerId,
    micNotice,
    actionError,
    join,
    leave,
    toggleCamera,
    toggleMic,
    act,
    raiseHand,
    lowerHand,
    sendChat,
    claimChair,
    rename,
  };
});
