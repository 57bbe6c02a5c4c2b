// One command at a time, first come first served. A job is a function that runs the whole exchange (write,
// wait, decode) and settles with its answer; the next job starts only once it settled.
//
// `admit` decides whether a job may be queued and, again, whether it may run when its turn comes: a stopped
// driver refuses everything ('closed'), an offline one everything but its reconnect probes ('unreachable').
// `ready` holds jobs back while there is nothing to run them on (a session still being set up); call pump()
// when it turns true.

interface Job {
  probe: boolean;
  run(): Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface CommandQueueOptions {
  /** An Error refuses the job (probe: a reconnect probe, which may run while the device is offline). */
  admit?: (probe: boolean) => Error | null;
  /** False while jobs must wait; default always ready. */
  ready?: () => boolean;
}

export class CommandQueue {
  private waiting: Job[] = [];
  private running: Job | null = null;

  constructor(private readonly options: CommandQueueOptions = {}) {}

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return this.running === null && this.waiting.length === 0;
  }

  /** Queues `run`; settles with its result, or with the refusal if `admit` says no. */
  push<T>(run: () => Promise<T>, opts: { probe?: boolean } = {}): Promise<T> {
    const probe = opts.probe ?? false;
    const refusal = this.options.admit?.(probe);
    if (refusal) return Promise.reject(refusal);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ probe, run, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Starts the next job if none is running and the queue is ready. */
  pump(): void {
    if (this.running || !(this.options.ready?.() ?? true)) return;
    for (let job = this.waiting.shift(); job; job = this.waiting.shift()) {
      const refusal = this.options.admit?.(job.probe);
      if (refusal) {
        job.reject(refusal);
        continue;
      }
      const current = job;
      this.running = current;
      let settled: Promise<unknown>;
      try {
        settled = current.run();
      } catch (err) {
        settled = Promise.reject(err);
      }
      settled
        .then(current.resolve, current.reject)
        .finally(() => {
          this.running = null;
          this.pump();
        });
      return;
    }
  }

  /**
   * Rejects the waiting jobs with `err`: all of them, or all but the probes (`keepProbes`, going offline), and
   * with `running` also the job under way (stop(); its exchange still ends by itself, its result is dropped).
   */
  fail(err: unknown, opts: { keepProbes?: boolean; running?: boolean } = {}): void {
    const failed = opts.keepProbes ? this.waiting.filter((j) => !j.probe) : this.waiting;
    this.waiting = opts.keepProbes ? this.waiting.filter((j) => j.probe) : [];
    if (opts.running && this.running) failed.push(this.running);
    for (const j of failed) j.reject(err);
  }
}
