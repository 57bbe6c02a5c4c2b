// The simulated room camera and microphone: an ffmpeg test pattern (with a clock, so a frozen picture is
// obvious) and a 440 Hz tone, sent as VP8 and Opus over plain RTP into two PlainTransports of the box router
// (media.md §2). ffmpeg is supervised: restarted with back-off when it dies, killed on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';

type Router = mediasoup.types.Router;
type PlainTransport = mediasoup.types.PlainTransport;
type Producer = mediasoup.types.Producer;

const AUDIO = { ssrc: 11111111, payloadType: 100 };
const VIDEO = { ssrc: 22222222, payloadType: 101 };
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
/** A run this long counts as healthy and resets the back-off. */
const HEALTHY_RUN_MS = 10_000;

export interface TestSourceOptions {
  router: Router;
  log: Logger;
  ffmpegPath?: string;
  /** Where the PlainTransports listen; ffmpeg runs on the same host. */
  listenIp?: string;
  label?: string;
}

/** Asks the kernel for a free UDP port on ip (a race with other programs is possible but harmless here). */
async function freeUdpPort(ip: string): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, ip, () => resolve());
  });
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

export class TestSource {
  private transports: { audio?: PlainTransport; video?: PlainTransport } = {};
  private producers: { audio?: Producer; video?: Producer } = {};
  private proc: ChildProcess | null = null;
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private args: string[] = [];
  private readonly log: Logger;

  constructor(private readonly opts: TestSourceOptions) {
    this.log = opts.log.child({ part: 'test-source' });
  }

  get audioProducer(): Producer | undefined {
    return this.producers.audio;
  }

  get videoProducer(): Producer | undefined {
    return this.producers.video;
  }

  /** The running ffmpeg's pid (health reporting, and tests that kill it). */
  get pid(): number | undefined {
    return this.running ? this.proc!.pid : undefined;
  }

  /** Whether ffmpeg is currently running (for health reporting). */
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const { router } = this.opts;
    const ip = this.opts.listenIp ?? '127.0.0.1';
    // rtcpMux off: ffmpeg sends RTCP to a second port and cannot share one (media.md §2).
    const plain = () => router.createPlainTransport({ listenInfo: { protocol: 'udp', ip }, rtcpMux: false, comedia: true });
    this.transports.audio = await plain();
    this.transports.video = await plain();
    this.producers.audio = await this.transports.audio.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO.payloadType, clockRate: 48000, channels: 2, parameters: { 'sprop-stereo': 1 } }],
        encodings: [{ ssrc: AUDIO.ssrc }],
      },
      appData: { source: 'test-pattern', label: 'microphone' },
    });
    this.producers.video = await this.transports.video.produce({
      kind: 'video',
      rtpParameters: {
        // ffmpeg answers neither NACK nor PLI; its short GOP is what lets new viewers start quickly.
        codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO.payloadType, clockRate: 90000, rtcpFeedback: [] }],
        encodings: [{ ssrc: VIDEO.ssrc }],
      },
      appData: { source: 'test-pattern', label: 'camera' },
    });

    // comedia locks each transport onto the first source address it hears from, so a restarted ffmpeg
    // must send from the same local ports as the first one.
    const local = { a: await freeUdpPort(ip), ar: await freeUdpPort(ip), v: await freeUdpPort(ip), vr: await freeUdpPort(ip) };
    const url = (t: PlainTransport, lp: number, lrp: number) =>
      `rtp://${t.tuple.localAddress}:${t.tuple.localPort}?rtcpport=${t.rtcpTuple!.localPort}` +
      `&localrtpport=${lp}&localrtcpport=${lrp}&pkt_size=1200`;
    const label = (this.opts.label ?? 'diemcau').replace(/[^A-Za-z0-9 ._-]/g, '');
    const overlay = existsSync(FONT)
      ? `,drawtext=fontfile=${FONT}:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.5:x=16:y=h-th-16:text='${label} %{localtime\\:%X}'`
      : '';
    this.args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-map', '1:a:0', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-ar', '48000',
      '-f', 'rtp', '-ssrc', String(AUDIO.ssrc), '-payload_type', String(AUDIO.payloadType),
      url(this.transports.audio, local.a, local.ar),
      '-map', '0:v:0', '-vf', `format=yuv420p${overlay}`,
      '-c:v', 'libvpx', '-b:v', '500k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '15', '-keyint_min', '15',
      '-f', 'rtp', '-ssrc', String(VIDEO.ssrc), '-payload_type', String(VIDEO.payloadType),
      url(this.transports.video, local.v, local.vr),
    ];
    this.spawnFfmpeg();
  }

  private spawnFfmpeg(): void {
    if (this.stopped) return;
    const startedAt = Date.now();
    const proc = spawn(this.opts.ffmpegPath ?? 'ffmpeg', this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    proc.once('error', (err) => this.log.error({ err }, 'cannot run ffmpeg for the test pattern'));
    proc.once('exit', (code, signal) => {
      if (this.proc === proc) this.proc = null;
      if (this.stopped) return;
      if (Date.now() - startedAt > HEALTHY_RUN_MS) this.failures = 0;
      const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)];
      this.log.error({ code, signal, stderr: stderr.trim(), restartInMs: delay }, 'ffmpeg test pattern exited — restarting');
      this.restartTimer = setTimeout(() => this.spawnFfmpeg(), delay);
      this.restartTimer.unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.exitCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.transports.audio?.close();
    this.transports.video?.close();
    this.transports = {};
    this.producers = {};
  }
}
