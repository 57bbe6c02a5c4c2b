// Meeting methods beyond media, shared by browser participants (participant.ts) and room boxes (box.ts):
//   anybody:     setDisplayName (F6), raiseHand / lowerHand (M6.5), chat / chatHistory (A6),
//                claimChair {chairPin} (become chair during the meeting with the host key)
//   chairs only: mutePeer, muteAll, removePeer (F5), lock, setPassword, setOptions, setPermissions (A1),
//                admit / deny (M5.3), giveFloor / endFloor (M6.5), endMeeting (M6.4)
// Every chair action — refused ones too — is audited at central with who, what, target and result.
import type { Logger } from 'pino';
import { RpcError } from '../media/ws-rpc.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import { setAudioPaused } from './meeting-control.js';
import type { CentralMeetings } from './service.js';
import type { ChatMessage, MeetingWelcome, PeerPermissions } from './protocol.js';

export const CHAT_MAX_CHARS = 2000;
/** How many stored messages a newcomer gets with its welcome. */
const CHAT_HISTORY_ON_JOIN = 200;
/** Wrong chair PINs one connection may try before claimChair stops answering. */
const CLAIM_ATTEMPTS = 5;
const claimFailures = new WeakMap<MeetingPeer, number>();

export const NOT_HANDLED: unique symbol = Symbol('not handled');

export interface PeerContext {
  meetings: CentralMeetings;
  meeting: Meeting;
  peer: MeetingPeer;
  log: Logger;
}

const CHAIR_METHODS = new Set([
  'mutePeer',
  'muteAll',
  'removePeer',
  'lock',
  'setPassword',
  'setOptions',
  'admit',
  'deny',
  'setPermissions',
  'giveFloor',
  'endFloor',
  'endMeeting',
]);

/** What a peer learns when it gets in: role, permissions, settings, the floor, the chat (and the lobby, for chairs). */
export function welcome(meetings: CentralMeetings, m: Meeting, p: MeetingPeer): MeetingWelcome {
  return {
    role: p.control.role,
    permissions: { ...p.control.permissions },
    settings: m.control.settings(),
    floor: m.control.floor(),
    chat: meetings.chat.list(m.record.id, CHAT_HISTORY_ON_JOIN),
    ...(p.control.role === 'chair' ? { lobby: m.control.lobbyList() } : {}),
  };
}

/** Who did it, as the audit log names people: the account, the box, or the guest's display name. */
export function actorName(p: MeetingPeer): string {
  if (p.control.user) return p.control.user;
  if (p.control.boxId) return `box:${p.control.boxId}`;
  return `guest:${p.displayName}`;
}

function peerUpdated(m: Meeting, p: MeetingPeer): void {
  const { producers: _omit, ...info } = m.peerInfo(p);
  m.broadcast('peerUpdated', info);
}

function text(v: unknown, name: string, max: number): string {
  if (typeof v !== 'string') throw new RpcError('invalid_arguments', `${name} must be a string`);
  const s = v.trim();
  if (!s) throw new RpcError('invalid_arguments', `${name} must not be blank`);
  if (s.length > max) throw new RpcError('invalid_arguments', `${name}: at most ${max} characters`);
  return s;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new RpcError('invalid_arguments', `${name} must be true or false`);
  return v;
}

/**
 * Handles one meeting method for a joined peer; NOT_HANDLED for anything else (media methods stay with
 * the endpoint). Throws RpcError with a stable code: forbidden, not_found, invalid_arguments, …
 */
export async function meetingRequest(ctx: PeerContext, method: string, data: any): Promise<unknown> {
  const { meeting: m, peer: p, meetings } = ctx;
  switch (method) {
    case 'setDisplayName': {
      p.displayName = text(data.displayName, 'displayName', 64);
      if (data.unit !== undefined) p.unit = data.unit === null || data.unit === '' ? undefined : text(data.unit, 'unit', 128);
      peerUpdated(m, p);
      if (m.control.handRaised(p.id)) m.control.floorChanged();
      return { displayName: p.displayName, ...(p.unit ? { unit: p.unit } : {}) };
    }
    case 'raiseHand':
      m.control.raiseHand(p);
      return m.control.floor();
    case 'lowerHand': {
      // A chair may lower somebody else's hand; anybody may lower their own.
      const id = typeof data.peerId === 'string' && data.peerId !== p.id ? data.peerId : p.id;
      if (id !== p.id && p.control.role !== 'chair') throw new RpcError('forbidden', 'Chỉ chủ tọa mới làm được / only the chair may do this');
      m.control.lowerHand(id);
      return m.control.floor();
    }
    case 'chat': {
      const body = text(data.text, 'text', CHAT_MAX_CHARS);
      const msg: ChatMessage = meetings.chat.add(m.record.id, {
        peerId: p.id,
        from: p.displayName,
        unit: p.unit,
        username: p.control.user,
        text: body,
      });
      m.broadcast('chatMessage', msg);
      return msg;
    }
    case 'chatHistory':
      return { messages: meetings.chat.list(m.record.id) };
    case 'claimChair': {
      if (p.control.role === 'chair') return { role: 'chair' };
      const failures = claimFailures.get(p) ?? 0;
      if (failures >= CLAIM_ATTEMPTS) throw new RpcError('limit', 'Nhập sai mã chủ tọa quá nhiều lần / too many wrong chair PINs');
      const ok = typeof data.chairPin === 'string' && meetings.repo.checkChairPin(m.record.id, data.chairPin);
      meetings.audit({ user: actorName(p), action: 'meeting.chair.claim', target: m.record.code, args: { meeting: m.record.code }, result: ok ? 'ok' : 'bad_chair_pin' });
      if (!ok) {
        claimFailures.set(p, failures + 1);
        throw new RpcError('bad_chair_pin', 'Sai mã chủ tọa / wrong chair PIN');
      }
      p.control.role = 'chair';
      p.control.permissions = { ...p.control.permissions, recordAudio: true, recordVideo: true };
      p.notify('roleChanged', { role: 'chair', permissions: { ...p.control.permissions }, lobby: m.control.lobbyList() });
      peerUpdated(m, p);
      return { role: 'chair' };
    }
    default:
      if (!CHAIR_METHODS.has(method)) return NOT_HANDLED;
      return chairRequest(ctx, method, data);
  }
}

async function chairRequest(ctx: PeerContext, method: string, data: any): Promise<unknown> {
  const { meeting: m, peer: p, meetings, log } = ctx;
  const by = p.displayName;
  const target = (): MeetingPeer => {
    const id = data?.peerId;
    const t = typeof id === 'string' ? m.peers.get(id) : undefined;
    if (!t) throw new RpcError('not_found', 'Không có điểm cầu này trong cuộc họp / no such participant');
    return t;
  };
  let targetLabel = m.record.code;
  let auditArgs: Record<string, unknown> = { meeting: m.record.code };
  const audit = (result: string) =>
    meetings.audit({ user: actorName(p), action: `meeting.chair.${method}`, target: targetLabel, args: auditArgs, result });
  const aim = (t: { id: string; displayName: string; unit?: string }) => {
    targetLabel = `${m.record.code}/${t.displayName}`;
    auditArgs = { ...auditArgs, peerId: t.id, peerName: t.displayName, ...(t.unit ? { unit: t.unit } : {}) };
  };

  if (p.control.role !== 'chair') {
    audit('forbidden');
    throw new RpcError('forbidden', 'Chỉ chủ tọa mới làm được / only the chair may do this');
  }
  try {
    const result = await chairAction();
    audit('ok');
    return result;
  } catch (err) {
    audit(`error:${err instanceof RpcError ? err.code : 'failed'}`);
    if (!(err instanceof RpcError)) log.warn({ err, method }, 'chair action failed');
    throw err;
  }

  async function chairAction(): Promise<unknown> {
    switch (method) {
      case 'mutePeer': {
        const t = target();
        aim(t);
        const muted = await setAudioPaused(t, true);
        t.notify('mutedByChair', { by, reason: 'chair' });
        if (m.control.speaking === t.id) {
          m.control.speaking = null;
          m.control.floorChanged();
        }
        return { muted };
      }
      case 'muteAll': {
        let peers = 0;
        for (const t of [...m.peers.values()]) {
          if (t === p) continue;
          await setAudioPaused(t, true);
          t.notify('mutedByChair', { by, reason: 'chair' });
          peers++;
        }
        auditArgs = { ...auditArgs, peers };
        if (m.control.speaking && m.control.speaking !== p.id) {
          m.control.speaking = null;
          m.control.floorChanged();
        }
        return { peers };
      }
      case 'removePeer': {
        // Somebody in the lobby is simply sent away.
        const waiting = typeof data?.peerId === 'string' ? m.control.lobby.get(data.peerId) : undefined;
        if (waiting) {
          aim(waiting.peer);
          m.control.deny(waiting.peer.id, by);
          return { removed: waiting.peer.id };
        }
        const t = target();
        aim(t);
        if (t === p) throw new RpcError('invalid_arguments', 'Không thể tự mời mình ra / use leave instead');
        t.notify('removed', { by });
        m.control.markRemoved(t);
        m.leave(t); // closes its transports; everybody sees peerLeft
        t.disconnect?.();
        return { removed: t.id };
      }
      case 'lock': {
        const locked = bool(data?.locked, 'locked');
        auditArgs = { ...auditArgs, locked };
        meetings.repo.setLocked(m.record.id, locked);
        m.record.locked = locked;
        m.broadcast('meetingUpdated', m.control.settings());
        return m.control.settings();
      }
      case 'setPassword': {
        const pw = data?.password;
        if (pw !== null && pw !== '' && (typeof pw !== 'string' || pw.length > 128))
          throw new RpcError('invalid_arguments', 'password must be a string of at most 128 characters, or null');
        const password = typeof pw === 'string' && pw ? pw : null;
        auditArgs = { ...auditArgs, password: password ? '***' : null };
        meetings.repo.setPassword(m.record.id, password);
        m.record.hasPassword = !!password;
        m.broadcast('meetingUpdated', m.control.settings());
        return m.control.settings();
      }
      case 'setOptions': {
        const changes: Record<string, boolean> = {};
        for (const k of ['selfUnmute', 'floorControl', 'lobby'] as const) if (data?.[k] !== undefined) changes[k] = bool(data[k], k);
        auditArgs = { ...auditArgs, ...changes };
        if (changes.selfUnmute !== undefined) m.control.selfUnmute = changes.selfUnmute;
        if (changes.floorControl !== undefined) m.control.floorControl = changes.floorControl;
        if (changes.lobby !== undefined) {
          meetings.repo.setLobby(m.record.id, changes.lobby);
          m.record.lobby = changes.lobby;
        }
        m.broadcast('meetingUpdated', m.control.settings());
        return m.control.settings();
      }
      case 'admit': {
        const id = data?.peerId;
        const w = typeof id === 'string' ? m.control.lobby.get(id) : undefined;
        if (w) aim(w.peer);
        m.control.admit(typeof id === 'string' ? id : '');
        return { admitted: id };
      }
      case 'deny': {
        const id = data?.peerId;
        const w = typeof id === 'string' ? m.control.lobby.get(id) : undefined;
        if (w) aim(w.peer);
        m.control.deny(typeof id === 'string' ? id : '', by);
        return { denied: id };
      }
      case 'setPermissions': {
        const t = target();
        aim(t);
        const next: PeerPermissions = { ...t.control.permissions };
        for (const k of ['share', 'recordAudio', 'recordVideo'] as const) if (data[k] !== undefined) next[k] = bool(data[k], k);
        auditArgs = { ...auditArgs, ...next };
        t.control.permissions = next;
        // Taking the right to share away stops a share in progress.
        if (!next.share) for (const pr of [...t.producers.values()]) if (pr.appData.share === true) pr.close();
        t.notify('permissionsChanged', next);
        peerUpdated(m, t);
        return next;
      }
      case 'giveFloor': {
        const t = target();
        aim(t);
        await m.control.giveFloor(t, by);
        return m.control.floor();
      }
      case 'endFloor': {
        const id = m.control.speaking;
        const t = id ? m.peers.get(id) : undefined;
        if (t) aim(t);
        await m.control.endFloor(by);
        return m.control.floor();
      }
      case 'endMeeting': {
        auditArgs = { ...auditArgs, peers: m.peers.size, waiting: m.control.lobby.size };
        // After this answer: the chair's own connection gets meetingClosed like everybody else.
        setImmediate(() => m.close({ reason: 'ended_by_chair', by }));
        return { ended: true };
      }
      default:
        throw new RpcError('unknown_method', `unknown method ${method}`);
    }
  }
}
