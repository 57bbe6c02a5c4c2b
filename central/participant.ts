// WS /api/v1/meet/ws: one browser participant (F6: no account needed, M6.2: name and unit shown).
// The browser drives everything: join, transports, produce, and consume of the producers it is told about.
import { randomUUID } from 'node:crypto';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { WsRpc, RpcError } from '../media/ws-rpc.js';
import { createWebRtcTransport, webRtcTransportInfo, type MediaNetwork } from '../media/network.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import type { CentralMeetings } from './service.js';
import type { ConsumeResponse, JoinResponse, WaitingResponse } from './protocol.js';
import type { AuthUser } from '../appliance/roles.js';
import { newPeerControl, type PeerControl } from './meeting-control.js';
import { meetingRequest, NOT_HANDLED, welcome } from './chair.js';

type Producer = mediasoup.types.Producer;
type Consumer = mediasoup.types.Consumer;
type WebRtcTransport = mediasoup.types.WebRtcTransport;

const MAX_TRANSPORTS = 4;
const MAX_PRODUCERS = 4;

export class BrowserPeer implements MeetingPeer {
  readonly id = randomUUID();
  readonly kind = 'browser' as const;
  readonly producers = new Map<string, Producer>();
  readonly transports = new Map<string, WebRtcTransport>();
  readonly consumers = new Map<string, Consumer>();

  constructor(
    public displayName: string,
    public unit: string | undefined,
    private readonly rpc: WsRpc,
    readonly control: PeerControl,
  ) {}

  notify(notification: string, data: unknown): void {
    this.rpc.notify(notification, data);
  }

  producerAdded(producer: Producer, owner: MeetingPeer): void {
    this.notify('newProducer', { producerId: producer.id, peerId: owner.id, kind: producer.kind, paused: producer.paused });
  }

  close(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }

  disconnect(): void {
    this.rpc.close(1000, 'removed');
  }
}

// Arguments come from anybody on the network: check shapes before they reach mediasoup.
function str(v: unknown, name: string, max = 256): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new RpcError('invalid_arguments', `${name} must be a non-empty string`);
  return v;
}
function optStr(v: unknown, name: string, max = 256): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return str(v, name, max);
}
function obj(v: unknown, name: string): any {
  if (!v || typeof v !== 'object') throw new RpcError('invalid_arguments', `${name} must be an object`);
  return v;
}

/** `user` is the account when the socket was opened with a token (?token=, F6); guests have none. */
export function handleParticipant(
  socket: import('ws').WebSocket,
  meetings: CentralMeetings,
  net: MediaNetwork,
  log: Logger,
  user: AuthUser | null = null,
): void {
  let meeting: Meeting | undefined;
  let peer: BrowserPeer | undefined;

  // A peer in the lobby, or one a chair removed, is not in meeting.peers: it may do nothing but leave.
  const joined = () => {
    if (!meeting || !peer || meeting.isClosed || meeting.peers.get(peer.id) !== peer) throw new RpcError('not_joined', 'join a meeting first');
    return { meeting, peer };
  };
  const joinResponse = (m: Meeting, p: BrowserPeer): JoinResponse => ({
    peerId: p.id,
    meetingTitle: m.record.title,
    routerRtpCapabilities: m.router.rtpCapabilities,
    peers: m.peerList(p.id),
    ...welcome(meetings, m, p),
  });
  const forget = () => {
    if (meeting && peer) {
      if (meeting.control.lobby.has(peer.id)) meeting.control.leaveLobby(peer.id);
      else meeting.leave(peer);
    }
    meeting = undefined;
    peer = undefined;
  };
  const transportOf = (p: BrowserPeer, id: unknown) => {
    const t = p.transports.get(str(id, 'transportId', 64));
    if (!t) throw new RpcError('not_found', 'no such transport');
    return t;
  };
  const ownProducer = (p: BrowserPeer, id: unknown) => {
    const pr = p.producers.get(str(id, 'producerId', 64));
    if (!pr) throw new RpcError('not_found', 'no such producer');
    return pr;
  };

  const rpc: WsRpc = new WsRpc(socket, {
    log,
    onRequest: async (method, data) => {
      switch (method) {
        case 'join': {
          if (peer && meeting && !meeting.isClosed) throw new RpcError('already_joined', 'already in a meeting');
          const displayName = str(data.displayName, 'displayName', 64).trim();
          if (!displayName) throw new RpcError('invalid_arguments', 'displayName must not be blank');
          const unit = optStr(data.unit, 'unit', 128)?.trim() || undefined;
          const who = { displayName, unit, user, chairPin: optStr(data.chairPin, 'chairPin', 128) };
          const { meeting: m, role, wait } = await meetings.admit(str(data.code, 'code', 32), optStr(data.password, 'password', 128), who);
          const p = new BrowserPeer(displayName, unit, rpc, newPeerControl(role, who));
          meeting = m;
          peer = p;
          if (wait) {
            // M5.3: not invited (or lobby on, a technician, removed before): wait until a chair decides.
            m.control.wait({
              peer: p,
              entry: { id: p.id, displayName, ...(unit ? { unit } : {}), kind: 'browser', ...(user ? { user: user.username } : {}), technician: p.control.technician, reason: wait, since: Date.now() },
              admit: () => {
                m.join(p);
                rpc.notify('admitted', joinResponse(m, p));
              },
              deny: (by) => {
                rpc.notify('denied', { by });
                if (peer === p) {
                  meeting = undefined;
                  peer = undefined;
                }
                rpc.close(1000, 'denied');
              },
            });
            log.info({ meeting: m.record.code, peer: p.id, reason: wait }, 'participant waits in the lobby');
            const res: WaitingResponse = { peerId: p.id, meetingTitle: m.record.title, waiting: true };
            return res;
          }
          m.join(p);
          return joinResponse(m, p);
        }
        case 'createWebRtcTransport': {
          const { meeting: m, peer: p } = joined();
          if (data.direction !== 'send' && data.direction !== 'recv') throw new RpcError('invalid_arguments', 'direction must be send or recv');
          if (p.transports.size >= MAX_TRANSPORTS) throw new RpcError('limit', 'too many transports');
          const t = await createWebRtcTransport(m.router, net, { direction: data.direction, peerId: p.id });
          p.transports.set(t.id, t);
          t.observer.once('close', () => p.transports.delete(t.id));
          return webRtcTransportInfo(t);
        }
        case 'connectTransport': {
          const { peer: p } = joined();
          await transportOf(p, data.transportId).connect({ dtlsParameters: obj(data.dtlsParameters, 'dtlsParameters') });
          return {};
        }
        case 'produce': {
          const { meeting: m, peer: p } = joined();
          const t = transportOf(p, data.transportId);
          if (t.appData.direction !== 'send') throw new RpcError('invalid_arguments', 'not a send transport');
          if (data.kind !== 'audio' && data.kind !== 'video') throw new RpcError('invalid_arguments', 'kind must be audio or video');
          if (p.producers.size >= MAX_PRODUCERS) throw new RpcError('limit', 'too many producers');
          const appData = data.appData && typeof data.appData === 'object' ? data.appData : {};
          // A1: content sharing needs the chair's permission (on by default).
          if (appData.share === true && !p.control.permissions.share)
            throw new RpcError('not_allowed', 'Chủ tọa chưa cho phép chia sẻ nội dung / the chair has not allowed you to share');
          // Floor control: a new microphone starts paused unless the peer may speak (M6.5).
          const holdMic = data.kind === 'audio' && data.paused !== true && !m.control.mayUnmute(p);
          const producer = await t.produce({
            kind: data.kind,
            rtpParameters: obj(data.rtpParameters, 'rtpParameters'),
            paused: data.paused === true || holdMic,
            appData: { ...appData, peerId: p.id },
          });
          m.addProducer(p, producer);
          if (holdMic) p.notify('mutedByChair', { by: '', reason: 'floor' });
          return { id: producer.id };
        }
        case 'closeProducer': {
          const { peer: p } = joined();
          ownProducer(p, data.producerId).close();
          return {};
        }
        case 'pauseProducer': {
          const { peer: p } = joined();
          await ownProducer(p, data.producerId).pause();
          return {};
        }
        case 'resumeProducer': {
          const { meeting: m, peer: p } = joined();
          const pr = ownProducer(p, data.producerId);
          // F5: after a chair's mute the participant unmutes only if the meeting allows it.
          if (pr.kind === 'audio') m.control.assertMayUnmute(p);
          await pr.resume();
          return {};
        }
        case 'consume': {
          const { meeting: m, peer: p } = joined();
          const t = transportOf(p, data.transportId);
          if (t.appData.direction !== 'recv') throw new RpcError('invalid_arguments', 'not a receive transport');
          const found = m.findProducer(str(data.producerId, 'producerId', 64));
          if (!found || found.owner.id === p.id) throw new RpcError('not_found', 'no such producer');
          const rtpCapabilities = obj(data.rtpCapabilities, 'rtpCapabilities');
          if (!m.router.canConsume({ producerId: found.producer.id, rtpCapabilities }))
            throw new RpcError('cannot_consume', 'this browser cannot decode that stream');
          // Paused until the browser has wired the track, so the first key frame is not lost (media.md §3).
          const consumer = await t.consume({ producerId: found.producer.id, rtpCapabilities, paused: true });
          p.consumers.set(consumer.id, consumer);
          consumer.observer.once('close', () => p.consumers.delete(consumer.id));
          const res: ConsumeResponse = {
            id: consumer.id,
            producerId: found.producer.id,
            kind: consumer.kind,
            rtpParameters: consumer.rtpParameters,
            producerPaused: consumer.producerPaused,
            peerId: found.owner.id,
          };
          return res;
        }
        case 'resumeConsumer': {
          const { peer: p } = joined();
          const c = p.consumers.get(str(data.consumerId, 'consumerId', 64));
          if (!c) throw new RpcError('not_found', 'no such consumer');
          await c.resume();
          if (c.kind === 'video') await c.requestKeyFrame();
          return {};
        }
        case 'leave': {
          forget();
          return {};
        }
        default: {
          const { meeting: m, peer: p } = joined();
          const r = await meetingRequest({ meetings, meeting: m, peer: p, log }, method, data);
          if (r === NOT_HANDLED) throw new RpcError('unknown_method', `unknown method ${method}`);
          return r;
        }
      }
    },
  });

  rpc.on('close', forget);
}
