// VISCA on a byte stream: a serial line (RS-232/RS-422) or a PTZOptics-style raw TCP connection (protocols.md
// §1.1–1.5, §1.10). Packets are the serial packets themselves, delimited by FF, with no header and no sequence
// number, so replies are matched by what they are: the first reply after a request (ACK, inquiry answer or
// error) belongs to the one request in flight, and a later completion or error carries the socket its ACK
// named. Everything else — queue, sockets, ACK then completion, errors, status, reconnect — is
// ViscaCameraCore's, shared with VISCA over IP; the serial and TCP drivers only supply the byte stream.
import { EventEmitter } from 'node:events';
import { DeviceError } from '../types.js';
import { ViscaStreamParser, decodeReply, encodeCommand, encodeIfClear, type ViscaReply } from './codec.js';
import { ViscaCameraCore, type Attempt, type Exchange, type ViscaCoreConnection, type ViscaRequest } from './camera-core.js';

export interface ViscaByteStreamEvents {
  data: [Buffer];
  /** The stream went away by itself (adapter unplugged, connection closed by the peer); says why. */
  lost: [string];
  /** A non-fatal error (the stream stays open). */
  error: [Error];
}

/** A transport carrying a byte stream: a serial port, a TCP connection. */
export interface ViscaByteStream extends EventEmitter<ViscaByteStreamEvents> {
  readonly isOpen: boolean;
  /** Opens it; rejects with an Error that says why not. */
  open(): Promise<void>;
  write(data: Buffer): Promise<void>;
  /** Closes it; no 'lost' event follows. */
  close(): Promise<void>;
}

/**
 * How the driver greets the camera after opening the stream. Serial (Sony: "Before starting control ... send
 * the Address command and the IF_Clear command using the broadcast function"): Address Set `88 30 01 FF`,
 * then IF_Clear `88 01 00 01 FF`. Raw TCP has no chain and no broadcast: IF_Clear to the camera,
 * `8x 01 00 01 FF` → `z0 50 FF`, which also drops the sockets a previous connection left executing.
 */
export type ViscaGreeting = 'address-set' | 'if-clear';

type Accepts = (r: ViscaReply) => boolean;

const acceptsFirstCommandReply: Accepts = (r) => r.type === 'ack' || r.type === 'error' || (r.type === 'completion' && r.socket === 0);
const acceptsInquiryReply: Accepts = (r) => r.type === 'error' || (r.type === 'completion' && r.socket === 0);

export abstract class ViscaStreamDriver<C extends ViscaCoreConnection> extends ViscaCameraCore<C> {
  /** One request in flight until its first reply (ACK, inquiry completion or error), per the Sony manual. */
  protected readonly releaseEveryCommandAtAck = true;

  private readonly parser = new ViscaStreamParser();
  /** The request in flight, waiting for its first reply. */
  private waiter: { ex: Exchange; accepts: Accepts } | null = null;
  /** Acknowledged commands waiting for their completion, by the socket their ACK named. */
  private readonly bySocket = new Map<number, Exchange>();

  constructor(
    connection: C,
    protected readonly stream: ViscaByteStream,
    private readonly greeting: ViscaGreeting,
  ) {
    super(connection);
    stream.on('data', (chunk) => {
      for (const packet of this.parser.push(chunk)) this.onPacket(packet);
    });
    stream.on('lost', (reason) => this.onStreamLost(reason));
    stream.on('error', (err) => this.noteError(`${this.describe()}: ${err.message}`));
  }

  // -------------------------------------------------------------------------------------------
  // Connecting
  // -------------------------------------------------------------------------------------------

  protected async establish(): Promise<void> {
    if (!this.stream.isOpen) {
      this.parser.flush();
      this.bySocket.clear();
      await this.stream.open();
    }
    if (this.greeting === 'address-set') {
      await this.addressSet();
      const r = await this.handshake(encodeCommand({ type: 'if-clear-broadcast' }), 'IF_Clear (88 01 00 01 FF)', (r) => r.type === 'if-clear-broadcast' || r.type === 'error');
      if (r.type === 'error') throw new Error(`${this.describe()} refused IF_Clear: ${r.reason}`);
    } else {
      // Any answer from the camera's address proves a VISCA camera is there; one that cannot IF_Clear says so
      // with an error reply and is still usable.
      await this.handshake(encodeIfClear(this.connection.address), `IF_Clear (8${this.connection.address} 01 00 01 FF)`, acceptsInquiryReply);
    }
  }

  /** Address Set `88 30 01 FF` → `88 30 0n FF`: n − 1 cameras on the chain, numbered 1..n − 1. */
  private async addressSet(): Promise<void> {
    const r = await this.handshake(encodeCommand({ type: 'address-set' }), 'Address Set (88 30 01 FF)', (r) => r.type === 'address' || r.type === 'error');
    if (r.type === 'error') throw new Error(`${this.describe()} refused Address Set: ${r.reason}`);
    if (r.type !== 'address') throw new Error(`${this.describe()} answered Address Set with a ${r.type} reply`);
    const cameras = r.next - 1;
    if (this.connection.address > cameras)
      throw new Error(`${this.describe()}: Address Set found ${cameras} camera(s) on the chain, so address ${this.connection.address} does not exist`);
  }

  /** One greeting request and its one reply, within timeoutMs; throws an Error saying what went wrong. */
  private async handshake(packet: Buffer, what: string, accepts: Accepts): Promise<ViscaReply> {
    const ex = this.openExchange();
    try {
      this.waiter = { ex, accepts };
      await this.write(packet, what);
      for (;;) {
        const got = await this.next(ex, this.connection.timeoutMs);
        if (got === 'timeout') throw new Error(`${this.describe()} did not answer ${what} within ${this.connection.timeoutMs} ms`);
        if (got.kind === 'abort') throw got.error;
        if (got.kind === 'visca') return got.reply;
      }
    } finally {
      this.closeExchange(ex);
    }
  }

  /** `z0 38 FF`: a camera joined or left the chain, so the addresses may have moved; Address Set again. */
  private onNetworkChange(): void {
    if (this.greeting !== 'address-set' || this.stopped || this.status === 'offline') return;
    this.enqueue(() => this.addressSet(), { probe: true }).catch((err: Error) => {
      if (this.stopped) return;
      this.noteError(err.message);
      this.goOffline();
    });
  }

  protected closeTransport(): Promise<void> {
    return this.stream.close();
  }

  /** Offline: drop the stream, so the next probe starts from a freshly opened port or connection. */
  protected override onOffline(): void {
    this.stream.close().catch(() => {});
  }

  private onStreamLost(reason: string): void {
    if (this.stopped) return;
    const err = new DeviceError('unreachable', `${this.describe()}: ${reason}; reconnecting in the background`);
    this.noteError(`${this.describe()}: ${reason}`);
    // A greeting in progress (already offline) learns it at once instead of waiting for its timeout.
    if (this.waiter) this.deliver(this.waiter.ex, { kind: 'abort', error: err });
    this.goOffline(err);
  }

  // -------------------------------------------------------------------------------------------
  // Requests and replies
  // -------------------------------------------------------------------------------------------

  protected openAttempt(ex: Exchange, req: ViscaRequest): Attempt {
    const accepts = req.kind === 'inquiry' ? acceptsInquiryReply : acceptsFirstCommandReply;
    const send = async () => {
      this.waiter = { ex, accepts };
      await this.write(req.payload, req.what);
    };
    return {
      send,
      resend: send, // no sequence number: after `buffer full` the same bytes go again
      // Without sequence numbers a resent command might run twice; silence means the camera is gone.
      retryOnSilence: async () => false,
      describeSilence: () => `${this.connection.timeoutMs} ms`,
      accepts: () => true,
      onLinkMessage: async () => {},
    };
  }

  protected override onExchangeClosed(ex: Exchange): void {
    if (this.waiter?.ex === ex) this.waiter = null;
    for (const [socket, owner] of this.bySocket) if (owner === ex) this.bySocket.delete(socket);
  }

  private async write(packet: Buffer, what: string): Promise<void> {
    try {
      await this.stream.write(packet);
    } catch (err) {
      // A line that cannot be written is as gone as one that closed: everything waiting learns why.
      const reason = `cannot send ${what} (${(err as Error).message})`;
      this.stream.close().catch(() => {});
      this.onStreamLost(reason);
      throw new DeviceError('unreachable', `${this.describe()}: ${reason}; reconnecting in the background`);
    }
  }

  private onPacket(packet: Buffer): void {
    let reply: ViscaReply;
    try {
      reply = decodeReply(packet);
    } catch (err) {
      this.noteBadReply((err as Error).message);
      return;
    }
    this.noteReply();
    if (reply.type === 'network-change') {
      this.onNetworkChange();
      return;
    }
    // Another camera on the chain answering someone else.
    if ('address' in reply && reply.address !== this.connection.address) return;
    // A completion or error naming a socket belongs to the command that socket's ACK went to.
    if ((reply.type === 'completion' || reply.type === 'error') && reply.socket !== 0) {
      const owner = this.bySocket.get(reply.socket);
      if (owner) {
        this.bySocket.delete(reply.socket);
        this.deliver(owner, { kind: 'visca', tag: null, reply });
        return;
      }
    }
    const w = this.waiter;
    if (w && w.accepts(reply)) {
      this.waiter = null;
      if (reply.type === 'ack') this.bySocket.set(reply.socket, w.ex);
      this.deliver(w.ex, { kind: 'visca', tag: null, reply });
    }
    // Otherwise nobody waits for it (a late answer after a timeout): dropped.
  }
}
