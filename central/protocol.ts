// Signaling shapes shared by central, the box and the browser apps (type-only: the browser imports this
// file too, so it holds no runtime code and no Node imports). Messages travel as
//   request {id, method, data} → response {id, ok: true, data} | {id, ok: false, error, message}
//   notification {notification, data}
// RTP/ICE/DTLS objects are mediasoup's; they are typed loosely here and precisely on each side.

export type EndpointKind = 'room' | 'browser';
export type MediaKind = 'audio' | 'video';

export interface ProducerInfo {
  id: string;
  kind: MediaKind;
  paused: boolean;
}

export interface PeerInfo {
  id: string;
  displayName: string;
  unit?: string;
  kind: EndpointKind;
  producers: ProducerInfo[];
}

// ---- WS /api/v1/meet/ws (browser participant) ------------------------------------------------------
export interface JoinRequest {
  code: string;
  password?: string;
  displayName: string;
  unit?: string;
}
export interface JoinResponse {
  peerId: string;
  meetingTitle: string;
  routerRtpCapabilities: any;
  peers: PeerInfo[];
}
export interface TransportInfo {
  id: string;
  iceParameters: any;
  iceCandidates: any[];
  dtlsParameters: any;
}
export interface ConsumeResponse {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: any;
  producerPaused: boolean;
  peerId: string;
}
/** Notifications to participants. */
export interface ParticipantNotifications {
  peerJoined: Omit<PeerInfo, 'producers'>;
  peerLeft: { peerId: string };
  newProducer: { producerId: string; peerId: string; kind: MediaKind; paused: boolean };
  producerClosed: { producerId: string; peerId: string };
  producerPaused: { producerId: string; peerId: string };
  producerResumed: { producerId: string; peerId: string };
}

// ---- WS /api/v1/central/box (a room box, token-authenticated) ---------------------------------------
export interface PipeEndpoint {
  ip: string;
  port: number;
  srtpParameters: any;
}
export interface PipeProduceRequest {
  kind: MediaKind;
  rtpParameters: any;
  paused: boolean;
  appData?: Record<string, unknown>;
}
/** Central → box: a remote participant's producer, consumed on central's pipe transport. */
export interface PipeProducerNotification {
  producerId: string;
  kind: MediaKind;
  rtpParameters: any;
  paused: boolean;
  peerId: string;
  peerName: string;
}

// ---- WS /api/v1/display/ws (the room's display page, on the box) ------------------------------------
export interface RemoteProducerInfo {
  id: string;
  kind: MediaKind;
  peerId: string;
  peerName: string;
  paused: boolean;
}
