// The one live TcpSession of a driver (Tesira, Shure): connects and sets it up, holds commands in the queue
// until it is usable and then runs them on it one at a time; when it ends the driver goes offline — commands
// fail fast with 'unreachable' — and reconnects in the background with back-off. stop() ends it and fails
// what is waiting with 'closed'.
import { Backoff } from '../core/backoff.js';
import { CommandQueue } from '../core/command-queue.js';
import type { HealthTracker } from '../core/health.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { DeviceError } from '../types.js';
import type { InFlight, TcpSession, TcpSessionOptions } from './tcp-session.js';

/** What the keeper hands to every session it creates. */
export type SessionHooks = Pick<TcpSessionOptions, 'health' | 'unreachable' | 'onEnd'>;

export interface SessionKeeperOptions<S> {
  lifecycle: Lifecycle;
  tracker: HealthTracker;
  /** The back-off between reconnects (the connection's settings). */
  delays: { reconnectMinMs: number; reconnectMaxMs: number };
  /** A new, unconnected session built with `hooks`. */
  create(hooks: SessionHooks): S;
  /** The greeting, subscriptions and first reads on a connected session. */
  setUp(session: S): Promise<void>;
  /** Silence after which an idle session is probed (0 = never), and the probe (queue a harmless command). */
  keepaliveMs: number;
  keepalive(): void;
  unreachable(): DeviceError;
}

export class SessionKeeper<S extends TcpSession<unknown, InFlight<unknown>>> {
  private current: S | null = null;
  private readonly backoff: Backoff;
  private readonly queue: CommandQueue;

  constructor(private readonly o: SessionKeeperOptions<S>) {
    this.backoff = new Backoff(o.delays.reconnectMinMs, o.delays.reconnectMaxMs);
    this.queue = new CommandQueue({
      admit: () => o.lifecycle.refusal() ?? (o.tracker.status === 'offline' ? o.unreachable() : null),
      ready: () => this.current?.usable === true,
    });
  }

  /** Runs `command` on the live session once it is set up; commands go one at a time, in order. */
  send<T>(command: (session: S) => Promise<T>): Promise<T> {
    return this.queue.push(() => command(this.current!));
  }

  /** One connection attempt; online (degraded when the set-up saw undecodable replies) when it worked. */
  async connect(): Promise<boolean> {
    const { lifecycle, tracker } = this.o;
    if (lifecycle.stopped) return false;
    const s: S = this.o.create({ health: tracker, unreachable: () => this.o.unreachable(), onEnd: () => this.ended(s) });
    this.current = s;
    if (!(await s.establish(() => this.o.setUp(s))) || lifecycle.stopped) return false;
    s.usable = true;
    this.backoff.reset();
    tracker.set(s.badReplies > 0 ? 'degraded' : 'online');
    s.keepAlive(this.o.keepaliveMs, () => this.queue.idle, () => this.o.keepalive());
    this.queue.pump();
    return true;
  }

  /** Ends the session; pending and queued commands fail with the lifecycle's 'closed' error. */
  async stop(): Promise<void> {
    this.backoff.cancel();
    const closed = this.o.lifecycle.stoppedError();
    this.queue.fail(closed);
    const s = this.current;
    if (!s) return;
    this.current = null;
    s.end(closed);
    await s.closed();
  }

  /** The live session ended: offline, fail fast, reconnect in the background. */
  private ended(s: S): void {
    if (this.current !== s) return;
    this.current = null;
    if (this.o.lifecycle.stopped) return;
    this.o.tracker.set('offline');
    this.queue.fail(this.o.unreachable());
    this.backoff.schedule(() => void this.connect());
  }
}
