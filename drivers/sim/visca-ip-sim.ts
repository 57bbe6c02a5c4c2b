// A VISCA-over-IP camera on real UDP, faithful to protocols.md §7: sequence numbers, RESET, the 8-byte header,
// duplicate detection, loss. The camera itself (two sockets, ACK then completion after the simulated travel,
// cancellation by a newer move, standby, position mid-move) is the shared ViscaCameraModel, the same one the
// raw TCP and serial simulators use.
// Test hooks (dropRepliesNext, dropIncomingNext, failNext, sequenceErrorNext) inject the faults a real
// network and camera produce, so the driver's recovery paths can be exercised deterministically.
import dgram from 'node:dgram';
import { ENQ_NETWORK, encodeNetworkReply } from '../visca/discovery.js';
import { EventEmitter } from 'node:events';
import {
  ERROR_LENGTH,
  ERROR_SYNTAX,
  IpPayloadType,
  decodeCommand,
  decodeIpMessage,
  encodeErrorReply,
  encodeIpControlAck,
  encodeIpControlError,
  encodeIpMessage,
  peekIpHeader,
  type ViscaCommand,
  type ViscaRanges,
} from '../visca/codec.js';
import { ViscaCameraModel, decodeErrorReply, type ViscaReplySink, type ViscaSimState } from './visca-camera-model.js';

export type { ViscaSimState } from './visca-camera-model.js';

export interface ViscaIpSimulatorOptions {
  /** Answer Sony ENQ:network discovery on this UDP port (52380 on a real network; 0 = any). */
  discoveryPort?: number;
  /** Name the camera gives in discovery answers. */
  name?: string;
  port?: number; // default 52381; 0 = ephemeral
  host?: string; // default 127.0.0.1
  /** Travel time of absolute moves, zoom direct and preset recall (completion comes after it). Default 200. */
  moveTimeMs?: number;
  /** Probability (0..1) that an incoming datagram is lost. */
  lossRate?: number;
  /** Probability (0..1) that a reply datagram is lost on the way back. */
  replyLossRate?: number;
  /** Injectable randomness for lossRate, so lossy tests reproduce. */
  random?: () => number;
  ranges?: ViscaRanges;
  /** A camera shared with other simulators (e.g. the same camera on TCP or serial too); default: its own. */
  model?: ViscaCameraModel;
}

export interface SimDatagram {
  data: Buffer;
  /** process.hrtime.bigint() at arrival/departure, for latency measurements. */
  time: bigint;
  peer: { address: string; port: number };
  /** True when a fault hook or lossRate discarded it. */
  dropped: boolean;
}

export interface ViscaIpSimulatorEvents {
  command: [SimDatagram];
  reply: [SimDatagram];
}

interface Peer {
  address: string;
  port: number;
  lastSeq: number | null;
}

const ADDRESS = 1; // VISCA over IP: camera address locked to 1
const LOG_LIMIT = 10_000;

export class ViscaIpSimulator extends EventEmitter<ViscaIpSimulatorEvents> {
  /** Every datagram received (most recent LOG_LIMIT), including dropped ones. */
  readonly received: SimDatagram[] = [];
  /** Every reply datagram produced (most recent LOG_LIMIT), including dropped ones. */
  readonly sent: SimDatagram[] = [];
  lossRate: number;
  replyLossRate: number;
  /** The camera behind this UDP endpoint. */
  readonly model: ViscaCameraModel;

  private readonly host: string;
  private port: number;
  private readonly random: () => number;
  private readonly ownsModel: boolean;
  private socket: dgram.Socket | null = null;
  private discovery: dgram.Socket | null = null;
  private discoveryPort: number | undefined;
  private readonly name: string;
  private readonly peers = new Map<string, Peer>();
  private dropReplies: { count: number; match: (payload: Buffer) => boolean }[] = [];
  private dropIncoming = 0;
  private sequenceErrors = 0;

  constructor(opts: ViscaIpSimulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 52381;
    this.discoveryPort = opts.discoveryPort;
    this.name = opts.name ?? 'CAM-SIM';
    this.lossRate = opts.lossRate ?? 0;
    this.replyLossRate = opts.replyLossRate ?? 0;
    this.random = opts.random ?? Math.random;
    this.ownsModel = !opts.model;
    this.model = opts.model ?? new ViscaCameraModel({ moveTimeMs: opts.moveTimeMs, ranges: opts.ranges, address: ADDRESS });
    if (opts.model && opts.moveTimeMs !== undefined) this.model.moveTimeMs = opts.moveTimeMs;
  }

  /** Travel time of absolute moves, zoom direct and preset recall (the camera model's). */
  get moveTimeMs(): number {
    return this.model.moveTimeMs;
  }
  set moveTimeMs(ms: number) {
    this.model.moveTimeMs = ms;
  }

  /** Binds the UDP port. After stop(), start() binds the same port again (a camera coming back). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.socket) return { host: this.host, port: this.port };
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {
      /* a simulator never dies of a stray ICMP error */
    });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.socket = socket;
    if (this.discoveryPort !== undefined) await this.startDiscovery(this.discoveryPort);
    this.port = socket.address().port;
    return { host: this.host, port: this.port };
  }

  async stop(): Promise<void> {
    // Moves under way finish where they were heading; their completions are never sent (the camera is gone).
    if (this.ownsModel) this.model.abandonAll();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    const discovery = this.discovery;
    this.discovery = null;
    if (discovery) await new Promise<void>((resolve) => discovery.close(() => resolve()));
  }

  /** The ENQ:network responder's address, once started. */
  get discoveryAddress(): { host: string; port: number } | null {
    return this.discovery ? { host: this.host, port: this.discoveryPort! } : null;
  }

  private async startDiscovery(port: number): Promise<void> {
    const d = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      d.once('error', reject);
      d.bind(port, this.host, () => (d.off('error', reject), resolve()));
    });
    d.on('error', () => {});
    d.on('message', (msg, rinfo) => {
      if (!msg.equals(ENQ_NETWORK)) return;
      const reply = encodeNetworkReply({ MAC: '02-00-00-00-00-01', INFO: 'diemcau simulator', MODEL: 'VISCA-SIM', SOFTVERSION: '1.0', IPADR: this.host, MASK: '255.255.255.0', GATEWAY: '0.0.0.0', NAME: this.name, WRITE: 'on' });
      d.send(reply, rinfo.port, rinfo.address);
    });
    this.discovery = d;
    this.discoveryPort = d.address().port;
  }

  get address(): { host: string; port: number } | null {
    return this.socket ? { host: this.host, port: this.port } : null;
  }

  get state(): ViscaSimState {
    return this.model.state;
  }

  /** Puts the camera in a given state (tests), stopping any motion. */
  setState(s: Partial<{ power: boolean; pan: number; tilt: number; zoom: number }>): void {
    this.model.setState(s);
  }

  /**
   * The next n reply datagrams (optionally: only those whose payload matches, e.g. completions) are produced
   * but not sent: lost on the way back.
   */
  dropRepliesNext(n: number, match: (payload: Buffer) => boolean = () => true): void {
    this.dropReplies.push({ count: n, match });
  }
  /** The next n incoming datagrams are lost before the camera sees them. */
  dropIncomingNext(n: number): void {
    this.dropIncoming += n;
  }
  /** The next VISCA command (not inquiry) is answered with this error instead of being executed. */
  failNext(code: number, count = 1): void {
    this.model.failNext(code, count);
  }
  /** The next n VISCA datagrams are answered with control error 0F 01 (sequence abnormal), not executed. */
  sequenceErrorNext(n: number): void {
    this.sequenceErrors += n;
  }
  clearLog(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Datagram handling
  // -------------------------------------------------------------------------------------------

  private onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const entry: SimDatagram = { data, time: process.hrtime.bigint(), peer: { address: rinfo.address, port: rinfo.port }, dropped: false };
    const lost = this.dropIncoming > 0 || (this.lossRate > 0 && this.random() < this.lossRate);
    if (this.dropIncoming > 0) this.dropIncoming--;
    entry.dropped = lost;
    this.log(this.received, entry);
    this.emit('command', entry);
    if (lost) return;

    const head = peekIpHeader(data);
    if (!head) return; // not even a header: nothing to echo a sequence number into
    const peer = this.peerFor(rinfo);
    let msg;
    try {
      msg = decodeIpMessage(data);
    } catch {
      this.send(peer, IpPayloadType.reply, head.seq, encodeErrorReply(ADDRESS, 0, ERROR_LENGTH));
      return;
    }
    const { type, seq, payload } = msg;
    if (type === IpPayloadType.control) {
      if (payload.length === 1 && payload[0] === 0x01) {
        peer.lastSeq = null; // RESET: the next sequence number is accepted whatever it is (normally 0)
        this.sendRaw(peer, encodeIpControlAck(seq));
      } else this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    if (type !== IpPayloadType.command && type !== IpPayloadType.inquiry && type !== IpPayloadType.deviceSetting) {
      this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    // The same sequence number again means the controller lost our reply: say so rather than execute twice.
    if (peer.lastSeq === seq || this.sequenceErrors > 0) {
      if (this.sequenceErrors > 0) this.sequenceErrors--;
      this.sendRaw(peer, encodeIpControlError(seq, 'sequence'));
      return;
    }
    peer.lastSeq = seq;
    this.onVisca(peer, seq, type, payload);
  }

  private onVisca(peer: Peer, seq: number, type: number, payload: Buffer): void {
    const sink = this.sinkFor(peer, seq);
    let cmd: ViscaCommand;
    try {
      cmd = decodeCommand(payload);
    } catch (err) {
      sink.send(decodeErrorReply(ADDRESS, err));
      return;
    }
    const isInquiry = cmd.type === 'inquiry';
    const isDeviceSetting = cmd.type === 'if-clear' || cmd.type === 'address-set' || cmd.type === 'if-clear-broadcast';
    const typeMatches =
      type === IpPayloadType.inquiry ? isInquiry : type === IpPayloadType.deviceSetting ? isDeviceSetting : !isInquiry && (cmd.type === 'if-clear' || !isDeviceSetting);
    if (!typeMatches) {
      this.sendRaw(peer, encodeIpControlError(seq, 'message-type'));
      return;
    }
    // Over IP the address is locked to 1 and there is no broadcast (Sony SRG-300H p26).
    if (!('address' in cmd) || cmd.address !== ADDRESS) {
      sink.send(encodeErrorReply(ADDRESS, 0, ERROR_SYNTAX));
      return;
    }
    this.model.execute(cmd, sink);
  }

  /** Replies to one request: VISCA reply datagrams echoing its sequence number, to the peer that sent it. */
  private sinkFor(peer: Peer, seq: number): ViscaReplySink {
    return { key: `${peer.address}:${peer.port}:${seq}`, send: (bytes) => this.send(peer, IpPayloadType.reply, seq, bytes) };
  }

  // -------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------

  private peerFor(rinfo: dgram.RemoteInfo): Peer {
    const key = `${rinfo.address}:${rinfo.port}`;
    let p = this.peers.get(key);
    if (!p) {
      p = { address: rinfo.address, port: rinfo.port, lastSeq: null };
      this.peers.set(key, p);
    }
    return p;
  }

  private send(peer: Peer, type: number, seq: number, payload: Buffer): void {
    this.sendRaw(peer, encodeIpMessage({ type, seq, payload }));
  }

  private sendRaw(peer: Peer, data: Buffer): void {
    const rule = this.dropReplies.find((r) => r.match(data.subarray(8)));
    if (rule && --rule.count === 0) this.dropReplies.splice(this.dropReplies.indexOf(rule), 1);
    const dropped = rule !== undefined || (this.replyLossRate > 0 && this.random() < this.replyLossRate);
    const entry: SimDatagram = { data, time: process.hrtime.bigint(), peer: { address: peer.address, port: peer.port }, dropped };
    this.log(this.sent, entry);
    this.emit('reply', entry);
    if (dropped || !this.socket) return;
    this.socket.send(data, peer.port, peer.address);
  }

  private log(list: SimDatagram[], entry: SimDatagram): void {
    list.push(entry);
    if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
  }
}
