// WS /api/v1/central/box: a room box (authenticated by its per-box token) joins a meeting as a peer of kind
// 'room'. Media goes router-to-router over one SRTP PipeTransport pair (DESIGN.md §4):
//   up:   the box pipes its producers; central re-produces them here (`pipeProduce`) for the browsers;
//   down: central consumes every other peer's producer on the pipe and tells the box (`pipeProducer`),
//         which produces it into its own router for the room display.
// Pause/resume/close travel both ways: the box asks for them on its piped producers, and the pipe
// consumers' producer events are forwarded to the box.
import { randomUUID } from 'node:crypto';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { WsRpc, RpcError } from '../media/ws-rpc.js';
import { createPipeTransport, pipeEndpoint, type MediaNetwork } from '../media/network.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import type { CentralMeetings } from './service.js';
import type { PipeEndpoint, PipeProducerNotification, WaitingResponse } from './protocol.js';
import { newPeerControl, type PeerControl } from './meeting-control.js';
import { meetingRequest, NOT_HANDLED, welcome } from './chair.js';

type Producer = mediasoup.types.Producer;
type Consumer = mediasoup.types.Consumer;
type PipeTransport = mediasoup.types.PipeTransport;

export const BOX_UNAUTHORIZED = 4401;
const MAX_PRODUCERS = 8;

export class BoxPeer implements MeetingPeer {
  readonly id = randomUUID();
  readonly kind = 'room' as const;
  readonly producers = new Map<string, Producer>();
  /** Downstream: central producer id → the pipe consumer feeding the box. */
  readonly pipeConsumers = new Map<string, Consumer>();
  pipe: PipeTransport | undefined;
  pipeConnected = false;

  constructor(
    readonly boxId: string,
    public displayName: string,
    public unit: string | undefined,
    private readonly rpc: WsRpc,
    private readonly log: Logger,
    readonly control: PeerControl,
  ) {}

  notify(notification: string, data: unknown): void {
    this.rpc.notify(notification, data);
  }

  producerAdded(producer: Producer, owner: MeetingPeer): void {
    // Before the pipe is connected nothing can flow; connectPipe() sends everything that exists then.
    if (this.pipeConnected) void this.pipeDown(producer, owner);
  }

  async pipeDown(producer: Producer, owner: MeetingPeer): Promise<void> {
    const pipe = this.pipe;
    if (!pipe || pipe.closed || producer.closed || this.pipeConsumers.has(producer.id)) return;
    let consumer: Consumer;
    try {
      consumer = await pipe.consume({ producerId: producer.id });
    } catch (err) {
      // The producer or the pipe may have closed while we were asking; nothing to send then.
      if (!producer.closed && !pipe.closed) this.log.warn({ err, producer: producer.id }, 'could not pipe a producer to the box');
      return;
    }
    this.pipeConsumers.set(producer.id, consumer);
    const ids = { producerId: producer.id };
    consumer.observer.once('close', () => {
      this.pipeConsumers.delete(producer.id);
      this.notify('pipeProducerClosed', ids);
    });
    consumer.on('producerpause', () => this.notify('pipeProducerPaused', ids));
    consumer.on('producerresume', () => this.notify('pipeProducerResumed', ids));
    const n: PipeProducerNotification = {
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      peerId: owner.id,
      peerName: owner.displayName,
    };
    this.notify('pipeProducer', n);
  }

  close(): void {
    this.pipeConnected = false;
    this.pipe?.close();
    this.pipe = undefined;
  }

  disconnect(): void {
    this.rpc.close(1000, 'removed');
  }
}

export function boxTokenFrom(req: { headers: Record<string, unknown>; query: unknown }): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.boxToken;
  return typeof q === 'string' ? q : null;
}

export function handleBox(
  socket: import('ws').WebSocket,
  box: { boxId: string; name: string },
  meetings: CentralMeetings,
  net: MediaNetwork,
  log: Logger,
): void {
  let meeting: Meeting | undefined;
  let peer: BoxPeer | undefined;
  const blog = log.child({ box: box.boxId });

  // A box in the lobby, or one a chair removed, is not in meeting.peers: it may do nothing but leave.
  const joined = () => {
    if (!meeting || !peer || meeting.isClosed || meeting.peers.get(peer.id) !== peer) throw new RpcError('not_joined', 'join a meeting first');
    return { meeting, peer };
  };
  const joinResponse = (m: Meeting, p: BoxPeer) => ({ peerId: p.id, meetingTitle: m.record.title, peers: m.peerList(p.id), ...welcome(meetings, m, p) });
  const forget = () => {
    if (meeting && peer) {
      if (meeting.control.lobby.has(peer.id)) meeting.control.leaveLobby(peer.id);
      else meeting.leave(peer);
    }
    meeting = undefined;
    peer = undefined;
  };
  const piped = (p: BoxPeer, id: unknown) => {
    const pr = typeof id === 'string' ? p.producers.get(id) : undefined;
    if (!pr) throw new RpcError('not_found', 'no such producer');
    return pr;
  };

  const rpc: WsRpc = new WsRpc(socket, {
    log: blog,
    onRequest: async (method, data) => {
      switch (method) {
        case 'join': {
          if (peer && meeting && !meeting.isClosed) throw new RpcError('already_joined', 'already in a meeting');
          if (typeof data.code !== 'string' || data.code.length > 32) throw new RpcError('invalid_arguments', 'code must be a string');
          const name = typeof data.displayName === 'string' && data.displayName.trim() ? data.displayName.trim().slice(0, 64) : box.name;
          const unit = typeof data.unit === 'string' && data.unit.trim() ? data.unit.trim().slice(0, 128) : undefined;
          // A room box chairs the meeting from its panel when it joins with the chair PIN (F5).
          const chairPin = typeof data.chairPin === 'string' && data.chairPin ? data.chairPin.slice(0, 128) : undefined;
          const who = { displayName: name, unit, boxId: box.boxId, chairPin };
          const { meeting: m, role, wait } = await meetings.admit(data.code, typeof data.password === 'string' ? data.password : undefined, who);
          const p = new BoxPeer(box.boxId, name, unit, rpc, blog, newPeerControl(role, who));
          meeting = m;
          peer = p;
          if (wait) {
            m.control.wait({
              peer: p,
              entry: { id: p.id, displayName: name, ...(unit ? { unit } : {}), kind: 'room', technician: false, reason: wait, since: Date.now() },
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
            blog.info({ meeting: m.record.code, reason: wait }, 'box waits in the lobby');
            const res: WaitingResponse = { peerId: p.id, meetingTitle: m.record.title, waiting: true };
            return res;
          }
          m.join(p);
          return joinResponse(m, p);
        }
        case 'createPipeTransport': {
          const { meeting: m, peer: p } = joined();
          if (p.pipe) throw new RpcError('already_exists', 'the pipe transport exists');
          p.pipe = await createPipeTransport(m.router, net, { peerId: p.id });
          const res: PipeEndpoint = pipeEndpoint(p.pipe, net) as PipeEndpoint;
          return res;
        }
        case 'connectPipeTransport': {
          const { meeting: m, peer: p } = joined();
          if (!p.pipe) throw new RpcError('not_found', 'create the pipe transport first');
          if (typeof data.ip !== 'string' || !Number.isInteger(data.port) || !data.srtpParameters)
            throw new RpcError('invalid_arguments', 'ip, port and srtpParameters are required');
          await p.pipe.connect({ ip: data.ip, port: data.port, srtpParameters: data.srtpParameters });
          p.pipeConnected = true;
          for (const { producer, owner } of m.producersExcept(p.id)) void p.pipeDown(producer, owner);
          return {};
        }
        case 'pipeProduce': {
          const { meeting: m, peer: p } = joined();
          if (!p.pipe) throw new RpcError('not_found', 'create the pipe transport first');
          if (data.kind !== 'audio' && data.kind !== 'video') throw new RpcError('invalid_arguments', 'kind must be audio or video');
          if (p.producers.size >= MAX_PRODUCERS) throw new RpcError('limit', 'too many producers');
          const appData = data.appData && typeof data.appData === 'object' ? data.appData : {};
          if (appData.share === true && !p.control.permissions.share)
            throw new RpcError('not_allowed', 'Chủ tọa chưa cho phép chia sẻ nội dung / the chair has not allowed you to share');
          const holdMic = data.kind === 'audio' && data.paused !== true && !m.control.mayUnmute(p);
          const producer = await p.pipe.produce({
            kind: data.kind,
            rtpParameters: data.rtpParameters,
            paused: data.paused === true || holdMic,
            appData: { ...appData, peerId: p.id },
          });
          m.addProducer(p, producer);
          if (holdMic) p.notify('mutedByChair', { by: '', reason: 'floor' });
          return { id: producer.id };
        }
        case 'pauseProducer': {
          const { peer: p } = joined();
          await piped(p, data.producerId).pause();
          return {};
        }
        case 'resumeProducer': {
          const { meeting: m, peer: p } = joined();
          const pr = piped(p, data.producerId);
          if (pr.kind === 'audio') m.control.assertMayUnmute(p);
          await pr.resume();
          return {};
        }
        case 'closeProducer': {
          const { peer: p } = joined();
          piped(p, data.producerId).close();
          return {};
        }
        case 'leave': {
          forget();
          return {};
        }
        default: {
          const { meeting: m, peer: p } = joined();
          const r = await meetingRequest({ meetings, meeting: m, peer: p, log: blog }, method, data);
          if (r === NOT_HANDLED) throw new RpcError('unknown_method', `unknown method ${method}`);
          return r;
        }
      }
    },
  });

  rpc.on('close', forget);
}
