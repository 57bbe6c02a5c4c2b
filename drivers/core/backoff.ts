// Reconnect back-off: one pending retry at a time, the delay doubling from minMs up to maxMs and back to minMs
// after a success. Timers are unref'd, so a device that stays away never keeps the process alive.

export class Backoff {
  private nextMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.nextMs = minMs;
  }

  /** A retry is waiting for its timer. */
  get scheduled(): boolean {
    return this.timer !== null;
  }

  /**
   * Runs `retry` once the current delay has passed (or after `delayMs`, e.g. the longest delay after refused
   * credentials) and doubles the next delay up to maxMs. Nothing happens while a retry is already scheduled.
   */
  schedule(retry: () => void, delayMs?: number): void {
    if (this.timer) return;
    const wait = delayMs ?? this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, wait);
    this.timer.unref();
  }

  /** The device is back: the next retry waits minMs again. */
  reset(): void {
    this.nextMs = this.minMs;
  }

  /** Drops a scheduled retry (stop()); the delay reached is kept. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
