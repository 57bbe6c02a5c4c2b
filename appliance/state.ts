// The room's state tree. Every change goes through set()/remove(), which emits an RFC 6902 patch that the
// WebSocket pushes to panels, displays and admin pages.
import { EventEmitter } from 'node:events';
import type { JsonPatchOp, RoomMeetingState, RoomStateTree } from './ws-protocol.js';

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (...parts: string[]) => '/' + parts.map(escape).join('/');

export class StateTree extends EventEmitter<{ patch: [JsonPatchOp[]] }> {
  constructor(private tree: RoomStateTree) {
    super();
  }

  snapshot(): RoomStateTree {
    return structuredClone(this.tree);
  }

  get(): Readonly<RoomStateTree> {
    return this.tree;
  }

  /** Sets the value at path (parts), creating nothing above it: parents must exist. */
  set(parts: string[], value: unknown): void {
    const parent = this.parentOf(parts);
    const key = parts[parts.length - 1];
    const existed = key in parent;
    if (existed && JSON.stringify(parent[key]) === JSON.stringify(value)) return; // nothing changed, no patch
    parent[key] = structuredClone(value);
    this.emit('patch', [{ op: existed ? 'replace' : 'add', path: pointer(...parts), value }]);
  }

  remove(parts: string[]): void {
    const parent = this.parentOf(parts);
    const key = parts[parts.length - 1];
    if (!(key in parent)) return;
    delete parent[key];
    this.emit('patch', [{ op: 'remove', path: pointer(...parts) }]);
  }

  private parentOf(parts: string[]): Record<string, any> {
    let node: any = this.tree;
    for (const p of parts.slice(0, -1)) {
      if (node == null || typeof node !== 'object') throw new Error(`no state at ${pointer(...parts)}`);
      node = node[p];
    }
    if (node == null || typeof node !== 'object') throw new Error(`no state at ${pointer(...parts)}`);
    return node;
  }
}

export function initialState(roomName: string): RoomStateTree {
  return {
    room: {
      name: roomName,
      call: { state: 'idle', code: null, meetingTitle: null, error: null, since: null },
      mic: { muted: false },
      camera: { on: true },
      layout: 'grid',
      activeCamera: null,
      participants: [],
      meeting: emptyMeetingState(),
      chat: [],
    },
    devices: {},
    alerts: [],
  };
}

export function emptyMeetingState(): RoomMeetingState {
  return {
    role: null,
    waiting: false,
    peerId: null,
    locked: false,
    hasPassword: false,
    selfUnmute: true,
    floorControl: false,
    lobbyOn: false,
    lobby: [],
    floor: { queue: [], speaking: null },
  };
}
