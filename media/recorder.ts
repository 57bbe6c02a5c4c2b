// Recording (A5, DESIGN.md §4, media.md §3): mediasoup consumers → PlainTransports → ffmpeg, in two steps.
//
// 1. Capture, live, per segment: every recorded producer is consumed (paused) on its own PlainTransport
//    (comedia off, rtcp-mux off: ffmpeg cannot take RTP and RTCP on one port), ONE SDP describes all of
//    them, and ONE ffmpeg copies every stream untouched into one Matroska file (`seg-NNN.mkv`). The
//    consumers are resumed, and key frames requested, only once ffmpeg's sockets are bound. Copying costs
//    almost no CPU during the meeting and never stalls: a muted microphone or a paused camera simply
//    leaves a gap in that track.
// 2. Compose, when the recording stops (or at the next start after a crash): ONE ffmpeg reads every
//    segment, fills the gaps (silence, last frame), mixes all audio with `amix`, tiles the video in a
//    grid with `xstack` (each tile named), joins the segments with `concat` and encodes the two standard
//    files: WebM (VP8 + Opus) and an audio-only Ogg Opus.
// A live one-pass mix was rejected: ffmpeg's filter graph waits for every input, so one muted microphone
// (M6.1: microphones are off when not speaking) would stall the whole recording.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { setPriority } from 'node:os';
import { basename, join } from 'node:path';
import { EventEmitter } from 'node:events';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';

type Router = mediasoup.types.Router;
type Producer = mediasoup.types.Producer;
type Consumer = mediasoup.types.Consumer;
type PlainTransport = mediasoup.types.PlainTransport;
type RtpCapabilities = mediasoup.types.RtpCapabilities;
type RtpParameters = mediasoup.types.RtpParameters;

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
/** The composed picture: a 16:9 canvas every segment shares, so that segments concatenate. */
export const CANVAS = { width: 1280, height: 720, fps: 15 };
/** More tiles than this are not readable on one canvas; the first ones (join order) are kept. */
export const MAX_VIDEO_TILES = 16;
export const MAX_AUDIO_INPUTS = 32;
/** How long the capturing ffmpeg may probe its inputs before it writes the file header. */
const PROBE_US = 3_000_000;

export interface RecordSource {
  producer: Producer;
  peerId: string;
  /** Shown on the tile: the endpoint's name (M6.2). */
  label: string;
}

export interface SegmentStream {
  /** Position in the SDP and in the Matroska file. */
  index: number;
  kind: 'audio' | 'video';
  producerId: string;
  peerId: string;
  label: string;
  mimeType: string;
}

export interface SegmentInfo {
  index: number;
  /** File names, relative to the work directory. */
  file: string;
  sdp: string;
  startedAt: number;
  endedAt?: number;
  streams: SegmentStream[];
}

export interface RecorderTools {
  ffmpeg: string;
  ffprobe: string;
}

export const defaultTools = (): RecorderTools => ({
  ffmpeg: process.env.DIEMCAU_FFMPEG ?? 'ffmpeg',
  ffprobe: process.env.DIEMCAU_FFPROBE ?? 'ffprobe',
});

// ---- small helpers ---------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function bindUdp(ip: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, ip, () => resolve(s));
  });
}

const closeUdp = (s: Socket) => new Promise<void>((r) => s.close(() => r()));

/** An even port P with P and P+1 free on ip: ffmpeg's RTP demuxer takes RTCP on RTP+1. */
export async function freeUdpPortPair(ip: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await bindUdp(ip, 0);
    if (!probe) continue;
    let port = probe.address().port;
    await closeUdp(probe);
    if (port % 2 === 1) port -= 1;
    if (port < 1024) continue;
    const a = await bindUdp(ip, port);
    const b = a ? await bindUdp(ip, port + 1) : null;
    if (a) await closeUdp(a);
    if (b) await closeUdp(b);
    if (a && b) return port;
  }
  throw new Error('no free UDP port pair for the recorder');
}

/** The local UDP ports bound on this host right now (Linux /proc), or null where /proc is unavailable. */
function boundUdpPorts(): Set<number> | null {
  const ports = new Set<number>();
  let any = false;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
      any = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      const hex = local?.split(':').pop();
      if (hex) ports.add(parseInt(hex, 16));
    }
  }
  return any ? ports : null;
}

/** Resolves once every port is bound (ffmpeg is listening), or after a fixed pause without /proc. */
async function waitUntilBound(ports: number[], timeoutMs: number, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    const bound = boundUdpPorts();
    if (!bound) {
      await sleep(1000);
      return alive();
    }
    if (ports.every((p) => bound.has(p))) return true;
    await sleep(25);
  }
  return false;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

function run(cmd: string, args: string[], opts: { cwd?: string; nice?: number; signal?: AbortSignal } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGKILL' as const } : {}) });
    if (opts.nice && p.pid) {
      try {
        setPriority(p.pid, opts.nice);
      } catch {
        /* not permitted: run at normal priority */
      }
    }
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---- SDP ---------------------------------------------------------------------------------------------

/** The capabilities the recorder announces for one producer: its codec only, no RTX, no header extensions. */
export function recorderCapabilities(router: Router, producer: Producer): RtpCapabilities {
  const mime = producer.rtpParameters.codecs[0]?.mimeType.toLowerCase();
  const codec = router.rtpCapabilities.codecs!.find((c) => c.mimeType.toLowerCase() === mime && c.kind === producer.kind);
  if (!codec) throw new Error(`the router has no ${mime} codec`);
  return {
    codecs: [{ ...codec, rtcpFeedback: (codec.rtcpFeedback ?? []).filter((f) => f.type === 'nack' || f.type === 'ccm') }],
    headerExtensions: [],
  };
}

/** One session, one m-line per stream (ports P / P+1), as ffmpeg's SDP demuxer reads it. */
export function buildSdp(streams: Array<{ kind: 'audio' | 'video'; port: number; rtpParameters: RtpParameters }>, ip = '127.0.0.1'): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=diemcau recording', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const s of streams) {
    const codec = s.rtpParameters.codecs[0];
    const [, name] = codec.mimeType.split('/');
    const pt = codec.payloadType;
    lines.push(`m=${s.kind} ${s.port} RTP/AVP ${pt}`);
    lines.push(`a=rtpmap:${pt} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`);
    const fmtp = Object.entries(codec.parameters ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
    if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    lines.push('a=recvonly');
  }
  return lines.join('\r\n') + '\r\n';
}

// ---- 1. capture --------------------------------------------------------------------------------------

export interface SegmentCaptureOptions {
  router: Router;
  sources: RecordSource[];
  dir: string;
  index: number;
  log: Logger;
  tools?: RecorderTools;
  /** Where the PlainTransports and ffmpeg listen (loopback: the recorder runs beside the SFU). */
  ip?: string;
  /** How long to wait for ffmpeg to bind its sockets. */
  startTimeoutMs?: number;
}

/**
 * One live segment: transports, consumers and the capturing ffmpeg. Emits 'exit' (unexpected: ffmpeg
 * died) with the segment info; stop() ends it cleanly (SIGINT → ffmpeg writes the Matroska trailer).
 */
export class SegmentCapture extends EventEmitter {
  readonly info: SegmentInfo;
  private proc: ChildProcess | null = null;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  private readonly keyFrameTimers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly opts: SegmentCaptureOptions,
    private readonly transports: PlainTransport[],
    readonly consumers: Array<{ consumer: Consumer; stream: SegmentStream }>,
    info: SegmentInfo,
  ) {
    super();
    this.info = info;
  }

  /** Producer ids in this segment. */
  get producerIds(): Set<string> {
    return new Set(this.info.streams.map((s) => s.producerId));
  }

  /** What ffmpeg said last (errors only). */
  get stderrTail(): string {
    return this.stderr;
  }

  /** Producers whose stream ffmpeg could not even probe (a camera that sends nothing decodable). */
  get unprobedProducers(): string[] {
    const out: string[] = [];
    for (const m of this.stderr.matchAll(/Could not find codec parameters for stream (\d+)/g)) {
      const s = this.info.streams[Number(m[1])];
      if (s) out.push(s.producerId);
    }
    return out;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  static async start(opts: SegmentCaptureOptions): Promise<SegmentCapture> {
    const ip = opts.ip ?? '127.0.0.1';
    const tools = opts.tools ?? defaultTools();
    const name = `seg-${String(opts.index).padStart(3, '0')}`;
    const transports: PlainTransport[] = [];
    const consumers: Array<{ consumer: Consumer; stream: SegmentStream }> = [];
    const sdpStreams: Array<{ kind: 'audio' | 'video'; port: number; rtpParameters: RtpParameters }> = [];
    const ports: number[] = [];
    try {
      for (const src of opts.sources) {
        if (src.producer.closed) continue;
        const t = await opts.router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip },
          rtcpMux: false,
          comedia: false,
          appData: { role: 'recorder' },
        });
        transports.push(t);
        const consumer = await t.consume({
          producerId: src.producer.id,
          rtpCapabilities: recorderCapabilities(opts.router, src.producer),
          // Resumed once ffmpeg listens, so that the first key frame is not lost (media.md §3).
          paused: true,
          appData: { role: 'recorder' },
        });
        const port = await freeUdpPortPair(ip);
        await t.connect({ ip, port, rtcpPort: port + 1 });
        const stream: SegmentStream = {
          index: consumers.length,
          kind: consumer.kind,
          producerId: src.producer.id,
          peerId: src.peerId,
          label: src.label,
          mimeType: consumer.rtpParameters.codecs[0].mimeType,
        };
        consumers.push({ consumer, stream });
        sdpStreams.push({ kind: consumer.kind, port, rtpParameters: consumer.rtpParameters });
        ports.push(port);
      }
      if (!consumers.length) throw new Error('nothing to record');
      const info: SegmentInfo = { index: opts.index, file: `${name}.mkv`, sdp: `${name}.sdp`, startedAt: Date.now(), streams: consumers.map((c) => c.stream) };
      writeFileSync(join(opts.dir, info.sdp), buildSdp(sdpStreams, ip));
      const cap = new SegmentCapture(opts, transports, consumers, info);
      cap.writeInfo();
      await cap.spawn(tools, ports);
      return cap;
    } catch (err) {
      for (const t of transports) t.close();
      throw err;
    }
  }

  private async spawn(tools: RecorderTools, ports: number[]): Promise<void> {
    const ip = this.opts.ip ?? '127.0.0.1';
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'warning',
      '-protocol_whitelist', 'file,udp,rtp',
      // Bind to loopback: nobody on the network can inject packets into a recording.
      '-localaddr', ip,
      '-buffer_size', String(4 * 1024 * 1024), '-reorder_queue_size', '256',
      // Timestamps are the arrival times: every stream on one clock, the meeting's, whatever a sender's
      // RTP clock does (RTCP-based re-syncing made jumps of seconds with a lagging source).
      '-use_wallclock_as_timestamps', '1',
      // Probing ends once every video stream has decoded a key frame (its size); no frame-rate estimation,
      // and a muted microphone that sends nothing does not hold it up (its parameters are in the SDP).
      '-fpsprobesize', '0', '-max_ts_probe', '0', '-analyzeduration', String(PROBE_US), '-probesize', '5000000',
      '-i', this.info.sdp,
      '-map', '0', '-c', 'copy',
      // Every packet reaches the disk at once and clusters close each second: a crash loses about a
      // second, and the file's size tells that ffmpeg has started writing.
      // A stream that sends nothing (a muted microphone) holds the others back at most one second.
      '-flush_packets', '1', '-max_interleave_delta', '1000000',
      '-f', 'matroska', '-cluster_time_limit', '1000', '-y', this.info.file,
    ];
    const proc = spawn(tools.ffmpeg, args, { cwd: this.opts.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    proc.once('error', (err) => this.opts.log.error({ err }, 'cannot run ffmpeg for recording / không chạy được ffmpeg'));
    proc.once('close', (code, signal) => {
      this.info.endedAt ??= Date.now();
      this.writeInfo();
      this.closeMedia();
      if (!this.stopping) {
        this.opts.log.error({ code, signal, stderr: this.stderr.trim(), segment: this.info.index }, 'recording ffmpeg exited unexpectedly');
        this.emit('exit', this.info);
      }
    });
    const bound = await waitUntilBound(ports, this.opts.startTimeoutMs ?? 10_000, () => this.running);
    if (!bound) {
      await this.stop();
      throw new Error(`recording ffmpeg did not start: ${this.stderr.trim() || 'no output'}`);
    }
    this.info.startedAt = Date.now();
    this.writeInfo();
    for (const { consumer } of this.consumers) {
      if (consumer.closed) continue;
      await consumer.resume().catch(() => {});
      if (consumer.kind === 'video') await consumer.requestKeyFrame().catch(() => {});
    }
    // ffmpeg never asks for key frames itself: keep asking (each second, a few times) until it has
    // written its header, i.e. every video stream has shown it a key frame.
    let asks = 0;
    const t = setInterval(() => {
      if (++asks > 10 || this.headerWritten || !this.running) return clearInterval(t);
      for (const { consumer } of this.consumers) if (consumer.kind === 'video' && !consumer.closed) consumer.requestKeyFrame().catch(() => {});
    }, 1000);
    t.unref();
    this.keyFrameTimers.push(t);
  }

  /** ffmpeg has probed its inputs and started the file (before that, an interrupted segment is lost). */
  get headerWritten(): boolean {
    const path = join(this.opts.dir, this.info.file);
    try {
      return statSync(path).size > 0;
    } catch {
      return false;
    }
  }

  /** Ends the segment: ffmpeg finishes the file (SIGINT), then the transports close. */
  async stop(): Promise<SegmentInfo> {
    this.stopping = true;
    this.info.endedAt ??= Date.now();
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      // Interrupted while still probing, ffmpeg would leave an empty file: let it finish that first.
      const deadline = Date.now() + PROBE_US / 1000 + 3000;
      while (Date.now() < deadline && this.running && !this.headerWritten) await sleep(50);
      if (!this.headerWritten)
        this.opts.log.warn({ segment: this.info.index, stderr: this.stderr.trim() }, 'recording segment stopped before ffmpeg could start its file; its media is lost');
      for (const t of this.keyFrameTimers) clearInterval(t);
      proc.kill('SIGINT');
      const hard = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(hard);
    }
    for (const t of this.keyFrameTimers) clearInterval(t);
    this.closeMedia();
    this.writeInfo();
    return this.info;
  }

  private closeMedia(): void {
    for (const t of this.transports) if (!t.closed) t.close();
  }

  private writeInfo(): void {
    try {
      writeFileSync(join(this.opts.dir, this.info.file.replace(/\.mkv$/, '.json')), JSON.stringify(this.info, null, 2));
    } catch (err) {
      this.opts.log.warn({ err }, 'could not write the segment description');
    }
  }
}

// ---- 2. compose --------------------------------------------------------------------------------------

export interface ProbedStream {
  index: number;
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  nb_read_packets?: string;
  duration?: string;
}
export interface ProbeResult {
  streams: ProbedStream[];
  format: { duration?: string; size?: string; format_name?: string };
}

export async function ffprobe(file: string, opts: { countPackets?: boolean; tools?: RecorderTools } = {}): Promise<ProbeResult> {
  const tools = opts.tools ?? defaultTools();
  const args = ['-v', 'error', ...(opts.countPackets ? ['-count_packets'] : []), '-show_streams', '-show_format', '-of', 'json', file];
  const r = await run(tools.ffprobe, args);
  if (r.code !== 0) throw new Error(`ffprobe ${basename(file)}: ${r.stderr.trim() || `exit ${r.code}`}`);
  const parsed = JSON.parse(r.stdout) as Partial<ProbeResult>;
  return { streams: parsed.streams ?? [], format: parsed.format ?? {} };
}

/** Where each tile sits on the canvas for n tiles: a near-square grid. */
export function gridLayout(n: number, canvas = CANVAS): { cols: number; rows: number; w: number; h: number; cells: Array<{ x: number; y: number }> } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  const even = (v: number) => Math.floor(v / 2) * 2;
  const w = even(canvas.width / cols);
  const h = even(canvas.height / rows);
  const cells = Array.from({ length: n }, (_, i) => ({ x: (i % cols) * w, y: Math.floor(i / cols) * h }));
  return { cols, rows, w, h, cells };
}

export interface ComposeOptions {
  dir: string;
  segments: SegmentInfo[];
  /** Output paths; `av` is left out when the recording is audio-only. */
  outputs: { av?: string; audio: string };
  log: Logger;
  tools?: RecorderTools;
  /** Aborting kills the composing ffmpeg (service shutdown); the segments stay for the next try. */
  signal?: AbortSignal;
  /** CPU niceness of the composing ffmpeg (default 10: live meetings come first). */
  nice?: number;
}

export interface ComposeResult {
  /** The ffmpeg command line that composed the files (for the log and the report). */
  args: string[];
  segments: number;
}

interface SegmentPlan {
  info: SegmentInfo;
  durationS: number;
  video: SegmentStream[];
  audio: SegmentStream[];
}

const num = (v: string | undefined) => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** Probes the segments: their real length and which tracks hold any media at all. */
async function planSegments(o: ComposeOptions): Promise<SegmentPlan[]> {
  const plans: SegmentPlan[] = [];
  const ordered = [...o.segments].sort((a, b) => a.index - b.index);
  for (const [i, info] of ordered.entries()) {
    const path = join(o.dir, info.file);
    if (!existsSync(path)) continue;
    let probe: ProbeResult;
    try {
      probe = await ffprobe(path, { countPackets: true, tools: o.tools });
    } catch (err) {
      o.log.error({ err: (err as Error).message, segment: info.index }, 'a recording segment cannot be read; skipped / bỏ qua đoạn ghi hỏng');
      continue;
    }
    const withMedia = (s: SegmentStream) => {
      const p = probe.streams.find((x) => x.index === s.index);
      return !!p && p.codec_type === s.kind && Number(p.nb_read_packets ?? 0) > 0 && (s.kind === 'audio' || (p.width ?? 0) > 0);
    };
    // The meeting's clock decides a segment's length: its media is cut or padded to the wall-clock time
    // it was recording (a source running late or early does not stretch the file), up to the start of
    // the next segment, which overlaps it by design. Without an end time (a crash) the file decides.
    const next = ordered[i + 1];
    const end = info.endedAt !== undefined ? Math.min(info.endedAt, next?.startedAt ?? Infinity) : undefined;
    const durationS = end !== undefined ? (end - info.startedAt) / 1000 : num(probe.format.duration) ?? 0;
    if (!(durationS > 0.2)) {
      o.log.warn({ segment: info.index, durationS }, 'a recording segment too short to keep; skipped');
      continue;
    }
    plans.push({
      info,
      durationS,
      video: info.streams.filter((s) => s.kind === 'video' && withMedia(s)).slice(0, MAX_VIDEO_TILES),
      audio: info.streams.filter((s) => s.kind === 'audio' && withMedia(s)).slice(0, MAX_AUDIO_INPUTS),
    });
  }
  return plans;
}

/** The filter graph and inputs of the composing ffmpeg (exported for tests and the report). */
export function composeArgs(plans: SegmentPlan[], o: { outputs: ComposeOptions['outputs']; font?: string | null }): string[] {
  const inputs: string[] = [];
  const filters: string[] = [];
  const segOut: string[] = [];
  const withVideo = !!o.outputs.av;
  const { width: W, height: H, fps } = CANVAS;
  let nextInput = 0;
  const input = (args: string[]) => {
    inputs.push(...args);
    return nextInput++;
  };
  plans.forEach((p, si) => {
    const D = p.durationS.toFixed(3);
    const file = input(['-reinit_filter', '0', '-i', p.info.file]);
    // Audio: gaps become silence (aresample async, from t=0), every input exactly D long, then the mix.
    const aLabels = p.audio.map((s, k) => {
      const l = `s${si}a${k}`;
      filters.push(
        `[${file}:${s.index}]aresample=48000:async=1000:min_comp=0.03:first_pts=0,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,` +
          `apad=whole_dur=${D},atrim=duration=${D},asetpts=PTS-STARTPTS[${l}]`,
      );
      return l;
    });
    if (aLabels.length === 0) {
      filters.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${D}[s${si}mix]`);
    } else if (aLabels.length === 1) {
      filters.push(`[${aLabels[0]}]anull[s${si}mix]`);
    } else {
      // No normalisation: one person speaks at a time and must not come out at 1/n volume; the limiter
      // below keeps overlapping voices from clipping.
      filters.push(`${aLabels.map((l) => `[${l}]`).join('')}amix=inputs=${aLabels.length}:duration=longest:dropout_transition=0:normalize=0[s${si}mix]`);
    }
    segOut.push(`[s${si}mix]`);
    if (!withVideo) return;
    // Video: constant frame rate from t=0 (gaps repeat the last picture), scaled into its grid cell with
    // the endpoint's name, held to exactly D, then tiled.
    const grid = gridLayout(p.video.length);
    const vLabels = p.video.map((s, k) => {
      const l = `s${si}v${k}`;
      const label = `label-${si}-${k}.txt`;
      const text = o.font ? `,drawtext=fontfile=${o.font}:textfile=${label}:fontsize=${Math.max(14, Math.round(grid.h / 22))}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6:x=10:y=h-th-12` : '';
      filters.push(
        `[${file}:${s.index}]fps=${fps}:start_time=0,scale=${grid.w}:${grid.h}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
          `pad=${grid.w}:${grid.h}:-1:-1:color=black,setsar=1,format=yuv420p${text},` +
          `tpad=stop_mode=clone:stop_duration=${D},trim=duration=${D},setpts=PTS-STARTPTS[${l}]`,
      );
      return l;
    });
    const v = `s${si}grid`;
    if (vLabels.length === 0) {
      filters.push(`color=c=black:s=${W}x${H}:r=${fps},format=yuv420p,trim=duration=${D},setpts=PTS-STARTPTS[${v}]`);
    } else if (vLabels.length === 1) {
      filters.push(`[${vLabels[0]}]pad=${W}:${H}:-1:-1:color=black[${v}]`);
    } else {
      const layout = grid.cells.map((c) => `${c.x}_${c.y}`).join('|');
      filters.push(
        `${vLabels.map((l) => `[${l}]`).join('')}xstack=inputs=${vLabels.length}:layout=${layout}:fill=black,` +
          `pad=${W}:${H}:-1:-1:color=black[${v}]`,
      );
    }
    segOut.splice(segOut.length - 1, 0, `[${v}]`);
  });
  const n = plans.length;
  // The files end exactly where the meeting's clock says, whatever the inputs' timestamps did.
  const total = plans.reduce((a, p) => a + Number(p.durationS.toFixed(3)), 0).toFixed(3);
  const joined = withVideo ? `${segOut.join('')}concat=n=${n}:v=1:a=1[vout][amixed]` : `${segOut.join('')}concat=n=${n}:v=0:a=1[amixed]`;
  filters.push(joined);
  filters.push(withVideo ? `[amixed]alimiter=limit=0.9:level=false,asplit=2[aav][aonly]` : `[amixed]alimiter=limit=0.9:level=false[aonly]`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs, '-filter_complex', filters.join(';')];
  if (o.outputs.av)
    args.push(
      '-map', '[vout]', '-map', '[aav]',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-g', String(CANVAS.fps * 4), '-threads', '2',
      '-c:a', 'libopus', '-b:a', '96k',
      '-t', total, '-f', 'webm', o.outputs.av,
    );
  args.push('-map', '[aonly]', '-c:a', 'libopus', '-b:a', '64k', '-t', total, '-f', 'ogg', o.outputs.audio);
  return args;
}

/**
 * Composes the segments into the final files, or returns null when they hold no media. Runs at low CPU
 * priority: the box or the central service keeps serving meetings meanwhile.
 */
export async function composeRecording(o: ComposeOptions): Promise<ComposeResult | null> {
  const plans = await planSegments(o);
  if (!plans.length) return null; // nothing usable was captured
  const font = existsSync(FONT) ? FONT : null;
  plans.forEach((p, si) => p.video.forEach((s, k) => writeFileSync(join(o.dir, `label-${si}-${k}.txt`), s.label.replace(/[\r\n]+/g, ' ').slice(0, 80))));
  const args = composeArgs(plans, { outputs: o.outputs, font });
  const tools = o.tools ?? defaultTools();
  const started = Date.now();
  const r = await run(tools.ffmpeg, args, { cwd: o.dir, nice: o.nice ?? 10, signal: o.signal });
  if (r.code !== 0) throw new Error(`composing ffmpeg failed (exit ${r.code}): ${r.stderr.trim().slice(-1500)}`);
  o.log.info({ segments: plans.length, ms: Date.now() - started }, 'recording composed');
  // A file noticeably shorter than the time recorded means media was lost: say so, with what went in.
  const expected = plans.reduce((a, p) => a + p.durationS, 0);
  const made = await ffprobe(o.outputs.av ?? o.outputs.audio, { tools }).catch(() => null);
  const got = Number(made?.format.duration ?? NaN);
  if (!(Math.abs(got - expected) <= Math.max(1, expected * 0.02)))
    o.log.error(
      { expectedS: expected, gotS: got, plans: plans.map((p) => ({ segment: p.info.index, durationS: p.durationS, video: p.video.length, audio: p.audio.length, startedAt: p.info.startedAt, endedAt: p.info.endedAt })) },
      'the composed recording does not last as long as the recording did',
    );
  return { args, segments: plans.length };
}
