// How a driver without a standing connection (PJLink, Samsung MDC, LG) knows its device is there: a probe — one
// query through the command queue — at start and, once the device stopped answering, again with back-off until
// one works. Going offline fails the commands waiting with 'unreachable' (probes excepted, see CommandQueue).
import type { DeviceError } from '../types.js';
import { Backoff } from './backoff.js';
import type { CommandQueue } from './command-queue.js';
import type { HealthTracker } from './health.js';
import type { Lifecycle } from './lifecycle.js';

export interface ProbeLoopOptions {
  lifecycle: Lifecycle;
  tracker: HealthTracker;
  queue: CommandQueue;
  /** The back-off between probes (the connection's settings). */
  delays: { reconnectMinMs: number; reconnectMaxMs: number };
  /** One attempt; true when the device answered (it sets the status itself, errors mark it offline). */
  probe(): Promise<boolean>;
  /** After a probe brought the device back: read its state again. */
  refresh(): Promise<void>;
  unreachable(): DeviceError;
}

export class ProbeLoop {
  private readonly backoff: Backoff;

  constructor(private readonly o: ProbeLoopOptions) {
    this.backoff = new Backoff(o.delays.reconnectMinMs, o.delays.reconnectMaxMs);
  }

  /** One probe through the queue; true when the device answered (the back-off starts over). */
  async run(): Promise<boolean> {
    const ok = await this.o.queue.push(() => this.o.probe(), { probe: true }).catch(() => false);
    if (ok) this.backoff.reset();
    return ok;
  }

  /** The device stopped answering: offline, fail the commands waiting, probe again later. */
  goOffline(): void {
    const { lifecycle, tracker, queue } = this.o;
    if (lifecycle.stopped) return;
    if (tracker.status !== 'offline') {
      tracker.set('offline');
      queue.fail(this.o.unreachable(), { keepProbes: true });
    }
    this.schedule();
  }

  /** stop(): no more probes. */
  cancel(): void {
    this.backoff.cancel();
  }

  private schedule(): void {
    if (this.o.lifecycle.stopped) return;
    this.backoff.schedule(() => {
      void this.run().then((ok) => {
        if (ok) this.o.refresh().catch(() => {});
        else if (this.o.tracker.status === 'offline') this.schedule();
      });
    });
  }
}
