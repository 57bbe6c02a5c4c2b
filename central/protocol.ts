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
  /** F5: 'chair' (chủ tọa) or 'participant'. */
  role?: MeetingRole;
  /** M6.5: registered to speak (giơ tay). */
  handRaised?: boolean;
  /** M6.5: has the floor (đang phát biểu). */
  speaking?: boolean;
  permissions?: PeerPermissions;
}

// ---- The chair, the lobby, the floor and chat (F5, A1, A6, M5.3, M6.5) ------------------------------
export type MeetingRole = 'chair' | 'participant';
/** A1: set by a chair per participant; `share` is enforced by produce (appData.share). */
export interface PeerPermissions {
  share: boolean;
  recordAudio: boolean;
  recordVideo: boolean;
}
/** The live meeting's settings every peer sees. */
export interface MeetingSettings {
  locked: boolean;
  hasPassword: boolean;
  /** Participants may turn their own microphone back on (default), except under floor control. */
  selfUnmute: boolean;
  /** M6.5: only the participant holding the floor (and chairs) may speak. */
  floorControl: boolean;
  /** Everybody but a chair waits in the lobby. */
  lobby: boolean;
}
/** Somebody waiting in the lobby (M5.3); only chairs are told. */
export interface LobbyEntry {
  id: string;
  displayName: string;
  unit?: string;
  kind: EndpointKind;
  user?: string;
  technician: boolean;
  /** Why they wait: not on the invitation list, the lobby is on, a technician, or removed earlier. */
  reason: 'not_invited' | 'lobby' | 'technician' | 'removed';
  since: number;
}
export interface FloorState {
  /** Raised hands, first come first served. */
  queue: Array<{ peerId: string; displayName: string; unit?: string; since: number }>;
  speaking: string | null;
}
export interface ChatMessage {
  id: number;
  from: string;
  unit?: string;
  peerId?: string;
  text: string;
  time: number;
}
/** What a peer learns when it gets in (in the join response, or the `admitted` notification). */
export interface MeetingWelcome {
  role: MeetingRole;
  permissions: PeerPermissions;
  settings: MeetingSettings;
  floor: FloorState;
  /** The stored chat of this meeting, oldest first (A6: it survives a restart). */
  chat: ChatMessage[];
  /** Chairs only. */
  lobby?: LobbyEntry[];
}

// ---- WS /api/v1/meet/ws (browser participant) ------------------------------------------------------
export interface JoinRequest {
  code: string;
  password?: string;
  displayName: string;
  unit?: string;
  /** The meeting's chair PIN (host key): joins as chair. */
  chairPin?: string;
}
export interface JoinResponse extends MeetingWelcome {
  peerId: string;
  meetingTitle: string;
  routerRtpCapabilities: any;
  peers: PeerInfo[];
  waiting?: false;
}
/** The join answer for somebody put in the lobby; `admitted` (a JoinResponse) or `denied` follows. */
export interface WaitingResponse {
  peerId: string;
  meetingTitle: string;
  waiting: true;
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
  /** A display name (or unit) changed (F6); sent to everybody, the peer itself included. */
  peerUpdated: Omit<PeerInfo, 'producers'>;
  /** To chairs: who waits in the lobby now. */
  lobbyChanged: { waiting: LobbyEntry[] };
  floorChanged: FloorState;
  chatMessage: ChatMessage;
  meetingUpdated: MeetingSettings;
  /** To the peer: a chair paused its microphone (or floor control keeps it off). */
  mutedByChair: { by: string; reason: 'chair' | 'floor' };
  /** To the peer: a chair gave it the floor; its microphone is on. */
  floorGiven: { by: string };
  floorEnded: { by: string };
  permissionsChanged: PeerPermissions;
  /** To the peer: a chair removed it; the connection closes after this. */
  removed: { by: string };
  /** To a waiting peer: a chair let it in. */
  admitted: JoinResponse;
  /** To the peer: it is chair now (claimChair with the chair PIN). */
  roleChanged: { role: MeetingRole; permissions: PeerPermissions; lobby: LobbyEntry[] };
  /** To a waiting peer: a chair refused it; the connection closes after this. */
  denied: { by: string };
  meetingClosed: { reason?: 'ended_by_chair' | 'closed'; by?: string };
}
/** Methods of the meeting beyond media (both endpoints): anybody / chairs only. */
export type PeerMethod = 'setDisplayName' | 'raiseHand' | 'lowerHand' | 'chat' | 'chatHistory' | 'claimChair';
export type ChairMethod =
  | 'mutePeer'
  | 'muteAll'
  | 'removePeer'
  | 'lock'
  | 'setPassword'
  | 'setOptions'
  | 'admit'
  | 'deny'
  | 'setPermissions'
  | 'giveFloor'
  | 'endFloor'
  | 'endMeeting';

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
