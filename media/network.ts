// Where media sockets listen and which address they announce. Loopback by default (tests, and a box whose
// only browser is its own kiosk); a deployment sets DIEMCAU_MEDIA_LISTEN_IP (e.g. 0.0.0.0) and
// DIEMCAU_MEDIA_ANNOUNCED_IP (the address browsers and other boxes reach), or passes them explicitly.
import type * as mediasoup from 'mediasoup';

export interface MediaNetwork {
  listenIp: string;
  announcedAddress?: string;
}

export function mediaNetworkFromEnv(overrides: Partial<MediaNetwork> = {}): MediaNetwork {
  return {
    listenIp: overrides.listenIp ?? process.env.DIEMCAU_MEDIA_LISTEN_IP ?? '127.0.0.1',
    announcedAddress: overrides.announcedAddress ?? process.env.DIEMCAU_MEDIA_ANNOUNCED_IP ?? undefined,
  };
}

export interface WebRtcTransportInfo {
  id: string;
  iceParameters: mediasoup.types.IceParameters;
  iceCandidates: mediasoup.types.IceCandidate[];
  dtlsParameters: mediasoup.types.DtlsParameters;
}

/** UDP preferred, TCP as the fallback for networks that drop UDP. */
export async function createWebRtcTransport(
  router: mediasoup.types.Router,
  net: MediaNetwork,
  appData: Record<string, unknown> = {},
): Promise<mediasoup.types.WebRtcTransport> {
  const announced = net.announcedAddress ? { announcedAddress: net.announcedAddress } : {};
  return router.createWebRtcTransport({
    listenInfos: [
      { protocol: 'udp', ip: net.listenIp, ...announced },
      { protocol: 'tcp', ip: net.listenIp, ...announced },
    ],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
    initialAvailableOutgoingBitrate: 1_000_000,
    appData,
  });
}

export function webRtcTransportInfo(t: mediasoup.types.WebRtcTransport): WebRtcTransportInfo {
  return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
}

/** The pipe end a remote router connects to. */
export function pipeEndpoint(t: mediasoup.types.PipeTransport, net: MediaNetwork) {
  return { ip: net.announcedAddress ?? t.tuple.localAddress, port: t.tuple.localPort, srtpParameters: t.srtpParameters };
}

export function createPipeTransport(router: mediasoup.types.Router, net: MediaNetwork, appData: Record<string, unknown> = {}) {
  // SRTP because the pipe crosses the agency network (M5.4); RTX/NACK because that network loses packets.
  return router.createPipeTransport({
    listenInfo: { protocol: 'udp', ip: net.listenIp, ...(net.announcedAddress ? { announcedAddress: net.announcedAddress } : {}) },
    enableSrtp: true,
    enableRtx: true,
    enableSctp: false,
    appData,
  });
}
