// The appliance WebSocket (/api/v1/ws?token=…) message shapes, shared by the server and the Vue apps.
// Commands go through the same registry as REST: {id, cmd, args, target?}; `target` names the device for
// device commands (ptz.move, preset.recall, power, …).
export interface WsCommand {
  id: string | number;
  cmd: string;
  args?: Record<string, unknown>;
  target?: string;
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string; // RFC 6901 pointer, e.g. /devices/cam1/status
  value?: unknown;
}

export type WsServerMessage =
  | { type: 'hello'; user: { username: string; role: string }; state: RoomStateTree; commands: CommandInfo[] }
  | { type: 'patch'; ops: JsonPatchOp[] }
  | { type: 'result'; id: string | number; ok: true; result: unknown }
  | { type: 'result'; id: string | number; ok: false; error: { code: string; message: string } }
  | { type: 'event'; event: string; data: unknown };

export interface CommandInfo {
  name: string;
  scope: 'room' | 'device' | 'system';
  summary: string;
  args: Record<string, unknown>;
  roles: string[];
}

export type CallState = 'idle' | 'joining' | 'in-call' | 'leaving' | 'reconnecting' | 'error';
export type Layout = 'grid' | 'speaker';

export interface DeviceView {
  id: string;
  name: string;
  kind: 'camera' | 'display' | 'audio';
  driver: string;
  connection: Record<string, unknown>;
  status: 'connecting' | 'online' | 'degraded' | 'offline';
  health: { lastReplyAt: number | null; errorCount: number; lastError: string | null };
  state: Record<string, unknown>;
}

export interface AlertView {
  id: number;
  key: string;
  device: string | null;
  severity: 'warning' | 'error';
  code: string;
  message: string;
  raisedAt: number;
  clearedAt: number | null;
}

export interface RoomStateTree {
  room: {
    name: string;
    call: { state: CallState; code: string | null; meetingTitle: string | null; error: string | null; since: number | null };
    mic: { muted: boolean };
    camera: { on: boolean };
    layout: Layout;
    activeCamera: string | null; // device id the pad steers
    participants: RoomParticipant[];
    /** The room's place in the meeting: role, lobby, floor (F5, M5.3, M6.5). */
    meeting: RoomMeetingState;
    /** A6: the meeting chat as the room sees it (the last messages). */
    chat: RoomChatMessage[];
  };
  devices: Record<string, DeviceView>;
  alerts: AlertView[];
}

export interface RoomParticipant {
  id: string;
  name: string;
  unit?: string;
  kind: 'room' | 'browser';
  role?: 'chair' | 'participant';
  handRaised?: boolean;
  speaking?: boolean;
  /** The participant's microphone reaches the room. */
  micOn?: boolean;
}

export interface RoomMeetingState {
  /** null when not in a meeting. A room that joined with the chair PIN is 'chair' and its panel shows the chair controls. */
  role: 'chair' | 'participant' | null;
  /** In the lobby, waiting for a chair (M5.3). */
  waiting: boolean;
  peerId: string | null;
  locked: boolean;
  hasPassword: boolean;
  selfUnmute: boolean;
  floorControl: boolean;
  lobbyOn: boolean;
  /** Chairs only: who waits to be admitted. */
  lobby: Array<{ id: string; displayName: string; unit?: string; kind: 'room' | 'browser'; technician: boolean; reason: string; since: number }>;
  /** M6.5: raised hands in order, and who has the floor. */
  floor: { queue: Array<{ peerId: string; displayName: string; unit?: string; since: number }>; speaking: string | null };
}

export interface RoomChatMessage {
  id: number;
  from: string;
  unit?: string;
  text: string;
  time: number;
  /** Sent by this room. */
  own: boolean;
}
