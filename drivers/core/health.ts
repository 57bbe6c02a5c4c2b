// A driver's status and health counters (DeviceHealth): one place that decides when 'status' is emitted and
// how errors, replies and the degraded state are counted, so every driver reports them the same way.
import type { DeviceHealth, DeviceStatus } from '../types.js';

export class HealthTracker {
  private current: DeviceStatus = 'connecting';
  private lastReply: number | null = null;
  private errors = 0;
  private lastError: string | null = null;

  /** `onChange` is called after every real status change (the driver emits 'status' there). */
  constructor(private readonly onChange: (status: DeviceStatus) => void) {}

  get status(): DeviceStatus {
    return this.current;
  }

  /** Epoch ms of the last sign of life from the device, or null. */
  get lastReplyAt(): number | null {
    return this.lastReply;
  }

  /** Changes the status; nothing happens when it already is `status`. */
  set(status: DeviceStatus): void {
    if (this.current === status) return;
    this.current = status;
    this.onChange(status);
  }

  /** The device answered (or sent anything that proves it is there). */
  noteReply(at = Date.now()): void {
    this.lastReply = at;
  }

  noteError(message: string): void {
    this.errors++;
    this.lastError = message;
  }

  /** An error caused by an unusable reply: counted, and online → degraded. */
  noteBadReply(message: string): void {
    this.noteError(message);
    this.degrade();
  }

  /** online → degraded (the device is there but something it says is wrong). */
  degrade(): void {
    if (this.current === 'online') this.set('degraded');
  }

  /** degraded → online (a good reply came). */
  recover(): void {
    if (this.current === 'degraded') this.set('online');
  }

  snapshot(): DeviceHealth {
    return { status: this.current, lastReplyAt: this.lastReply, errorCount: this.errors, lastError: this.lastError };
  }
}
