// One browser participant in one meeting: signaling to central (/api/v1/meet/ws), a mediasoup-client
// Device, a send transport for camera and microphone and a Receiver for everybody else.
import { Device, type types } from 'mediasoup-client';
import { Signaling } from '../media/signaling';
import { Receiver, type RemoteTrack } from '../media/receiver';
import type {
  ChatMessage,
  FloorState,
  JoinResponse,
  LobbyEntry,
  MeetingRole,
  MeetingSettings,
  PeerInfo,
  PeerPermissions,
  TransportInfo,
  WaitingResponse,
} from '../../../central/protocol';

export interface JoinChoices {
  code: string;
  password?: string;
  displayName: string;
  unit?: string;
  camera: boolean;
  mic: boolean;
  /** The meeting's chair PIN (host key): join as chair. */
  chairPin?: string;
  /** An account's bearer token (F6: join with an account); guests have none. */
  token?: string;
}

export type Peer = Omit<PeerInfo, 'producers'>;

/** The meeting beyond media: role, settings, floor, lobby (F5, A1, M5.3, M6.5). */
export interface MeetingState {
  waiting: boolean;
  role: MeetingRole;
  permissions: PeerPermissions;
  settings: MeetingSettings | null;
  floor: FloorState;
  lobby: LobbyEntry[];
}

export type EndReason = 'left' | 'closed' | 'disconnected' | 'removed' | 'denied' | 'ended_by_chair';
/** Things central tells the participant about its microphone (shown as a notice). */
export type MicNotice = 'mutedByChair' | 'floorHeld' | 'floorGiven' | 'floorEnded' | 'unmuteRefused';

export interface SessionEvents {
  peers(list: Peer[]): void;
  tracks(list: RemoteTrack[]): void;
  local(state: { stream: MediaStream | null; camera: boolean; mic: boolean }): void;
  ended(reason: EndReason): void;
  deviceError(reason: string): void;
  meeting(state: MeetingState): void;
  chat(list: ChatMessage[]): void;
  /** The participant's own name as central knows it (after setDisplayName). */
  self(info: { displayName: string; unit?: string }): void;
  micNotice(kind: MicNotice, by: string): void;
  /** A chair let the waiting participant in; the call is being set up. */
  admitted(meetingTitle: string): void;
}

export class MeetingSession {
  private device = new Device();
  private sendTransport: types.Transport | undefined;
  private receiver: Receiver | undefined;
  private producers: { audio?: types.Producer; video?: types.Producer } = {};
  private peers = new Map<string, Peer>();
  private stream: MediaStream | null = null;
  private ended = false;
  private pendingProducers: string[] = [];
  private holdMic = false;
  private choices: JoinChoices | undefined;
  private chatLog: ChatMessage[] = [];
  private state: MeetingState = {
    waiting: false,
    role: 'participant',
    permissions: { share: true, recordAudio: false, recordVideo: false },
    settings: null,
    floor: { queue: [], speaking: null },
    lobby: [],
  };
  meetingTitle = '';
  peerId = '';

  private constructor(
    private readonly signaling: Signaling,
    private readonly on: SessionEvents,
  ) {}

  get transports(): { send?: types.Transport; recv?: types.Transport } {
    return { send: this.sendTransport, recv: this.receiver?.recvTransport };
  }

  /** Connects and joins; rejects with a SignalingError (code bad_password, not_found, …). */
  static async join(choices: JoinChoices, on: SessionEvents): Promise<MeetingSession> {
    const signaling = await Signaling.connect(choices.token ? `/api/v1/meet/ws?token=${encodeURIComponent(choices.token)}` : '/api/v1/meet/ws');
    const s = new MeetingSession(signaling, on);
    try {
      await s.start(choices);
    } catch (err) {
      s.ended = true;
      signaling.close();
      throw err;
    }
    return s;
  }

  /** In the lobby (M5.3): joined, but not in the meeting until a chair admits us. */
  get waiting(): boolean {
    return this.state.waiting;
  }

  private async start(c: JoinChoices): Promise<void> {
    this.choices = c;
    const pendingProducers = this.pendingProducers;
    // Notifications can arrive while the transports are still being made; remember them for later.
    this.signaling.onNotification((method, data) => {
      switch (method) {
        case 'newProducer':
          if (this.receiver) void this.consume(data.producerId);
          else pendingProducers.push(data.producerId);
          break;
        case 'peerUpdated':
          if (data.id === this.peerId) {
            this.on.self({ displayName: data.displayName, unit: data.unit });
            if (data.permissions) this.setState({ permissions: data.permissions, role: data.role ?? this.state.role });
          } else if (this.peers.has(data.id)) {
            this.peers.set(data.id, { ...this.peers.get(data.id)!, ...data });
            this.emitPeers();
          }
          break;
        case 'admitted':
          void this.enter(data as JoinResponse).then(
            () => this.on.admitted(this.meetingTitle),
            (err) => {
              console.warn('could not enter after admission', err);
              this.finish('disconnected');
            },
          );
          break;
        case 'denied':
          this.finish('denied');
          break;
        case 'removed':
          this.finish('removed');
          break;
        case 'lobbyChanged':
          this.setState({ lobby: data.waiting ?? [] });
          break;
        case 'floorChanged':
          this.setState({ floor: data as FloorState });
          break;
        case 'meetingUpdated':
          this.setState({ settings: data as MeetingSettings });
          break;
        case 'permissionsChanged':
          this.setState({ permissions: data as PeerPermissions });
          break;
        case 'roleChanged':
          this.setState({ role: data.role, permissions: data.permissions, lobby: data.lobby ?? [] });
          break;
        case 'chatMessage':
          this.chatLog = [...this.chatLog, data as ChatMessage];
          this.on.chat(this.chatLog);
          break;
        case 'mutedByChair':
          this.pauseLocalMic();
          this.on.micNotice(data.reason === 'floor' ? 'floorHeld' : 'mutedByChair', String(data.by ?? ''));
          break;
        case 'floorGiven':
          void this.resumeLocalMic().then(() => this.on.micNotice('floorGiven', String(data.by ?? '')));
          break;
        case 'floorEnded':
          this.pauseLocalMic();
          this.on.micNotice('floorEnded', String(data.by ?? ''));
          break;
        case 'producerClosed':
          this.receiver?.remove(data.producerId);
          break;
        case 'producerPaused':
        case 'producerResumed':
          this.receiver?.setPaused(data.producerId, method === 'producerPaused');
          break;
        case 'peerJoined':
          this.peers.set(data.id, data as Peer);
          this.emitPeers();
          break;
        case 'peerLeft':
          this.peers.delete(data.peerId);
          this.emitPeers();
          break;
        case 'meetingClosed':
          this.finish(data.reason === 'ended_by_chair' ? 'ended_by_chair' : 'closed');
          break;
      }
    });
    this.signaling.onClose(() => this.finish('disconnected'));

    const joined = await this.signaling.request<JoinResponse | WaitingResponse>('join', {
      code: c.code,
      password: c.password || undefined,
      displayName: c.displayName,
      unit: c.unit || undefined,
      chairPin: c.chairPin || undefined,
    });
    this.meetingTitle = joined.meetingTitle;
    this.peerId = joined.peerId;
    if (joined.waiting) {
      this.setState({ waiting: true });
      return;
    }
    await this.enter(joined);
  }

  /** In the meeting (joined, or admitted from the lobby): peers, chat, the device, the transports. */
  private async enter(joined: JoinResponse): Promise<void> {
    const c = this.choices!;
    const pendingProducers = this.pendingProducers;
    this.peerId = joined.peerId;
    this.meetingTitle = joined.meetingTitle;
    this.setState({
      waiting: false,
      role: joined.role,
      permissions: joined.permissions,
      settings: joined.settings,
      floor: joined.floor,
      lobby: joined.lobby ?? [],
    });
    this.chatLog = joined.chat ?? [];
    this.on.chat(this.chatLog);
    for (const p of joined.peers) {
      const { producers: _omit, ...info } = p;
      this.peers.set(p.id, info);
      for (const pr of p.producers) pendingProducers.push(pr.id);
    }
    this.emitPeers();
    await this.device.load({ routerRtpCapabilities: joined.routerRtpCapabilities });

    this.receiver = new Receiver(this.signaling, this.device, (list) => this.on.tracks(list));
    await this.receiver.init();
    for (const id of pendingProducers.splice(0)) void this.consume(id);

    const info = await this.signaling.request<TransportInfo>('createWebRtcTransport', { direction: 'send' });
    const t = this.device.createSendTransport(info);
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling.request('connectTransport', { transportId: t.id, dtlsParameters }).then(() => callback(), errback);
    });
    t.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.signaling.request<{ id: string }>('produce', { transportId: t.id, kind, rtpParameters, appData }).then(callback, errback);
    });
    this.sendTransport = t;
    if (c.camera || c.mic) await this.openDevices(c.camera, c.mic);
    this.emitLocal();
  }

  private async consume(producerId: string): Promise<void> {
    try {
      await this.receiver?.consume(producerId);
    } catch (err) {
      console.warn('consume failed', producerId, err);
    }
  }

  /** Asks for camera/microphone and produces what it got (A2: the participant chose before joining). */
  private async openDevices(video: boolean, audio: boolean): Promise<void> {
    let got: MediaStream;
    try {
      got = await navigator.mediaDevices.getUserMedia({
        audio: audio ? { echoCancellation: true, noiseSuppression: true, autoGainControl: true } : false,
        video: video ? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } : false,
      });
    } catch (err) {
      this.on.deviceError((err as Error).name || String(err));
      return;
    }
    this.stream ??= new MediaStream();
    for (const track of got.getTracks()) {
      this.stream.addTrack(track);
      const kind = track.kind as 'audio' | 'video';
      const producer = await this.sendTransport!.produce({
        track,
        appData: { source: kind === 'video' ? 'camera' : 'microphone' },
        ...(kind === 'audio' ? { codecOptions: { opusDtx: true, opusFec: true } } : {}),
      });
      this.producers[kind] = producer;
      if (kind === 'audio' && this.holdMic) {
        this.holdMic = false;
        producer.pause();
      }
    }
  }

  async setCamera(on: boolean): Promise<void> {
    await this.setSending('video', on);
  }

  async setMic(on: boolean): Promise<void> {
    await this.setSending('audio', on);
  }

  private async setSending(kind: 'audio' | 'video', on: boolean): Promise<void> {
    const p = this.producers[kind];
    if (!p) {
      if (on) await this.openDevices(kind === 'video', kind === 'audio');
    } else if (on) {
      // Central decides first: after a chair's mute, or under floor control, it may refuse (F5, M6.5).
      try {
        await this.signaling.request('resumeProducer', { producerId: p.id });
      } catch (err) {
        if (kind === 'audio' && (err as { code?: string }).code === 'not_allowed') {
          this.on.micNotice('unmuteRefused', '');
          return;
        }
        throw err;
      }
      p.resume();
    } else {
      p.pause();
      await this.signaling.request('pauseProducer', { producerId: p.id });
    }
    this.emitLocal();
  }

  /** Central paused our microphone: stop sending it here too, and show it muted. */
  private pauseLocalMic(): void {
    const p = this.producers.audio;
    // Under floor control central says so while our new microphone is still being produced.
    if (!p) this.holdMic = true;
    else if (!p.paused) p.pause();
    this.emitLocal();
  }

  /** The chair gave us the floor: central resumed our microphone; send it (opening it if it was never on). */
  private async resumeLocalMic(): Promise<void> {
    this.holdMic = false;
    const p = this.producers.audio;
    if (!p) {
      if (this.sendTransport) await this.openDevices(false, true);
    } else {
      p.resume();
      await this.signaling.request('resumeProducer', { producerId: p.id }).catch(() => {});
    }
    this.emitLocal();
  }

  private setState(patch: Partial<MeetingState>): void {
    this.state = { ...this.state, ...patch };
    this.on.meeting(this.state);
  }

  /** A meeting method: setDisplayName, raiseHand, lowerHand, chat, and the chair's (mutePeer, admit, …). */
  request<T = unknown>(method: string, data: Record<string, unknown> = {}): Promise<T> {
    return this.signaling.request<T>(method, data);
  }

  async leave(): Promise<void> {
    if (this.ended) return;
    try {
      await this.signaling.request('leave', {}, 3000);
    } catch {
      /* closing the socket leaves too */
    }
    this.finish('left');
  }

  private finish(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.receiver?.close();
    this.sendTransport?.close();
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.signaling.close();
    this.on.ended(reason);
  }

  private emitPeers(): void {
    this.on.peers([...this.peers.values()]);
  }

  private emitLocal(): void {
    this.on.local({
      stream: this.stream,
      camera: !!this.producers.video && !this.producers.video.paused,
      mic: !!this.producers.audio && !this.producers.audio.paused,
    });
  }
}
