// A byte stream to one device cut into replies (frames, lines) that wait in a mailbox for the one exchange in
// flight — the link the Samsung MDC and LG drivers talk over, whether a serial port or a TCP connection. Stream
// failures become DeviceErrors worded by the driver (LinkErrors).
import { EventEmitter } from 'node:events';
import { Mailbox } from '../core/mailbox.js';
import type { DeviceError } from '../types.js';
import { StreamError, type ByteStream } from './byte-stream.js';

/** Cuts the byte stream into replies; a fresh one per connection. */
export interface ReplyCutter<T> {
  push(chunk: Buffer): T[];
  /** Forgets a partial reply (before a new request). */
  flush(): void;
}

/** How a driver words stream failures. */
export interface LinkErrors {
  open(err: StreamError): DeviceError;
  write(err: StreamError): DeviceError;
}

export interface ReplyLinkEvents {
  /** The stream went away by itself; the reason is also in lostReason. */
  lost: [string];
  /** A non-fatal stream error. */
  error: [Error];
}

export class ReplyLink<T> extends EventEmitter<ReplyLinkEvents> {
  private cutter: ReplyCutter<T>;
  private replies = new Mailbox<T>();
  /** Why the stream was lost (until it is opened again). */
  lostReason: string | null = null;

  constructor(
    readonly stream: ByteStream,
    private readonly newCutter: () => ReplyCutter<T>,
    private readonly errors: LinkErrors,
  ) {
    super();
    this.cutter = newCutter();
    stream.on('data', (chunk) => {
      for (const reply of this.cutter.push(chunk)) this.replies.push(reply);
    });
    stream.on('lost', (reason) => {
      this.lostReason = reason;
      this.replies.end();
      this.emit('lost', reason);
    });
    // Without a listener an 'error' would throw; the driver decides what a non-fatal error means.
    stream.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  get isOpen(): boolean {
    return this.stream.isOpen;
  }

  /**
   * Opens the stream unless it is open, with a fresh cutter and mailbox; failures are worded by LinkErrors.open.
   * When `cancelled` answers an error once the stream is open (the driver was stopped meanwhile), the stream is
   * closed again and that error thrown.
   */
  async open(cancelled?: () => Error | null): Promise<void> {
    if (this.stream.isOpen) return;
    this.cutter = this.newCutter();
    this.replies = new Mailbox<T>();
    this.lostReason = null;
    await this.stream.open().catch((err) => {
      throw err instanceof StreamError ? this.errors.open(err) : err;
    });
    const err = cancelled?.();
    if (err) {
      void this.close();
      throw err;
    }
  }

  /** Drops a partial reply and the unread replies `which` selects (all by default): an earlier exchange's leftovers. */
  reset(which?: (reply: T) => boolean): void {
    this.cutter.flush();
    this.replies.drop(which);
  }

  write(data: Buffer): Promise<void> {
    return this.stream.write(data).catch((err) => {
      throw err instanceof StreamError ? this.errors.write(err) : err;
    });
  }

  /** The next reply; 'closed' once the stream is lost or closed and nothing is left; 'timeout'. */
  next(timeoutMs: number): Promise<T | 'timeout' | 'closed'> {
    return this.replies.next(timeoutMs);
  }

  /** Closes the stream (no 'lost' follows); a reader waiting now gets 'closed'. */
  close(): Promise<void> {
    this.replies.end();
    return this.stream.close();
  }
}
