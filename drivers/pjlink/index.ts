// The 'pjlink' driver as the device manager sees it: a connection schema and a constructor.
import { DeviceError, type DriverFactory } from '../types.js';
import { PJLINK_DEFAULTS, PjlinkDriver, type PjlinkConnection } from './driver.js';

export { PjlinkDriver, PJLINK_DEFAULTS, discoverPjlink, type PjlinkConnection, type PjlinkDisplayState, type PjlinkDiscovered, type PjlinkDiscoveryOptions } from './driver.js';

const d = PJLINK_DEFAULTS;
const int = (minimum: number, maximum: number, def: number, description: string) => ({ type: 'integer', minimum, maximum, default: def, description });

export const pjlinkConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253, description: 'Projector IP address or host name' },
    port: int(1, 65535, d.port, 'PJLink TCP port (4352)'),
    password: { type: 'string', maxLength: 32, description: 'PJLink password (projectors greeting with PJLINK 1)' },
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on connection + greeting and on each reply (spec: 2 s)'),
    idleCloseMs: int(0, 600_000, d.idleCloseMs, 'Close an idle connection after this long (projectors drop it at 30 s); 0 = keep'),
    reconnectMinMs: int(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: int(10, 600_000, d.reconnectMaxMs, 'Longest reconnect delay'),
    volumeSteps: int(1, 100, d.volumeSteps, 'SVOL steps from silent to full volume (class 2 volume is step-wise)'),
    muteMode: { type: 'string', enum: ['audio', 'audio-video'], default: d.muteMode, description: 'mute: AVMT 2x (audio) or 3x (audio and video)' },
    inputs: {
      type: 'object',
      description: 'Source names → PJLink input codes, e.g. {"dp1": "33"}; added to hdmiN→3N, rgbN→1N, videoN→2N, storageN→4N, networkN→5N',
      propertyNames: { pattern: '^[a-z0-9_-]{1,32}$' },
      additionalProperties: { type: 'string', pattern: '^[1-6][1-9A-Z]$' },
    },
  },
};

const INT_KEYS = ['port', 'timeoutMs', 'idleCloseMs', 'reconnectMinMs', 'reconnectMaxMs', 'volumeSteps'] as const;

export const pjlinkFactory: DriverFactory = {
  driver: 'pjlink',
  kind: 'display',
  connectionSchema: pjlinkConnectionSchema,
  create(connection) {
    const c = connection as Partial<PjlinkConnection>;
    if (typeof c.host !== 'string' || c.host.length === 0) throw new DeviceError('invalid_argument', 'pjlink needs connection.host');
    for (const k of INT_KEYS) {
      const v = c[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new DeviceError('invalid_argument', `pjlink connection.${k} must be a non-negative integer`);
    }
    if (c.password !== undefined && typeof c.password !== 'string') throw new DeviceError('invalid_argument', 'pjlink connection.password must be a string');
    if (c.muteMode !== undefined && c.muteMode !== 'audio' && c.muteMode !== 'audio-video') throw new DeviceError('invalid_argument', 'pjlink connection.muteMode must be audio or audio-video');
    if (c.inputs !== undefined) {
      if (typeof c.inputs !== 'object' || c.inputs === null) throw new DeviceError('invalid_argument', 'pjlink connection.inputs must be an object');
      for (const [name, code] of Object.entries(c.inputs))
        if (typeof code !== 'string' || !/^[1-6][1-9A-Z]$/.test(code)) throw new DeviceError('invalid_argument', `pjlink connection.inputs.${name} must be a PJLink input code like "31"`);
    }
    return new PjlinkDriver({ ...c, host: c.host });
  },
};
