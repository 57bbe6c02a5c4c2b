// A transport carrying a byte stream to one device — a serial port, a TCP connection — as the stream drivers
// (VISCA, Samsung MDC, LG) see it: open it, write bytes, hear data and being lost.
import type { EventEmitter } from 'node:events';

export interface ByteStreamEvents {
  data: [Buffer];
  /** The stream went away by itself (adapter unplugged, connection closed by the peer); says why. */
  lost: [string];
  /** A non-fatal error (the stream stays open). */
  error: [Error];
}

export interface ByteStream extends EventEmitter<ByteStreamEvents> {
  readonly isOpen: boolean;
  /** Opens it; rejects with a StreamError that says why not. */
  open(): Promise<void>;
  /** Rejects with a StreamError ('not-open' or 'failed'). */
  write(data: Buffer): Promise<void>;
  /** Closes it; no 'lost' event follows. */
  close(): Promise<void>;
}

/**
 * Why an open or a write failed: `reason` says which way, `cause` keeps what the system said (an errno
 * error with its code), so a driver can word it its own way.
 */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-open' | 'timeout' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StreamError';
  }

  /** The system's error behind this one (or this one). */
  get systemError(): NodeJS.ErrnoException {
    return this.cause instanceof Error ? this.cause : this;
  }
}
