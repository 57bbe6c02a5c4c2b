// Recording of meetings (A5, M6.3, M9.3): started only with the chair's consent — the REST route is open to
// the roles chair, secretary and admin, and a peer's meeting permissions (A1: recordAudio / recordVideo,
// set by the chair) narrow it further when the account is in the meeting — audited on start and stop,
// announced to every participant, and kept `retentionDays` (DIEMCAU_RECORDING_RETENTION_DAYS, 90).
//
// A live recording captures in segments (media/recorder.ts): the set of recorded streams is fixed for a
// segment. When somebody joins, leaves, adds a stream or turns a camera on, a new segment starts within
// about two seconds (the next one starts before the previous one stops: nothing is lost), so a latecomer
// appears in the grid from then on. When the recording stops — or the meeting ends — the segments are
// composed into ONE WebM (VP8 + Opus, the grid with every camera, all audio mixed) and ONE Ogg Opus
// (audio only), hashed (SHA-256) and listed in `recordings`. A crash leaves the segments on disk; the next
// start composes them.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditEntry } from '../appliance/audit.js';
import { ApiError } from '../appliance/errors.js';
import type { Role } from '../appliance/roles.js';
import {
  MAX_AUDIO_INPUTS,
  MAX_VIDEO_TILES,
  SegmentCapture,
  composeRecording,
  defaultTools,
  ffprobe,
  sha256File,
  type RecordSource,
  type RecorderTools,
  type SegmentInfo,
} from '../media/recorder.js';
import type { Meeting, MeetingPeer } from './meeting.js';
import type { CentralMeetings } from './service.js';

const DAY_MS = 86_400_000;
/** A change of the recorded streams must hold this long before a new segment starts (joins come in bursts). */
const SETTLE_MS = 1500;
const TICK_MS = 500;
/** A stream ffmpeg could not probe is left out of new segments for this long. */
const EXCLUDE_MS = 60_000;

export interface RecordingOptions {
  /** <data>/recordings: the files, and work/<session>/ for segments. */
  dir: string;
  retentionDays: number;
  purgeIntervalMs: number;
  tools: RecorderTools;
  /** CPU niceness of the composing ffmpeg (DIEMCAU_RECORDING_NICE, 10): live meetings come first. */
  nice: number;
}

export function recordingOptionsFromEnv(dataDir: string, over: Partial<RecordingOptions> = {}): RecordingOptions {
  const raw = process.env.DIEMCAU_RECORDING_RETENTION_DAYS;
  const days = raw === undefined || raw === '' ? 90 : Number(raw);
  if (!Number.isFinite(days) || days < 0) throw new Error(`DIEMCAU_RECORDING_RETENTION_DAYS must be a number ≥ 0, got ${raw}`);
  return {
    dir: over.dir ?? join(dataDir, 'recordings'),
    retentionDays: over.retentionDays ?? days,
    purgeIntervalMs: over.purgeIntervalMs ?? DAY_MS,
    tools: over.tools ?? defaultTools(),
    nice: over.nice ?? Math.min(19, Math.max(0, Math.round(Number(process.env.DIEMCAU_RECORDING_NICE ?? 10) || 0))),
  };
}

export type SessionStatus = 'recording' | 'finalizing' | 'done' | 'failed' | 'empty';

export interface RecordingSession {
  id: string;
  meetingId: number;
  startedAt: number;
  startedBy: string;
  endedAt: number | null;
  stoppedBy: string | null;
  withVideo: boolean;
  status: SessionStatus;
  error: string | null;
}

export interface RecordingFile {
  id: number;
  sessionId: string;
  meetingId: number;
  kind: 'av' | 'audio';
  file: string;
  mime: string;
  bytes: number;
  sha256: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  createdAt: number;
  purgedAt: number | null;
}

interface SessionRow {
  id: string;
  meeting_id: number;
  started_at: number;
  started_by: string;
  ended_at: number | null;
  stopped_by: string | null;
  with_video: number;
  status: SessionStatus;
  error: string | null;
}
interface FileRow {
  id: number;
  session_id: string;
  meeting_id: number;
  kind: 'av' | 'audio';
  file: string;
  mime: string;
  bytes: number;
  sha256: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  created_at: number;
  purged_at: number | null;
}

const toSession = (r: SessionRow): RecordingSession => ({
  id: r.id,
  meetingId: r.meeting_id,
  startedAt: r.started_at,
  startedBy: r.started_by,
  endedAt: r.ended_at,
  stoppedBy: r.stopped_by,
  withVideo: r.with_video === 1,
  status: r.status,
  error: r.error,
});
const toFile = (r: FileRow): RecordingFile => ({
  id: r.id,
  sessionId: r.session_id,
  meetingId: r.meeting_id,
  kind: r.kind,
  file: r.file,
  mime: r.mime,
  bytes: r.bytes,
  sha256: r.sha256,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  durationMs: r.duration_ms,
  createdAt: r.created_at,
  purgedAt: r.purged_at,
});

/** recording_sessions and recordings behind a small repository (DESIGN.md §9). */
export class RecordingRepository {
  constructor(private readonly db: Database.Database) {}

  createSession(s: { id: string; meetingId: number; startedAt: number; startedBy: string; withVideo: boolean }): void {
    this.db
      .prepare('INSERT INTO recording_sessions (id, meeting_id, started_at, started_by, with_video, status) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.id, s.meetingId, s.startedAt, s.startedBy, s.withVideo ? 1 : 0, 'recording');
  }

  endSession(id: string, endedAt: number, stoppedBy: string): void {
    this.db.prepare("UPDATE recording_sessions SET ended_at = ?, stopped_by = ?, status = 'finalizing' WHERE id = ?").run(endedAt, stoppedBy, id);
  }

  setStatus(id: string, status: SessionStatus, error: string | null = null): void {
    this.db.prepare('UPDATE recording_sessions SET status = ?, error = ? WHERE id = ?').run(status, error, id);
  }

  session(id: string): RecordingSession | undefined {
    const r = this.db.prepare('SELECT * FROM recording_sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return r && toSession(r);
  }

  latestSession(meetingId: number): RecordingSession | undefined {
    const r = this.db.prepare('SELECT * FROM recording_sessions WHERE meeting_id = ? ORDER BY started_at DESC LIMIT 1').get(meetingId) as SessionRow | undefined;
    return r && toSession(r);
  }

  /** Sessions a previous process left unfinished (it stopped while recording or composing). */
  unfinished(): RecordingSession[] {
    return (this.db.prepare("SELECT * FROM recording_sessions WHERE status IN ('recording', 'finalizing') ORDER BY started_at").all() as SessionRow[]).map(toSession);
  }

  /** The files of a session, written together with its final status. */
  complete(id: string, files: Array<Omit<RecordingFile, 'id' | 'purgedAt' | 'createdAt'>>): RecordingFile[] {
    const insert = this.db.prepare(
      `INSERT INTO recordings (session_id, meeting_id, kind, file, mime, bytes, sha256, started_at, ended_at, duration_ms, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const ids: number[] = [];
    this.db.transaction(() => {
      const now = Date.now();
      for (const f of files)
        ids.push(Number(insert.run(f.sessionId, f.meetingId, f.kind, f.file, f.mime, f.bytes, f.sha256, f.startedAt, f.endedAt, f.durationMs, now).lastInsertRowid));
      this.setStatus(id, 'done');
    })();
    return ids.map((i) => this.file(i)!);
  }

  file(id: number): RecordingFile | undefined {
    const r = this.db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as FileRow | undefined;
    return r && toFile(r);
  }

  files(meetingId: number | undefined, limit: number): RecordingFile[] {
    const rows = (
      meetingId === undefined
        ? this.db.prepare('SELECT * FROM recordings ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM recordings WHERE meeting_id = ? ORDER BY id DESC LIMIT ?').all(meetingId, limit)
    ) as FileRow[];
    return rows.map(toFile);
  }

  expired(before: number): RecordingFile[] {
    return (this.db.prepare('SELECT * FROM recordings WHERE purged_at IS NULL AND ended_at <= ?').all(before) as FileRow[]).map(toFile);
  }

  markPurged(id: number, at: number): void {
    this.db.prepare('UPDATE recordings SET purged_at = ? WHERE id = ?').run(at, id);
  }

  /** Sessions that ended without files (failed, empty) and are older than `before`. */
  staleSessions(before: number): RecordingSession[] {
    return (
      this.db.prepare("SELECT * FROM recording_sessions WHERE status IN ('failed', 'empty') AND COALESCE(ended_at, started_at) <= ?").all(before) as SessionRow[]
    ).map(toSession);
  }
}

// ---- who may record ---------------------------------------------------------------------------------

type RecordPermissions = { recordAudio?: boolean; recordVideo?: boolean };

/** A1: the peer's own permissions (meeting-control.ts keeps them in `control`); absent = allowed. */
export function peerRecordRights(peer: MeetingPeer): { audio: boolean; video: boolean } {
  const p = peer as MeetingPeer & { permissions?: RecordPermissions; control?: { permissions?: RecordPermissions } };
  const perms = p.permissions ?? p.control?.permissions;
  return { audio: perms?.recordAudio ?? true, video: perms?.recordVideo ?? true };
}

/** What an account may record in a meeting: its peer's permissions when it is in, else its role decides. */
export function accountRecordRights(meeting: Meeting, username: string): { audio: boolean; video: boolean } {
  for (const peer of meeting.peers.values()) {
    const p = peer as MeetingPeer & { user?: string; control?: { user?: string } };
    if ((p.control?.user ?? p.user) === username) return peerRecordRights(peer);
  }
  return { audio: true, video: true };
}

// ---- a live recording ---------------------------------------------------------------------------------

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

class LiveRecording {
  private current: SegmentCapture | undefined;
  private nextIndex = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private ended = false;
  private pendingSince: number | undefined;
  private readonly excluded = new Map<string, number>();
  private readonly onRouterClose = () => this.onMeetingEnded(this);

  constructor(
    readonly session: RecordingSession,
    readonly meeting: Meeting,
    private readonly dir: string,
    private readonly log: Logger,
    private readonly tools: RecorderTools,
    private readonly onMeetingEnded: (r: LiveRecording) => void,
  ) {}

  get segments(): number {
    return this.nextIndex;
  }

  /** Bytes captured so far (all segments). */
  get capturedBytes(): number {
    let n = 0;
    for (const f of existsSync(this.dir) ? readdirSync(this.dir) : [])
      if (f.endsWith('.mkv'))
        try {
          n += statSync(join(this.dir, f)).size;
        } catch {
          /* removed meanwhile */
        }
    return n;
  }

  /** Bytes of the segment being captured now (0 while ffmpeg is still probing its inputs). */
  get segmentBytes(): number {
    const cur = this.current;
    if (!cur) return 0;
    try {
      return statSync(join(this.dir, cur.info.file)).size;
    } catch {
      return 0;
    }
  }

  get streams(): { audio: number; video: number } {
    const s = this.current?.info.streams ?? [];
    return { audio: s.filter((x) => x.kind === 'audio').length, video: s.filter((x) => x.kind === 'video').length };
  }

  /** Starts the first segment (if anything is being sent) and the watch for joins and leaves. */
  async begin(): Promise<void> {
    const want = this.desired();
    if (want.length) await this.roll(want, true);
    this.meeting.router.observer.once('close', this.onRouterClose);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Ends the live part; the segments stay in the work directory for composing. */
  async end(): Promise<void> {
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.meeting.router.observer.off('close', this.onRouterClose);
    await this.busy?.catch(() => {});
    const cur = this.current;
    this.current = undefined;
    await cur?.stop();
  }

  /** The streams to record now: every microphone, and every camera that sends (up to the limits). */
  private desired(): RecordSource[] {
    const now = Date.now();
    const inSegment = this.current?.producerIds ?? new Set<string>();
    const audio: RecordSource[] = [];
    const video: RecordSource[] = [];
    for (const peer of this.meeting.peers.values()) {
      const label = peer.unit ? `${peer.displayName} — ${peer.unit}` : peer.displayName;
      for (const producer of peer.producers.values()) {
        if (producer.closed || (this.excluded.get(producer.id) ?? 0) > now) continue;
        const src = { producer, peerId: peer.id, label };
        if (producer.kind === 'audio') audio.push(src);
        // A camera that is off when a segment starts has no picture to probe: it joins the next segment
        // once it is on. One that goes off during a segment keeps its last picture.
        else if (this.session.withVideo && (!producer.paused || inSegment.has(producer.id))) video.push(src);
      }
    }
    return [...audio.slice(0, MAX_AUDIO_INPUTS), ...video.slice(0, MAX_VIDEO_TILES)];
  }

  private tick(): void {
    if (this.ended || this.busy || this.meeting.isClosed) return;
    const want = this.desired();
    const have = this.current?.running ? this.current.producerIds : new Set<string>();
    if (sameSet(new Set(want.map((s) => s.producer.id)), have)) {
      this.pendingSince = undefined;
      return;
    }
    const now = Date.now();
    this.pendingSince ??= now;
    if (now - this.pendingSince < SETTLE_MS) return;
    this.pendingSince = undefined;
    const wantIds = new Set(want.map((s) => s.producer.id));
    this.log.info(
      { session: this.session.id, added: [...wantIds].filter((id) => !have.has(id)), gone: [...have].filter((id) => !wantIds.has(id)), running: !!this.current?.running },
      'the recorded streams changed: next segment',
    );
    this.busy = this.roll(want, false)
      .catch((err) => this.log.error({ err, session: this.session.id }, 'could not start a recording segment / không ghi được đoạn mới'))
      .finally(() => (this.busy = null));
  }

  /** The next segment starts, then the previous one stops: the two overlap, nothing is lost. */
  private async roll(want: RecordSource[], first: boolean): Promise<void> {
    const old = this.current;
    let next: SegmentCapture | undefined;
    if (want.length) {
      next = await SegmentCapture.start({ router: this.meeting.router, sources: want, dir: this.dir, index: this.nextIndex, log: this.log, tools: this.tools });
      this.nextIndex++;
      const cap = next;
      cap.on('exit', () => {
        // ffmpeg died: leave out what it could not read, and let the next tick start a fresh segment.
        for (const id of cap.unprobedProducers) this.excluded.set(id, Date.now() + EXCLUDE_MS);
        if (this.current === cap) this.current = undefined;
      });
      this.log.info(
        { session: this.session.id, segment: cap.info.index, streams: cap.info.streams.map((s) => `${s.kind}:${s.label}`), first },
        'recording segment started',
      );
    }
    this.current = next;
    await old?.stop();
  }
}

// ---- the service -----------------------------------------------------------------------------------

export interface RecordingStatus {
  meetingId: number;
  recording: boolean;
  state: 'idle' | SessionStatus;
  sessionId?: string;
  startedAt?: number;
  startedBy?: string;
  endedAt?: number | null;
  withVideo?: boolean;
  segments?: number;
  streams?: { audio: number; video: number };
  capturedBytes?: number;
  segmentBytes?: number;
  error?: string | null;
}

export interface Starter {
  /** Account name (or the peer's name for a start from inside the meeting). */
  user: string;
  audio?: boolean;
  video?: boolean;
}

const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

function readSegments(dir: string): SegmentInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^seg-\d{3,}\.json$/.test(f))
    .map((f) => {
      try {
        return JSON.parse(readFileSync(join(dir, f), 'utf8')) as SegmentInfo;
      } catch {
        return null;
      }
    })
    .filter((s): s is SegmentInfo => !!s)
    .sort((a, b) => a.index - b.index);
}

export class RecordingService {
  private readonly live = new Map<number, LiveRecording>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly finalizing = new Map<string, Promise<void>>();
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private closing = false;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly repo: RecordingRepository,
    private readonly meetings: CentralMeetings,
    private readonly audit: (e: AuditEntry) => void,
    private readonly log: Logger,
    readonly opts: RecordingOptions,
  ) {
    mkdirSync(join(opts.dir, 'work'), { recursive: true });
  }

  /** Composes what a previous run left, purges expired files now and then daily (unref'd timer). */
  init(): void {
    for (const s of this.repo.unfinished()) {
      if (s.status === 'recording') {
        const segs = readSegments(this.workDir(s.id));
        const last = Math.max(s.startedAt, ...segs.map((x) => x.endedAt ?? x.startedAt));
        this.repo.endSession(s.id, last, 'system');
      }
      this.log.warn({ session: s.id, meeting: s.meetingId }, 'composing a recording left unfinished by the previous run');
      this.enqueue(s.id);
    }
    this.purge();
    this.purgeTimer = setInterval(() => this.purge(), this.opts.purgeIntervalMs);
    this.purgeTimer.unref();
  }

  isRecording(meetingId: number): boolean {
    return this.live.has(meetingId);
  }

  private workDir(sessionId: string): string {
    return join(this.opts.dir, 'work', sessionId);
  }

  private liveMeeting(meetingId: number): Meeting {
    const record = this.meetings.repo.get(meetingId);
    if (!record) throw new ApiError(404, 'not_found', 'Không tìm thấy cuộc họp / meeting not found');
    const m = this.meetings.live.get(meetingId);
    if (!m || m.isClosed) throw new ApiError(409, 'not_live', 'Cuộc họp chưa có ai tham dự / the meeting is not in progress');
    return m;
  }

  /** M6.3: the caller is the consent (a chair-level account, or a peer the chair allowed). */
  async start(meetingId: number, by: Starter): Promise<RecordingStatus> {
    if (this.closing) throw new ApiError(503, 'closing', 'Dịch vụ đang dừng / the service is stopping');
    const meeting = this.liveMeeting(meetingId);
    const audit = (result: string, args: Record<string, unknown> = {}) =>
      this.audit({ user: by.user, action: 'recording.start', target: meeting.record.code, args: { meetingId, ...args }, result });
    if (this.live.has(meetingId)) {
      audit('already_recording');
      throw new ApiError(409, 'already_recording', 'Cuộc họp đang được ghi / already recording');
    }
    const withAudio = by.audio ?? true;
    const withVideo = by.video ?? true;
    if (!withAudio) {
      audit('not_permitted');
      throw new ApiError(403, 'not_permitted', 'Không có quyền ghi âm cuộc họp này / not permitted to record this meeting');
    }
    const session: RecordingSession = {
      id: randomUUID(),
      meetingId,
      startedAt: Date.now(),
      startedBy: by.user,
      endedAt: null,
      stoppedBy: null,
      withVideo,
      status: 'recording',
      error: null,
    };
    const dir = this.workDir(session.id);
    mkdirSync(dir, { recursive: true });
    this.repo.createSession(session);
    const rec = new LiveRecording(session, meeting, dir, this.log.child({ recording: session.id }), this.opts.tools, (r) => {
      // The meeting ended (its router closed): stop as if asked, on behalf of the system.
      if (this.live.get(meetingId) === r) this.track(this.stop(meetingId, { user: 'system' }).catch((err) => this.log.error({ err }, 'stopping a recording failed')));
    });
    this.live.set(meetingId, rec);
    try {
      await rec.begin();
    } catch (err) {
      this.live.delete(meetingId);
      await rec.end().catch(() => {});
      this.repo.setStatus(session.id, 'failed', (err as Error).message);
      rmSync(dir, { recursive: true, force: true });
      audit('error:recorder_failed', { session: session.id });
      this.log.error({ err, meeting: meeting.record.code }, 'recording could not start / không bắt đầu ghi được');
      throw new ApiError(503, 'recorder_failed', 'Không khởi động được bộ ghi / the recorder could not start');
    }
    audit('ok', { session: session.id, video: withVideo });
    // Everybody in the meeting is told that it is being recorded (M6.3).
    meeting.broadcast('recordingChanged', { recording: true, startedAt: session.startedAt, video: withVideo });
    this.log.info({ meeting: meeting.record.code, session: session.id, by: by.user }, 'recording started');
    return this.status(meetingId);
  }

  async stop(meetingId: number, by: { user: string }): Promise<RecordingStatus> {
    const rec = this.live.get(meetingId);
    const code = this.meetings.repo.get(meetingId)?.code ?? String(meetingId);
    if (!rec) {
      this.audit({ user: by.user, action: 'recording.stop', target: code, args: { meetingId }, result: 'not_recording' });
      throw new ApiError(409, 'not_recording', 'Cuộc họp không được ghi / not recording');
    }
    this.live.delete(meetingId);
    const endedAt = Date.now();
    await rec.end();
    this.repo.endSession(rec.session.id, endedAt, by.user);
    this.audit({ user: by.user, action: 'recording.stop', target: code, args: { meetingId, session: rec.session.id }, result: 'ok' });
    if (!rec.meeting.isClosed) rec.meeting.broadcast('recordingChanged', { recording: false });
    this.log.info({ meeting: code, session: rec.session.id, by: by.user, segments: rec.segments }, 'recording stopped; composing');
    this.enqueue(rec.session.id);
    return { ...this.status(meetingId), segments: rec.segments };
  }

  status(meetingId: number): RecordingStatus {
    const rec = this.live.get(meetingId);
    if (rec)
      return {
        meetingId,
        recording: true,
        state: 'recording',
        sessionId: rec.session.id,
        startedAt: rec.session.startedAt,
        startedBy: rec.session.startedBy,
        withVideo: rec.session.withVideo,
        segments: rec.segments,
        streams: rec.streams,
        capturedBytes: rec.capturedBytes,
        segmentBytes: rec.segmentBytes,
      };
    const s = this.repo.latestSession(meetingId);
    if (!s) return { meetingId, recording: false, state: 'idle' };
    return {
      meetingId,
      recording: false,
      state: s.status,
      sessionId: s.id,
      startedAt: s.startedAt,
      startedBy: s.startedBy,
      endedAt: s.endedAt,
      withVideo: s.withVideo,
      error: s.error,
    };
  }

  /** Resolves when the session's files are written (or its composing failed). */
  whenFinalized(sessionId: string): Promise<void> {
    return this.finalizing.get(sessionId) ?? Promise.resolve();
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** One composition at a time: a box has few cores and the meetings come first. */
  private enqueue(sessionId: string): void {
    const p = this.queue.then(() => (this.closing ? undefined : this.finalize(sessionId)));
    this.queue = p.catch(() => {});
    this.finalizing.set(sessionId, this.queue);
    this.track(this.queue);
  }

  private async finalize(sessionId: string): Promise<void> {
    const s = this.repo.session(sessionId);
    if (!s) return;
    const work = this.workDir(sessionId);
    const segments = readSegments(work);
    if (!segments.length) {
      this.repo.setStatus(sessionId, 'empty');
      rmSync(work, { recursive: true, force: true });
      this.log.info({ session: sessionId }, 'nothing was recorded (nobody sent media)');
      return;
    }
    const code = (this.meetings.repo.get(s.meetingId)?.code ?? String(s.meetingId)).replace(/[^A-Za-z0-9-]/g, '_');
    const base = `${code}-${stamp(s.startedAt)}-${sessionId.slice(0, 8)}`;
    const outputs: { av?: string; audio: string } = { ...(s.withVideo ? { av: join(this.opts.dir, `${base}.webm`) } : {}), audio: join(this.opts.dir, `${base}.ogg`) };
    const started = Date.now();
    try {
      const composed = await composeRecording({ dir: work, segments, outputs, log: this.log, tools: this.opts.tools, signal: this.abort.signal, nice: this.opts.nice });
      if (!composed) {
        this.repo.setStatus(sessionId, 'empty');
        rmSync(work, { recursive: true, force: true });
        this.log.info({ session: sessionId }, 'the recording captured no usable media');
        return;
      }
      const files: Array<Omit<RecordingFile, 'id' | 'purgedAt' | 'createdAt'>> = [];
      for (const [kind, path] of Object.entries(outputs) as Array<['av' | 'audio', string]>) {
        const probe = await ffprobe(path, { tools: this.opts.tools });
        files.push({
          sessionId,
          meetingId: s.meetingId,
          kind,
          file: `${base}.${kind === 'av' ? 'webm' : 'ogg'}`,
          mime: kind === 'av' ? 'video/webm' : 'audio/ogg',
          bytes: statSync(path).size,
          sha256: await sha256File(path),
          startedAt: s.startedAt,
          endedAt: s.endedAt ?? Date.now(),
          durationMs: Math.round(Number(probe.format.duration ?? 0) * 1000),
        });
      }
      const rows = this.repo.complete(sessionId, files);
      // DIEMCAU_RECORDING_KEEP_WORK=1 keeps the segments (to look into a recording that came out wrong).
      if (!process.env.DIEMCAU_RECORDING_KEEP_WORK) rmSync(work, { recursive: true, force: true });
      this.log.info({ session: sessionId, files: rows.map((r) => ({ id: r.id, file: r.file, bytes: r.bytes })), ms: Date.now() - started }, 'recording ready');
    } catch (err) {
      for (const p of Object.values(outputs)) rmSync(p, { force: true });
      if (this.abort.signal.aborted) return; // stays 'finalizing': the next start composes it
      this.repo.setStatus(sessionId, 'failed', (err as Error).message.slice(0, 2000));
      this.log.error({ err, session: sessionId }, 'composing the recording failed; its segments are kept / ghép bản ghi thất bại');
    }
  }

  list(meetingId: number | undefined, limit = 200): Array<RecordingFile & { expiresAt: number; download: string | null }> {
    return this.repo.files(meetingId, limit).map((f) => ({
      ...f,
      expiresAt: f.endedAt + this.opts.retentionDays * DAY_MS,
      download: f.purgedAt ? null : `/api/v1/recordings/${f.id}/file`,
    }));
  }

  /** The file on disk of a recording that still exists. */
  filePath(f: RecordingFile): string {
    return join(this.opts.dir, f.file);
  }

  /** Deletes files past retention, marks their rows and audits each; returns how many went. */
  purge(retentionDays = this.opts.retentionDays, now = Date.now()): number {
    const before = now - retentionDays * DAY_MS;
    let n = 0;
    for (const f of this.repo.expired(before)) {
      try {
        rmSync(this.filePath(f), { force: true });
      } catch (err) {
        this.log.error({ err, file: f.file }, 'could not delete an expired recording');
        continue;
      }
      this.repo.markPurged(f.id, now);
      this.audit({ user: 'system', action: 'recording.purge', target: String(f.id), args: { meetingId: f.meetingId, file: f.file, retentionDays }, result: 'ok' });
      n++;
    }
    for (const s of this.repo.staleSessions(before)) rmSync(this.workDir(s.id), { recursive: true, force: true });
    if (n) this.log.info({ removed: n, retentionDays }, 'expired recordings deleted');
    return n;
  }

  /** Stops live captures (their sessions are composed at the next start) and any composing ffmpeg. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    for (const [meetingId, rec] of [...this.live]) {
      this.live.delete(meetingId);
      this.track(
        rec.end().then(() => this.repo.endSession(rec.session.id, Date.now(), 'system')),
      );
    }
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}

// ---- REST --------------------------------------------------------------------------------------------

/** M6.3: who may give the consent to record. */
const RECORDING_CONTROLLERS: Role[] = ['chair', 'secretary', 'admin'];
/** Who may list and download recordings (every download is audited). */
const RECORDING_READERS: Role[] = ['chair', 'secretary', 'admin', 'auditor'];

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

export function recordingRoutes(app: FastifyInstance, svc: RecordingService): void {
  app.post(
    '/api/v1/meetings/:id/recording',
    {
      config: { roles: RECORDING_CONTROLLERS },
      schema: {
        tags: ['recordings'],
        summary: 'Start or stop recording a live meeting (chair consent, M6.3) / Bắt đầu hoặc dừng ghi cuộc họp',
        params: idParams,
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: ['start', 'stop'] },
            audio: { type: 'boolean', description: 'record audio (default true)' },
            video: { type: 'boolean', description: 'record video too (default true); false = audio-only file' },
          },
        },
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      const body = req.body as { action: 'start' | 'stop'; audio?: boolean; video?: boolean };
      const user = req.user!.username;
      if (body.action === 'stop') return svc.stop(id, { user });
      const m = app.central.meetings.live.get(id);
      const rights = m ? accountRecordRights(m, user) : { audio: true, video: true };
      return svc.start(id, { user, audio: (body.audio ?? true) && rights.audio, video: (body.video ?? true) && rights.video });
    },
  );

  app.get(
    '/api/v1/meetings/:id/recording',
    {
      config: { roles: [...RECORDING_READERS, 'technician'] },
      schema: { tags: ['recordings'], summary: 'Recording state of a meeting / Trạng thái ghi cuộc họp', params: idParams },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      if (!app.central.meetings.repo.get(id)) throw new ApiError(404, 'not_found', 'Không tìm thấy cuộc họp / meeting not found');
      return svc.status(id);
    },
  );

  app.get(
    '/api/v1/recordings',
    {
      config: { roles: RECORDING_READERS },
      schema: {
        tags: ['recordings'],
        summary: 'Recorded files, newest first / Danh sách bản ghi',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { meeting: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } },
        },
      },
    },
    async (req) => {
      const q = req.query as { meeting?: number; limit: number };
      return svc.list(q.meeting, q.limit);
    },
  );

  app.get(
    '/api/v1/recordings/:id/file',
    {
      config: { roles: RECORDING_READERS },
      schema: { tags: ['recordings'], summary: 'Download a recording (audited) / Tải bản ghi', params: idParams },
    },
    async (req, reply) => {
      const id = (req.params as { id: number }).id;
      const f = svc.repo.file(id);
      const user = req.user!.username;
      const audit = (result: string) => app.audit({ user, action: 'recording.download', target: String(id), args: f ? { meetingId: f.meetingId, kind: f.kind, file: f.file } : undefined, result });
      if (!f) {
        audit('not_found');
        throw new ApiError(404, 'not_found', 'Không có bản ghi này / no such recording');
      }
      if (f.purgedAt) {
        audit('purged');
        throw new ApiError(410, 'purged', 'Bản ghi đã bị xóa theo thời hạn lưu trữ / deleted by the retention rule');
      }
      const path = svc.filePath(f);
      if (!existsSync(path)) {
        audit('file_missing');
        throw new ApiError(404, 'file_missing', 'Không tìm thấy tệp bản ghi / the file is missing');
      }
      audit('ok');
      return reply
        .header('content-type', f.mime)
        .header('content-length', statSync(path).size)
        .header('content-disposition', `attachment; filename="${f.file}"`)
        // RFC 9530: lets the client check the file against the hash kept in the store.
        .header('repr-digest', `sha-256=:${Buffer.from(f.sha256, 'hex').toString('base64')}:`)
        .header('cache-control', 'no-store')
        .send(createReadStream(path));
    },
  );
}
