// Connection quality of one endpoint from mediasoup's own statistics (A4, M9.2; media.md §4):
//   transport.getStats()  → bitrate in and out (bit/s, mediasoup's own rate estimate)
//   producer.getStats()   → the endpoint's streams as received here: loss, jitter (RTP units → ms)
//   consumer.getStats()   → the streams sent to it, as its receiver reports tell: loss, round-trip time
//   producer/consumer .score (kept current by mediasoup's 'score' events) → 0–10
// Loss is computed over the sampling interval from the cumulative counters, so one bad second long ago
// does not colour every later sample; the first sample of a stream falls back to RTCP's fractionLost.
import type * as mediasoup from 'mediasoup';

type Transport = mediasoup.types.Transport;
type Producer = mediasoup.types.Producer;
type Consumer = mediasoup.types.Consumer;

/** The mediasoup objects that carry one endpoint's media. */
export interface EndpointMedia {
  /** WebRTC transports of a browser, the pipe transport of a room box. */
  transports: Transport[];
  /** Streams from the endpoint (upstream). */
  producers: Producer[];
  /** Streams to the endpoint (downstream). */
  consumers: Consumer[];
}

export interface QualitySample {
  /** bit/s, endpoint → server. */
  bitrateIn: number;
  /** bit/s, server → endpoint. */
  bitrateOut: number;
  /** Worst round-trip time a receiver report told (ms); null when none did yet. */
  rttMs: number | null;
  /** Packet loss over the interval, worst direction (%); null without any stream. */
  lossPct: number | null;
  lossInPct: number | null;
  lossOutPct: number | null;
  /** Worst inter-arrival jitter of the endpoint's streams (ms); null without any. */
  jitterMs: number | null;
  /** mediasoup's score, worst stream (0–10); null without any stream. */
  score: number | null;
}

interface Counters {
  packets: number;
  lost: number;
}

/** RTCP's cumulative loss is a signed 24-bit number that mediasoup reports unsigned; treat wraps as 0. */
const lostCount = (v: number | undefined) => (typeof v === 'number' && v >= 0 && v < 0x800000 ? v : 0);
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

export class EndpointStatsSampler {
  private prev = new Map<string, Counters>();

  async sample(media: EndpointMedia): Promise<QualitySample> {
    const live = <T extends { closed: boolean }>(xs: T[]) => xs.filter((x) => !x.closed);
    const [transportStats, producerStats, consumerStats] = await Promise.all([
      Promise.all(live(media.transports).map((t) => t.getStats().catch(() => []))),
      Promise.all(live(media.producers).map(async (p) => ({ p, stats: await p.getStats().catch(() => []) }))),
      Promise.all(live(media.consumers).map(async (c) => ({ c, stats: await c.getStats().catch(() => []) }))),
    ]);

    let bitrateIn = 0;
    let bitrateOut = 0;
    for (const list of transportStats)
      for (const s of list as Array<{ recvBitrate?: number; sendBitrate?: number }>) {
        bitrateIn += s.recvBitrate ?? 0;
        bitrateOut += s.sendBitrate ?? 0;
      }

    const seen = new Set<string>();
    const rtts: number[] = [];
    const jitters: number[] = [];
    const scores: number[] = [];
    const loss = { in: { lost: 0, total: 0, fraction: [] as number[] }, out: { lost: 0, total: 0, fraction: [] as number[] } };
    const account = (dir: 'in' | 'out', key: string, packets: number, lost: number, fractionLost: number) => {
      seen.add(key);
      const before = this.prev.get(key);
      this.prev.set(key, { packets, lost });
      if (!before || packets < before.packets) {
        loss[dir].fraction.push((fractionLost / 256) * 100);
        return;
      }
      const dLost = Math.max(0, lost - before.lost);
      const dPackets = packets - before.packets;
      // Received packets do not include the lost ones; sent packets do.
      loss[dir].lost += dLost;
      loss[dir].total += dir === 'in' ? dPackets + dLost : Math.max(dPackets, dLost);
    };

    for (const { p, stats } of producerStats) {
      const clockRate = p.rtpParameters.codecs[0]?.clockRate ?? 90000;
      for (const s of stats) {
        if (s.type !== 'inbound-rtp') continue;
        account('in', `p:${p.id}:${s.ssrc}`, s.packetCount, lostCount(s.packetsLost), s.fractionLost);
        if (s.jitter > 0) jitters.push((s.jitter / clockRate) * 1000);
        if (s.roundTripTime !== undefined) rtts.push(s.roundTripTime);
      }
      for (const sc of p.score) scores.push(sc.score);
    }
    for (const { c, stats } of consumerStats) {
      for (const s of stats) {
        if (s.type !== 'outbound-rtp') continue;
        account('out', `c:${c.id}:${s.ssrc}`, s.packetCount, lostCount(s.packetsLost), s.fractionLost);
        if (s.roundTripTime !== undefined) rtts.push(s.roundTripTime);
      }
      // A paused consumer sends nothing and scores nothing meaningful.
      if (!c.paused && !c.producerPaused) scores.push(c.score.score);
    }
    for (const k of this.prev.keys()) if (!seen.has(k)) this.prev.delete(k);

    const pct = (d: typeof loss.in) => (d.total > 0 ? (d.lost / d.total) * 100 : d.fraction.length ? Math.max(...d.fraction) : seen.size ? 0 : null);
    const hasIn = [...seen].some((k) => k.startsWith('p:'));
    const hasOut = [...seen].some((k) => k.startsWith('c:'));
    const lossInPct = hasIn ? pct(loss.in) : null;
    const lossOutPct = hasOut ? pct(loss.out) : null;
    const worst = [lossInPct, lossOutPct].filter((x): x is number => x !== null);
    return {
      bitrateIn: Math.round(bitrateIn),
      bitrateOut: Math.round(bitrateOut),
      rttMs: rtts.length ? round(Math.max(...rtts)) : null,
      lossPct: worst.length ? round(Math.max(...worst), 2) : null,
      lossInPct: lossInPct === null ? null : round(lossInPct, 2),
      lossOutPct: lossOutPct === null ? null : round(lossOutPct, 2),
      jitterMs: jitters.length ? round(Math.max(...jitters)) : null,
      score: scores.length ? Math.min(...scores) : null,
    };
  }
}
