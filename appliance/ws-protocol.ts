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
    participants: Array<{ id: string; name: string; unit?: string; kind: 'room' | 'browser' }>;
  };
  devices: Record<string, DeviceView>;
  alerts: AlertView[];
}
