// Whether a driver is started or stopped, and the DeviceError('closed') it answers with when it is not running:
// "The display driver was stopped", "The Tesira driver is not started".
import { DeviceError } from '../types.js';

export class Lifecycle {
  private isStarted = false;
  private isStopped = false;

  /** `noun` names the driver in messages: 'display' → "The display driver was stopped". */
  constructor(private readonly noun: string) {}

  get started(): boolean {
    return this.isStarted;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Marks the driver started; false when it already was (start() then does nothing). */
  start(): boolean {
    if (this.isStarted) return false;
    this.isStarted = true;
    this.isStopped = false;
    return true;
  }

  stop(): void {
    this.isStopped = true;
    this.isStarted = false;
  }

  /** DeviceError('closed') "The … driver was stopped". */
  stoppedError(): DeviceError {
    return new DeviceError('closed', `The ${this.noun} driver was stopped`);
  }

  /** Why a command cannot be taken now (stopped, or not started yet), or null when it can. */
  refusal(): DeviceError | null {
    if (this.isStopped) return this.stoppedError();
    if (!this.isStarted) return new DeviceError('closed', `The ${this.noun} driver is not started`);
    return null;
  }
}
