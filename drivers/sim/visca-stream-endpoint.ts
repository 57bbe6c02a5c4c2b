// The camera end of one raw VISCA byte stream (a serial line, a PTZOptics-style TCP connection): packets are
// the serial packets themselves, delimited by FF, with no header. Reassembles what arrives in pieces, refuses
// what does not decode, ignores what is addressed to another camera on the chain, and hands the rest to the
// shared ViscaCameraModel.
import { ViscaStreamParser, decodeCommand } from '../visca/codec.js';
import { decodeErrorReply, type ViscaCameraModel, type ViscaReplySink } from './visca-camera-model.js';

export class ViscaStreamEndpoint {
  private readonly parser = new ViscaStreamParser();
  /** Every reply of this stream goes through this sink (one line: one requester). */
  readonly sink: ViscaReplySink;

  constructor(
    private readonly model: ViscaCameraModel,
    key: string,
    send: (packet: Buffer) => void,
  ) {
    this.sink = { key, send };
  }

  /** Whole packets completed by this chunk (a packet may span several chunks). */
  reassemble(chunk: Uint8Array): Buffer[] {
    return this.parser.push(chunk);
  }

  /** Forgets a partial packet (the line was re-opened). */
  reset(): void {
    this.parser.flush();
  }

  /** Answers one packet as the camera would. */
  handle(packet: Buffer): void {
    const header = packet[0];
    // 81..87 for another camera: on a daisy chain it is passed on, not answered.
    if (header >= 0x81 && header <= 0x87 && header !== (0x80 | this.model.address)) return;
    let cmd;
    try {
      cmd = decodeCommand(packet);
    } catch (err) {
      this.sink.send(decodeErrorReply(this.model.address, err));
      return;
    }
    this.model.execute(cmd, this.sink);
  }
}
