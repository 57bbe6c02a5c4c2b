// The box's side of a meeting (DESIGN.md §2, D5): the room's router with its camera and microphone
// producers, a signaling connection to central (a real WebSocket, even when central is embedded in the
// same process), and one SRTP PipeTransport carrying the room up and the other participants down. The
// room display page consumes the piped-down producers from this router (appliance/display-plugin.ts).
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { WorkerPool } from './worker-pool.js';
import { TestSource } from './test-source.js';
import { WsRpc, RpcError } from './ws-rpc.js';
import { createPipeTransport, mediaNetworkFromEnv, pipeEndpoint, type MediaNetwork } from './network.js';
import type {
  ChatMessage,
  FloorState,
  LobbyEntry,
  MeetingRole,
  MeetingSettings,
  MeetingWelcome,
  PeerInfo,
  PipeEndpoint,
  PipeProducerNotification,
  RemoteProducerInfo,
} from '../central/protocol.js';

type Router = mediasoup.types.Router;
type Producer = mediasoup.types.Producer;
type Consumer = mediasoup.types.Consumer;
type PipeTransport = mediasoup.types.PipeTransport;

export type CallState = 'idle' | 'joining' | 'in-call' | 'leaving' | 'reconnecting' | 'error';

export interface CallEvent {
  state: CallState;
  error?: string;
  meetingTitle?: string;
  /** In the lobby: joined, but waiting for a chair to admit the room (M5.3). */
  waiting?: boolean;
}

export interface Participant {
  id: string;
  name: string;
  unit?: string;
  kind: 'room' | 'browser';
  role?: MeetingRole;
  handRaised?: boolean;
  speaking?: boolean;
  /** The participant's microphone reaches the room (an unpaused audio producer). */
  micOn?: boolean;
}

/** The room's place in the meeting, for the panel's chair controls (event 'meeting'). */
export interface RoomMeetingView {
  role: MeetingRole | null;
  waiting: boolean;
  peerId: string | null;
  settings: MeetingSettings | null;
  lobby: LobbyEntry[];
  floor: FloorState;
}

/** Why central turned the room's microphone off or on (event 'micForced'). */
export interface MicForced {
  muted: boolean;
  reason: 'chair' | 'floor' | 'floorGiven' | 'floorEnded' | 'not_allowed';
  by: string;
}

export interface JoinOptions {
  centralUrl: string;
  boxToken: string;
  code: string;
  password?: string;
  /** The meeting's chair PIN: the room joins as chair and its panel shows the chair controls. */
  chairPin?: string;
  name: string;
}

const CHAT_KEEP = 100;
const EMPTY_FLOOR: FloorState = { queue: [], speaking: null };

export interface RoomMediaOptions {
  log: Logger;
  pool: WorkerPool;
  source: { kind: 'test-pattern'; label?: string };
  /** Where the box's pipe transport listens / what it announces to central (default: env or 127.0.0.1). */
  pipeNetwork?: Partial<MediaNetwork>;
  joinTimeoutMs?: number;
}

export interface MediaStreamStats {
  id: string;
  kind: 'audio' | 'video';
  paused: boolean;
  packets: number;
  bytes: number;
  peerName?: string;
}

export interface RoomMediaStats {
  call: CallState;
  pipe: { connected: boolean; srtp: boolean } | null;
  local: MediaStreamStats[];
  remote: MediaStreamStats[];
}

export class JoinError extends Error {
  constructor(
    readonly code:
      | 'bad_password'
      | 'bad_chair_pin'
      | 'locked'
      | 'not_found'
      | 'central_unreachable'
      | 'timeout'
      | 'unauthorized'
      | 'already_in_call'
      | 'join_failed',
    message: string,
  ) {
    super(message);
    this.name = 'JoinError';
  }
}

interface Downstream {
  producer: Producer;
  peerId: string;
  peerName: string;
}

/** One connection to central: its socket, the pipe, and what flows through it. */
interface Session {
  rpc: WsRpc;
  pipe?: PipeTransport;
  /** local producer id → pipe consumer carrying it up, and its id on central. */
  up: Map<string, { consumer: Consumer; remoteId?: string }>;
  /** central producer id → the producer re-created in the box router. */
  down: Map<string, Downstream>;
  /** Notifications are applied one at a time, in arrival order (produce before pause before close). */
  queue: Promise<void>;
  closed: boolean;
}

const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];
const FLOW_WAIT_MS = 3000;

export class RoomMedia extends EventEmitter {
  private readonly log: Logger;
  private _router: Router | undefined;
  private source: TestSource | undefined;
  private session: Session | undefined;
  private target: JoinOptions | undefined;
  private state: CallState = 'idle';
  private participants: Participant[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private readonly pipeNet: MediaNetwork;
  private readonly joinTimeoutMs: number;
  private micMuted = false;
  private cameraOn = true;
  private closing = false;
  private meetingView: RoomMeetingView = { role: null, waiting: false, peerId: null, settings: null, lobby: [], floor: EMPTY_FLOOR };
  private chatLog: ChatMessage[] = [];

  constructor(private readonly opts: RoomMediaOptions) {
    super();
    this.log = opts.log;
    this.pipeNet = mediaNetworkFromEnv(opts.pipeNetwork);
    this.joinTimeoutMs = opts.joinTimeoutMs ?? 10_000;
  }

  get router(): Router {
    if (!this._router) throw new Error('RoomMedia not started');
    return this._router;
  }

  get callState(): CallState {
    return this.state;
  }

  /** The room's own camera and microphone producers (in the box router). */
  get localProducers(): { audio?: Producer; video?: Producer } {
    return { audio: this.source?.audioProducer, video: this.source?.videoProducer };
  }

  async start(): Promise<void> {
    if (this._router || this.closing) return;
    const router = await this.opts.pool.createRouter();
    this._router = router;
    // The router only closes on its own when its worker died; rebuild on a live worker.
    router.observer.once('close', () => {
      if (this._router === router && !this.closing) void this.recoverRouter();
    });
    this.source = new TestSource({ router, log: this.log, label: this.opts.source.label });
    await this.source.start();
    if (this.micMuted) await this.source.audioProducer?.pause();
    if (!this.cameraOn) await this.source.videoProducer?.pause();
  }

  private async recoverRouter(): Promise<void> {
    this.log.error('the room router closed (its media worker died); rebuilding room media / mất tiến trình media của phòng');
    const rejoin = this.target;
    this.cancelReconnect();
    if (rejoin) this.setState({ state: 'reconnecting', error: 'Đang khôi phục media của phòng / recovering room media' });
    if (this.session) this.teardown(this.session);
    await this.source?.stop().catch(() => {});
    this.source = undefined;
    this._router = undefined;
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        await this.start();
        break;
      } catch (err) {
        this.log.error({ err, attempt }, 'could not rebuild the room router; retrying');
        await new Promise((r) => setTimeout(r, RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]));
      }
    }
    if (this.closing) return;
    this.emit('router', this._router);
    if (rejoin && this.target === rejoin) {
      this.reconnectAttempt = 0;
      this.scheduleReconnect();
    }
  }

  /** Resolves in the call, or with `waiting` when central put the room in the lobby ('call' events follow). */
  async join(opts: JoinOptions): Promise<{ meetingTitle: string; waiting?: boolean }> {
    if (!this._router) throw new Error('RoomMedia not started');
    if (this.session || this.state === 'joining' || this.state === 'in-call' || this.state === 'reconnecting')
      throw new JoinError('already_in_call', 'Phòng đang trong cuộc họp / already in a meeting');
    this.cancelReconnect();
    this.target = opts;
    this.setState({ state: 'joining' });
    try {
      const r = await this.connect(opts);
      if (r.waiting) {
        this.setState({ state: 'joining', meetingTitle: r.title, waiting: true });
        return { meetingTitle: r.title, waiting: true };
      }
      this.setState({ state: 'in-call', meetingTitle: r.title });
      return { meetingTitle: r.title };
    } catch (err) {
      this.target = undefined;
      const e = toJoinError(err);
      this.setState({ state: 'error', error: e.message });
      throw e;
    }
  }

  async leave(): Promise<void> {
    this.target = undefined;
    this.cancelReconnect();
    const s = this.session;
    if (!s) {
      this.setState({ state: 'idle' });
      return;
    }
    this.setState({ state: 'leaving' });
    try {
      await s.rpc.request('leave', {}, 3000);
    } catch {
      /* central learns from the closed socket anyway */
    }
    this.teardown(s);
    this.setState({ state: 'idle' });
  }

  /** Whether central lets the room turn its microphone on now (chair, floor holder, or self-unmute allowed). */
  mayUnmute(): boolean {
    const v = this.meetingView;
    if (!this.session || !v.settings || v.waiting) return true;
    if (v.role === 'chair' || (v.peerId !== null && v.floor.speaking === v.peerId)) return true;
    return !v.settings.floorControl && v.settings.selfUnmute;
  }

  get meeting(): RoomMeetingView {
    return this.meetingView;
  }

  get chat(): ChatMessage[] {
    return this.chatLog;
  }

  /**
   * A meeting method on the room's connection to central: the chair's (mutePeer, muteAll, removePeer, lock,
   * admit, deny, giveFloor, endFloor, endMeeting, …) and anybody's (chat, raiseHand, …).
   */
  async request<T = unknown>(method: string, data: Record<string, unknown> = {}): Promise<T> {
    const s = this.session;
    if (!s || s.closed || this.state !== 'in-call')
      throw new RpcError('not_in_call', 'Phòng chưa ở trong cuộc họp / the room is not in a meeting');
    return s.rpc.request<T>(method, data);
  }

  async setMicMuted(muted: boolean): Promise<void> {
    this.micMuted = muted;
    const p = this.source?.audioProducer;
    if (!p) return;
    // The pipe consumer sees producerpause/resume and forwards it to central (see pipeUp).
    if (muted) await p.pause();
    else await p.resume();
  }

  async setCameraOn(on: boolean): Promise<void> {
    this.cameraOn = on;
    const p = this.source?.videoProducer;
    if (!p) return;
    if (on) await p.resume();
    else await p.pause();
  }

  remoteProducers(): RemoteProducerInfo[] {
    const s = this.session;
    if (!s) return [];
    return [...s.down.values()].map((d) => ({ id: d.producer.id, kind: d.producer.kind, peerId: d.peerId, peerName: d.peerName, paused: d.producer.paused }));
  }

  async stats(): Promise<RoomMediaStats> {
    const count = async (p: Producer) => {
      const st = await p.getStats().catch(() => []);
      return { packets: st.reduce((a, x) => a + (x.packetCount ?? 0), 0), bytes: st.reduce((a, x) => a + (x.byteCount ?? 0), 0) };
    };
    const local: MediaStreamStats[] = [];
    for (const p of [this.source?.audioProducer, this.source?.videoProducer])
      if (p && !p.closed) local.push({ id: p.id, kind: p.kind, paused: p.paused, ...(await count(p)) });
    const remote: MediaStreamStats[] = [];
    for (const d of this.session?.down.values() ?? [])
      if (!d.producer.closed) remote.push({ id: d.producer.id, kind: d.producer.kind, paused: d.producer.paused, peerName: d.peerName, ...(await count(d.producer)) });
    const pipe = this.session?.pipe;
    return {
      call: this.state,
      pipe: pipe ? { connected: !!pipe.tuple.remotePort, srtp: !!pipe.srtpParameters } : null,
      local,
      remote,
    };
  }

  private setMeeting(patch: Partial<RoomMeetingView>): void {
    this.meetingView = { ...this.meetingView, ...patch };
    this.emit('meeting', this.meetingView);
  }

  private applyWelcome(peerId: string, w: Partial<MeetingWelcome>): void {
    this.setMeeting({
      role: w.role ?? 'participant',
      waiting: false,
      peerId,
      settings: w.settings ?? null,
      lobby: w.lobby ?? [],
      floor: w.floor ?? EMPTY_FLOOR,
    });
    this.chatLog = (w.chat ?? []).slice(-CHAT_KEEP);
    this.emit('chat', this.chatLog);
  }

  /** Participants with what the room knows of them: role, hand, floor, and whether their microphone reaches us. */
  private emitParticipants(s?: Session): void {
    const floor = this.meetingView.floor;
    const raised = new Set(floor.queue.map((q) => q.peerId));
    const micOn = new Set<string>();
    for (const d of s?.down.values() ?? []) if (d.producer.kind === 'audio' && !d.producer.paused) micOn.add(d.peerId);
    this.participants = this.participants.map((p) => ({
      ...p,
      handRaised: raised.has(p.id),
      speaking: floor.speaking === p.id,
      micOn: micOn.has(p.id),
    }));
    this.emit('participants', this.participants);
  }

  /** Final: leaves, stops the source and closes the router. */
  async close(): Promise<void> {
    this.closing = true;
    await this.leave().catch(() => {});
    await this.source?.stop();
    this.source = undefined;
    this._router?.close();
    this._router = undefined;
  }

  // ---- the connection to central ------------------------------------------------------------------

  /**
   * Opens signaling, joins, builds the pipe and pipes the room up; bounded by joinTimeoutMs. When central
   * puts the room in the lobby it resolves with `waiting` after the join; `admitted` builds the media later.
   */
  private async connect(opts: JoinOptions): Promise<{ title: string; waiting: boolean }> {
    let session: Session | undefined;
    let aborted = false;
    let timer: NodeJS.Timeout | undefined;
    const attempt = (async () => {
      const rpc = await this.openSocket(opts);
      if (aborted) {
        rpc.close();
        throw new JoinError('timeout', 'aborted');
      }
      const s: Session = { rpc, up: new Map(), down: new Map(), queue: Promise.resolve(), closed: false };
      session = s;
      // Current from here on, so that remoteProducers() agrees with the events the display already got.
      this.session = s;
      rpc.on('notification', (method, data) => {
        s.queue = s.queue.then(() => this.onNotification(s, method, data)).catch((err) => this.log.warn({ err, method }, 'central notification failed'));
      });
      rpc.on('close', (code) => this.onSessionClosed(s, code));

      const joined = await rpc.request<JoinedRoom | { peerId: string; meetingTitle: string; waiting: true }>('join', {
        code: opts.code,
        password: opts.password,
        displayName: opts.name,
        ...(opts.chairPin ? { chairPin: opts.chairPin } : {}),
      });
      if ('waiting' in joined && joined.waiting) {
        this.setMeeting({ role: null, waiting: true, peerId: joined.peerId, settings: null, lobby: [], floor: EMPTY_FLOOR });
        return { title: joined.meetingTitle, waiting: true };
      }
      await this.setupMedia(s, joined as JoinedRoom);
      return { title: joined.meetingTitle, waiting: false };
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new JoinError('timeout', `Máy chủ họp không trả lời trong ${this.joinTimeoutMs / 1000} giây / central did not answer in time`)),
        this.joinTimeoutMs,
      );
    });
    try {
      return await Promise.race([attempt, timeout]);
    } catch (err) {
      aborted = true;
      attempt.catch(() => {}); // it may still settle after the timeout; its socket is closed then
      // A refused box token shows up as a closed socket; wait briefly for its close code to tell.
      const closedAt = session && !session.rpc.open ? await Promise.race([session.rpc.whenClosed, sleep(1000)]) : null;
      const refused = closedAt === 4401;
      if (session) this.teardown(session);
      if (refused) throw new JoinError('unauthorized', 'Máy chủ họp từ chối mã xác thực của hộp / central refused the box token');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** In the meeting (joined, or admitted from the lobby): the pipe both ways and the room's producers up. */
  private async setupMedia(s: Session, joined: JoinedRoom): Promise<void> {
    this.applyWelcome(joined.peerId, joined);
    this.participants = joined.peers.map(toParticipant);
    this.emitParticipants(s);
    const rpc = s.rpc;
    const central = await rpc.request<PipeEndpoint>('createPipeTransport');
    s.pipe = await createPipeTransport(this.router, this.pipeNet, { role: 'central-pipe' });
    if (s.closed) s.pipe.close(); // torn down meanwhile (timeout): the next request fails with 'disconnected'
    await s.pipe.connect({ ip: central.ip, port: central.port, srtpParameters: central.srtpParameters });
    await rpc.request('connectPipeTransport', pipeEndpoint(s.pipe, this.pipeNet));
    for (const p of [this.source?.videoProducer, this.source?.audioProducer]) if (p) await this.pipeUp(s, p);
    await this.waitForUpstreamFlow(s);
  }

  /** A chair let the waiting room in: build the media now, bounded like a join. */
  private async onAdmitted(s: Session, joined: JoinedRoom): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.setupMedia(s, joined),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new JoinError('timeout', 'Máy chủ họp không trả lời kịp / central did not answer in time')), this.joinTimeoutMs);
        }),
      ]);
      if (s.closed) return;
      this.setState({ state: 'in-call', meetingTitle: joined.meetingTitle });
    } catch (err) {
      if (s.closed) return;
      this.target = undefined;
      this.teardown(s);
      this.setState({ state: 'error', error: toJoinError(err).message });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Central ended the room's part in the meeting (removed, denied, meeting over): no reconnect. */
  private endedByCentral(s: Session, state: 'idle' | 'error', error: string): void {
    this.target = undefined;
    this.cancelReconnect();
    this.teardown(s);
    this.setState({ state, error });
  }

  private openSocket(opts: JoinOptions): Promise<WsRpc> {
    const url = boxEndpoint(opts.centralUrl);
    return new Promise<WsRpc>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${opts.boxToken}` }, handshakeTimeout: 5000 });
      const fail = (why: string) => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new JoinError('central_unreachable', `Không kết nối được máy chủ họp (${why}) / central service unreachable`));
      };
      ws.once('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
      ws.once('error', (err) => fail(err.message));
      ws.once('open', () => {
        ws.removeAllListeners('error');
        ws.removeAllListeners('unexpected-response');
        resolve(new WsRpc(ws, { log: this.log, timeoutMs: 8000 }));
      });
    });
  }

  /** Sends one local producer up: consume it on the pipe, let central produce it, mirror pause/resume. */
  private async pipeUp(s: Session, producer: Producer): Promise<void> {
    const consumer = await s.pipe!.consume({ producerId: producer.id });
    const entry: { consumer: Consumer; remoteId?: string } = { consumer };
    s.up.set(producer.id, entry);
    const forward = (method: 'pauseProducer' | 'resumeProducer') => {
      if (!entry.remoteId || s.closed) return;
      s.rpc.request(method, { producerId: entry.remoteId }).catch((err: RpcError) => {
        // Floor control: central keeps the microphone off; the room follows (and its panel shows it).
        if (!s.closed && err.code === 'not_allowed' && producer.kind === 'audio') {
          this.emit('micForced', { muted: true, reason: 'not_allowed', by: '' } satisfies MicForced);
          return;
        }
        // Leaving or a dropped link: the next join pipes the current state anyway.
        if (!s.closed && err.code !== 'not_joined') this.log.warn({ err: err.message, method }, 'could not mirror pause/resume to central');
      });
    };
    consumer.on('producerpause', () => forward('pauseProducer'));
    consumer.on('producerresume', () => forward('resumeProducer'));
    consumer.on('producerclose', () => {
      s.up.delete(producer.id);
      if (entry.remoteId && !s.closed) s.rpc.request('closeProducer', { producerId: entry.remoteId }).catch(() => {});
    });
    const sentPaused = consumer.producerPaused;
    const res = await s.rpc.request<{ id: string }>('pipeProduce', {
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: sentPaused,
      appData: { source: producer.appData.source ?? 'room', label: producer.appData.label },
    });
    entry.remoteId = res.id;
    // A mute that happened while central was producing would otherwise be lost.
    if (producer.paused !== sentPaused) forward(producer.paused ? 'pauseProducer' : 'resumeProducer');
  }

  /** "Flowing upward" = the pipe consumers of unpaused producers have sent RTP; bounded, then we go on. */
  private async waitForUpstreamFlow(s: Session): Promise<void> {
    const deadline = Date.now() + FLOW_WAIT_MS;
    while (Date.now() < deadline) {
      let flowing = true;
      for (const { consumer } of s.up.values()) {
        if (consumer.producerPaused) continue;
        const st = await consumer.getStats().catch(() => []);
        if (!st.some((x) => x.type === 'outbound-rtp' && x.packetCount > 0)) flowing = false;
      }
      if (flowing) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.log.warn('joined, but the room camera/microphone sent no RTP yet (is ffmpeg running?)');
  }

  private async onNotification(s: Session, method: string, data: any): Promise<void> {
    if (s.closed) return;
    switch (method) {
      case 'pipeProducer': {
        const n = data as PipeProducerNotification;
        if (!s.pipe || s.down.has(n.producerId)) return;
        const producer = await s.pipe.produce({
          kind: n.kind,
          rtpParameters: n.rtpParameters,
          paused: n.paused,
          appData: { remoteId: n.producerId, peerId: n.peerId, peerName: n.peerName },
        });
        s.down.set(n.producerId, { producer, peerId: n.peerId, peerName: n.peerName });
        const info: RemoteProducerInfo = { id: producer.id, kind: producer.kind, peerId: n.peerId, peerName: n.peerName, paused: producer.paused };
        this.emit('remoteProducer', info);
        if (n.kind === 'audio') this.emitParticipants(s);
        return;
      }
      case 'pipeProducerClosed': {
        const d = s.down.get(data.producerId);
        if (!d) return;
        s.down.delete(data.producerId);
        d.producer.close();
        this.emit('remoteProducerClosed', { id: d.producer.id });
        if (d.producer.kind === 'audio') this.emitParticipants(s);
        return;
      }
      case 'pipeProducerPaused':
      case 'pipeProducerResumed': {
        const d = s.down.get(data.producerId);
        if (!d) return;
        if (method === 'pipeProducerPaused') await d.producer.pause();
        else await d.producer.resume();
        this.emit(method === 'pipeProducerPaused' ? 'remoteProducerPaused' : 'remoteProducerResumed', { id: d.producer.id });
        if (d.producer.kind === 'audio') this.emitParticipants(s);
        return;
      }
      case 'peerJoined':
      case 'peerUpdated': {
        const p = toParticipant(data as PeerInfo);
        if (p.id === this.meetingView.peerId) return; // our own new name
        const i = this.participants.findIndex((x) => x.id === p.id);
        if (i < 0) this.participants = [...this.participants, p];
        else this.participants = this.participants.map((x) => (x.id === p.id ? { ...x, ...p } : x));
        this.emitParticipants(s);
        return;
      }
      case 'peerLeft': {
        this.participants = this.participants.filter((x) => x.id !== data.peerId);
        this.emitParticipants(s);
        return;
      }
      case 'admitted':
        if (!this.meetingView.waiting) return;
        this.log.info('a chair admitted the room');
        await this.onAdmitted(s, data as JoinedRoom);
        return;
      case 'denied':
        this.log.info({ by: data.by }, 'a chair did not admit the room');
        this.endedByCentral(s, 'error', 'Chủ tọa không cho phòng vào cuộc họp / the chair did not admit the room');
        return;
      case 'removed':
        this.log.info({ by: data.by }, 'a chair removed the room from the meeting');
        this.endedByCentral(s, 'error', 'Phòng đã bị mời ra khỏi cuộc họp / the room was removed from the meeting');
        return;
      case 'lobbyChanged':
        this.setMeeting({ lobby: (data.waiting ?? []) as LobbyEntry[] });
        return;
      case 'floorChanged':
        this.setMeeting({ floor: data as FloorState });
        this.emitParticipants(s);
        return;
      case 'meetingUpdated':
        this.setMeeting({ settings: data as MeetingSettings });
        return;
      case 'roleChanged':
        this.setMeeting({ role: data.role as MeetingRole, lobby: (data.lobby ?? []) as LobbyEntry[] });
        return;
      case 'chatMessage':
        this.chatLog = [...this.chatLog, data as ChatMessage].slice(-CHAT_KEEP);
        this.emit('chat', this.chatLog);
        return;
      case 'mutedByChair':
        this.emit('micForced', { muted: true, reason: data.reason === 'floor' ? 'floor' : 'chair', by: String(data.by ?? '') } satisfies MicForced);
        return;
      case 'floorGiven':
        this.emit('micForced', { muted: false, reason: 'floorGiven', by: String(data.by ?? '') } satisfies MicForced);
        return;
      case 'floorEnded':
        this.emit('micForced', { muted: true, reason: 'floorEnded', by: String(data.by ?? '') } satisfies MicForced);
        return;
      case 'meetingClosed':
        this.log.info({ reason: data.reason }, 'central closed the meeting');
        this.endedByCentral(
          s,
          'idle',
          data.reason === 'ended_by_chair' ? 'Chủ tọa đã kết thúc cuộc họp / the chair ended the meeting' : 'Cuộc họp đã kết thúc / the meeting has ended',
        );
        return;
      default:
        return; // producerPaused etc. are for browsers; the pipe consumers tell us what we need
    }
  }

  private onSessionClosed(s: Session, code: number): void {
    if (s.closed || this.session !== s) return;
    this.log.warn({ code }, 'lost the connection to central');
    const wasWaiting = this.meetingView.waiting;
    this.teardown(s);
    if (wasWaiting && this.state === 'joining') {
      this.target = undefined;
      this.setState({ state: 'error', error: 'Mất kết nối máy chủ họp khi đang chờ / lost the central connection while waiting' });
      return;
    }
    if (this.target && this.state === 'in-call') {
      this.setState({ state: 'reconnecting', error: 'Mất kết nối máy chủ họp / lost the central connection' });
      this.reconnectAttempt = 0;
      this.scheduleReconnect();
    } else if (this.state === 'in-call') {
      this.setState({ state: 'idle' });
    }
  }

  private scheduleReconnect(): void {
    const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt++, RECONNECT_DELAYS_MS.length - 1)];
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      const target = this.target;
      if (!target || this.state !== 'reconnecting') return;
      try {
        const title = await this.connect(target);
        if (this.target !== target) {
          // leave() ran while we were reconnecting
          if (this.session) this.teardown(this.session);
          return;
        }
        this.log.info({ attempt: this.reconnectAttempt, waiting: title.waiting }, 'rejoined the meeting');
        if (title.waiting) this.setState({ state: 'joining', meetingTitle: title.title, waiting: true });
        else this.setState({ state: 'in-call', meetingTitle: title.title });
      } catch (err) {
        const e = toJoinError(err);
        if (this.target !== target) return; // left meanwhile
        if (e.code === 'bad_password' || e.code === 'not_found' || e.code === 'unauthorized' || e.code === 'locked' || e.code === 'bad_chair_pin') {
          this.target = undefined;
          this.setState({ state: 'error', error: e.message });
          return;
        }
        this.log.warn({ err: e.message, attempt: this.reconnectAttempt }, 'rejoin failed; retrying');
        this.scheduleReconnect();
      }
    }, delay);
    this.reconnectTimer.unref();
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** Closes everything a session created in the box router; the room's own producers stay. */
  private teardown(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    if (this.session === s) this.session = undefined;
    for (const d of s.down.values()) {
      d.producer.close();
      this.emit('remoteProducerClosed', { id: d.producer.id });
    }
    s.down.clear();
    s.pipe?.close();
    s.up.clear();
    s.rpc.close();
    if (this.participants.length) {
      this.participants = [];
      this.emit('participants', this.participants);
    }
    this.setMeeting({ role: null, waiting: false, peerId: null, settings: null, lobby: [], floor: EMPTY_FLOOR });
  }

  private setState(ev: CallEvent): void {
    this.state = ev.state;
    this.emit('call', ev);
  }
}

const sleep = (ms: number) => new Promise<null>((r) => setTimeout(r, ms));

/** The join answer (or `admitted`) central gives a box. */
interface JoinedRoom extends MeetingWelcome {
  peerId: string;
  meetingTitle: string;
  peers: PeerInfo[];
}

function toParticipant(p: Pick<PeerInfo, 'id' | 'displayName' | 'unit' | 'kind' | 'role'>): Participant {
  return { id: p.id, name: p.displayName, ...(p.unit ? { unit: p.unit } : {}), kind: p.kind, ...(p.role ? { role: p.role } : {}) };
}

function boxEndpoint(centralUrl: string): string {
  const u = new URL(centralUrl.replace(/^http/, 'ws'));
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/api/v1/central/box';
  return u.toString();
}

function toJoinError(err: unknown): JoinError {
  if (err instanceof JoinError) return err;
  if (err instanceof RpcError) {
    if (err.code === 'bad_password' || err.code === 'bad_chair_pin' || err.code === 'locked' || err.code === 'not_found' || err.code === 'timeout')
      return new JoinError(err.code, err.message);
    if (err.code === 'disconnected') return new JoinError('central_unreachable', `Mất kết nối máy chủ họp / ${err.message}`);
    return new JoinError('join_failed', err.message);
  }
  return new JoinError('join_failed', (err as Error)?.message ?? String(err));
}
