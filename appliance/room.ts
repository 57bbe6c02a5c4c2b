// The room controller's commands: join/leave a meeting, mute, camera, layout. The media side is RoomMedia
// (media/room-media.ts); this file turns its events into the state tree the panel shows.
import type { EventEmitter } from 'node:events';
import type { CommandRegistry } from './registry.js';
import type { StateTree } from './state.js';
import { ApiError } from './errors.js';
import { ROOM_OPERATORS, type Role } from './roles.js';
import { emptyMeetingState } from './state.js';
import type { CallState, Layout, RoomChatMessage, RoomMeetingState } from './ws-protocol.js';
import type { RoomMeetingView } from '../media/room-media.js';
import type { ChatMessage } from '../central/protocol.js';

/** What the room controller needs from media/room-media.ts. */
export interface RoomMediaPort extends EventEmitter {
  join(opts: {
    centralUrl: string;
    boxToken: string;
    code: string;
    password?: string;
    chairPin?: string;
    name: string;
  }): Promise<{ meetingTitle: string; waiting?: boolean }>;
  leave(): Promise<void>;
  setMicMuted(muted: boolean): Promise<void>;
  setCameraOn(on: boolean): Promise<void>;
  /** A meeting method on the room's connection to central (chair actions, chat, hand). */
  request<T = unknown>(method: string, data?: Record<string, unknown>): Promise<T>;
  /** Whether central lets the room turn its microphone on now (floor control, M6.5). */
  mayUnmute(): boolean;
}

/** Who may steer the meeting from the room's panel when the room is chair: not technicians (M5.3). */
const ROOM_CHAIRS: Role[] = ['panel', 'chair', 'secretary', 'admin'];

/** Central's signaling errors → HTTP statuses for the panel. */
const requestErrors: Record<string, number> = {
  forbidden: 403,
  not_allowed: 403,
  bad_chair_pin: 403,
  limit: 429,
  not_found: 404,
  invalid_arguments: 400,
  not_in_call: 409,
  not_joined: 409,
  timeout: 504,
  disconnected: 503,
};

export interface CentralLink {
  url: () => string; // ws://host:port of the central service
  boxToken: string;
}

const joinErrors: Record<string, [number, string]> = {
  bad_password: [403, 'Sai mật khẩu cuộc họp / wrong meeting password'],
  not_found: [404, 'Không tìm thấy cuộc họp với mã này / no meeting with this code'],
  locked: [403, 'Cuộc họp đã khóa / the meeting is locked'],
  bad_chair_pin: [403, 'Sai mã chủ tọa / wrong chair PIN'],
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
  let ownPeerId: string | null = null;
  media.on('meeting', (v: RoomMeetingView) => {
    ownPeerId = v.peerId;
    const next: RoomMeetingState = v.role === null && !v.waiting
      ? emptyMeetingState()
      : {
          ...emptyMeetingState(),
          role: v.role,
          waiting: v.waiting,
          peerId: v.peerId,
          ...(v.settings
            ? { locked: v.settings.locked, hasPassword: v.settings.hasPassword, selfUnmute: v.settings.selfUnmute, floorControl: v.settings.floorControl, lobbyOn: v.settings.lobby }
            : {}),
          lobby: v.lobby.map((e) => ({ id: e.id, displayName: e.displayName, ...(e.unit ? { unit: e.unit } : {}), kind: e.kind, technician: e.technician, reason: e.reason, since: e.since })),
          floor: v.floor,
        };
    state.set(['room', 'meeting'], next);
  });
  media.on('chat', (list: ChatMessage[]) => {
    const chat: RoomChatMessage[] = list.map((m) => ({
      id: m.id,
      from: m.from,
      ...(m.unit ? { unit: m.unit } : {}),
      text: m.text,
      time: m.time,
      own: !!ownPeerId && m.peerId === ownPeerId,
    }));
    state.set(['room', 'chat'], chat);
  });
  // Central turned the room's microphone off (a chair's mute, floor control, the end of its turn) or on
  // (the chair gave the room the floor): the room's own microphones follow, and the panel shows it.
  media.on('micForced', (ev: { muted: boolean; reason: string }) => {
    void (async () => {
      try {
        await audio.runOnKind('audio', 'mute', { on: ev.muted });
        await media.setMicMuted(ev.muted);
        state.set(['room', 'mic', 'muted'], ev.muted);
      } catch {
        /* a DSP that does not answer must not stop the meeting's mute */
        state.set(['room', 'mic', 'muted'], ev.muted);
      }
    })();
  });

  registry.register({
    name: 'room.join',
    scope: 'room',
    summary: 'Join a meeting by code / Tham gia cuộc họp bằng mã',
    roles: ROOM_OPERATORS,
    redact: ['password', 'chairPin'],
    timeoutMs: 15_000,
    args: {
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', pattern: '^[A-Za-z0-9-]{3,32}$' },
        password: { type: 'string', maxLength: 128 },
        chairPin: { type: 'string', maxLength: 128, description: 'the meeting chair PIN: the room chairs the meeting from its panel' },
      },
    },
    handler: async (_ctx, args: { code: string; password?: string; chairPin?: string }) => {
      const call = state.get().room.call;
      if (call.state === 'in-call' || call.state === 'joining')
        throw new ApiError(409, 'already_in_call', 'Phòng đang trong cuộc họp; hãy rời trước / leave the current meeting first');
      setCall('joining', { code: args.code, error: null, meetingTitle: null });
      try {
        const r = await media.join({
          centralUrl: central.url(),
          boxToken: central.boxToken,
          code: args.code,
          password: args.password,
          ...(args.chairPin ? { chairPin: args.chairPin } : {}),
          name: state.get().room.name,
        });
        // The room's mute and camera choices carry into the meeting.
        await media.setMicMuted(state.get().room.mic.muted);
        await media.setCameraOn(state.get().room.camera.on);
        if (r.waiting) {
          // M5.3: in the lobby until a chair admits the room; the call state follows by itself.
          setCall('joining', { meetingTitle: r.meetingTitle, error: null });
          return { state: 'joining', waiting: true, meetingTitle: r.meetingTitle };
        }
        setCall('in-call', { meetingTitle: r.meetingTitle, error: null });
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
      state.set(['room', 'meeting'], emptyMeetingState());
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
      if (!args.muted && !media.mayUnmute())
        throw new ApiError(403, 'not_allowed', 'Chủ tọa điều hành phát biểu: hãy giơ tay và chờ / floor control: raise the hand and wait for the floor');
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

  // ---- the room as chair (F5, A1, M5.3, M6.4, M6.5): relayed to central over the box's connection ----
  const relay = async (method: string, data: Record<string, unknown>): Promise<unknown> => {
    try {
      return await media.request(method, data);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'request_failed';
      throw new ApiError(requestErrors[code] ?? 502, code, (err as Error).message);
    }
  };
  const peerArg = { type: 'object', required: ['peerId'], additionalProperties: false, properties: { peerId: { type: 'string', minLength: 1, maxLength: 64 } } };
  const noArgs = { type: 'object', additionalProperties: false, properties: {} };
  const chairCommands: Array<{ name: string; method: string; summary: string; args: Record<string, unknown> }> = [
    { name: 'room.chair.muteAll', method: 'muteAll', summary: 'Mute every other endpoint / Tắt micro tất cả điểm cầu', args: noArgs },
    { name: 'room.chair.mutePeer', method: 'mutePeer', summary: "Mute one endpoint's microphone / Tắt micro một điểm cầu", args: peerArg },
    { name: 'room.chair.removePeer', method: 'removePeer', summary: 'Remove a participant / Mời điểm cầu ra khỏi cuộc họp', args: peerArg },
    {
      name: 'room.chair.lock',
      method: 'lock',
      summary: 'Lock or unlock the meeting / Khóa hoặc mở khóa cuộc họp',
      args: { type: 'object', required: ['locked'], additionalProperties: false, properties: { locked: { type: 'boolean' } } },
    },
    { name: 'room.chair.admit', method: 'admit', summary: 'Admit somebody from the lobby / Cho vào cuộc họp', args: peerArg },
    { name: 'room.chair.deny', method: 'deny', summary: 'Refuse somebody in the lobby / Từ chối cho vào', args: peerArg },
    { name: 'room.chair.giveFloor', method: 'giveFloor', summary: 'Give the floor / Cho phát biểu', args: peerArg },
    { name: 'room.chair.endFloor', method: 'endFloor', summary: 'End the current speech / Kết thúc phát biểu', args: noArgs },
    {
      name: 'room.chair.setOptions',
      method: 'setOptions',
      summary: 'Floor control, self-unmute, lobby / Điều hành phát biểu, tự bật micro, phòng chờ',
      args: {
        type: 'object',
        additionalProperties: false,
        properties: { floorControl: { type: 'boolean' }, selfUnmute: { type: 'boolean' }, lobby: { type: 'boolean' } },
      },
    },
    { name: 'room.chair.endMeeting', method: 'endMeeting', summary: 'End the meeting for everybody / Kết thúc cuộc họp', args: noArgs },
  ];
  for (const c of chairCommands)
    registry.register({
      name: c.name,
      scope: 'room',
      summary: c.summary,
      roles: ROOM_CHAIRS,
      args: c.args,
      handler: async (_ctx, args: Record<string, unknown>) => {
        if (state.get().room.meeting.role !== 'chair')
          throw new ApiError(403, 'forbidden', 'Phòng không phải chủ tọa cuộc họp này / the room does not chair this meeting');
        return relay(c.method, args);
      },
    });

  registry.register({
    name: 'room.chair.claim',
    scope: 'room',
    summary: 'Become chair with the chair PIN / Nhận vai trò chủ tọa bằng mã chủ tọa',
    roles: ROOM_CHAIRS,
    redact: ['chairPin'],
    args: { type: 'object', required: ['chairPin'], additionalProperties: false, properties: { chairPin: { type: 'string', minLength: 1, maxLength: 128 } } },
    handler: async (_ctx, args: { chairPin: string }) => relay('claimChair', { chairPin: args.chairPin }),
  });

  registry.register({
    name: 'room.chat.send',
    scope: 'room',
    summary: 'Send a chat message to the meeting / Gửi tin nhắn vào cuộc họp',
    roles: ROOM_OPERATORS,
    // The message itself is kept in the meeting chat at central; the audit log notes only that one was sent.
    redact: ['text'],
    args: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: 2000 } } },
    handler: async (_ctx, args: { text: string }) => relay('chat', { text: args.text }),
  });

  registry.register({
    name: 'room.hand',
    scope: 'room',
    summary: 'Raise or lower the room’s hand to speak / Giơ tay hoặc hạ tay xin phát biểu',
    roles: ROOM_OPERATORS,
    args: { type: 'object', required: ['raised'], additionalProperties: false, properties: { raised: { type: 'boolean' } } },
    handler: async (_ctx, args: { raised: boolean }) => relay(args.raised ? 'raiseHand' : 'lowerHand', {}),
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
