// A PTZ camera over ONVIF (SOAP over HTTP) through the npm `onvif` 0.8.x client, protocols.md §2.
//
// Requests: every call is bounded by timeoutMs twice over — the client's own socket timeout (never its 120 s
// default) and a timer here, so a half-open connection or a slow-drip reply cannot hang a command. PTZ motion
// commands go out one at a time in order (HTTP requests on separate connections may otherwise overtake each
// other, and a Stop that arrives before its ContinuousMove leaves the camera moving); a newer move or stop
// replaces moves still waiting their turn. ContinuousMove always carries a <Timeout> (moveTimeoutMs), so a lost
// Stop cannot leave the camera moving forever; callers holding a joystick re-send move() to extend it.
//
// Authentication: WS-UsernameToken (PasswordDigest over the camera's clock) with HTTP Digest as the client's
// fallback on 401, or Digest only (useWSSecurity: false). The client computes the camera clock offset once, from
// GetSystemDateAndTime at connect; when the camera later refuses a request as not authorized (its clock jumped,
// issue #172, or "Wsse authorized time check failed", issue #249), the clock is read again and the request retried
// once; if it is still refused the error says whether the clock or the credentials are to blame.
//
// Status: online after connect (GetSystemDateAndTime, GetServices or GetCapabilities, GetProfiles and
// GetVideoSources, then device information, presets and position). A timeout or a network error marks the camera
// offline; reconnect attempts follow with back-off (unref'd timers). A keepalive (GetSystemDateAndTime, which also
// tracks clock drift) notices a camera that disappears while idle.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import { Backoff } from '../core/backoff.js';
import { DeviceState } from '../core/device-state.js';
import { HealthTracker } from '../core/health.js';
import { Lifecycle } from '../core/lifecycle.js';
import { DeviceError, type Camera, type DeviceHealth, type DriverEvents, type PtzPosition, type PtzSpeed, type PtzStop } from '../types.js';

const require = createRequire(import.meta.url);

export interface OnvifConnection {
  host: string;
  /** HTTP port of the ONVIF device service (not the RTSP port 554: that gives ECONNRESET, issue #352). */
  port: number;
  username: string;
  password: string;
  /** Device service path. */
  path: string;
  /** Bound on each request (socket timeout in the client and a timer here). */
  timeoutMs: number;
  /** WS-UsernameToken in the SOAP header (HTTP Digest still answers a 401). false: HTTP Digest only. */
  useWSSecurity: boolean;
  /**
   * Put the configured host into stream and snapshot URIs (cameras behind NAT report private addresses, issue
   * #170). Service calls always use the configured host:port: onvif 0.8.x takes only the path from an XAddr.
   */
  preserveAddress: boolean;
  /** <Timeout> of every ContinuousMove: the camera stops by itself after this unless move() is sent again. */
  moveTimeoutMs: number;
  /** Liveness check while idle (GetSystemDateAndTime, also re-reads the camera clock); 0 = off. */
  keepaliveMs: number;
  /** GetStatus polling while the camera moves, so state() follows it; 0 = off. */
  statusPollMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Media profile to control; '' = the client's default (the first profile of the first video source). */
  profileToken: string;
}

export const ONVIF_DEFAULTS: Omit<OnvifConnection, 'host'> = {
  port: 80,
  username: '',
  password: '',
  path: '/onvif/device_service',
  timeoutMs: 5000,
  useWSSecurity: true,
  preserveAddress: true,
  moveTimeoutMs: 10_000,
  keepaliveMs: 15_000,
  statusPollMs: 250,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  profileToken: '',
};

export interface OnvifCameraState {
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  moving: boolean | null;
  /** Last recalled preset (our number), or null after any other move. */
  preset: number | null;
  [key: string]: unknown;
}

export interface OnvifPtzStatus {
  pan: number;
  tilt: number;
  zoom: number;
  moving: boolean;
  /** As the camera reports them: IDLE, MOVING, UNKNOWN. */
  moveStatus: { panTilt: string; zoom: string };
  utcTime: Date | null;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  ptz: boolean;
}

export interface OnvifDeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

// ---------------------------------------------------------------------------------------------
// The `onvif` client: `require('onvif/promises')` (a directory import, which ESM cannot resolve). Its Cam is a
// Proxy over the callback Cam: every method returns a promise of the callback's first result, properties read
// through, but assignment throws in strict code (the set trap returns undefined) and `_cam` reads as undefined
// — properties are written with Reflect.set.
// ---------------------------------------------------------------------------------------------

interface CamOptions {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  path: string;
  timeout: number;
  useWSSecurity: boolean;
  preserveAddress: boolean;
  agent: http.Agent;
}
type Raw = Record<string, any>;
interface OnvifCam {
  timeShift?: number;
  activeSource?: { profileToken: string; sourceToken: string; ptz?: { name: string; token: string } };
  profiles?: Raw[];
  /** Presets by TOKEN after getPresets() (the promise resolves them keyed by NAME). */
  presets?: Record<string, Raw>;
  connect(): Promise<void>;
  getSystemDateAndTime(): Promise<Date>;
  getDeviceInformation(): Promise<Raw>;
  getProfiles(): Promise<Raw[]>;
  getStreamUri(o: { protocol: string; stream: string; profileToken: string }): Promise<Raw>;
  getSnapshotUri(o: { profileToken: string }): Promise<Raw>;
  getStatus(o: { profileToken: string }): Promise<{ position?: { x?: number; y?: number; zoom?: number }; moveStatus?: unknown; utcTime?: unknown }>;
  continuousMove(o: { profileToken: string; x: number; y: number; zoom: number; timeout: number }): Promise<unknown>;
  absoluteMove(o: { profileToken: string; x: number; y: number; zoom: number }): Promise<unknown>;
  relativeMove(o: { profileToken: string; x: number; y: number; zoom: number }): Promise<unknown>;
  stop(o: { profileToken: string; panTilt: boolean; zoom: boolean }): Promise<unknown>;
  getPresets(o: { profileToken: string }): Promise<Raw>;
  setPreset(o: { profileToken: string; presetName: string; presetToken?: string }): Promise<unknown>;
  gotoPreset(o: { profileToken: string; preset: string }): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}
const { Cam } = require('onvif/promises') as { Cam: new (options: CamOptions) => OnvifCam };

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/** How cameras word a WS-Security / Digest refusal (Axis, Hikvision, Dahua, the onvif client's own Digest error). */
const AUTH_RE = /not ?authori[sz]ed|unauthori[sz]ed|failed ?authentication|authentication failed|could not be authenticated|authority failure|time check/i;
const TIME_RE = /time|clock|expired|created/i;
const PRESET_NAME_RE = /#(\d{1,3})$/;
const MAX_PRESET = 127;

const isUnit = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
/** Numbers as the camera should see them: no exponent notation, no 0.30000000000000004. */
const round = (v: number) => Number(v.toFixed(4)) + 0;
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' && '_' in (v as Raw) ? String((v as Raw)._) : String(v));
const numOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Refusals of our credentials or of our clock (as opposed to refusals of one command). */
const authRejections = new WeakSet<DeviceError>();

/** Cams whose timeShift has been centred (connect() may run twice on one Cam: the clock retry). */
const centred = new WeakSet<object>();

interface MotionJob {
  coalesce: boolean;
  superseded: boolean;
}

export class OnvifDriver extends EventEmitter<DriverEvents> implements Camera, PtzStop {
  readonly driver = 'onvif';
  readonly kind = 'camera' as const;
  readonly connection: OnvifConnection;

  private readonly lifecycle = new Lifecycle('camera');
  private readonly tracker = new HealthTracker((s) => this.emit('status', s));
  private readonly camera = new DeviceState<OnvifCameraState>({ pan: null, tilt: null, zoom: null, moving: null, preset: null }, () => this.emit('state', this.state()));
  private info: OnvifDeviceInformation | null = null;

  private cam: OnvifCam | null = null;
  private profileToken = '';
  /** The controlled profile has a PTZ configuration (a fixed camera has none: no presets, no GetStatus). */
  private hasPtz = false;
  private agent: http.Agent | null = null;
  private connecting: Promise<boolean> | null = null;
  /** Set when the camera refused our credentials or clock: commands fail with it until a reconnect works. */
  private rejection: DeviceError | null = null;
  private readonly backoff: Backoff;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollUntil = 0;
  private resyncing: Promise<void> | null = null;
  private readonly pending = new Set<(err: DeviceError) => void>();
  private motionTail: Promise<unknown> = Promise.resolve();
  private readonly motionQueue: MotionJob[] = [];
  /** Our preset numbers → the camera's preset tokens. */
  private presetTokens = new Map<number, string>();

  constructor(connection: Partial<OnvifConnection> & { host: string }) {
    super();
    this.connection = { ...ONVIF_DEFAULTS, ...connection };
    this.backoff = new Backoff(this.connection.reconnectMinMs, this.connection.reconnectMaxMs);
  }

  // -------------------------------------------------------------------------------------------
  // Driver
  // -------------------------------------------------------------------------------------------

  /** Connects; resolves once that first attempt ran, online or not. */
  async start(): Promise<void> {
    if (!this.lifecycle.start()) return;
    this.agent = new http.Agent({ keepAlive: false });
    this.tracker.set('connecting');
    await this.reconnect();
  }

  /** Stops timers and closes every connection; pending commands fail with DeviceError('closed'). */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    this.backoff.cancel();
    for (const t of [this.keepaliveTimer, this.pollTimer]) if (t) clearTimeout(t);
    this.keepaliveTimer = this.pollTimer = null;
    const closed = this.lifecycle.stoppedError();
    for (const fail of [...this.pending]) fail(closed);
    this.pending.clear();
    for (const job of this.motionQueue) job.superseded = true;
    this.agent?.destroy(); // requests in flight end now instead of at their timeout
    this.agent = null;
    this.cam = null;
    this.tracker.set('offline');
  }

  health(): DeviceHealth {
    return this.tracker.snapshot();
  }

  state(): Record<string, unknown> {
    return this.camera.copy();
  }

  /** GetDeviceInformation as read at connect (null before the first connect). */
  deviceInformation(): OnvifDeviceInformation | null {
    return this.info ? { ...this.info } : null;
  }

  /** Camera clock minus the box clock (ms) as the client uses it for WS-Security timestamps, or null. */
  clockOffsetMs(): number | null {
    const shift = this.cam?.timeShift;
    return typeof shift === 'number' ? Math.round(process.uptime() * 1000 + shift - Date.now()) : null;
  }

  /** Our preset numbers and the camera tokens they map to. */
  presetMap(): Record<number, string> {
    return Object.fromEntries(this.presetTokens);
  }

  // -------------------------------------------------------------------------------------------
  // Capabilities
  // -------------------------------------------------------------------------------------------

  /** ContinuousMove (velocities in [-1, 1]) bounded by moveTimeoutMs; all zero is a Stop. */
  async move(speed: PtzSpeed): Promise<void> {
    for (const axis of ['pan', 'tilt', 'zoom'] as const)
      if (!isUnit(speed?.[axis], -1, 1)) throw new DeviceError('invalid_argument', `${axis} speed must be a number in [-1, 1]`);
    if (speed.pan === 0 && speed.tilt === 0 && speed.zoom === 0) return this.ptzStop();
    const token = this.tokenXml;
    const sent = await this.motion(
      'ContinuousMove',
      (cam) => cam.continuousMove({ profileToken: token, x: round(speed.pan), y: round(speed.tilt), zoom: round(speed.zoom), timeout: this.connection.moveTimeoutMs }),
      true,
    );
    if (!sent) return;
    this.camera.patch({ preset: null, moving: true });
    this.startPolling();
  }

  /** The motion stop (Driver.stop closes the driver; the 'ptz.stop' capability calls this one). */
  async ptzStop(): Promise<void> {
    const token = this.tokenXml;
    const sent = await this.motion('Stop', (cam) => cam.stop({ profileToken: token, panTilt: true, zoom: true }), true);
    if (!sent) return;
    // Where the camera came to rest is only known by asking.
    this.startPolling();
  }

  /** AbsoluteMove: pan, tilt in [-1, 1], zoom in [0, 1] (generic spaces). Resolves when the camera accepted it. */
  async absolute(position: PtzPosition): Promise<void> {
    if (!isUnit(position?.pan, -1, 1) || !isUnit(position?.tilt, -1, 1)) throw new DeviceError('invalid_argument', 'pan and tilt must be numbers in [-1, 1]');
    const zoom = position.zoom ?? 0;
    if (!isUnit(zoom, 0, 1)) throw new DeviceError('invalid_argument', 'zoom must be a number in [0, 1]');
    const token = this.tokenXml;
    await this.motion('AbsoluteMove', (cam) => cam.absoluteMove({ profileToken: token, x: round(position.pan), y: round(position.tilt), zoom: round(zoom) }));
    this.camera.patch({ preset: null, moving: true });
    this.startPolling();
  }

  /** RelativeMove by a translation in the generic spaces: dx, dy, dz in [-1, 1]. */
  async relative(dx: number, dy: number, dz = 0): Promise<void> {
    if (!isUnit(dx, -1, 1) || !isUnit(dy, -1, 1) || !isUnit(dz, -1, 1)) throw new DeviceError('invalid_argument', 'dx, dy and dz must be numbers in [-1, 1]');
    const token = this.tokenXml;
    await this.motion('RelativeMove', (cam) => cam.relativeMove({ profileToken: token, x: round(dx), y: round(dy), zoom: round(dz) }));
    this.camera.patch({ preset: null, moving: true });
    this.startPolling();
  }

  /** GotoPreset for our preset number (mapped to the camera's token). */
  async recallPreset(preset: number): Promise<void> {
    this.checkPreset(preset);
    let token = this.presetTokens.get(preset);
    if (token === undefined) {
      await this.readPresets(); // saved from the camera's own UI since we connected?
      token = this.presetTokens.get(preset);
    }
    if (token === undefined) throw new DeviceError('rejected', `Preset ${preset} is not stored on the camera (save it first)`);
    const profileToken = this.tokenXml;
    const t = token;
    try {
      await this.motion(`GotoPreset ${preset}`, (cam) => cam.gotoPreset({ profileToken, preset: xmlEscape(t) }));
    } catch (err) {
      // The preset was removed on the camera: forget our mapping so a save starts afresh.
      if (err instanceof DeviceError && err.code === 'rejected' && /token|preset/i.test(err.message)) this.presetTokens.delete(preset);
      throw err;
    }
    this.camera.patch({ preset, moving: true });
    this.startPolling();
  }

  /**
   * SetPreset at the current position. The camera names it "<name> #<n>" ("Preset #<n>" without a name), which
   * is how a later connect maps the camera's tokens back to our numbers; an existing token is overwritten.
   */
  async savePreset(preset: number, name?: string): Promise<void> {
    this.checkPreset(preset);
    if (name !== undefined && (typeof name !== 'string' || name.length > 64)) throw new DeviceError('invalid_argument', 'name must be a string of at most 64 characters');
    const presetName = xmlEscape(`${name?.trim() || 'Preset'} #${preset}`);
    const profileToken = this.tokenXml;
    const existing = this.presetTokens.get(preset);
    let reply: unknown;
    try {
      reply = await this.motion(`SetPreset ${preset}`, (cam) =>
        cam.setPreset({ profileToken, presetName, ...(existing !== undefined ? { presetToken: xmlEscape(existing) } : {}) }),
      );
    } catch (err) {
      if (existing === undefined || !(err instanceof DeviceError) || err.code !== 'rejected' || !/token/i.test(err.message)) throw err;
      // Our token no longer exists on the camera (removed in its UI): store a new one.
      this.presetTokens.delete(preset);
      reply = await this.motion(`SetPreset ${preset}`, (cam) => cam.setPreset({ profileToken, presetName }));
    }
    const token = findText(reply, 'presetToken') ?? existing;
    if (token === undefined) {
      this.tracker.noteError(`SetPreset ${preset}: no PresetToken in the reply`);
      throw new DeviceError('bad_reply', `Camera stored preset ${preset} but did not say under which token`);
    }
    this.presetTokens.set(preset, token);
  }

  /** ONVIF has no standard power or standby operation. */
  async power(_on: boolean): Promise<void> {
    throw new DeviceError('not_supported', 'ONVIF has no standard power/standby command; this camera cannot be switched on or to standby over ONVIF');
  }

  /** GetStatus: position and move status; updates state(). */
  async status(): Promise<OnvifPtzStatus> {
    const token = this.tokenXml;
    const s = await this.call('GetStatus', (cam) => cam.getStatus({ profileToken: token }));
    const ms = s?.moveStatus;
    const moveStatus =
      ms && typeof ms === 'object'
        ? { panTilt: str((ms as Raw).panTilt) || 'UNKNOWN', zoom: str((ms as Raw).zoom) || 'UNKNOWN' }
        : { panTilt: str(ms) || 'UNKNOWN', zoom: str(ms) || 'UNKNOWN' };
    const status: OnvifPtzStatus = {
      pan: numOrNull(s?.position?.x) ?? 0,
      tilt: numOrNull(s?.position?.y) ?? 0,
      zoom: numOrNull(s?.position?.zoom) ?? 0,
      moving: moveStatus.panTilt === 'MOVING' || moveStatus.zoom === 'MOVING',
      moveStatus,
      utcTime: s?.utcTime instanceof Date ? s.utcTime : null,
    };
    this.camera.patch({ pan: status.pan, tilt: status.tilt, zoom: status.zoom, moving: status.moving });
    return status;
  }

  /** Polls GetStatus until the camera reports IDLE on both axes; DeviceError('timeout') after timeoutMs. */
  async waitForIdle(timeoutMs = 10_000): Promise<OnvifPtzStatus> {
    const deadline = performance.now() + timeoutMs;
    const every = Math.max(50, this.connection.statusPollMs || 100);
    for (;;) {
      const s = await this.status();
      if (!s.moving) return s;
      if (performance.now() + every > deadline) throw new DeviceError('timeout', `Camera still moving after ${timeoutMs} ms`);
      await delay(every);
    }
  }

  /** GetStreamUri (RTSP, RTP unicast) of the controlled profile or of `profileToken`. */
  async streamUri(profileToken?: string): Promise<string> {
    const token = profileToken !== undefined ? xmlEscape(profileToken) : this.tokenXml;
    const r = await this.call('GetStreamUri', (cam) => cam.getStreamUri({ protocol: 'RTSP', stream: 'RTP-Unicast', profileToken: token }));
    return this.mediaUri(r, 'GetStreamUri');
  }

  /** GetSnapshotUri (HTTP JPEG) of the controlled profile or of `profileToken`. */
  async snapshotUri(profileToken?: string): Promise<string> {
    const token = profileToken !== undefined ? xmlEscape(profileToken) : this.tokenXml;
    const r = await this.call('GetSnapshotUri', (cam) => cam.getSnapshotUri({ profileToken: token }));
    return this.mediaUri(r, 'GetSnapshotUri');
  }

  /** GetProfiles, summarised. */
  async profiles(): Promise<OnvifProfile[]> {
    const list = await this.call('GetProfiles', (cam) => cam.getProfiles());
    return (Array.isArray(list) ? list : []).map(summariseProfile);
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  /** The controlled profile token, escaped for the client (which pastes arguments into its XML as they are). */
  private get tokenXml(): string {
    return xmlEscape(this.profileToken);
  }

  private checkPreset(preset: number): void {
    if (!Number.isInteger(preset) || preset < 0 || preset > MAX_PRESET) throw new DeviceError('invalid_argument', `preset must be an integer in 0..${MAX_PRESET}`);
  }

  private mediaUri(r: Raw | undefined, what: string): string {
    const uri = str(r?.uri);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      this.tracker.noteBadReply(`unusable reply: ${what}: no usable URI (${uri || 'empty'})`);
      throw new DeviceError('bad_reply', `Camera answered ${what} without a usable URI (${uri || 'empty'})`);
    }
    if (this.connection.preserveAddress && url.hostname !== this.connection.host && url.hostname !== `[${this.connection.host}]`) {
      url.hostname = this.connection.host.includes(':') ? `[${this.connection.host}]` : this.connection.host;
    }
    return url.toString();
  }

  /**
   * PTZ motion commands, one at a time in the order given. A coalescing job (move, stop) supersedes coalescing
   * jobs still waiting: those resolve false without being sent. Resolves with the reply, or false if superseded.
   */
  private motion<T>(what: string, fn: (cam: OnvifCam) => Promise<T>, coalesce = false): Promise<T | false> {
    if (coalesce) for (const j of this.motionQueue) if (j.coalesce) j.superseded = true;
    const job: MotionJob = { coalesce, superseded: false };
    this.motionQueue.push(job);
    const run = async (): Promise<T | false> => {
      this.motionQueue.splice(this.motionQueue.indexOf(job), 1);
      if (job.superseded) {
        if (this.lifecycle.stopped) throw this.lifecycle.stoppedError();
        return false;
      }
      return this.call(what, fn);
    };
    // Chained, not queued: a job starts a tick later at the earliest, so moves issued together coalesce.
    const p = this.motionTail.then(run, run);
    this.motionTail = p.catch(() => {});
    return p;
  }

  /** One operation on the connected camera, bounded, with the clock re-sync retry; errors become DeviceErrors. */
  private async call<T>(what: string, fn: (cam: OnvifCam) => Promise<T>): Promise<T> {
    const refusal = this.lifecycle.refusal();
    if (refusal) throw refusal;
    const cam = this.cam;
    if (!cam || this.tracker.status === 'offline') throw this.rejection ?? this.unreachable();
    try {
      const r = await this.withClockRetry(cam, what, () => fn(cam), this.connection.timeoutMs);
      this.tracker.recover();
      return r;
    } catch (err) {
      const e = this.toDeviceError(err, what);
      if (e.code === 'closed') throw e;
      this.tracker.noteError(e.message);
      if (this.cam === cam) {
        if (e.code === 'timeout' || e.code === 'unreachable') this.goOffline();
        else if (e.code === 'bad_reply') this.tracker.degrade();
        else if (authRejections.has(e)) {
          // Credentials changed on the camera, or its clock cannot be followed: nothing works until that is fixed.
          this.rejection = e;
          this.goOffline(true);
        }
      }
      throw e;
    }
  }

  /**
   * Runs `fn` (bounded). If the camera refuses it as not authorized, reads the camera clock again and retries
   * once; a second refusal becomes DeviceError('rejected') naming the clock or the credentials.
   */
  private async withClockRetry<T>(cam: OnvifCam, what: string, fn: () => Promise<T>, boundMs: number): Promise<T> {
    try {
      return await this.bounded(what, fn(), boundMs);
    } catch (err) {
      if (err instanceof DeviceError || !isAuthFailure(messageOf(err))) throw err;
      if (/Digest authentication failed/i.test(messageOf(err))) throw this.credentialsError(what, err); // Digest has no clock
      await this.resyncClock(cam);
      try {
        return await this.bounded(what, fn(), boundMs);
      } catch (err2) {
        if (err2 instanceof DeviceError || !isAuthFailure(messageOf(err2))) throw err2;
        if (TIME_RE.test(messageOf(err2))) {
          const offset = this.offsetOf(cam);
          const clockError = new DeviceError(
            'rejected',
            `camera clock check failed: ${this.where()} refused the WS-Security timestamp of ${what} even after its clock was read again ` +
              `(camera − box ${offset === null ? 'unknown' : `${(offset / 1000).toFixed(1)} s`}; camera said "${faultText(err2)}"). ` +
              'Its allowed clock window is smaller than the network delay, or it reports a different time than it checks against ' +
              '(time zone set as UTC?). Set camera and box to the same NTP server, or use HTTP Digest (useWSSecurity: false).',
          );
          authRejections.add(clockError);
          throw clockError;
        }
        throw this.credentialsError(what, err2);
      }
    }
  }

  private credentialsError(what: string, err: unknown): DeviceError {
    const e = new DeviceError(
      'rejected',
      `Camera ${this.where()} refused the username/password ("${this.connection.username}") for ${what}: ${faultText(err)}. ` +
        'Check the ONVIF user on the camera (on many cameras it is separate from the web user).',
    );
    authRejections.add(e);
    return e;
  }

  /** Reads GetSystemDateAndTime and sets the client's timeShift (one re-read at a time, shared by all callers). */
  private resyncClock(cam: OnvifCam): Promise<void> {
    if (!this.resyncing) {
      this.resyncing = (async () => {
        const time = await this.bounded('GetSystemDateAndTime', cam.getSystemDateAndTime(), this.connection.timeoutMs);
        this.setTimeShift(cam, time);
      })().finally(() => (this.resyncing = null));
    }
    return this.resyncing;
  }

  /**
   * The client sets timeShift = cameraTime − uptime once, from a reply with whole seconds (the true camera time
   * is up to 1 s later). We set it, centred by half a second, whenever we read the clock.
   */
  private setTimeShift(cam: OnvifCam, time: unknown): void {
    if (!(time instanceof Date) || !Number.isFinite(time.getTime())) return;
    Reflect.set(cam, 'timeShift', time.getTime() + 500 - process.uptime() * 1000);
    centred.add(cam);
  }

  private offsetOf(cam: OnvifCam): number | null {
    const shift = cam.timeShift;
    return typeof shift === 'number' ? Math.round(process.uptime() * 1000 + shift - Date.now()) : null;
  }

  /** Races the client's promise against our timer; stop() rejects it with 'closed'. */
  private bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (err: DeviceError) => {
        clearTimeout(timer);
        this.pending.delete(fail);
        reject(err);
      };
      const timer = setTimeout(() => fail(new DeviceError('timeout', `Camera ${this.where()} did not answer ${what} within ${ms} ms`)), ms);
      timer.unref();
      this.pending.add(fail);
      p.then(
        (v) => {
          clearTimeout(timer);
          this.pending.delete(fail);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          this.pending.delete(fail);
          reject(e);
        },
      );
    });
  }

  private toDeviceError(err: unknown, what: string): DeviceError {
    if (err instanceof DeviceError) return err;
    const msg = messageOf(err);
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return new DeviceError('unreachable', `Camera ${this.where()} unreachable during ${what}: ${code} (${msg})`);
    if (/socket hang up/i.test(msg)) return new DeviceError('unreachable', `Camera ${this.where()} closed the connection during ${what} (${msg})`);
    if (/^Network timeout$/i.test(msg)) return new DeviceError('timeout', `Camera ${this.where()} did not answer ${what} within ${this.connection.timeoutMs} ms`);
    if (isAuthFailure(msg)) return this.credentialsError(what, err);
    if (/Digest authentication headers not found/i.test(msg)) return new DeviceError('rejected', `Camera ${this.where()} demands an HTTP authentication other than Digest for ${what}`);
    if (/^ONVIF SOAP Fault/i.test(msg)) return new DeviceError('rejected', `Camera refused ${what}: ${faultText(err)}`);
    // "Wrong ONVIF SOAP response", an HTML page, or a reply the client could not walk (TypeError in its parser).
    return new DeviceError('bad_reply', `Camera sent an unusable answer to ${what}: ${msg}`);
  }

  // -------------------------------------------------------------------------------------------
  // Connect, offline and reconnect
  // -------------------------------------------------------------------------------------------

  private where(): string {
    return `${this.connection.host}:${this.connection.port}`;
  }

  private unreachable(): DeviceError {
    return new DeviceError('unreachable', `Camera ${this.where()} is offline (not answering); reconnecting in the background`);
  }

  /** One connection attempt (deduplicated); schedules the next one when it fails. */
  private async reconnect(): Promise<boolean> {
    if (!this.connecting) {
      this.connecting = this.attempt().finally(() => (this.connecting = null));
    }
    const ok = await this.connecting;
    if (!ok && !this.lifecycle.stopped) this.scheduleReconnect();
    return ok;
  }

  private async attempt(): Promise<boolean> {
    if (this.lifecycle.stopped || !this.agent) return false;
    const c = this.connection;
    const cam = new Cam({
      hostname: c.host,
      port: c.port,
      ...(c.username ? { username: c.username, password: c.password } : {}),
      path: c.path,
      timeout: c.timeoutMs,
      useWSSecurity: c.useWSSecurity,
      preserveAddress: c.preserveAddress,
      agent: this.agent,
    });
    cam.on('rawResponse', () => this.tracker.noteReply());
    try {
      // connect() is several requests in a row (four with Digest doubling each): bound it as a whole too.
      await this.withClockRetry(cam, 'connect', () => this.connectCam(cam), 4 * c.timeoutMs);
      if (this.lifecycle.stopped) return false;
      this.cam = cam;
      this.rejection = null;
      this.backoff.reset();
      this.tracker.set('online');
      await Promise.allSettled([this.readDeviceInformation(), ...(this.hasPtz ? [this.readPresets(), this.status()] : [])]);
      this.scheduleKeepalive();
      return this.tracker.status !== 'offline';
    } catch (err) {
      if (this.lifecycle.stopped) return false;
      const e = this.toDeviceError(err, 'connect');
      this.tracker.noteError(e.message);
      this.rejection = e.code === 'rejected' ? e : null;
      this.tracker.set('offline');
      return false;
    }
  }

  /** cam.connect() plus the checks the client skips: it "connects" even when every media request was refused. */
  private async connectCam(cam: OnvifCam): Promise<void> {
    const warnings: string[] = [];
    const onWarning = (w: unknown) => warnings.push(messageOf(w));
    cam.on('warning', onWarning);
    try {
      await cam.connect();
    } finally {
      cam.removeListener('warning', onWarning);
    }
    if (typeof cam.timeShift === 'number' && !centred.has(cam)) {
      Reflect.set(cam, 'timeShift', cam.timeShift + 500); // centred, see setTimeShift
      centred.add(cam);
    }
    const source = cam.activeSource;
    if (!source?.profileToken) {
      throw new Error(warnings[0] ?? 'The camera offers no media profile for its video source (GetProfiles / GetVideoSources)');
    }
    const wanted = this.connection.profileToken || source.profileToken;
    const profile = (cam.profiles ?? []).find((p) => str(p?.$?.token) === wanted);
    if (!profile) throw new DeviceError('invalid_argument', `Camera ${this.where()} has no media profile "${wanted}"`);
    this.profileToken = wanted;
    this.hasPtz = profile.PTZConfiguration !== undefined;
  }

  private async readDeviceInformation(): Promise<void> {
    const d = await this.call('GetDeviceInformation', (cam) => cam.getDeviceInformation());
    this.info = {
      manufacturer: str(d?.manufacturer),
      model: str(d?.model),
      firmwareVersion: str(d?.firmwareVersion),
      serialNumber: str(d?.serialNumber),
      hardwareId: str(d?.hardwareId),
    };
  }

  /**
   * GetPresets, and the mapping of our numbers to the camera's tokens: names ending in "#<n>" (saved by us),
   * then numeric tokens (Hikvision and others number presets 1..N), then tokens we stored this session.
   */
  async readPresets(): Promise<Record<number, string>> {
    const token = this.tokenXml;
    let byToken: Record<string, Raw> = {};
    await this.call('GetPresets', async (cam) => {
      await cam.getPresets({ profileToken: token });
      byToken = cam.presets ?? {};
    });
    const map = new Map<number, string>();
    const used = new Set<string>();
    const claim = (n: number, t: string) => {
      if (n > MAX_PRESET || map.has(n) || used.has(t)) return;
      map.set(n, t);
      used.add(t);
    };
    for (const [t, p] of Object.entries(byToken)) {
      const m = PRESET_NAME_RE.exec(str(p?.name).trim());
      if (m) claim(Number(m[1]), t);
    }
    for (const t of Object.keys(byToken)) if (/^\d{1,3}$/.test(t)) claim(Number(t), t);
    for (const [n, t] of this.presetTokens) if (t in byToken) claim(n, t);
    this.presetTokens = map;
    return this.presetMap();
  }

  private goOffline(authProblem = false): void {
    if (this.lifecycle.stopped) return;
    this.cam = null;
    this.stopPolling();
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.tracker.set('offline');
    if (!this.connecting) this.scheduleReconnect(authProblem);
  }

  private scheduleReconnect(authProblem = this.rejection !== null): void {
    if (this.lifecycle.stopped) return;
    // Refused credentials: retry slowly (many cameras lock the account after a few failures).
    this.backoff.schedule(() => void this.reconnect(), authProblem ? this.connection.reconnectMaxMs : undefined);
  }

  private scheduleKeepalive(): void {
    if (this.lifecycle.stopped || !this.connection.keepaliveMs || this.keepaliveTimer) return;
    this.keepaliveTimer = setTimeout(async () => {
      this.keepaliveTimer = null;
      const cam = this.cam;
      if (!cam || this.tracker.status === 'offline') return;
      try {
        const time = await this.call('GetSystemDateAndTime', (c) => c.getSystemDateAndTime());
        // Follow a camera clock that drifted or jumped (NTP after boot), before it starts refusing requests.
        const drift = time instanceof Date && typeof cam.timeShift === 'number' ? time.getTime() + 500 - process.uptime() * 1000 - cam.timeShift : 0;
        if (Math.abs(drift) > 1500) this.setTimeShift(cam, time);
      } catch {
        /* call() marked it offline */
      }
      this.scheduleKeepalive();
    }, this.connection.keepaliveMs);
    this.keepaliveTimer.unref();
  }

  /** GetStatus every statusPollMs while the camera moves (bounded), so state() follows it. */
  private startPolling(): void {
    if (!this.connection.statusPollMs || this.lifecycle.stopped) return;
    this.pollUntil = performance.now() + this.connection.moveTimeoutMs + 5000;
    if (this.pollTimer) return;
    const tick = async () => {
      this.pollTimer = null;
      if (this.lifecycle.stopped || !this.cam) return;
      let moving = true;
      try {
        moving = (await this.status()).moving;
      } catch {
        return; // offline or refused: no point polling
      }
      if (moving && performance.now() < this.pollUntil && !this.lifecycle.stopped && !this.pollTimer) {
        this.pollTimer = setTimeout(() => void tick(), this.connection.statusPollMs);
        this.pollTimer.unref();
      }
    };
    this.pollTimer = setTimeout(() => void tick(), Math.min(50, this.connection.statusPollMs));
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map(messageOf).join('; ');
  return String(err);
}

function isAuthFailure(message: string): boolean {
  return AUTH_RE.test(message);
}

/** The camera's own words from an "ONVIF SOAP Fault: …" error. */
function faultText(err: unknown): string {
  return messageOf(err).replace(/^ONVIF SOAP Fault:\s*/i, '');
}

/** The first text under a key anywhere in an xml2js / linerase tree (e.g. presetToken in a SetPreset reply). */
function findText(node: unknown, key: string, depth = 0): string | undefined {
  if (depth > 8 || node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const f = findText(n, key, depth + 1);
      if (f !== undefined) return f;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(node as Raw)) {
    if (k.toLowerCase() === key.toLowerCase()) {
      const first = Array.isArray(v) ? v[0] : v;
      const s = str(first).trim();
      if (s) return s;
    }
  }
  for (const [k, v] of Object.entries(node as Raw)) {
    if (k === '$') continue;
    const f = findText(v, key, depth + 1);
    if (f !== undefined) return f;
  }
  return undefined;
}

function summariseProfile(p: Raw): OnvifProfile {
  const enc = p?.videoEncoderConfiguration;
  return {
    token: str(p?.$?.token),
    name: str(p?.name),
    encoding: enc?.encoding !== undefined ? str(enc.encoding) : null,
    width: numOrNull(enc?.resolution?.width),
    height: numOrNull(enc?.resolution?.height),
    fps: numOrNull(enc?.rateControl?.frameRateLimit),
    ptz: p?.PTZConfiguration !== undefined,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
