// An ONVIF PTZ camera on real HTTP (SOAP 1.2) and UDP, faithful to protocols.md §2 and §7: the device, media and
// PTZ services the npm `onvif` 0.8.x client calls during connect() and for PTZ, WS-UsernameToken (PasswordDigest,
// Created checked against the camera's own, possibly skewed, clock) or HTTP Digest only, WS-Discovery ProbeMatch,
// and an RTSP/H.264 stream (ffmpeg encodes RTP, this file serves RTSP to the client).
//
// Responses copy the XML shape real cameras send and the client parses (lib/cam.js, media.js, ptz.js):
// tds:/trt:/tptz: elements, tt: schema types, token attributes, SOAP 1.2 faults with ter: subcodes.
// Test hooks (setReplyDelay, resetNext, garbageNext, faultNext, stop()/start() on the same port, clockSkewSeconds) inject
// the faults a real network and camera produce.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { Listener } from './listener.js';

const require = createRequire(import.meta.url);
// xml2js is the XML parser the `onvif` package itself depends on (no extra dependency).
const xml2js = require('xml2js') as {
  parseStringPromise(xml: string, opts: Record<string, unknown>): Promise<Record<string, unknown>>;
  processors: { stripPrefix(name: string): string };
};

export type OnvifAuthMode = 'wsse' | 'digest' | 'none';

export interface OnvifSimulatorOptions {
  /** HTTP port; 0 = ephemeral (default). */
  port?: number;
  host?: string; // default 127.0.0.1
  username?: string; // default 'admin'
  password?: string; // default 'admin'
  /** 'wsse': WS-UsernameToken in the SOAP header; 'digest': HTTP Digest only (401 challenge); 'none'. Default 'wsse'. */
  authMode?: OnvifAuthMode;
  /** The camera's clock runs this many seconds ahead of the host's (negative: behind). */
  clockSkewSeconds?: number;
  /** A WS-Security Created outside ±this window of the camera clock is refused (NotAuthorized). Default 10 (Axis). */
  maxSkewSeconds?: number;
  /**
   * GetSystemDateAndTime answers this many seconds off the clock the Created check uses (a camera reporting
   * local time as UTC, or an NTP jump between the two): the client's timeShift can never be right. Default 0.
   */
  reportedTimeOffsetSeconds?: number;
  /** Travel time of AbsoluteMove, RelativeMove, GotoPreset and GotoHomePosition. Default 500. */
  moveTimeMs?: number;
  /** PTZ timeout of a ContinuousMove without <Timeout> (tt:DefaultPTZTimeout). Default 10000. */
  defaultPtzTimeoutMs?: number;
  /** Serve an RTSP H.264 stream (ffmpeg testsrc2 320x240@10) at the GetStreamUri address. Default false. */
  rtsp?: boolean;
  /** RTSP TCP port when rtsp is on; 0 = ephemeral, kept across stop()/start(). */
  rtspPort?: number;
  /** Answer WS-Discovery Probes on this UDP port (0 = ephemeral). Undefined: no discovery. 3702 also joins 239.255.255.250. */
  discoveryPort?: number;
  /** Host put into XAddrs and media URIs (default: host). A private address here imitates a camera behind NAT. */
  advertisedHost?: string;
  /** Answer GetServices (modern cameras). false: ActionNotSupported, so the client falls back to GetCapabilities. */
  services?: boolean;
  /** Device name in the discovery scopes and GetDeviceInformation. */
  name?: string;
  /** Endpoint reference (WS-Discovery Address), stable across restarts. */
  urn?: string;
  /** Maximum number of presets (tt:MaximumNumberOfPresets); SetPreset beyond it faults. Default 128. */
  maxPresets?: number;
}

export interface OnvifSimRequest {
  /** Local name of the first element in the SOAP Body (e.g. 'ContinuousMove'), or 'GET' for the snapshot. */
  action: string;
  path: string;
  time: number; // performance.now()
  /** The SOAP request body as received. */
  body: string;
  /** How the request authenticated: 'wsse', 'digest', 'pre-auth' (no credentials needed), or 'refused'. */
  auth: 'wsse' | 'digest' | 'pre-auth' | 'none' | 'refused';
  /** HTTP status of the reply, or null when the connection was reset instead. */
  status: number | null;
}

export interface OnvifSimPreset {
  token: string;
  name: string;
  pan: number;
  tilt: number;
  zoom: number;
}

export interface OnvifSimState {
  pan: number;
  tilt: number;
  zoom: number;
  moving: boolean;
  panTiltMoving: boolean;
  zoomMoving: boolean;
  presets: OnvifSimPreset[];
  /** Unix ms of the camera clock (host clock + skew). */
  clock: number;
}

export interface OnvifSimulatorEvents {
  /** A SOAP request arrived (before it is answered). */
  request: [OnvifSimRequest];
  /** A SOAP request was answered (or reset). */
  reply: [OnvifSimRequest];
  /** A WS-Discovery Probe arrived. */
  probe: [{ address: string; port: number; messageId: string }];
}

export const ONVIF_SIM_PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  ptz: '/onvif/ptz_service',
  snapshot: '/onvif/snapshot.jpg',
} as const;

type Service = 'device' | 'media' | 'ptz';
type Axis = 'pan' | 'tilt' | 'zoom';
interface AxisMotion {
  base: number;
  since: number;
  velocity: number; // units per ms
  target: number | null; // travels stop here; continuous moves at the range limit
}
interface SoapFault {
  httpStatus: number;
  code: 'env:Sender' | 'env:Receiver';
  subcodes: string[];
  reason: string;
}
type XNode = { $?: Record<string, string>; _?: string } & { [k: string]: unknown };

const NS =
  'xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:ter="http://www.onvif.org/ver10/error"';
const SPACE = {
  position: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace',
  zoomPosition: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace',
  translation: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace',
  zoomTranslation: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace',
  velocity: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace',
  zoomVelocity: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace',
  speed: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace',
  zoomSpeed: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace',
};
/** ONVIF Core §5.9.4 access class PRE_AUTH: these work without credentials. */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetServiceCapabilities', 'GetHostname', 'GetWsdlUrl', 'GetEndpointReference']);
const SERVICE_OF: Record<string, Service> = {
  GetSystemDateAndTime: 'device',
  GetCapabilities: 'device',
  GetServices: 'device',
  GetDeviceInformation: 'device',
  GetHostname: 'device',
  GetScopes: 'device',
  GetProfiles: 'media',
  GetProfile: 'media',
  GetVideoSources: 'media',
  GetStreamUri: 'media',
  GetSnapshotUri: 'media',
  GetNodes: 'ptz',
  GetConfigurations: 'ptz',
  GetStatus: 'ptz',
  ContinuousMove: 'ptz',
  AbsoluteMove: 'ptz',
  RelativeMove: 'ptz',
  Stop: 'ptz',
  GetPresets: 'ptz',
  SetPreset: 'ptz',
  GotoPreset: 'ptz',
  RemovePreset: 'ptz',
  GotoHomePosition: 'ptz',
  SetHomePosition: 'ptz',
};
const REALM = 'diemcau-onvif-sim';
const DIGEST_NONCE_TTL_MS = 60_000;
const LOG_LIMIT = 10_000;
// Full range at top speed: pan (−1 → 1) in 4 s, tilt in 3 s, zoom (0 → 1) in 3 s.
const PAN_FULL_MS = 4000;
const TILT_FULL_MS = 3000;
const ZOOM_FULL_MS = 3000;
const VIDEO = { width: 320, height: 240, fps: 10 };
const SUB_VIDEO = { width: 160, height: 120, fps: 5 };
// A 16×12 JPEG (ffmpeg color source), what GET snapshot answers.
const SNAPSHOT_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABMAAEBAAAAAAAAAAAAAAAAAAAABgEBAQAAAAAAAAAAAAAAAAAABQYQAQAAAAAAAAAAAAAAAAAAAAARAQAAAAAAAAAAAAAAAAAAAAD/wAARCAAMABADASIAAhEAAxEA/9oADAMBAAIRAxEAPwCbAUQF/9k=',
  'base64',
);

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => String(Number(v.toFixed(6)));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function child(node: unknown, name: string): XNode | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const list = (node as Record<string, unknown>)[name];
  return Array.isArray(list) ? (list[0] as XNode) : undefined;
}
function text(node: unknown): string {
  if (typeof node === 'string') return node.trim();
  if (node && typeof node === 'object' && typeof (node as XNode)._ === 'string') return (node as XNode)._!.trim();
  return '';
}
function attr(node: XNode | undefined, name: string): string | undefined {
  return node?.$?.[name];
}

/** xs:duration as used for PTZ timeouts: PT10S, PT0.5S, PT1M30S. */
function parseDuration(s: string): number | null {
  const m = /^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim() === 'P' || s.trim() === 'PT') return null;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

const fault = (subcodes: string[], reason: string, code: SoapFault['code'] = 'env:Sender'): SoapFault => ({
  httpStatus: code === 'env:Sender' ? 400 : 500,
  code,
  subcodes,
  reason,
});
const NOT_AUTHORIZED = 'Sender not Authorized';
const TIME_CHECK_FAILED = 'Wsse authorized time check failed';

export class OnvifSimulator extends EventEmitter<OnvifSimulatorEvents> {
  /** Every SOAP request (most recent LOG_LIMIT). */
  readonly requests: OnvifSimRequest[] = [];
  /** Every WS-Discovery Probe answered. */
  readonly probes: { address: string; port: number; messageId: string }[] = [];
  clockSkewSeconds: number;
  maxSkewSeconds: number;
  reportedTimeOffsetSeconds: number;
  moveTimeMs: number;
  authMode: OnvifAuthMode;
  username: string;
  password: string;
  readonly urn: string;
  readonly name: string;

  private readonly host: string;
  private readonly listener: Listener<http.Server>;
  private readonly advertisedHost: string;
  private readonly defaultPtzTimeoutMs: number;
  private readonly servicesEnabled: boolean;
  private readonly maxPresets: number;
  private discovery: dgram.Socket | null = null;
  private discoveryPort: number | undefined;
  private readonly rtsp: RtspTestServer | null;
  private readonly axes: Record<Axis, AxisMotion>;
  private continuousTimer: NodeJS.Timeout | null = null;
  private readonly presets = new Map<string, OnvifSimPreset>();
  private nextPresetToken = 1;
  private home = { pan: 0, tilt: 0, zoom: 0 };
  private readonly digestNonces = new Map<string, number>();
  private readonly seenNonces = new Map<string, number>(); // WS-Security nonce → expiry (replay protection)
  private replyDelay: { ms: number; action?: string } | null = null;
  private resets: { count: number; action?: string }[] = [];
  private garbage: { count: number; action?: string }[] = [];
  private faults: { action: string; fault: SoapFault }[] = [];
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(opts: OnvifSimulatorOptions = {}) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.listener = new Listener(this.host, opts.port ?? 0, () => {
      const server = http.createServer((req, res) => void this.onHttp(req, res));
      server.keepAliveTimeout = 1000;
      return server;
    });
    this.username = opts.username ?? 'admin';
    this.password = opts.password ?? 'admin';
    this.authMode = opts.authMode ?? 'wsse';
    this.clockSkewSeconds = opts.clockSkewSeconds ?? 0;
    this.maxSkewSeconds = opts.maxSkewSeconds ?? 10;
    this.reportedTimeOffsetSeconds = opts.reportedTimeOffsetSeconds ?? 0;
    this.moveTimeMs = opts.moveTimeMs ?? 500;
    this.defaultPtzTimeoutMs = opts.defaultPtzTimeoutMs ?? 10_000;
    this.discoveryPort = opts.discoveryPort;
    this.advertisedHost = opts.advertisedHost ?? this.host;
    this.servicesEnabled = opts.services ?? true;
    this.maxPresets = opts.maxPresets ?? 128;
    this.name = opts.name ?? 'diemcau ONVIF simulator';
    this.urn = opts.urn ?? `urn:uuid:${crypto.randomUUID()}`;
    this.rtsp = opts.rtsp ? new RtspTestServer(this.host, opts.rtspPort ?? 0) : null;
    const now = performance.now();
    const still = (): AxisMotion => ({ base: 0, since: now, velocity: 0, target: null });
    this.axes = { pan: still(), tilt: still(), zoom: still() };
  }

  /** Listens (HTTP, and UDP discovery / RTSP when configured). After stop(), start() reuses the same ports. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.listener.server) return this.listener.address!;
    const where = await this.listener.start();
    if (this.discoveryPort !== undefined) await this.startDiscovery(this.discoveryPort);
    if (this.rtsp) await this.rtsp.start();
    return where;
  }

  /** Closes every socket at once, like a camera losing power: requests in flight see their connection reset. */
  async stop(): Promise<void> {
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    this.settleAll();
    const server = this.listener.server;
    const closed = this.listener.stop();
    server?.closeAllConnections();
    await closed;
    const disc = this.discovery;
    this.discovery = null;
    if (disc) await new Promise<void>((resolve) => disc.close(() => resolve()));
    if (this.rtsp) await this.rtsp.stop();
  }

  get address(): { host: string; port: number } | null {
    return this.listener.address;
  }
  /** Where the WS-Discovery responder listens (null when discovery is off or stopped). */
  get discoveryAddress(): { host: string; port: number } | null {
    return this.discovery && this.discoveryPort !== undefined ? { host: this.host, port: this.discoveryPort } : null;
  }
  /** The RTSP URI GetStreamUri hands out for the main profile (null when rtsp is off). */
  get rtspUri(): string | null {
    return this.rtsp ? `rtsp://${this.advertisedHost}:${this.rtsp.port}/stream` : null;
  }
  get deviceServiceUrl(): string {
    return `http://${this.advertisedHost}:${this.listener.port}${ONVIF_SIM_PATHS.device}`;
  }

  get state(): OnvifSimState {
    const now = performance.now();
    const ptMoving = this.isMoving('pan', now) || this.isMoving('tilt', now);
    const zMoving = this.isMoving('zoom', now);
    return {
      pan: this.valueAt('pan', now),
      tilt: this.valueAt('tilt', now),
      zoom: this.valueAt('zoom', now),
      moving: ptMoving || zMoving,
      panTiltMoving: ptMoving,
      zoomMoving: zMoving,
      presets: [...this.presets.values()].map((p) => ({ ...p })),
      clock: this.cameraNow(),
    };
  }

  /** Puts the camera somewhere (tests), stopping any motion. */
  setPosition(p: Partial<{ pan: number; tilt: number; zoom: number }>): void {
    const now = performance.now();
    this.clearContinuous();
    for (const axis of ['pan', 'tilt', 'zoom'] as Axis[]) {
      this.axes[axis] = { base: this.clampAxis(axis, p[axis] ?? this.valueAt(axis, now)), since: now, velocity: 0, target: null };
    }
  }

  /** Stores a preset directly, as if made in the camera's web UI (tests). */
  addPreset(p: { token: string; name: string; pan?: number; tilt?: number; zoom?: number }): void {
    this.presets.set(p.token, { token: p.token, name: p.name, pan: p.pan ?? 0, tilt: p.tilt ?? 0, zoom: p.zoom ?? 0 });
  }

  /** Delays every reply (or only replies to `action`) by ms; 0 clears. */
  setReplyDelay(ms: number, action?: string): void {
    this.replyDelay = ms > 0 ? { ms, action } : null;
  }
  /** The next n requests (optionally: only `action`) get their TCP connection reset instead of an answer. */
  resetNext(n = 1, action?: string): void {
    this.resets.push({ count: n, action });
  }
  /** The next n requests (optionally: only `action`) get HTTP 200 with an HTML page instead of SOAP (a confused camera). */
  garbageNext(n = 1, action?: string): void {
    this.garbage.push({ count: n, action });
  }
  /** The next `action` request is answered with this SOAP fault (e.g. ['ter:InvalidArgVal', 'ter:NoToken']). */
  faultNext(action: string, subcodes: string[], reason: string, code: 'env:Sender' | 'env:Receiver' = 'env:Sender'): void {
    this.faults.push({ action, fault: fault(subcodes, reason, code) });
  }
  clearLog(): void {
    this.requests.length = 0;
    this.probes.length = 0;
  }
  /** The actions received, in order (a compact view of `requests`). */
  actions(): string[] {
    return this.requests.map((r) => r.action);
  }

  // -------------------------------------------------------------------------------------------
  // HTTP
  // -------------------------------------------------------------------------------------------

  private cameraNow(): number {
    return Date.now() + this.clockSkewSeconds * 1000;
  }

  private async onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let body: string;
    try {
      body = await readBody(req, 1 << 20);
    } catch {
      req.socket.destroy();
      return;
    }
    if (req.method === 'GET' && path === ONVIF_SIM_PATHS.snapshot) {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': SNAPSHOT_JPEG.length });
      res.end(SNAPSHOT_JPEG);
      return;
    }
    const service = (Object.keys(ONVIF_SIM_PATHS) as (keyof typeof ONVIF_SIM_PATHS)[]).find((k) => ONVIF_SIM_PATHS[k] === path);
    if (!service || service === 'snapshot') {
      this.sendPlain(res, 404, 'Not Found');
      return;
    }
    if (req.method !== 'POST') {
      this.sendPlain(res, 405, 'Method Not Allowed');
      return;
    }

    const envelope = await parseEnvelope(body);
    const bodyNode = child(envelope, 'Body');
    const action = bodyNode ? Object.keys(bodyNode).find((k) => k !== '$' && k !== '_') : undefined;
    const entry: OnvifSimRequest = { action: action ?? '(unparsable)', path, time: performance.now(), body, auth: 'none', status: null };
    this.log(entry);
    this.emit('request', entry);

    const reset = this.resets.find((r) => r.action === undefined || r.action === entry.action);
    if (reset) {
      if (--reset.count <= 0) this.resets.splice(this.resets.indexOf(reset), 1);
      this.emit('reply', entry);
      req.socket.destroy(); // the client sees ECONNRESET / socket hang up
      return;
    }

    const respond = (status: number, headers: Record<string, string>, payload: string) => {
      entry.status = status;
      this.later(entry.action, () => {
        if (res.destroyed) return;
        res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(payload)) });
        res.end(payload);
        this.emit('reply', entry);
      });
    };
    const soap = (inner: string) => respond(200, { 'Content-Type': 'application/soap+xml; charset=utf-8' }, envelopeXml(inner));
    const soapFault = (f: SoapFault) => respond(f.httpStatus, { 'Content-Type': 'application/soap+xml; charset=utf-8' }, envelopeXml(faultXml(f)));

    const junk = this.garbage.find((g) => g.action === undefined || g.action === entry.action);
    if (junk) {
      if (--junk.count <= 0) this.garbage.splice(this.garbage.indexOf(junk), 1);
      respond(200, { 'Content-Type': 'text/html' }, '<html><body><h1>Welcome</h1><p>Please log in.</p></body></html>');
      return;
    }

    if (!envelope || !bodyNode || !action) {
      soapFault(fault(['ter:WellFormed'], 'The SOAP request is not well formed'));
      return;
    }

    // Authentication first, as a camera does, whatever the action.
    const auth = this.authenticate(req, envelope, action, path);
    if (auth.kind === 'challenge') {
      entry.auth = 'refused';
      respond(
        401,
        { 'Content-Type': 'text/html', 'WWW-Authenticate': `Digest realm="${REALM}", qop="auth", nonce="${this.newDigestNonce()}", algorithm=MD5, stale="FALSE"` },
        '<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body><h2>Access Error: 401 -- Unauthorized</h2></body></html>',
      );
      return;
    }
    if (auth.kind === 'fault') {
      entry.auth = 'refused';
      soapFault(auth.fault);
      return;
    }
    entry.auth = auth.kind;

    const expected = SERVICE_OF[action];
    if (!expected || expected !== service) {
      soapFault(fault(['ter:ActionNotSupported'], `${action} is not supported by the ${service} service`, 'env:Receiver'));
      return;
    }
    const injected = this.faults.find((f) => f.action === action);
    if (injected) {
      this.faults.splice(this.faults.indexOf(injected), 1);
      soapFault(injected.fault);
      return;
    }
    const op = child(bodyNode, action) ?? ({} as XNode);
    let result: string | SoapFault;
    try {
      result = this.execute(action, op);
    } catch (err) {
      result = fault(['ter:Action'], `internal error: ${(err as Error).message}`, 'env:Receiver');
    }
    if (typeof result === 'string') soap(result);
    else soapFault(result);
  }

  private later(action: string, fn: () => void): void {
    const d = this.replyDelay;
    if (!d || (d.action !== undefined && d.action !== action)) return fn();
    const t = setTimeout(() => {
      this.pendingTimers.delete(t);
      fn();
    }, d.ms);
    this.pendingTimers.add(t);
  }

  private sendPlain(res: http.ServerResponse, status: number, msg: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(msg);
  }

  private log(entry: OnvifSimRequest): void {
    this.requests.push(entry);
    if (this.requests.length > LOG_LIMIT) this.requests.splice(0, this.requests.length - LOG_LIMIT);
  }

  // -------------------------------------------------------------------------------------------
  // Authentication
  // -------------------------------------------------------------------------------------------

  private authenticate(
    req: http.IncomingMessage,
    envelope: XNode,
    action: string,
    path: string,
  ): { kind: 'wsse' | 'digest' | 'pre-auth' | 'none' } | { kind: 'challenge' } | { kind: 'fault'; fault: SoapFault } {
    if (this.authMode === 'none') return { kind: 'none' };
    if (PRE_AUTH.has(action)) return { kind: 'pre-auth' };
    if (this.authMode === 'digest') {
      const header = req.headers.authorization;
      if (!header || !this.checkDigest(header, req.method ?? 'POST', req.url ?? path)) return { kind: 'challenge' };
      return { kind: 'digest' };
    }
    // WS-UsernameToken (ONVIF Core §5.12.2): PasswordDigest = Base64(SHA1(nonce + Created + password)).
    const token = child(child(child(envelope, 'Header'), 'Security'), 'UsernameToken');
    if (!token) return { kind: 'fault', fault: fault(['ter:FailedAuthentication'], NOT_AUTHORIZED) };
    const username = text(child(token, 'Username'));
    const passwordNode = child(token, 'Password');
    const password = text(passwordNode);
    const type = attr(passwordNode, 'Type') ?? '';
    const nonceB64 = text(child(token, 'Nonce'));
    const created = text(child(token, 'Created'));
    let ok = username === this.username;
    if (ok) {
      if (type.endsWith('#PasswordText')) ok = password === this.password;
      else {
        const expected = crypto
          .createHash('sha1')
          .update(Buffer.concat([Buffer.from(nonceB64, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(this.password, 'utf8')]))
          .digest('base64');
        ok = expected === password;
      }
    }
    if (!ok) return { kind: 'fault', fault: fault(['ter:FailedAuthentication'], NOT_AUTHORIZED) };
    const createdAt = Date.parse(created);
    const windowMs = this.maxSkewSeconds * 1000;
    // An interval of zero width admits nothing: maxSkewSeconds 0 is "no clock can be close enough".
    if (!Number.isFinite(createdAt) || Math.abs(createdAt - this.cameraNow()) >= windowMs) {
      return { kind: 'fault', fault: fault(['ter:NotAuthorized'], TIME_CHECK_FAILED) };
    }
    // Replay protection (Axis): a nonce is good once within the window.
    const now = Date.now();
    for (const [n, exp] of this.seenNonces) if (exp < now) this.seenNonces.delete(n);
    if (nonceB64 && this.seenNonces.has(nonceB64)) return { kind: 'fault', fault: fault(['ter:NotAuthorized'], `${NOT_AUTHORIZED} (nonce replayed)`) };
    if (nonceB64) this.seenNonces.set(nonceB64, now + 2 * windowMs + 1000);
    return { kind: 'wsse' };
  }

  private newDigestNonce(): string {
    const nonce = crypto.randomBytes(16).toString('hex');
    const now = Date.now();
    for (const [n, exp] of this.digestNonces) if (exp < now) this.digestNonces.delete(n);
    this.digestNonces.set(nonce, now + DIGEST_NONCE_TTL_MS);
    return nonce;
  }

  /** RFC 2617 Digest with qop=auth (MD5), as the client sends it since onvif 0.8.0. */
  private checkDigest(header: string, method: string, uri: string): boolean {
    if (!/^Digest\s/i.test(header)) return false;
    const p: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[m[1].toLowerCase()] = m[2] ?? m[3] ?? '';
    const exp = this.digestNonces.get(p.nonce ?? '');
    if (!exp || exp < Date.now()) return false;
    if (p.username !== this.username || p.realm !== REALM || p.uri !== uri) return false;
    if ((p.algorithm ?? 'MD5').toUpperCase() !== 'MD5') return false;
    const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${this.username}:${REALM}:${this.password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = p.qop === 'auth' ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
    return expected === p.response;
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private execute(action: string, op: XNode): string | SoapFault {
    const profileToken = text(child(op, 'ProfileToken'));
    switch (action) {
      case 'GetSystemDateAndTime':
        return this.systemDateAndTime();
      case 'GetCapabilities':
        return this.capabilities();
      case 'GetServices':
        if (!this.servicesEnabled) return fault(['ter:ActionNotSupported'], 'Optional Action Not Implemented', 'env:Receiver');
        return this.servicesXml(text(child(op, 'IncludeCapability')) === 'true');
      case 'GetDeviceInformation':
        return (
          '<tds:GetDeviceInformationResponse><tds:Manufacturer>diemcau</tds:Manufacturer>' +
          `<tds:Model>${xmlEscape(this.name)}</tds:Model><tds:FirmwareVersion>1.0.0</tds:FirmwareVersion>` +
          `<tds:SerialNumber>SIM-${this.urn.slice(-12)}</tds:SerialNumber><tds:HardwareId>ONVIF-SIM</tds:HardwareId></tds:GetDeviceInformationResponse>`
        );
      case 'GetHostname':
        return '<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>onvif-sim</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>';
      case 'GetScopes':
        return `<tds:GetScopesResponse>${this.scopes()
          .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${xmlEscape(s)}</tt:ScopeItem></tds:Scopes>`)
          .join('')}</tds:GetScopesResponse>`;
      case 'GetVideoSources':
        return (
          '<trt:GetVideoSourcesResponse><trt:VideoSources token="VideoSource_1">' +
          `<tt:Framerate>${VIDEO.fps}</tt:Framerate><tt:Resolution><tt:Width>${VIDEO.width}</tt:Width><tt:Height>${VIDEO.height}</tt:Height></tt:Resolution>` +
          '</trt:VideoSources></trt:GetVideoSourcesResponse>'
        );
      case 'GetProfiles':
        return `<trt:GetProfilesResponse>${this.profileXml('Profiles', 1)}${this.profileXml('Profiles', 2)}</trt:GetProfilesResponse>`;
      case 'GetProfile': {
        const n = profileNumber(profileToken);
        if (!n) return noProfile(profileToken);
        return `<trt:GetProfileResponse>${this.profileXml('Profile', n)}</trt:GetProfileResponse>`;
      }
      case 'GetStreamUri': {
        const n = profileNumber(profileToken);
        if (!n) return noProfile(profileToken);
        const setup = child(op, 'StreamSetup');
        const protocol = text(child(child(setup, 'Transport'), 'Protocol')) || 'RTSP';
        const stream = text(child(setup, 'Stream')) || 'RTP-Unicast';
        if (stream !== 'RTP-Unicast') return fault(['ter:InvalidArgVal', 'ter:InvalidStreamSetup'], `Stream type ${stream} is not supported`);
        if (!['RTSP', 'UDP', 'TCP', 'HTTP'].includes(protocol)) return fault(['ter:InvalidArgVal', 'ter:InvalidStreamSetup'], `Transport ${protocol} is not supported`);
        const rtspPort = this.rtsp?.port ?? 554;
        const uri = `rtsp://${this.advertisedHost}:${rtspPort}/${n === 1 ? 'stream' : 'sub'}`;
        return `<trt:GetStreamUriResponse>${mediaUri(uri)}</trt:GetStreamUriResponse>`;
      }
      case 'GetSnapshotUri': {
        if (!profileNumber(profileToken)) return noProfile(profileToken);
        return `<trt:GetSnapshotUriResponse>${mediaUri(`http://${this.advertisedHost}:${this.listener.port}${ONVIF_SIM_PATHS.snapshot}`)}</trt:GetSnapshotUriResponse>`;
      }
      case 'GetNodes':
        return `<tptz:GetNodesResponse>${this.nodeXml()}</tptz:GetNodesResponse>`;
      case 'GetConfigurations':
        return `<tptz:GetConfigurationsResponse>${this.ptzConfigurationXml('tptz:PTZConfiguration')}</tptz:GetConfigurationsResponse>`;
    }

    // PTZ operations need a profile with a PTZ configuration.
    if (profileNumber(profileToken) !== 1) {
      return profileNumber(profileToken) ? fault(['ter:InvalidArgVal', 'ter:NoPTZProfile'], `Profile ${profileToken} has no PTZ configuration`) : noProfile(profileToken);
    }
    const now = performance.now();
    switch (action) {
      case 'GetStatus':
        return this.statusXml(now);
      case 'ContinuousMove': {
        const v = vector(child(op, 'Velocity'));
        if ([v.x, v.y, v.zoom].some((s) => s !== undefined && (!Number.isFinite(s) || Math.abs(s) > 1))) {
          return fault(['ter:InvalidArgVal', 'ter:InvalidVelocity'], 'The requested velocity is out of bounds');
        }
        const timeoutText = text(child(op, 'Timeout'));
        const timeoutMs = timeoutText ? parseDuration(timeoutText) : this.defaultPtzTimeoutMs;
        if (timeoutMs === null || timeoutMs <= 0) return fault(['ter:InvalidArgVal', 'ter:TimeoutNotSupported'], `Timeout ${timeoutText} is not valid`);
        this.clearContinuous();
        if (v.x !== undefined) this.drive('pan', now, (v.x * 2) / PAN_FULL_MS);
        if (v.y !== undefined) this.drive('tilt', now, (v.y * 2) / TILT_FULL_MS);
        if (v.zoom !== undefined) this.drive('zoom', now, v.zoom / ZOOM_FULL_MS);
        // The camera stops by itself when the timeout runs out: a lost Stop cannot leave it moving forever.
        this.continuousTimer = setTimeout(() => {
          this.continuousTimer = null;
          this.settleAll();
        }, timeoutMs);
        this.continuousTimer.unref();
        return '<tptz:ContinuousMoveResponse/>';
      }
      case 'AbsoluteMove': {
        const p = vector(child(op, 'Position'));
        if ((p.x !== undefined && Math.abs(p.x) > 1) || (p.y !== undefined && Math.abs(p.y) > 1) || (p.zoom !== undefined && (p.zoom < 0 || p.zoom > 1))) {
          return fault(['ter:InvalidArgVal', 'ter:InvalidPosition'], 'The requested position is out of bounds');
        }
        if ([p.x, p.y, p.zoom].some((s) => s !== undefined && !Number.isFinite(s))) return fault(['ter:InvalidArgVal', 'ter:InvalidPosition'], 'The requested position is not a number');
        this.travel({ pan: p.x, tilt: p.y, zoom: p.zoom });
        return '<tptz:AbsoluteMoveResponse/>';
      }
      case 'RelativeMove': {
        const t = vector(child(op, 'Translation'));
        if ([t.x, t.y, t.zoom].some((s) => s !== undefined && (!Number.isFinite(s) || Math.abs(s) > 2))) {
          return fault(['ter:InvalidArgVal', 'ter:InvalidTranslation'], 'The requested translation is out of bounds');
        }
        const target = (axis: Axis, d: number | undefined) => (d === undefined ? undefined : this.clampAxis(axis, this.valueAt(axis, now) + d));
        this.travel({ pan: target('pan', t.x), tilt: target('tilt', t.y), zoom: target('zoom', t.zoom) });
        return '<tptz:RelativeMoveResponse/>';
      }
      case 'Stop': {
        const pt = text(child(op, 'PanTilt'));
        const z = text(child(op, 'Zoom'));
        const both = !pt && !z;
        const axes: Axis[] = [...(both || pt === 'true' ? (['pan', 'tilt'] as Axis[]) : []), ...(both || z === 'true' ? (['zoom'] as Axis[]) : [])];
        for (const a of axes) this.drive(a, now, 0);
        if (!(['pan', 'tilt', 'zoom'] as Axis[]).some((a) => this.isMoving(a, now))) this.clearContinuous();
        return '<tptz:StopResponse/>';
      }
      case 'GetPresets':
        return `<tptz:GetPresetsResponse>${[...this.presets.values()]
          .map(
            (p) =>
              `<tptz:Preset token="${xmlEscape(p.token)}"><tt:Name>${xmlEscape(p.name)}</tt:Name><tt:PTZPosition>` +
              `<tt:PanTilt x="${num(p.pan)}" y="${num(p.tilt)}" space="${SPACE.position}"/><tt:Zoom x="${num(p.zoom)}" space="${SPACE.zoomPosition}"/>` +
              '</tt:PTZPosition></tptz:Preset>',
          )
          .join('')}</tptz:GetPresetsResponse>`;
      case 'SetPreset': {
        const name = text(child(op, 'PresetName'));
        let token = text(child(op, 'PresetToken'));
        if (token && !this.presets.has(token)) return fault(['ter:InvalidArgVal', 'ter:NoToken'], `No preset with token ${token}`);
        if ([...this.presets.values()].some((p) => p.name === name && p.token !== token) && name) {
          return fault(['ter:InvalidArgVal', 'ter:PresetExist'], `A preset named ${name} already exists`);
        }
        if (!token) {
          if (this.presets.size >= this.maxPresets) return fault(['ter:Action', 'ter:TooManyPresets'], 'Maximum number of presets reached', 'env:Receiver');
          while (!token || this.presets.has(token)) token = `Preset_${this.nextPresetToken++}`;
        }
        const s = this.state;
        this.presets.set(token, { token, name: name || token, pan: s.pan, tilt: s.tilt, zoom: s.zoom });
        return `<tptz:SetPresetResponse><tptz:PresetToken>${xmlEscape(token)}</tptz:PresetToken></tptz:SetPresetResponse>`;
      }
      case 'GotoPreset': {
        const token = text(child(op, 'PresetToken'));
        const p = this.presets.get(token);
        if (!p) return fault(['ter:InvalidArgVal', 'ter:NoToken'], `No preset with token ${token}`);
        this.travel({ pan: p.pan, tilt: p.tilt, zoom: p.zoom });
        return '<tptz:GotoPresetResponse/>';
      }
      case 'RemovePreset': {
        const token = text(child(op, 'PresetToken'));
        if (!this.presets.delete(token)) return fault(['ter:InvalidArgVal', 'ter:NoToken'], `No preset with token ${token}`);
        return '<tptz:RemovePresetResponse/>';
      }
      case 'GotoHomePosition':
        this.travel(this.home);
        return '<tptz:GotoHomePositionResponse/>';
      case 'SetHomePosition': {
        const s = this.state;
        this.home = { pan: s.pan, tilt: s.tilt, zoom: s.zoom };
        return '<tptz:SetHomePositionResponse/>';
      }
    }
    return fault(['ter:ActionNotSupported'], `${action} is not implemented`, 'env:Receiver');
  }

  private systemDateAndTime(): string {
    const d = new Date(this.cameraNow() + this.reportedTimeOffsetSeconds * 1000);
    const dt =
      `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
      `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`;
    return (
      '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
      `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>${dt}</tt:UTCDateTime><tt:LocalDateTime>${dt}</tt:LocalDateTime>` +
      '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
    );
  }

  private xaddr(service: Service): string {
    return `http://${this.advertisedHost}:${this.listener.port}${ONVIF_SIM_PATHS[service]}`;
  }

  private capabilities(): string {
    return (
      '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
      `<tt:Device><tt:XAddr>${this.xaddr('device')}</tt:XAddr><tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>` +
      '<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network><tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve>' +
      '<tt:DiscoveryBye>true</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
      '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade><tt:SupportedVersions><tt:Major>2</tt:Major>' +
      '<tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System><tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>' +
      '<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token>' +
      '<tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>' +
      `<tt:Media><tt:XAddr>${this.xaddr('media')}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
      `<tt:PTZ><tt:XAddr>${this.xaddr('ptz')}</tt:XAddr></tt:PTZ>` +
      '</tds:Capabilities></tds:GetCapabilitiesResponse>'
    );
  }

  private servicesXml(includeCapability: boolean): string {
    const svc = (ns: string, service: Service, caps: string) =>
      `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${this.xaddr(service)}</tds:XAddr>` +
      (includeCapability ? `<tds:Capabilities>${caps}</tds:Capabilities>` : '') +
      '<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>';
    return (
      '<tds:GetServicesResponse>' +
      svc('http://www.onvif.org/ver10/device/wsdl', 'device', '<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false"/></tds:Capabilities>') +
      svc('http://www.onvif.org/ver10/media/wsdl', 'media', '<trt:Capabilities SnapshotUri="true" Rotation="false"><trt:ProfileCapabilities MaximumNumberOfProfiles="2"/><trt:StreamingCapabilities RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>') +
      svc('http://www.onvif.org/ver20/ptz/wsdl', 'ptz', '<tptz:Capabilities EFlip="false" Reverse="false" GetCompatibleConfigurations="false" MoveStatus="true" StatusPosition="true"/>') +
      '</tds:GetServicesResponse>'
    );
  }

  private scopes(): string[] {
    return [
      'onvif://www.onvif.org/Profile/Streaming',
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/type/ptz',
      'onvif://www.onvif.org/hardware/ONVIF-SIM',
      `onvif://www.onvif.org/name/${encodeURIComponent(this.name)}`,
      'onvif://www.onvif.org/location/meeting-room',
    ];
  }

  private ptzConfigurationXml(tag: string): string {
    return (
      `<${tag} token="PTZConfig_1"><tt:Name>PTZ</tt:Name><tt:UseCount>1</tt:UseCount><tt:NodeToken>PTZNode_1</tt:NodeToken>` +
      `<tt:DefaultAbsolutePantTiltPositionSpace>${SPACE.position}</tt:DefaultAbsolutePantTiltPositionSpace>` +
      `<tt:DefaultAbsoluteZoomPositionSpace>${SPACE.zoomPosition}</tt:DefaultAbsoluteZoomPositionSpace>` +
      `<tt:DefaultRelativePanTiltTranslationSpace>${SPACE.translation}</tt:DefaultRelativePanTiltTranslationSpace>` +
      `<tt:DefaultRelativeZoomTranslationSpace>${SPACE.zoomTranslation}</tt:DefaultRelativeZoomTranslationSpace>` +
      `<tt:DefaultContinuousPanTiltVelocitySpace>${SPACE.velocity}</tt:DefaultContinuousPanTiltVelocitySpace>` +
      `<tt:DefaultContinuousZoomVelocitySpace>${SPACE.zoomVelocity}</tt:DefaultContinuousZoomVelocitySpace>` +
      `<tt:DefaultPTZSpeed><tt:PanTilt x="1" y="1" space="${SPACE.speed}"/><tt:Zoom x="1" space="${SPACE.zoomSpeed}"/></tt:DefaultPTZSpeed>` +
      `<tt:DefaultPTZTimeout>PT${this.defaultPtzTimeoutMs / 1000}S</tt:DefaultPTZTimeout>` +
      `<tt:PanTiltLimits><tt:Range><tt:URI>${SPACE.position}</tt:URI><tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange>` +
      '<tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange></tt:Range></tt:PanTiltLimits>' +
      `<tt:ZoomLimits><tt:Range><tt:URI>${SPACE.zoomPosition}</tt:URI><tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:Range></tt:ZoomLimits>` +
      `</${tag}>`
    );
  }

  private nodeXml(): string {
    const range = (uri: string, lo: number, hi: number, y = true) =>
      `<tt:URI>${uri}</tt:URI><tt:XRange><tt:Min>${lo}</tt:Min><tt:Max>${hi}</tt:Max></tt:XRange>` + (y ? `<tt:YRange><tt:Min>${lo}</tt:Min><tt:Max>${hi}</tt:Max></tt:YRange>` : '');
    return (
      '<tptz:PTZNode token="PTZNode_1" FixedHomePosition="false"><tt:Name>PTZ</tt:Name><tt:SupportedPTZSpaces>' +
      `<tt:AbsolutePanTiltPositionSpace>${range(SPACE.position, -1, 1)}</tt:AbsolutePanTiltPositionSpace>` +
      `<tt:AbsoluteZoomPositionSpace>${range(SPACE.zoomPosition, 0, 1, false)}</tt:AbsoluteZoomPositionSpace>` +
      `<tt:RelativePanTiltTranslationSpace>${range(SPACE.translation, -1, 1)}</tt:RelativePanTiltTranslationSpace>` +
      `<tt:RelativeZoomTranslationSpace>${range(SPACE.zoomTranslation, -1, 1, false)}</tt:RelativeZoomTranslationSpace>` +
      `<tt:ContinuousPanTiltVelocitySpace>${range(SPACE.velocity, -1, 1)}</tt:ContinuousPanTiltVelocitySpace>` +
      `<tt:ContinuousZoomVelocitySpace>${range(SPACE.zoomVelocity, -1, 1, false)}</tt:ContinuousZoomVelocitySpace>` +
      `<tt:PanTiltSpeedSpace>${range(SPACE.speed, 0, 1, false)}</tt:PanTiltSpeedSpace><tt:ZoomSpeedSpace>${range(SPACE.zoomSpeed, 0, 1, false)}</tt:ZoomSpeedSpace>` +
      `</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>${this.maxPresets}</tt:MaximumNumberOfPresets><tt:HomeSupported>true</tt:HomeSupported>` +
      '</tptz:PTZNode>'
    );
  }

  private profileXml(tag: 'Profiles' | 'Profile', n: 1 | 2): string {
    const v = n === 1 ? VIDEO : SUB_VIDEO;
    return (
      `<trt:${tag} token="Profile_${n}" fixed="true"><tt:Name>${n === 1 ? 'mainStream' : 'subStream'}</tt:Name>` +
      '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>' +
      `<tt:SourceToken>VideoSource_1</tt:SourceToken><tt:Bounds x="0" y="0" width="${VIDEO.width}" height="${VIDEO.height}"/></tt:VideoSourceConfiguration>` +
      `<tt:VideoEncoderConfiguration token="VideoEncoder_${n}"><tt:Name>VideoEncoder_${n}</tt:Name><tt:UseCount>1</tt:UseCount>` +
      `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
      `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${v.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
      `<tt:BitrateLimit>${n === 1 ? 512 : 128}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>${v.fps}</tt:GovLength>` +
      '<tt:H264Profile>Baseline</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
      '<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>' +
      '</tt:VideoEncoderConfiguration>' +
      (n === 1 ? this.ptzConfigurationXml('tt:PTZConfiguration') : '') +
      `</trt:${tag}>`
    );
  }

  private statusXml(now: number): string {
    const moving = (axes: Axis[]) => (axes.some((a) => this.isMoving(a, now)) ? 'MOVING' : 'IDLE');
    return (
      '<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>' +
      `<tt:PanTilt x="${num(this.valueAt('pan', now))}" y="${num(this.valueAt('tilt', now))}" space="${SPACE.position}"/>` +
      `<tt:Zoom x="${num(this.valueAt('zoom', now))}" space="${SPACE.zoomPosition}"/></tt:Position>` +
      `<tt:MoveStatus><tt:PanTilt>${moving(['pan', 'tilt'])}</tt:PanTilt><tt:Zoom>${moving(['zoom'])}</tt:Zoom></tt:MoveStatus>` +
      `<tt:UtcTime>${new Date(this.cameraNow()).toISOString()}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`
    );
  }

  // -------------------------------------------------------------------------------------------
  // Motion
  // -------------------------------------------------------------------------------------------

  private limits(axis: Axis): [number, number] {
    return axis === 'zoom' ? [0, 1] : [-1, 1];
  }
  private clampAxis(axis: Axis, v: number): number {
    const [lo, hi] = this.limits(axis);
    return clamp(v, lo, hi);
  }
  private valueAt(axis: Axis, now: number): number {
    const m = this.axes[axis];
    if (m.velocity === 0) return m.base;
    let v = m.base + m.velocity * (now - m.since);
    if (m.target !== null && (m.velocity > 0 ? v >= m.target : v <= m.target)) v = m.target;
    return this.clampAxis(axis, v);
  }
  private isMoving(axis: Axis, now: number): boolean {
    const m = this.axes[axis];
    if (m.velocity === 0) return false;
    const v = this.valueAt(axis, now);
    if (m.target !== null) return v !== m.target;
    const [lo, hi] = this.limits(axis);
    return m.velocity > 0 ? v < hi : v > lo;
  }
  private drive(axis: Axis, now: number, velocity: number): void {
    this.axes[axis] = { base: this.valueAt(axis, now), since: now, velocity, target: null };
  }
  private settleAll(): void {
    const now = performance.now();
    for (const axis of ['pan', 'tilt', 'zoom'] as Axis[]) this.drive(axis, now, 0);
  }
  private clearContinuous(): void {
    if (this.continuousTimer) clearTimeout(this.continuousTimer);
    this.continuousTimer = null;
  }
  /** A travel replaces whatever those axes were doing; each axis arrives after moveTimeMs. */
  private travel(targets: Partial<Record<Axis, number | undefined>>): void {
    const now = performance.now();
    this.clearContinuous();
    for (const axis of ['pan', 'tilt', 'zoom'] as Axis[]) {
      const to = targets[axis];
      if (to === undefined) {
        this.drive(axis, now, 0); // a continuous move on another axis does not outlive a travel
        continue;
      }
      const from = this.valueAt(axis, now);
      const target = this.clampAxis(axis, to);
      this.axes[axis] =
        from === target || this.moveTimeMs <= 0
          ? { base: target, since: now, velocity: 0, target: null }
          : { base: from, since: now, velocity: (target - from) / this.moveTimeMs, target };
    }
  }

  // -------------------------------------------------------------------------------------------
  // WS-Discovery
  // -------------------------------------------------------------------------------------------

  private async startDiscovery(port: number): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const multicast = port === 3702;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, multicast ? undefined : this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (multicast) socket.addMembership('239.255.255.250');
    socket.on('error', () => {
      /* a stray ICMP error must not kill the responder */
    });
    socket.on('message', (msg, rinfo) => void this.onProbe(socket, msg, rinfo));
    this.discovery = socket;
    this.discoveryPort = socket.address().port;
  }

  private async onProbe(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const envelope = await parseEnvelope(msg.toString('utf8')); // not XML: ignored, as cameras do
    const probe = child(child(envelope, 'Body'), 'Probe');
    if (!probe) return;
    const messageId = text(child(child(envelope, 'Header'), 'MessageID'));
    const types = text(child(probe, 'Types'))
      .split(/\s+/)
      .filter(Boolean)
      .map((t) => t.replace(/^.*:/, ''));
    if (types.length > 0 && !types.some((t) => t === 'NetworkVideoTransmitter' || t === 'Device')) return;
    const info = { address: rinfo.address, port: rinfo.port, messageId };
    this.probes.push(info);
    this.emit('probe', info);
    const reply = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>' +
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
        'xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
        `<SOAP-ENV:Header><wsa:MessageID>urn:uuid:${crypto.randomUUID()}</wsa:MessageID><wsa:RelatesTo>${xmlEscape(messageId)}</wsa:RelatesTo>` +
        '<wsa:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
        '<wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>' +
        '<wsdd:AppSequence MessageNumber="1" InstanceId="1"/></SOAP-ENV:Header>' +
        '<SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>' +
        `<wsa:EndpointReference><wsa:Address>${xmlEscape(this.urn)}</wsa:Address></wsa:EndpointReference>` +
        '<wsdd:Types>dn:NetworkVideoTransmitter tds:Device</wsdd:Types>' +
        `<wsdd:Scopes>${this.scopes().map(xmlEscape).join(' ')}</wsdd:Scopes>` +
        `<wsdd:XAddrs>${this.deviceServiceUrl}</wsdd:XAddrs><wsdd:MetadataVersion>1</wsdd:MetadataVersion>` +
        '</wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>',
    );
    socket.send(reply, rinfo.port, rinfo.address);
  }
}

/** The SOAP Envelope element with namespace prefixes stripped (xml2js, explicit arrays), or undefined. */
async function parseEnvelope(xml: string): Promise<XNode | undefined> {
  try {
    const doc = await xml2js.parseStringPromise(xml, { tagNameProcessors: [xml2js.processors.stripPrefix] });
    const env = doc?.Envelope;
    return env && typeof env === 'object' ? (env as XNode) : undefined;
  } catch {
    return undefined;
  }
}

function envelopeXml(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Header/><env:Body>${inner}</env:Body></env:Envelope>`;
}

function faultXml(f: SoapFault): string {
  const sub = f.subcodes.reduceRight((acc, code) => `<env:Subcode><env:Value>${code}</env:Value>${acc}</env:Subcode>`, '');
  return `<env:Fault><env:Code><env:Value>${f.code}</env:Value>${sub}</env:Code><env:Reason><env:Text xml:lang="en">${xmlEscape(f.reason)}</env:Text></env:Reason></env:Fault>`;
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${xmlEscape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`;
}

function profileNumber(token: string): 1 | 2 | null {
  return token === 'Profile_1' ? 1 : token === 'Profile_2' ? 2 : null;
}
function noProfile(token: string): SoapFault {
  return fault(['ter:InvalidArgVal', 'ter:NoProfile'], `The requested profile token ${token || '(empty)'} does not exist`);
}

/** A tt:PTZVector (PanTilt x,y and Zoom x attributes); absent axes are undefined. */
function vector(node: XNode | undefined): { x?: number; y?: number; zoom?: number } {
  const pt = child(node, 'PanTilt');
  const z = child(node, 'Zoom');
  return {
    x: pt ? Number(attr(pt, 'x')) : undefined,
    y: pt ? Number(attr(pt, 'y')) : undefined,
    zoom: z ? Number(attr(z, 'x')) : undefined,
  };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) reject(new Error('request too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// RTSP
// ---------------------------------------------------------------------------------------------

/**
 * A minimal RTSP/1.0 server (RFC 2326) for one H.264 track, RTP interleaved over the RTSP TCP connection.
 * ffmpeg cannot serve RTSP itself (its `-rtsp_flags listen` exists only on the demuxer side), so ffmpeg encodes
 * testsrc2 to RTP on a local UDP port and this relays the packets to every playing client. ffmpeg starts at the
 * first DESCRIBE (its SDP carries sprop-parameter-sets) and runs until stop().
 */
class RtspTestServer {
  private readonly host: string;
  private readonly listener: Listener;
  private readonly clients = new Set<net.Socket>();
  private readonly playing = new Map<net.Socket, { rtp: number; rtcp: number }>();
  private rtpSocket: dgram.Socket | null = null;
  private ffmpeg: ChildProcess | null = null;
  private sdp: Promise<string> | null = null;

  constructor(host: string, port: number) {
    this.host = host;
    this.listener = new Listener(host, port, () => net.createServer((socket) => this.onClient(socket)));
  }

  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    await this.listener.start();
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    this.playing.clear();
    await this.listener.stop();
    const ff = this.ffmpeg;
    this.ffmpeg = null;
    this.sdp = null;
    if (ff && ff.exitCode === null && ff.signalCode === null) {
      const exited = new Promise<void>((resolve) => ff.once('exit', () => resolve()));
      ff.kill('SIGTERM');
      const kill = setTimeout(() => ff.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(kill);
    }
    const rtp = this.rtpSocket;
    this.rtpSocket = null;
    if (rtp) await new Promise<void>((resolve) => rtp.close(() => resolve()));
  }

  /** Starts the encoder once; resolves with the SDP media description ffmpeg printed. */
  private encoder(): Promise<string> {
    if (this.sdp) return this.sdp;
    this.sdp = (async () => {
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', () => resolve()));
      this.rtpSocket = rtp;
      rtp.on('message', (pkt) => this.relay(pkt));
      const port = rtp.address().port;
      const ff = spawn(
        'ffmpeg',
        [
          '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
          '-f', 'lavfi', '-i', `testsrc2=size=${VIDEO.width}x${VIDEO.height}:rate=${VIDEO.fps}`,
          '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1',
          '-g', String(VIDEO.fps), '-bf', '0', '-pix_fmt', 'yuv420p',
          '-flags', '+global_header', '-bsf:v', 'dump_extra',
          '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${port}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.ffmpeg = ff;
      return await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error('ffmpeg printed no SDP within 10 s')), 10_000);
        ff.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /SDP:\r?\n([\s\S]*?a=fmtp:[^\n]*\n)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        ff.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        ff.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        ff.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`ffmpeg exited (${code}): ${err.trim().slice(-300)}`));
        });
      });
    })();
    this.sdp.catch(() => (this.sdp = null));
    return this.sdp;
  }

  private relay(pkt: Buffer): void {
    if (pkt.length < 2) return;
    const isRtcp = pkt[1] >= 200 && pkt[1] <= 204;
    for (const [socket, ch] of this.playing) {
      if (socket.writableLength > 1 << 20) continue; // a slow client loses packets, not memory
      const head = Buffer.from([0x24, isRtcp ? ch.rtcp : ch.rtp, pkt.length >> 8, pkt.length & 0xff]);
      socket.write(Buffer.concat([head, pkt]));
    }
  }

  private onClient(socket: net.Socket): void {
    this.clients.add(socket);
    let buf = Buffer.alloc(0);
    const session = crypto.randomBytes(6).toString('hex');
    socket.on('error', () => {});
    socket.on('close', () => {
      this.clients.delete(socket);
      this.playing.delete(socket);
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length > 0 && buf[0] === 0x24) {
          // Interleaved RTCP receiver reports from the client.
          if (buf.length < 4) return;
          const len = buf.readUInt16BE(2);
          if (buf.length < 4 + len) return;
          buf = buf.subarray(4 + len);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('utf8');
        const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        void this.onRequest(socket, head, session);
      }
    });
  }

  private async onRequest(socket: net.Socket, head: string, session: string): Promise<void> {
    const [requestLine, ...lines] = head.split('\r\n');
    const [method, url] = requestLine.split(' ');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const cseq = headers.get('cseq') ?? '0';
    const send = (status: string, extra: Record<string, string> = {}, body = '') => {
      const h = Object.entries({ CSeq: cseq, Server: 'diemcau-onvif-sim', ...extra, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      if (!socket.destroyed) socket.write(`RTSP/1.0 ${status}\r\n${h}\r\n${body}`);
    };
    let path: string;
    try {
      path = new URL(url ?? '').pathname;
    } catch {
      return send('400 Bad Request');
    }
    if (method === 'OPTIONS') return send('200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
    if (path !== '/stream' && !path.startsWith('/stream/')) return send('404 Not Found');
    switch (method) {
      case 'DESCRIBE': {
        let media: string;
        try {
          media = await this.encoder();
        } catch (err) {
          return send('500 Internal Server Error', { 'X-Error': (err as Error).message.replace(/[\r\n]+/g, ' ') });
        }
        const fmtp = /a=fmtp:[^\r\n]*/.exec(media)?.[0] ?? 'a=fmtp:96 packetization-mode=1';
        const sdp =
          `v=0\r\no=- 0 0 IN IP4 ${this.host}\r\ns=diemcau ONVIF simulator\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n` +
          `m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n${fmtp}\r\na=control:trackID=0\r\n`;
        return send('200 OK', { 'Content-Type': 'application/sdp', 'Content-Base': `rtsp://${this.host}:${this.port}/stream/` }, sdp);
      }
      case 'SETUP': {
        const transport = headers.get('transport') ?? '';
        if (!/RTP\/AVP\/TCP/i.test(transport)) return send('461 Unsupported Transport');
        const m = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
        const rtp = m ? Number(m[1]) : 0;
        const rtcp = m?.[2] !== undefined ? Number(m[2]) : rtp + 1;
        socketChannels.set(socket, { rtp, rtcp });
        return send('200 OK', { Transport: `RTP/AVP/TCP;unicast;interleaved=${rtp}-${rtcp}`, Session: `${session};timeout=60` });
      }
      case 'PLAY': {
        const ch = socketChannels.get(socket);
        if (!ch) return send('455 Method Not Valid in This State');
        send('200 OK', { Session: session, Range: 'npt=0.000-' });
        this.playing.set(socket, ch);
        return;
      }
      case 'GET_PARAMETER':
        return send('200 OK', { Session: session });
      case 'TEARDOWN':
        this.playing.delete(socket);
        send('200 OK', { Session: session });
        socket.end();
        return;
      default:
        return send('501 Not Implemented');
    }
  }
}

const socketChannels = new WeakMap<net.Socket, { rtp: number; rtcp: number }>();
