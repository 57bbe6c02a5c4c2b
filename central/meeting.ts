// A live meeting, mediasoup-demo's Room: it owns one router and its peers (browsers and room boxes), and
// fans every producer out to the other peers. A meeting comes alive with its first peer and closes with
// its last.
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { WorkerPool } from '../media/worker-pool.js';
import type { MeetingRecord } from './repository.js';
import type { EndpointKind, PeerInfo } from './protocol.js';
import { MeetingControl, type PeerControl } from './meeting-control.js';

type Router = mediasoup.types.Router;
type Producer = mediasoup.types.Producer;

export interface MeetingPeer {
  readonly id: string;
  /** F6: a participant may change it during the meeting (setDisplayName). */
  displayName: string;
  unit?: string;
  readonly kind: EndpointKind;
  /** Role, account and permissions in this meeting (meeting-control.ts). */
  readonly control: PeerControl;
  readonly producers: Map<string, Producer>;
  notify(notification: string, data: unknown): void;
  /** Another peer's producer exists: tell a browser about it, or pipe it down to a box. */
  producerAdded(producer: Producer, owner: MeetingPeer): void;
  /** Frees the peer's transports; its producers close with them. */
  close(): void;
  /** Ends the peer's signaling connection (after a chair removed it). */
  disconnect?(): void;
}

export class Meeting {
  readonly peers = new Map<string, MeetingPeer>();
  /** The chair's side: lobby, floor, microphone rule (meeting-control.ts). */
  readonly control: MeetingControl;
  private closed = false;

  constructor(
    readonly record: MeetingRecord,
    readonly router: Router,
    private readonly log: Logger,
    private readonly onClose: (m: Meeting) => void,
  ) {
    this.control = new MeetingControl(this);
    // A dead worker takes the router with it; the peers cannot continue on this meeting object.
    router.observer.once('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  peerInfo(p: MeetingPeer): PeerInfo {
    return {
      id: p.id,
      displayName: p.displayName,
      ...(p.unit ? { unit: p.unit } : {}),
      kind: p.kind,
      producers: [...p.producers.values()].map((pr) => ({ id: pr.id, kind: pr.kind, paused: pr.paused })),
      role: p.control.role,
      handRaised: this.control.handRaised(p.id),
      speaking: this.control.speaking === p.id,
      permissions: { ...p.control.permissions },
    };
  }

  peerList(exceptId?: string): PeerInfo[] {
    return [...this.peers.values()].filter((p) => p.id !== exceptId).map((p) => this.peerInfo(p));
  }

  join(peer: MeetingPeer): void {
    if (this.closed) throw new Error('meeting closed');
    this.peers.set(peer.id, peer);
    this.control.remember(peer);
    const { producers: _omit, ...info } = this.peerInfo(peer);
    this.broadcast('peerJoined', info, peer.id);
    this.log.info({ meeting: this.record.code, peer: peer.id, name: peer.displayName, kind: peer.kind, peers: this.peers.size }, 'peer joined');
  }

  leave(peer: MeetingPeer): void {
    if (!this.peers.delete(peer.id)) return;
    peer.close();
    this.control.peerLeft(peer);
    this.broadcast('peerLeft', { peerId: peer.id });
    this.log.info({ meeting: this.record.code, peer: peer.id, peers: this.peers.size }, 'peer left');
    this.control.closeIfEmpty();
  }

  /** Registers a new producer of `owner` and offers it to everybody else. */
  addProducer(owner: MeetingPeer, producer: Producer): void {
    owner.producers.set(producer.id, producer);
    const ids = { producerId: producer.id, peerId: owner.id };
    producer.observer.once('close', () => {
      owner.producers.delete(producer.id);
      this.broadcast('producerClosed', ids, owner.id);
    });
    producer.observer.on('pause', () => this.broadcast('producerPaused', ids, owner.id));
    producer.observer.on('resume', () => this.broadcast('producerResumed', ids, owner.id));
    for (const p of this.peers.values()) if (p.id !== owner.id) p.producerAdded(producer, owner);
  }

  /** Every producer in the meeting except those of `exceptId`. */
  producersExcept(exceptId: string): Array<{ producer: Producer; owner: MeetingPeer }> {
    const out: Array<{ producer: Producer; owner: MeetingPeer }> = [];
    for (const p of this.peers.values()) if (p.id !== exceptId) for (const producer of p.producers.values()) out.push({ producer, owner: p });
    return out;
  }

  findProducer(producerId: string): { producer: Producer; owner: MeetingPeer } | undefined {
    for (const p of this.peers.values()) {
      const producer = p.producers.get(producerId);
      if (producer) return { producer, owner: p };
    }
    return undefined;
  }

  broadcast(notification: string, data: unknown, exceptId?: string): void {
    for (const p of this.peers.values()) if (p.id !== exceptId) p.notify(notification, data);
  }

  /** `why` reaches every peer in `meetingClosed` (e.g. a chair ended the meeting, M6.4). */
  close(why: { reason?: 'ended_by_chair' | 'closed'; by?: string } = {}): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) {
      p.notify('meetingClosed', why);
      p.close();
    }
    this.peers.clear();
    this.control.close(why);
    if (!this.router.closed) this.router.close();
    this.onClose(this);
    this.log.info({ meeting: this.record.code }, 'meeting closed');
  }
}

/** The meetings that have peers right now, by meeting id; one router each. */
export class LiveMeetings {
  private readonly live = new Map<number, Meeting>();
  private readonly opening = new Map<number, Promise<Meeting>>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly log: Logger,
  ) {}

  get(id: number): Meeting | undefined {
    return this.live.get(id);
  }

  all(): Meeting[] {
    return [...this.live.values()];
  }

  /** The live meeting, or a new one; two peers arriving together share one router. */
  async open(record: MeetingRecord): Promise<Meeting> {
    const existing = this.live.get(record.id);
    if (existing && !existing.isClosed) return existing;
    let p = this.opening.get(record.id);
    if (!p) {
      p = (async () => {
        const router = await this.pool.createRouter();
        const m = new Meeting(record, router, this.log, (closed) => {
          if (this.live.get(record.id) === closed) this.live.delete(record.id);
        });
        this.live.set(record.id, m);
        return m;
      })().finally(() => this.opening.delete(record.id));
      this.opening.set(record.id, p);
    }
    return p;
  }

  closeAll(): void {
    for (const m of [...this.live.values()]) m.close();
  }
}
