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
import type { PipeEndpoint, PipeProducerNotification } from './protocol.js';

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
    readonly displayName: string,
    readonly unit: string | undefined,
    private readonly rpc: WsRpc,
    private readonly log: Logger,
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

  const joined = () => {
    if (!meeting || !peer || meeting.isClosed) throw new RpcError('not_joined', 'join a meeting first');
    return { meeting, peer };
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
          const admitted = await meetings.admit(data.code, typeof data.password === 'string' ? data.password : undefined);
          meeting = admitted;
          const name = typeof data.displayName === 'string' && data.displayName.trim() ? data.displayName.trim().slice(0, 64) : box.name;
          const unit = typeof data.unit === 'string' && data.unit.trim() ? data.unit.trim().slice(0, 128) : undefined;
          peer = new BoxPeer(box.boxId, name, unit, rpc, blog);
          meeting.join(peer);
          return { peerId: peer.id, meetingTitle: meeting.record.title, peers: meeting.peerList(peer.id) };
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
          const producer = await p.pipe.produce({
            kind: data.kind,
            rtpParameters: data.rtpParameters,
            paused: data.paused === true,
            appData: { ...appData, peerId: p.id },
          });
          m.addProducer(p, producer);
          return { id: producer.id };
        }
        case 'pauseProducer': {
          const { peer: p } = joined();
          await piped(p, data.producerId).pause();
          return {};
        }
        case 'resumeProducer': {
          const { peer: p } = joined();
          await piped(p, data.producerId).resume();
          return {};
        }
        case 'closeProducer': {
          const { peer: p } = joined();
          piped(p, data.producerId).close();
          return {};
        }
        case 'leave': {
          if (meeting && peer) meeting.leave(peer);
          meeting = undefined;
          peer = undefined;
          return {};
        }
        default:
          throw new RpcError('unknown_method', `unknown method ${method}`);
      }
    },
  });

  rpc.on('close', () => {
    if (meeting && peer) meeting.leave(peer);
    meeting = undefined;
    peer = undefined;
  });
}
