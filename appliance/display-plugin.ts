// WS /api/v1/display/ws: the room display page (a Chromium kiosk on the box) receives the remote
// participants from the BOX router — the producers RoomMedia piped down from central. Same message shape
// as central's /api/v1/meet/ws, receive-only.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { RoomMedia } from '../media/room-media.js';
import { WsRpc, RpcError } from '../media/ws-rpc.js';
import { createWebRtcTransport, mediaNetworkFromEnv, webRtcTransportInfo, type MediaNetwork } from '../media/network.js';
import type { ConsumeResponse, RemoteProducerInfo } from '../central/protocol.js';
import type { Role } from './roles.js';

export interface DisplayPluginOptions {
  roomMedia: RoomMedia;
  /** The kiosk runs on the box itself, so loopback is the default. */
  network?: Partial<MediaNetwork>;
}

const DISPLAY_ROLES: Role[] = ['panel', 'chair', 'secretary', 'technician', 'admin'];
const MAX_TRANSPORTS = 2;

function handleDisplay(socket: WebSocket, roomMedia: RoomMedia, net: MediaNetwork, log: Logger): void {
  const transports = new Map<string, mediasoup.types.WebRtcTransport>();
  const consumers = new Map<string, mediasoup.types.Consumer>();

  const rpc = new WsRpc(socket, {
    log,
    onRequest: async (method, data) => {
      switch (method) {
        case 'getRouterRtpCapabilities':
          return { routerRtpCapabilities: roomMedia.router.rtpCapabilities, producers: roomMedia.remoteProducers() };
        case 'createWebRtcTransport': {
          if (data.direction !== 'recv') throw new RpcError('invalid_arguments', 'the display only receives (direction: recv)');
          if (transports.size >= MAX_TRANSPORTS) throw new RpcError('limit', 'too many transports');
          const t = await createWebRtcTransport(roomMedia.router, net, { direction: 'recv' });
          transports.set(t.id, t);
          t.observer.once('close', () => transports.delete(t.id));
          return webRtcTransportInfo(t);
        }
        case 'connectTransport': {
          const t = transports.get(data.transportId);
          if (!t) throw new RpcError('not_found', 'no such transport');
          if (!data.dtlsParameters || typeof data.dtlsParameters !== 'object') throw new RpcError('invalid_arguments', 'dtlsParameters required');
          await t.connect({ dtlsParameters: data.dtlsParameters });
          return {};
        }
        case 'consume': {
          const t = transports.get(data.transportId);
          if (!t) throw new RpcError('not_found', 'no such transport');
          const remote = roomMedia.remoteProducers().find((p) => p.id === data.producerId);
          if (!remote) throw new RpcError('not_found', 'no such remote producer');
          const rtpCapabilities = data.rtpCapabilities;
          if (!rtpCapabilities || !roomMedia.router.canConsume({ producerId: remote.id, rtpCapabilities }))
            throw new RpcError('cannot_consume', 'this browser cannot decode that stream');
          const consumer = await t.consume({ producerId: remote.id, rtpCapabilities, paused: true });
          consumers.set(consumer.id, consumer);
          consumer.observer.once('close', () => consumers.delete(consumer.id));
          consumer.on('producerpause', () => rpc.notify('producerPaused', { producerId: remote.id }));
          consumer.on('producerresume', () => rpc.notify('producerResumed', { producerId: remote.id }));
          const res: ConsumeResponse = {
            id: consumer.id,
            producerId: remote.id,
            kind: consumer.kind,
            rtpParameters: consumer.rtpParameters,
            producerPaused: consumer.producerPaused,
            peerId: remote.peerId,
          };
          return res;
        }
        case 'resumeConsumer': {
          const c = consumers.get(data.consumerId);
          if (!c) throw new RpcError('not_found', 'no such consumer');
          await c.resume();
          if (c.kind === 'video') await c.requestKeyFrame();
          return {};
        }
        default:
          throw new RpcError('unknown_method', `unknown method ${method}`);
      }
    },
  });

  const onNew = (p: RemoteProducerInfo) =>
    rpc.notify('newProducer', { producerId: p.id, peerId: p.peerId, peerName: p.peerName, kind: p.kind, paused: p.paused });
  const onClosed = (p: { id: string }) => rpc.notify('producerClosed', { producerId: p.id });
  // A rebuilt router (its worker died) took our transports with it; the page reconnects to the new one.
  const onRouter = () => rpc.close(4000, 'router replaced');
  roomMedia.on('remoteProducer', onNew);
  roomMedia.on('remoteProducerClosed', onClosed);
  roomMedia.on('router', onRouter);
  rpc.on('close', () => {
    roomMedia.off('remoteProducer', onNew);
    roomMedia.off('remoteProducerClosed', onClosed);
    roomMedia.off('router', onRouter);
    for (const t of transports.values()) t.close();
    transports.clear();
  });
}

const plugin: FastifyPluginAsync<DisplayPluginOptions> = async (app: FastifyInstance, opts) => {
  const net = mediaNetworkFromEnv(opts.network);
  const log = app.log.child({ part: 'display' }) as unknown as Logger;
  app.get('/api/v1/display/ws', { websocket: true, config: { roles: DISPLAY_ROLES }, schema: { hide: true } }, (socket: WebSocket) =>
    handleDisplay(socket, opts.roomMedia, net, log),
  );
};

export const displayPlugin = fp(plugin, { name: 'diemcau-display', fastify: '5.x' });
