// Monitoring (A4, M9.2): the meetings live on this central service, the endpoints in each, and every
// endpoint's connection quality over time. A sampler reads mediasoup's statistics every few seconds
// (media/stats-sampler.ts) into `quality_samples` (kept `retentionDays`, read by the monitoring pages and
// by the quarterly report, C2), and raises an alert while an endpoint stays below the thresholds — in the
// appliance's alert list when central runs inside a box (`app.alerts`), and always in central's own list
// (GET /api/v1/monitoring/alerts).
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from '../appliance/errors.js';
import type { Role } from '../appliance/roles.js';
import { EndpointStatsSampler, type EndpointMedia, type QualitySample } from '../media/stats-sampler.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import type { CentralMeetings } from './service.js';

const DAY_MS = 86_400_000;

export interface QualityThresholds {
  /** Alert above this packet loss (%). */
  lossPct: number;
  /** Alert above this round-trip time (ms). */
  rttMs: number;
}

export interface MonitoringOptions {
  intervalMs: number;
  retentionDays: number;
  thresholds: QualityThresholds;
  /** Consecutive bad samples before an alert is raised (and good ones before it clears). */
  alertAfter: number;
}

const envNumber = (name: string, fallback: number, min = 0): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min}, got ${raw}`);
  return v;
};

/** DIEMCAU_MONITORING_INTERVAL_S (5), DIEMCAU_QUALITY_RETENTION_DAYS (90), DIEMCAU_ALERT_LOSS_PCT (5), DIEMCAU_ALERT_RTT_MS (400). */
export function monitoringOptionsFromEnv(over: Partial<MonitoringOptions> = {}): MonitoringOptions {
  return {
    intervalMs: over.intervalMs ?? Math.round(envNumber('DIEMCAU_MONITORING_INTERVAL_S', 5, 0.2) * 1000),
    retentionDays: over.retentionDays ?? envNumber('DIEMCAU_QUALITY_RETENTION_DAYS', 90),
    thresholds: over.thresholds ?? { lossPct: envNumber('DIEMCAU_ALERT_LOSS_PCT', 5), rttMs: envNumber('DIEMCAU_ALERT_RTT_MS', 400) },
    alertAfter: over.alertAfter ?? Math.max(1, Math.round(envNumber('DIEMCAU_ALERT_AFTER_SAMPLES', 2, 1))),
  };
}

export interface SampleRow extends QualitySample {
  time: number;
}

export interface StoredSample extends SampleRow {
  meetingId: number;
  peerId: string;
  endpoint: string;
  unit: string | null;
  kind: string;
}

interface SampleDbRow {
  time: number;
  meeting_id: number;
  peer_id: string;
  endpoint: string;
  unit: string | null;
  kind: string;
  bitrate_in: number;
  bitrate_out: number;
  rtt_ms: number | null;
  loss_pct: number | null;
  loss_in_pct: number | null;
  loss_out_pct: number | null;
  jitter_ms: number | null;
  score: number | null;
}

const toSample = (r: SampleDbRow): StoredSample => ({
  time: r.time,
  meetingId: r.meeting_id,
  peerId: r.peer_id,
  endpoint: r.endpoint,
  unit: r.unit,
  kind: r.kind,
  bitrateIn: r.bitrate_in,
  bitrateOut: r.bitrate_out,
  rttMs: r.rtt_ms,
  lossPct: r.loss_pct,
  lossInPct: r.loss_in_pct,
  lossOutPct: r.loss_out_pct,
  jitterMs: r.jitter_ms,
  score: r.score,
});

export interface MeetingQualitySummary {
  meetingId: number;
  samples: number;
  endpoints: number;
  firstAt: number | null;
  lastAt: number | null;
  avgLossPct: number | null;
  maxRttMs: number | null;
  avgRttMs: number | null;
  /** Share of samples within the thresholds (0–1): what the quarterly report's pass rate rests on (C2). */
  goodShare: number | null;
}

/** quality_samples behind a small repository (DESIGN.md §9). */
export class QualityRepository {
  constructor(private readonly db: Database.Database) {}

  insert(rows: StoredSample[]): void {
    if (!rows.length) return;
    const stmt = this.db.prepare(
      `INSERT INTO quality_samples (time, meeting_id, peer_id, endpoint, unit, kind, bitrate_in, bitrate_out, rtt_ms, loss_pct, loss_in_pct, loss_out_pct, jitter_ms, score)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of rows)
        stmt.run(r.time, r.meetingId, r.peerId, r.endpoint, r.unit, r.kind, r.bitrateIn, r.bitrateOut, r.rttMs, r.lossPct, r.lossInPct, r.lossOutPct, r.jitterMs, r.score);
    })();
  }

  /** The newest `limit` samples of one endpoint after `since`, oldest first. */
  series(peerId: string, since: number, limit: number): StoredSample[] {
    const rows = this.db
      .prepare('SELECT * FROM quality_samples WHERE peer_id = ? AND time > ? ORDER BY time DESC LIMIT ?')
      .all(peerId, since, limit) as SampleDbRow[];
    return rows.reverse().map(toSample);
  }

  purge(before: number): number {
    return this.db.prepare('DELETE FROM quality_samples WHERE time < ?').run(before).changes;
  }

  meetingSummary(meetingId: number, t: QualityThresholds): MeetingQualitySummary {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS samples, COUNT(DISTINCT peer_id) AS endpoints, MIN(time) AS firstAt, MAX(time) AS lastAt,
                AVG(loss_pct) AS avgLoss, MAX(rtt_ms) AS maxRtt, AVG(rtt_ms) AS avgRtt,
                SUM(CASE WHEN COALESCE(loss_pct, 0) <= ? AND COALESCE(rtt_ms, 0) <= ? THEN 1 ELSE 0 END) AS good
         FROM quality_samples WHERE meeting_id = ?`,
      )
      .get(t.lossPct, t.rttMs, meetingId) as { samples: number; endpoints: number; firstAt: number | null; lastAt: number | null; avgLoss: number | null; maxRtt: number | null; avgRtt: number | null; good: number | null };
    const r2 = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      meetingId,
      samples: r.samples,
      endpoints: r.endpoints,
      firstAt: r.firstAt,
      lastAt: r.lastAt,
      avgLossPct: r2(r.avgLoss),
      maxRttMs: r2(r.maxRtt),
      avgRttMs: r2(r.avgRtt),
      goodShare: r.samples ? r2((r.good ?? 0) / r.samples) : null,
    };
  }
}

/** Where alerts go besides central's own list: the appliance's Alerts (appliance/alerts.ts). */
export interface AlertSink {
  raise(key: string, a: { device?: string; severity: 'warning' | 'error'; code: string; message: string }): void;
  clear(key: string): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The appliance's alert list, when central runs inside a box (appliance/server.ts). */
    alerts?: AlertSink;
  }
}

export interface QualityAlert {
  key: string;
  meetingId: number;
  meetingCode: string;
  peerId: string;
  endpoint: string;
  code: 'quality_poor';
  reasons: Array<'loss' | 'rtt'>;
  message: string;
  lossPct: number | null;
  rttMs: number | null;
  raisedAt: number;
  clearedAt: number | null;
}

export interface EndpointView {
  peerId: string;
  displayName: string;
  unit?: string;
  kind: string;
  since: number;
  latest: SampleRow | null;
  alert: boolean;
}

export interface SessionView {
  meetingId: number;
  code: string;
  title: string;
  since: number;
  endpointCount: number;
  recording: boolean;
  endpoints: EndpointView[];
}

interface PeerState {
  sampler: EndpointStatsSampler;
  since: number;
  meetingId: number;
  latest: SampleRow | null;
  bad: number;
  good: number;
}

/** The mediasoup objects of a peer, whatever its kind (browser: WebRTC transports; box: the pipe). */
export function endpointMedia(peer: MeetingPeer): EndpointMedia {
  const p = peer as MeetingPeer & {
    transports?: Map<string, EndpointMedia['transports'][number]>;
    consumers?: Map<string, EndpointMedia['consumers'][number]>;
    pipe?: EndpointMedia['transports'][number];
    pipeConsumers?: Map<string, EndpointMedia['consumers'][number]>;
  };
  return {
    transports: [...(p.transports?.values() ?? []), ...(p.pipe ? [p.pipe] : [])],
    producers: [...peer.producers.values()],
    consumers: [...(p.consumers?.values() ?? []), ...(p.pipeConsumers?.values() ?? [])],
  };
}

const HISTORY = 200;

export class MonitoringService {
  private readonly peers = new Map<string, PeerState>();
  private readonly meetingSince = new Map<number, number>();
  private readonly active = new Map<string, QualityAlert>();
  private history: QualityAlert[] = [];
  private timer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Tells the sessions view whether a meeting is being recorded (set by the plugin). */
  isRecording: (meetingId: number) => boolean = () => false;

  constructor(
    readonly repo: QualityRepository,
    private readonly meetings: CentralMeetings,
    private readonly log: Logger,
    readonly opts: MonitoringOptions,
    private readonly sink?: AlertSink,
  ) {}

  /** Starts the sampling timer and the daily retention purge (both unref'd: they never keep the process up). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), DAY_MS);
    this.purgeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.timer = this.purgeTimer = null;
    await this.running?.catch(() => {});
  }

  private async tick(): Promise<void> {
    if (this.running) return; // a slow round (a busy worker) is not stacked
    this.running = this.sampleOnce().catch((err) => this.log.warn({ err }, 'quality sampling failed'));
    await this.running;
    this.running = null;
  }

  /** One round over every live endpoint; returns how many samples were stored. */
  async sampleOnce(now = Date.now()): Promise<number> {
    const rows: StoredSample[] = [];
    const present = new Set<string>();
    const liveMeetings = this.meetings.live.all().filter((m) => !m.isClosed);
    for (const m of liveMeetings) {
      if (!this.meetingSince.has(m.record.id)) this.meetingSince.set(m.record.id, now);
      for (const peer of [...m.peers.values()]) {
        present.add(peer.id);
        let st = this.peers.get(peer.id);
        if (!st) {
          st = { sampler: new EndpointStatsSampler(), since: now, meetingId: m.record.id, latest: null, bad: 0, good: 0 };
          this.peers.set(peer.id, st);
        }
        let q: QualitySample;
        try {
          q = await st.sampler.sample(endpointMedia(peer));
        } catch (err) {
          this.log.debug({ err, peer: peer.id }, 'no statistics for this endpoint');
          continue;
        }
        st.latest = { time: now, ...q };
        rows.push({ ...st.latest, meetingId: m.record.id, peerId: peer.id, endpoint: peer.displayName, unit: peer.unit ?? null, kind: peer.kind });
        this.evaluate(m, peer, st, q, now);
      }
    }
    // Endpoints that left: their alerts end with them.
    for (const id of [...this.peers.keys()])
      if (!present.has(id)) {
        this.peers.delete(id);
        this.clearAlert(`quality:${id}`, now);
      }
    for (const id of this.meetingSince.keys()) if (!liveMeetings.some((m) => m.record.id === id)) this.meetingSince.delete(id);
    this.repo.insert(rows);
    return rows.length;
  }

  private evaluate(m: Meeting, peer: MeetingPeer, st: PeerState, q: QualitySample, now: number): void {
    const t = this.opts.thresholds;
    const reasons: QualityAlert['reasons'] = [];
    if (q.lossPct !== null && q.lossPct > t.lossPct) reasons.push('loss');
    if (q.rttMs !== null && q.rttMs > t.rttMs) reasons.push('rtt');
    const key = `quality:${peer.id}`;
    if (reasons.length) {
      st.bad++;
      st.good = 0;
      if (st.bad < this.opts.alertAfter) return;
      const parts: string[] = [];
      if (reasons.includes('loss')) parts.push(`mất gói ${q.lossPct} % / loss ${q.lossPct} %`);
      if (reasons.includes('rtt')) parts.push(`trễ ${q.rttMs} ms / RTT ${q.rttMs} ms`);
      const message = `Chất lượng kết nối kém: ${peer.displayName} (${m.record.code}) — ${parts.join(', ')} / poor connection quality`;
      const existing = this.active.get(key);
      const alert: QualityAlert = {
        key,
        meetingId: m.record.id,
        meetingCode: m.record.code,
        peerId: peer.id,
        endpoint: peer.displayName,
        code: 'quality_poor',
        reasons,
        message,
        lossPct: q.lossPct,
        rttMs: q.rttMs,
        raisedAt: existing?.raisedAt ?? now,
        clearedAt: null,
      };
      this.active.set(key, alert);
      if (!existing) {
        this.history.unshift(alert);
        this.history = this.history.slice(0, HISTORY);
        this.log.warn({ meeting: m.record.code, peer: peer.id, name: peer.displayName, lossPct: q.lossPct, rttMs: q.rttMs }, 'poor connection quality');
      } else {
        const i = this.history.indexOf(existing);
        if (i >= 0) this.history[i] = alert;
      }
      this.sink?.raise(key, { severity: 'warning', code: 'quality_poor', message });
    } else {
      st.good++;
      st.bad = 0;
      if (st.good >= this.opts.alertAfter) this.clearAlert(key, now);
    }
  }

  private clearAlert(key: string, now: number): void {
    const a = this.active.get(key);
    if (!a) return;
    this.active.delete(key);
    a.clearedAt = now;
    this.sink?.clear(key);
  }

  purge(now = Date.now()): number {
    const n = this.repo.purge(now - this.opts.retentionDays * DAY_MS);
    if (n) this.log.info({ removed: n, retentionDays: this.opts.retentionDays }, 'old quality samples removed');
    return n;
  }

  alerts(): { active: QualityAlert[]; recent: QualityAlert[]; thresholds: QualityThresholds } {
    return { active: [...this.active.values()], recent: this.history.slice(), thresholds: this.opts.thresholds };
  }

  sessions(): { count: number; endpoints: number; intervalMs: number; sessions: SessionView[] } {
    const now = Date.now();
    const sessions = this.meetings.live
      .all()
      .filter((m) => !m.isClosed)
      .map((m): SessionView => {
        const endpoints = [...m.peers.values()].map((p): EndpointView => {
          const st = this.peers.get(p.id);
          return {
            peerId: p.id,
            displayName: p.displayName,
            ...(p.unit ? { unit: p.unit } : {}),
            kind: p.kind,
            since: st?.since ?? now,
            latest: st?.latest ?? null,
            alert: this.active.has(`quality:${p.id}`),
          };
        });
        return {
          meetingId: m.record.id,
          code: m.record.code,
          title: m.record.title,
          since: this.meetingSince.get(m.record.id) ?? now,
          endpointCount: endpoints.length,
          recording: this.isRecording(m.record.id),
          endpoints,
        };
      });
    return { count: sessions.length, endpoints: sessions.reduce((a, s) => a + s.endpointCount, 0), intervalMs: this.opts.intervalMs, sessions };
  }

  /** A live endpoint's name, or the one stored with its samples. */
  samples(peerId: string, since: number, limit: number): { peerId: string; endpoint: string | null; live: boolean; samples: SampleRow[] } {
    const series = this.repo.series(peerId, since, limit);
    let endpoint: string | null = series.at(-1)?.endpoint ?? null;
    let live = false;
    for (const m of this.meetings.live.all()) {
      const p = m.peers.get(peerId);
      if (p) {
        endpoint = p.displayName;
        live = true;
      }
    }
    return {
      peerId,
      endpoint,
      live,
      samples: series.map((s) => ({
        time: s.time,
        bitrateIn: s.bitrateIn,
        bitrateOut: s.bitrateOut,
        rttMs: s.rttMs,
        lossPct: s.lossPct,
        lossInPct: s.lossInPct,
        lossOutPct: s.lossOutPct,
        jitterMs: s.jitterMs,
        score: s.score,
      })),
    };
  }
}

const MONITORING_ROLES: Role[] = ['admin', 'technician', 'chair', 'auditor'];

export function monitoringRoutes(app: FastifyInstance, svc: MonitoringService): void {
  app.get(
    '/api/v1/monitoring/sessions',
    {
      config: { roles: MONITORING_ROLES },
      schema: { tags: ['monitoring'], summary: 'Live meetings, their endpoints and latest quality / Phiên họp đang diễn ra và điểm cầu' },
    },
    async () => svc.sessions(),
  );

  app.get(
    '/api/v1/monitoring/endpoints/:peerId/samples',
    {
      config: { roles: MONITORING_ROLES },
      schema: {
        tags: ['monitoring'],
        summary: 'Quality series of one endpoint, oldest first / Chất lượng kết nối của một điểm cầu theo thời gian',
        params: { type: 'object', required: ['peerId'], properties: { peerId: { type: 'string', minLength: 1, maxLength: 64 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'integer', minimum: 0, default: 0, description: 'epoch ms; samples strictly after' },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 720 },
          },
        },
      },
    },
    async (req) => {
      const { peerId } = req.params as { peerId: string };
      const q = req.query as { since: number; limit: number };
      const r = svc.samples(peerId, q.since, q.limit);
      if (!r.live && r.samples.length === 0 && q.since === 0) throw new ApiError(404, 'not_found', 'Không có điểm cầu này / no such endpoint');
      return r;
    },
  );

  app.get(
    '/api/v1/monitoring/alerts',
    {
      config: { roles: MONITORING_ROLES },
      schema: { tags: ['monitoring'], summary: 'Connection-quality alerts, current and recent / Cảnh báo chất lượng kết nối' },
    },
    async () => svc.alerts(),
  );

  app.get(
    '/api/v1/monitoring/meetings/:id/quality',
    {
      config: { roles: MONITORING_ROLES },
      schema: {
        tags: ['monitoring'],
        summary: 'Measured quality of one meeting, for reports (C2) / Chất lượng đo được của một cuộc họp',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      },
    },
    async (req) => svc.repo.meetingSummary((req.params as { id: number }).id, svc.opts.thresholds),
  );
}
