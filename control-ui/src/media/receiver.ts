// Receives remote producers on one recv transport (mediasoup-client), for the meet page and the room
// display alike: consume paused on the server, wire the track, then resume (so the first key frame is
// not lost before the decoder exists).
import type { types } from 'mediasoup-client';
import type { Signaling } from './signaling';
import type { ConsumeResponse, MediaKind, TransportInfo } from '../../../central/protocol';

export interface RemoteTrack {
  producerId: string;
  consumerId: string;
  peerId: string;
  kind: MediaKind;
  track: MediaStreamTrack;
  paused: boolean;
}

export class Receiver {
  private transport: types.Transport | undefined;
  private consumers = new Map<string, { consumer: types.Consumer; info: RemoteTrack }>();
  private inFlight = new Set<string>();
  private closed = false;

  constructor(
    private readonly signaling: Signaling,
    private readonly device: types.Device,
    private readonly onChange: (tracks: RemoteTrack[]) => void,
  ) {}

  get recvTransport(): types.Transport | undefined {
    return this.transport;
  }

  async init(): Promise<void> {
    const info = await this.signaling.request<TransportInfo>('createWebRtcTransport', { direction: 'recv' });
    const t = this.device.createRecvTransport(info);
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling.request('connectTransport', { transportId: t.id, dtlsParameters }).then(() => callback(), errback);
    });
    this.transport = t;
  }

  has(producerId: string): boolean {
    return this.consumers.has(producerId) || this.inFlight.has(producerId);
  }

  async consume(producerId: string): Promise<void> {
    const t = this.transport;
    if (!t || this.closed || this.has(producerId)) return;
    this.inFlight.add(producerId);
    try {
      const res = await this.signaling.request<ConsumeResponse>('consume', {
        transportId: t.id,
        producerId,
        rtpCapabilities: this.device.recvRtpCapabilities,
      });
      const consumer = await t.consume({ id: res.id, producerId: res.producerId, kind: res.kind, rtpParameters: res.rtpParameters });
      if (this.closed || !this.inFlight.has(producerId)) {
        consumer.close(); // the producer closed while we were setting up
        return;
      }
      const info: RemoteTrack = { producerId, consumerId: consumer.id, peerId: res.peerId, kind: res.kind, track: consumer.track, paused: res.producerPaused };
      this.consumers.set(producerId, { consumer, info });
      this.emit();
      await this.signaling.request('resumeConsumer', { consumerId: consumer.id });
    } finally {
      this.inFlight.delete(producerId);
    }
  }

  remove(producerId: string): void {
    this.inFlight.delete(producerId);
    const c = this.consumers.get(producerId);
    if (!c) return;
    c.consumer.close();
    this.consumers.delete(producerId);
    this.emit();
  }

  setPaused(producerId: string, paused: boolean): void {
    const c = this.consumers.get(producerId);
    if (!c) return;
    c.info = { ...c.info, paused };
    this.emit();
  }

  tracks(): RemoteTrack[] {
    return [...this.consumers.values()].map((c) => c.info);
  }

  close(): void {
    this.closed = true;
    for (const c of this.consumers.values()) c.consumer.close();
    this.consumers.clear();
    this.transport?.close();
    this.transport = undefined;
    this.emit();
  }

  private emit(): void {
    this.onChange(this.tracks());
  }
}
