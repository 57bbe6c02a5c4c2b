// The room controller's commands: join/leave a meeting, mute, camera, layout. The media side is RoomMedia
// (media/room-media.ts); this file turns its events into the state tree the panel shows.
import type { EventEmitter } from 'node:events';
import type { CommandRegistry } from './registry.js';
import type { StateTree } from './state.js';
import { ApiError } from './errors.js';
import { ROOM_OPERATORS } from './roles.js';
import type { CallState, Layout } from './ws-protocol.js';

/** What the room controller needs from media/room-media.ts. */
export interface RoomMediaPort extends EventEmitter {
  join(opts: { centralUrl: string; boxToken: string; code: string; password?: string; name: string }): Promise<{ meetingTitle: string }>;
  leave(): Promise<void>;
  setMicMuted(muted: boolean): Promise<void>;
  setCameraOn(on: boolean): Promise<void>;
}

export interface CentralLink {
  url: () => string; // ws://host:port of the central service
  boxToken: string;
}

const joinErrors: Record<string, [number, string]> = {
  bad_password: [403, 'Sai mật khẩu cuộc họp / wrong meeting password'],
  not_found: [404, 'Không tìm thấy cuộc họp với mã này / no meeting with this code'],
  locked: [403, 'Cuộc họp đã khóa / the meeting is locked'],
  central_unreachable: [503, 'Không kết nối được máy chủ họp / central service unreachable'],
  timeout: [504, 'Máy chủ họp không trả lời kịp / central service timed out'],
};

/** The room's own audio devices (DSP, microphones, speakerphone), muted together with the meeting. */
export interface RoomAudio {
  runOnKind(kind: 'audio', command: 'mute', args: { on: boolean }): Promise<Array<{ device: string; ok: boolean; error?: string }>>;
}

export function registerRoomCommands(registry: CommandRegistry, state: StateTree, media: RoomMediaPort, central: CentralLink, audio: RoomAudio): void {
  const setCall = (s: CallState, extra: Partial<{ code: string | null; meetingTitle: string | null; error: string | null }> = {}) => {
    const cur = state.get().room.call;
    state.set(['room', 'call'], { ...cur, ...extra, state: s, since: s === cur.state ? cur.since : Date.now() });
  };

  media.on('call', (ev: { state: CallState; error?: string; meetingTitle?: string }) => {
    setCall(ev.state, {
      error: ev.error ?? null,
      ...(ev.meetingTitle ? { meetingTitle: ev.meetingTitle } : {}),
      ...(ev.state === 'idle' ? { code: null, meetingTitle: null } : {}),
    });
  });
  media.on('participants', (list) => state.set(['room', 'participants'], list));

  registry.register({
    name: 'room.join',
    scope: 'room',
    summary: 'Join a meeting by code / Tham gia cuộc họp bằng mã',
    roles: ROOM_OPERATORS,
    redact: ['password'],
    timeoutMs: 15_000,
    args: {
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', pattern: '^[A-Za-z0-9-]{3,32}$' },
        password: { type: 'string', maxLength: 128 },
      },
    },
    handler: async (_ctx, args: { code: string; password?: string }) => {
      const call = state.get().room.call;
      if (call.state === 'in-call' || call.state === 'joining')
        throw new ApiError(409, 'already_in_call', 'Phòng đang trong cuộc họp; hãy rời trước / leave the current meeting first');
      setCall('joining', { code: args.code, error: null, meetingTitle: null });
      try {
        const r = await media.join({ centralUrl: central.url(), boxToken: central.boxToken, code: args.code, password: args.password, name: state.get().room.name });
        setCall('in-call', { meetingTitle: r.meetingTitle, error: null });
        // The room's mute and camera choices carry into the meeting.
        await media.setMicMuted(state.get().room.mic.muted);
        await media.setCameraOn(state.get().room.camera.on);
        return { state: 'in-call', meetingTitle: r.meetingTitle };
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'join_failed';
        const [status, message] = joinErrors[code] ?? [502, `Không tham gia được: ${(err as Error).message}`];
        setCall('error', { error: message });
        throw new ApiError(status, code, message);
      }
    },
  });

  registry.register({
    name: 'room.leave',
    scope: 'room',
    summary: 'Leave the meeting / Rời cuộc họp',
    roles: ROOM_OPERATORS,
    args: { type: 'object', additionalProperties: false, properties: {} },
    handler: async () => {
      setCall('leaving');
      await media.leave();
      setCall('idle', { code: null, meetingTitle: null, error: null });
      state.set(['room', 'participants'], []);
      return { state: 'idle' };
    },
  });

  registry.register({
    name: 'room.mute',
    scope: 'room',
    summary: 'Mute or unmute the room microphones / Tắt hoặc bật micro phòng họp',
    roles: ROOM_OPERATORS,
    args: { type: 'object', required: ['muted'], additionalProperties: false, properties: { muted: { type: 'boolean' } } },
    handler: async (_ctx, args: { muted: boolean }) => {
      // The room's microphones are muted at the DSP too, so the room is silent even without a meeting
      // (and if central is unreachable); the meeting's audio producer is paused as well.
      const devices = await audio.runOnKind('audio', 'mute', { on: args.muted });
      await media.setMicMuted(args.muted);
      state.set(['room', 'mic', 'muted'], args.muted);
      return { muted: args.muted, devices };
    },
  });

  registry.register({
    name: 'room.camera',
    scope: 'room',
    summary: 'Send or stop the room camera / Bật hoặc tắt hình ảnh phòng họp',
    roles: ROOM_OPERATORS,
    args: { type: 'object', required: ['on'], additionalProperties: false, properties: { on: { type: 'boolean' } } },
    handler: async (_ctx, args: { on: boolean }) => {
      await media.setCameraOn(args.on);
      state.set(['room', 'camera', 'on'], args.on);
      return { on: args.on };
    },
  });

  registry.register({
    name: 'room.layout',
    scope: 'room',
    summary: 'Layout of the room display / Bố cục màn hình phòng họp',
    roles: ROOM_OPERATORS,
    args: { type: 'object', required: ['layout'], additionalProperties: false, properties: { layout: { type: 'string', enum: ['grid', 'speaker'] } } },
    handler: async (_ctx, args: { layout: Layout }) => {
      state.set(['room', 'layout'], args.layout);
      return { layout: args.layout };
    },
  });

  registry.register({
    name: 'room.selectCamera',
    scope: 'room',
    summary: 'Choose the camera the pad steers / Chọn camera điều khiển',
    roles: ROOM_OPERATORS,
    args: { type: 'object', required: ['device'], additionalProperties: false, properties: { device: { type: 'string', maxLength: 64 } } },
    handler: async (_ctx, args: { device: string }) => {
      const d = state.get().devices[args.device];
      if (!d || d.kind !== 'camera') throw new ApiError(404, 'unknown_device', `Không có camera ${args.device} / no such camera`);
      state.set(['room', 'activeCamera'], args.device);
      return { activeCamera: args.device };
    },
  });
}
