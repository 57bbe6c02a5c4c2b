// What a device sent (reply lines, frames, events), waiting to be read by the one exchange in flight. The
// reader asks for the next item with a bound on the wait; the timer is unref'd.

export class Mailbox<T> {
  private items: T[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  /** True once end() was called: nothing more will arrive. */
  get isEnded(): boolean {
    return this.ended;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  /** Nothing more will arrive (the connection closed): once the items are read, next() answers 'closed'. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
  }

  /** Drops the unread items `which` selects (all of them by default), e.g. late replies before a new request. */
  drop(which: (item: T) => boolean = () => true): void {
    this.items = this.items.filter((i) => !which(i));
  }

  /** The next item; 'closed' after end() once nothing is left; 'timeout' when nothing came within timeoutMs. */
  next(timeoutMs: number): Promise<T | 'timeout' | 'closed'> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.ended) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve('timeout');
      }, Math.max(0, timeoutMs));
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(this.items.length > 0 ? this.items.shift()! : 'closed');
      };
    });
  }
}
