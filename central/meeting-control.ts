// The chair's side of a live meeting (F5, A1, M5.3, M6.5): who is chair, the lobby, the floor queue, the
// microphone rule and who was removed. One MeetingControl per Meeting (meeting.control); chair.ts turns
// signaling requests into calls here, and both endpoints (browser, box) share it.
import { RpcError } from '../media/ws-rpc.js';
import type { AuthUser, Role } from '../appliance/roles.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import type { FloorState, LobbyEntry, MeetingRole, MeetingSettings, PeerPermissions } from './protocol.js';

/** What the meeting knows about one peer beyond its media. */
export interface PeerControl {
  role: MeetingRole;
  /** The account, when the peer joined with a token (F6). */
  user?: string;
  accountRole?: Role;
  boxId?: string;
  technician: boolean;
  permissions: PeerPermissions;
}

export interface Identity {
  displayName: string;
  unit?: string;
  user?: AuthUser | null;
  boxId?: string;
}

export function newPeerControl(role: MeetingRole, who: Identity): PeerControl {
  return {
    role,
    ...(who.user ? { user: who.user.username, accountRole: who.user.role } : {}),
    ...(who.boxId ? { boxId: who.boxId } : {}),
    technician: who.user?.role === 'technician',
    // M6.3: recording needs the chair's consent, so only chairs start with it.
    permissions: { share: true, recordAudio: role === 'chair', recordVideo: role === 'chair' },
  };
}

const norm = (s: string | undefined) => (s ?? '').normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('vi');

/** Keys that recognise the same endpoint when it comes back: the box, the account, or name + unit. */
function identityKeys(who: { displayName: string; unit?: string; user?: string; boxId?: string }): string[] {
  const keys = [`name:${norm(who.displayName)}|${norm(who.unit)}`];
  if (who.boxId) keys.push(`box:${who.boxId}`);
  if (who.user) keys.push(`user:${who.user}`);
  return keys;
}

/** M5.3: invited when the name, the unit or the account matches an entry of the invitation list. */
export function isInvited(invited: string[], who: Identity): boolean {
  const list = new Set(invited.map(norm).filter(Boolean));
  return [who.displayName, who.unit, who.user?.username].some((x) => x !== undefined && list.has(norm(x)));
}

/** Somebody in the lobby; the endpoint that put them there knows how to let them in or send them away. */
export interface Waiting {
  peer: MeetingPeer;
  entry: LobbyEntry;
  /** Joins the meeting and tells the peer (`admitted`). */
  admit(): void;
  /** Tells the peer (`denied`) and closes its connection. */
  deny(by: string): void;
}

export class MeetingControl {
  readonly lobby = new Map<string, Waiting>();
  private hands: Array<{ peerId: string; since: number }> = [];
  speaking: string | null = null;
  selfUnmute = true;
  floorControl = false;
  /** Boxes and accounts a chair let in: a box that reconnects does not wait again. */
  private readonly admittedKeys = new Set<string>();
  /** Endpoints a chair removed: while the meeting is unlocked they may come back, through the lobby. */
  private readonly removedKeys = new Set<string>();
  /** Boxes and accounts that were in this meeting: a box whose link dropped rejoins even when locked. */
  private readonly memberKeys = new Set<string>();

  constructor(private readonly meeting: Meeting) {}

  settings(): MeetingSettings {
    const r = this.meeting.record;
    return { locked: r.locked, hasPassword: r.hasPassword, selfUnmute: this.selfUnmute, floorControl: this.floorControl, lobby: r.lobby };
  }

  /** Why this newcomer (not a chair) must wait, or null to let them straight in. */
  waitReason(who: Identity): LobbyEntry['reason'] | null {
    const keys = identityKeys({ displayName: who.displayName, unit: who.unit, user: who.user?.username, boxId: who.boxId });
    if (keys.some((k) => this.removedKeys.has(k))) return 'removed';
    if (keys.some((k) => this.admittedKeys.has(k))) return null;
    if (who.user?.role === 'technician') return 'technician';
    if (this.meeting.record.lobby) return 'lobby';
    if (this.meeting.record.invited.length && !isInvited(this.meeting.record.invited, who)) return 'not_invited';
    return null;
  }

  /** A member got in (joined or admitted). Only box and account identities count: names can be typed by anyone. */
  remember(p: MeetingPeer): void {
    for (const k of identityKeys({ displayName: p.displayName, unit: p.unit, user: p.control.user, boxId: p.control.boxId }))
      if (!k.startsWith('name:')) this.memberKeys.add(k);
  }

  /** True for a box or an account that was in this live meeting and was not removed (a reconnect). */
  wasMember(who: Identity): boolean {
    const keys = identityKeys({ displayName: who.displayName, unit: who.unit, user: who.user?.username, boxId: who.boxId });
    if (keys.some((k) => this.removedKeys.has(k))) return false;
    return keys.some((k) => !k.startsWith('name:') && this.memberKeys.has(k));
  }

  // ---- the lobby --------------------------------------------------------------------------------------

  wait(w: Waiting): void {
    this.lobby.set(w.peer.id, w);
    this.lobbyChanged();
  }

  /** A waiting peer went away by itself. */
  leaveLobby(peerId: string): void {
    if (!this.lobby.delete(peerId)) return;
    this.lobbyChanged();
    this.closeIfEmpty();
  }

  admit(peerId: string): Waiting {
    const w = this.lobby.get(peerId);
    if (!w) throw new RpcError('not_found', 'Không có ai đang chờ với mã này / nobody waiting with this id');
    this.lobby.delete(peerId);
    const keys = identityKeys({ displayName: w.peer.displayName, unit: w.peer.unit, user: w.peer.control.user, boxId: w.peer.control.boxId });
    for (const k of keys) this.removedKeys.delete(k);
    for (const k of keys) if (!k.startsWith('name:')) this.admittedKeys.add(k);
    w.admit();
    this.lobbyChanged();
    return w;
  }

  deny(peerId: string, by: string): Waiting {
    const w = this.lobby.get(peerId);
    if (!w) throw new RpcError('not_found', 'Không có ai đang chờ với mã này / nobody waiting with this id');
    this.lobby.delete(peerId);
    w.deny(by);
    this.lobbyChanged();
    this.closeIfEmpty();
    return w;
  }

  lobbyList(): LobbyEntry[] {
    return [...this.lobby.values()].map((w) => ({ ...w.entry, displayName: w.peer.displayName, ...(w.peer.unit ? { unit: w.peer.unit } : {}) }));
  }

  /** Chairs see the lobby change. */
  lobbyChanged(): void {
    const waiting = this.lobbyList();
    for (const p of this.meeting.peers.values()) if (p.control.role === 'chair') p.notify('lobbyChanged', { waiting });
  }

  /** Remembers a removed endpoint (its box, account, name and unit). */
  markRemoved(p: MeetingPeer): void {
    for (const k of identityKeys({ displayName: p.displayName, unit: p.unit, user: p.control.user, boxId: p.control.boxId })) {
      this.removedKeys.add(k);
      this.admittedKeys.delete(k);
      this.memberKeys.delete(k);
    }
  }

  // ---- the floor (M6.5) --------------------------------------------------------------------------------

  floor(): FloorState {
    const queue: FloorState['queue'] = [];
    for (const h of this.hands) {
      const p = this.meeting.peers.get(h.peerId);
      if (p) queue.push({ peerId: p.id, displayName: p.displayName, ...(p.unit ? { unit: p.unit } : {}), since: h.since });
    }
    return { queue, speaking: this.speaking };
  }

  handRaised(peerId: string): boolean {
    return this.hands.some((h) => h.peerId === peerId);
  }

  raiseHand(p: MeetingPeer): void {
    if (this.handRaised(p.id) || this.speaking === p.id) return;
    this.hands.push({ peerId: p.id, since: Date.now() });
    this.floorChanged();
  }

  lowerHand(peerId: string): void {
    const before = this.hands.length;
    this.hands = this.hands.filter((h) => h.peerId !== peerId);
    if (this.hands.length !== before) this.floorChanged();
  }

  /** Gives `target` the floor: whoever spoke before is muted, the target's microphone resumes. */
  async giveFloor(target: MeetingPeer, by: string): Promise<void> {
    const previous = this.speaking ? this.meeting.peers.get(this.speaking) : undefined;
    if (previous && previous !== target) {
      await setAudioPaused(previous, true);
      previous.notify('floorEnded', { by });
    }
    this.speaking = target.id;
    this.hands = this.hands.filter((h) => h.peerId !== target.id);
    await setAudioPaused(target, false);
    target.notify('floorGiven', { by });
    this.floorChanged();
  }

  /** Ends the current speaker's turn: the microphone goes off after speaking (M6.5). */
  async endFloor(by: string): Promise<string | null> {
    const id = this.speaking;
    this.speaking = null;
    const p = id ? this.meeting.peers.get(id) : undefined;
    if (p) {
      await setAudioPaused(p, true);
      p.notify('floorEnded', { by });
    }
    this.floorChanged();
    return id;
  }

  floorChanged(): void {
    this.meeting.broadcast('floorChanged', this.floor());
  }

  /** Chairs, the speaker, and anybody while self-unmute is allowed and the floor is not controlled. */
  mayUnmute(p: MeetingPeer): boolean {
    if (p.control.role === 'chair' || this.speaking === p.id) return true;
    if (this.floorControl) return false;
    return this.selfUnmute;
  }

  assertMayUnmute(p: MeetingPeer): void {
    if (!this.mayUnmute(p))
      throw new RpcError(
        'not_allowed',
        this.floorControl
          ? 'Chủ tọa điều hành phát biểu: hãy giơ tay và chờ được phát biểu / floor control: raise your hand and wait for the floor'
          : 'Chủ tọa không cho phép tự bật micro / the chair does not allow unmuting yourself',
      );
  }

  // ---- the meeting's life ------------------------------------------------------------------------------

  /** A member left: it no longer waits for the floor. */
  peerLeft(p: MeetingPeer): void {
    const had = this.handRaised(p.id) || this.speaking === p.id;
    this.hands = this.hands.filter((h) => h.peerId !== p.id);
    if (this.speaking === p.id) this.speaking = null;
    if (had) this.floorChanged();
  }

  /** The meeting closes when nobody is in it and nobody waits. */
  closeIfEmpty(): void {
    if (this.meeting.peers.size === 0 && this.lobby.size === 0 && !this.meeting.isClosed) this.meeting.close();
  }

  /** The meeting closed: the people still waiting are told too. */
  close(data: unknown): void {
    for (const w of this.lobby.values()) {
      w.peer.notify('meetingClosed', data);
      w.peer.close();
    }
    this.lobby.clear();
  }
}

/** Pauses or resumes every audio producer of a peer at central (a box's piped ones included). */
export async function setAudioPaused(p: MeetingPeer, paused: boolean): Promise<number> {
  let n = 0;
  for (const pr of p.producers.values()) {
    if (pr.kind !== 'audio' || pr.closed || pr.paused === paused) continue;
    if (paused) await pr.pause();
    else await pr.resume();
    n++;
  }
  return n;
}
