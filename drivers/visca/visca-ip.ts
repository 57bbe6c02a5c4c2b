// A PTZ camera over Sony VISCA-over-IP (UDP 52381), protocols.md §1.9. The camera semantics (queue, sockets,
// ACK then completion, errors, status, reconnect) are ViscaCameraCore's; this file is the UDP link: the
// 8-byte header, sequence numbers and their recovery.
//
// Flow control: one request in flight at a time (FIFO), until its completion. The exception is a travel
// (absolute position, zoom direct, preset recall): the next request may go once it is acknowledged, so a stop
// can overtake a long move; its promise still resolves only at its own completion, matched by the echoed
// sequence number.
//
// Loss: a per-attempt timeout retransmits the same sequence number; if the camera answers `0F 01` it already
// ran the command and our reply was lost, so the command goes again under a new number; if that happens again
// the sequence is RESET. When nothing answers, the device is marked offline, commands fail fast, and RESET
// probes with back-off bring it back.
import { DeviceError } from '../types.js';
import { UdpTransport } from '../transports/udp.js';
import { IpPayloadType, decodeIpControl, decodeIpMessage, decodeReply, encodeIpMessage, encodeIpReset, nextSeq, type IpControl, type ViscaReply } from './codec.js';
import { VISCA_CORE_DEFAULTS, ViscaCameraCore, type Attempt, type Exchange, type ViscaCoreConnection, type ViscaRequest } from './camera-core.js';

export type { ViscaCameraState } from './camera-core.js';

export interface ViscaIpConnection extends ViscaCoreConnection {
  host: string;
  port: number;
  /** Local UDP port; 0 = any. Some cameras only answer to 52381. */
  localPort: number;
  /** Retransmissions of an unanswered datagram (same sequence number). */
  retries: number;
}

export const VISCA_IP_DEFAULTS: Omit<ViscaIpConnection, 'host'> = {
  ...VISCA_CORE_DEFAULTS,
  port: 52381,
  localPort: 0,
  retries: 2,
};

export class ViscaIpDriver extends ViscaCameraCore<ViscaIpConnection> {
  readonly driver = 'visca-ip';
  protected readonly releaseEveryCommandAtAck = false;

  private readonly transport: UdpTransport;
  private seq = 0;
  private readonly bySeq = new Map<number, Exchange>();
  private readonly seqsOf = new Map<Exchange, number[]>();
  private resetWaiter: Exchange | null = null;

  constructor(connection: Partial<ViscaIpConnection> & { host: string }) {
    super({ ...VISCA_IP_DEFAULTS, ...connection });
    const c = this.connection;
    this.transport = new UdpTransport({ host: c.host, port: c.port, localPort: c.localPort });
    this.transport.on('message', (buf) => this.onDatagram(buf));
    this.transport.on('error', (err) => this.noteError(`socket: ${err.message}`));
  }

  protected describe(): string {
    return `Camera ${this.connection.host}:${this.connection.port}`;
  }

  protected override startAttempts(): number {
    return this.connection.retries + 1;
  }

  /** Opens the socket if needed and RESETs the sequence. */
  protected async establish(attempts: number): Promise<void> {
    try {
      await this.transport.open();
    } catch (err) {
      throw new Error(`cannot open UDP socket: ${(err as Error).message}`);
    }
    if (!(await this.reset(attempts))) throw new Error(`${this.describe()} did not answer RESET`);
  }

  protected closeTransport(): Promise<void> {
    return this.transport.close();
  }

  protected override exchangeKeptWhenOffline(): Exchange | null {
    return this.resetWaiter;
  }

  /**
   * One request under sequence numbers. Everything but a travel keeps the line until its completion, so its
   * number is still the newest one and can safely be sent again when a reply goes missing.
   */
  protected openAttempt(ex: Exchange, req: ViscaRequest): Attempt {
    const c = this.connection;
    const type = req.kind === 'inquiry' ? IpPayloadType.inquiry : IpPayloadType.command;
    let seq = this.bind(ex);
    let retransmissions = 0;
    let freshSequenceUsed = false;
    let resetUsed = false;
    const send = () => this.sendDatagram(encodeIpMessage({ type, seq, payload: req.payload }));
    return {
      send,
      resend: async () => {
        seq = this.bind(ex); // the camera saw the old number; reusing it would read as a duplicate
        await send();
      },
      retryOnSilence: async () => {
        if (retransmissions >= c.retries) return false;
        retransmissions++;
        await send(); // same sequence number: if only our datagram was lost the camera runs it now
        return true;
      },
      describeSilence: () => `${(c.retries + 1) * c.timeoutMs} ms (${c.retries + 1} attempts of ${c.timeoutMs} ms)`,
      // After a switch to a new number, answers to the old one (e.g. its 6y 04 when the camera replaced it) are stale.
      accepts: (got) => got.kind === 'abort' || got.tag === seq,
      onLinkMessage: async (message) => {
        const ctl = message as IpControl;
        if (ctl.type !== 'error') return;
        if (ctl.error === 'sequence') {
          // The camera already ran this number and our reply was lost; a new number gets a fresh result.
          if (!freshSequenceUsed) {
            freshSequenceUsed = true;
          } else if (!resetUsed) {
            resetUsed = true;
            if (!(await this.reset(c.retries + 1)))
              throw this.markUnreachable(new DeviceError('timeout', `Camera did not answer the sequence RESET within ${(c.retries + 1) * c.timeoutMs} ms`));
          } else throw new DeviceError('rejected', `Camera keeps refusing the sequence number for ${req.what}, even after a RESET`);
          seq = this.bind(ex);
          await send();
          return;
        }
        throw new DeviceError('syntax', `Camera refused the message type of ${req.what} (VISCA-over-IP control error ${String(ctl.error)})`);
      },
    };
  }

  /** Sends RESET until the control ACK arrives; on success the next sequence number is 0. */
  private async reset(attempts: number): Promise<boolean> {
    const ex = this.openExchange();
    this.resetWaiter = ex;
    try {
      for (let i = 0; i < attempts; i++) {
        await this.sendDatagram(encodeIpReset());
        for (;;) {
          const got = await this.next(ex, this.connection.timeoutMs);
          if (got === 'timeout') break;
          if (got.kind === 'abort') throw got.error;
          if (got.kind === 'link' && (got.message as IpControl).type === 'ack') {
            this.seq = 0;
            return true;
          }
        }
      }
      return false;
    } finally {
      if (this.resetWaiter === ex) this.resetWaiter = null;
      this.closeExchange(ex);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sequence numbers and datagrams
  // -------------------------------------------------------------------------------------------

  /** Gives the exchange the next sequence number; replies to its older numbers still reach it. */
  private bind(ex: Exchange): number {
    const seq = this.seq;
    this.seq = nextSeq(this.seq);
    const list = this.seqsOf.get(ex);
    if (list) list.push(seq);
    else this.seqsOf.set(ex, [seq]);
    this.bySeq.set(seq, ex);
    return seq;
  }

  protected override onExchangeClosed(ex: Exchange): void {
    for (const s of this.seqsOf.get(ex) ?? []) if (this.bySeq.get(s) === ex) this.bySeq.delete(s);
    this.seqsOf.delete(ex);
  }

  private async sendDatagram(buf: Buffer): Promise<void> {
    try {
      await this.transport.send(buf);
    } catch (err) {
      // A send error (no route, socket closed) looks like loss to the protocol; the timeout decides.
      this.noteError(`send failed: ${(err as Error).message}`);
    }
  }

  private onDatagram(buf: Buffer): void {
    let msg;
    try {
      msg = decodeIpMessage(buf);
    } catch (err) {
      this.noteBadReply((err as Error).message);
      return;
    }
    if (msg.type === IpPayloadType.reply) {
      let reply: ViscaReply;
      try {
        reply = decodeReply(msg.payload);
      } catch (err) {
        this.noteBadReply((err as Error).message);
        return;
      }
      this.noteReply();
      const ex = this.bySeq.get(msg.seq);
      if (ex) this.deliver(ex, { kind: 'visca', tag: msg.seq, reply });
      return; // otherwise a late duplicate of something already settled
    }
    if (msg.type === IpPayloadType.control || msg.type === IpPayloadType.controlReply) {
      let control: IpControl;
      try {
        control = decodeIpControl(msg);
      } catch (err) {
        this.noteBadReply((err as Error).message);
        return;
      }
      this.noteReply();
      if (control.type === 'ack') {
        if (this.resetWaiter) this.deliver(this.resetWaiter, { kind: 'link', tag: msg.seq, message: control });
      } else if (control.type === 'error') {
        const ex = this.bySeq.get(msg.seq);
        if (ex) this.deliver(ex, { kind: 'link', tag: msg.seq, message: control });
      }
      return;
    }
    this.noteBadReply(`unexpected VISCA-over-IP payload type 0x${msg.type.toString(16).padStart(4, '0')}`);
  }
}
