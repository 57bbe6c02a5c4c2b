// One browser participant in one meeting: signaling to central (/api/v1/meet/ws), a mediasoup-client
// Device, a send transport for camera and microphone and a Receiver for everybody else.
import { Device, type types } from 'mediasoup-client';
import { Signaling } from '../media/signaling';
import { Receiver, type RemoteTrack } from '../media/receiver';
import type { JoinResponse, PeerInfo, TransportInfo } from '../../../central/protocol';

export interface JoinChoices {
  code: string;
  password?: string;
  displayName: string;
  unit?: string;
  camera: boolean;
  mic: boolean;
}

export type Peer = Omit<PeerInfo, 'producers'>;

export interface SessionEvents {
  peers(list: Peer[]): void;
  tracks(list: RemoteTrack[]): void;
  local(state: { stream: MediaStream | null; camera: boolean; mic: boolean }): void;
  ended(reason: 'left' | 'closed' | 'disconnected'): void;
  deviceError(reason: string): void;
}

export class MeetingSession {
  private device = new Device();
  private sendTransport: types.Transport | undefined;
  private receiver: Receiver | undefined;
  private producers: { audio?: types.Producer; video?: types.Producer } = {};
  private peers = new Map<string, Peer>();
  private stream: MediaStream | null = null;
  private ended = false;
  meetingTitle = '';

  private constructor(
    private readonly signaling: Signaling,
    private readonly on: SessionEvents,
  ) {}

  get transports(): { send?: types.Transport; recv?: types.Transport } {
    return { send: this.sendTransport, recv: this.receiver?.recvTransport };
  }

  /** Connects and joins; rejects with a SignalingError (code bad_password, not_found, …). */
  static async join(choices: JoinChoices, on: SessionEvents): Promise<MeetingSession> {
    const signaling = await Signaling.connect('/api/v1/meet/ws');
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

  private async start(c: JoinChoices): Promise<void> {
    const pendingProducers: string[] = [];
    // Notifications can arrive while the transports are still being made; remember them for later.
    this.signaling.onNotification((method, data) => {
      switch (method) {
        case 'newProducer':
          if (this.receiver) void this.consume(data.producerId);
          else pendingProducers.push(data.producerId);
          break;
        case 'producerClosed':
          this.receiver?.remove(data.producerId);
          break;
        case 'producerPaused':
        case 'producerResumed':
          this.receiver?.setPaused(data.producerId, method === 'producerPaused');
          break;
        case 'peerJoined':
          this.peers.set(data.id, { id: data.id, displayName: data.displayName, unit: data.unit, kind: data.kind });
          this.emitPeers();
          break;
        case 'peerLeft':
          this.peers.delete(data.peerId);
          this.emitPeers();
          break;
        case 'meetingClosed':
          this.finish('closed');
          break;
      }
    });
    this.signaling.onClose(() => this.finish('disconnected'));

    const joined = await this.signaling.request<JoinResponse>('join', {
      code: c.code,
      password: c.password || undefined,
      displayName: c.displayName,
      unit: c.unit || undefined,
    });
    this.meetingTitle = joined.meetingTitle;
    for (const p of joined.peers) {
      this.peers.set(p.id, { id: p.id, displayName: p.displayName, unit: p.unit, kind: p.kind });
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
      this.producers[kind] = await this.sendTransport!.produce({
        track,
        appData: { source: kind === 'video' ? 'camera' : 'microphone' },
        ...(kind === 'audio' ? { codecOptions: { opusDtx: true, opusFec: true } } : {}),
      });
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
      p.resume();
      await this.signaling.request('resumeProducer', { producerId: p.id });
    } else {
      p.pause();
      await this.signaling.request('pauseProducer', { producerId: p.id });
    }
    this.emitLocal();
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

  private finish(reason: 'left' | 'closed' | 'disconnected'): void {
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
