// The room display's media: connect to the box (/api/v1/display/ws), receive every remote participant
// the box has piped down from central, and reconnect with back-off if the box restarts.
import { Device } from 'mediasoup-client';
import { Signaling, SignalingError } from '../media/signaling';
import { Receiver, type RemoteTrack } from '../media/receiver';
import type { RemoteProducerInfo } from '../../../central/protocol';

export type DisplayState = 'connecting' | 'online' | 'reconnecting' | 'unauthorized';

export interface DisplayEvents {
  state(s: DisplayState): void;
  tracks(list: RemoteTrack[], names: Map<string, string>): void;
}

const RETRY_MS = [1000, 2000, 4000, 8000];

export class DisplaySession {
  private receiver: Receiver | undefined;
  private signaling: Signaling | undefined;
  private names = new Map<string, string>(); // peerId → name
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly token: string,
    private readonly on: DisplayEvents,
  ) {}

  get transports() {
    return { recv: this.receiver?.recvTransport };
  }

  start(): void {
    this.on.state('connecting');
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.receiver?.close();
    this.signaling?.close();
  }

  private async connect(): Promise<void> {
    try {
      const sig = await Signaling.connect(`/api/v1/display/ws?token=${encodeURIComponent(this.token)}`);
      this.signaling = sig;
      const device = new Device();
      const pending: string[] = [];
      sig.onNotification((method, data) => {
        if (method === 'newProducer') {
          this.names.set(data.peerId, data.peerName);
          if (this.receiver?.recvTransport) void this.receiver.consume(data.producerId).catch(() => {});
          else pending.push(data.producerId);
        } else if (method === 'producerClosed') this.receiver?.remove(data.producerId);
        else if (method === 'producerPaused' || method === 'producerResumed') this.receiver?.setPaused(data.producerId, method === 'producerPaused');
      });
      sig.onClose(() => this.lost());
      const caps = await sig.request<{ routerRtpCapabilities: any; producers: RemoteProducerInfo[] }>('getRouterRtpCapabilities');
      await device.load({ routerRtpCapabilities: caps.routerRtpCapabilities });
      this.receiver = new Receiver(sig, device, (list) => this.on.tracks(list, this.names));
      await this.receiver.init();
      for (const p of caps.producers) {
        this.names.set(p.peerId, p.peerName);
        pending.push(p.id);
      }
      this.attempt = 0;
      this.on.state('online');
      for (const id of pending.splice(0)) void this.receiver.consume(id).catch(() => {});
    } catch (err) {
      if (await this.tokenRejected()) {
        this.on.state('unauthorized');
        return;
      }
      if (!(err instanceof SignalingError)) console.warn('display connect failed', err);
      this.lost();
    }
  }

  /** A WebSocket upgrade refused with 401 looks like any closed socket; ask REST whether the token is still good. */
  private async tokenRejected(): Promise<boolean> {
    try {
      const r = await fetch('/api/v1/auth/me', { headers: { Authorization: `Bearer ${this.token}` } });
      return r.status === 401;
    } catch {
      return false;
    }
  }

  private lost(): void {
    this.receiver?.close();
    this.receiver = undefined;
    this.signaling = undefined;
    if (this.stopped || this.timer) return;
    this.on.state('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) void this.connect();
    }, RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)]);
  }
}
