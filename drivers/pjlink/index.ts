// The 'pjlink' driver as the device manager sees it: a connection schema and a constructor.
import { checkInputs, checkIntegers, requireString } from '../core/connection-checks.js';
import { hostSetting, inputsSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { PJLINK_DEFAULTS, PjlinkDriver, type PjlinkConnection } from './driver.js';

export { PjlinkDriver, PJLINK_DEFAULTS, discoverPjlink, type PjlinkConnection, type PjlinkDisplayState, type PjlinkDiscovered, type PjlinkDiscoveryOptions } from './driver.js';

const d = PJLINK_DEFAULTS;

export const pjlinkConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: hostSetting('Projector IP address or host name'),
    port: int(1, 65535, d.port, 'PJLink TCP port (4352)'),
    password: { type: 'string', maxLength: 32, description: 'PJLink password (projectors greeting with PJLINK 1)' },
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on connection + greeting and on each reply (spec: 2 s)'),
    idleCloseMs: int(0, 600_000, d.idleCloseMs, 'Close an idle connection after this long (projectors drop it at 30 s); 0 = keep'),
    ...reconnectSettings(d),
    volumeSteps: int(1, 100, d.volumeSteps, 'SVOL steps from silent to full volume (class 2 volume is step-wise)'),
    muteMode: { type: 'string', enum: ['audio', 'audio-video'], default: d.muteMode, description: 'mute: AVMT 2x (audio) or 3x (audio and video)' },
    inputs: inputsSetting('Source names → PJLink input codes, e.g. {"dp1": "33"}; added to hdmiN→3N, rgbN→1N, videoN→2N, storageN→4N, networkN→5N', {
      type: 'string',
      pattern: '^[1-6][1-9A-Z]$',
    }),
  },
};

const INT_KEYS = ['port', 'timeoutMs', 'idleCloseMs', 'reconnectMinMs', 'reconnectMaxMs', 'volumeSteps'] as const;

export const pjlinkFactory: DriverFactory = {
  driver: 'pjlink',
  kind: 'display',
  connectionSchema: pjlinkConnectionSchema,
  create(connection) {
    const c = connection as Partial<PjlinkConnection>;
    const host = requireString('pjlink', c, 'host');
    checkIntegers('pjlink', c, INT_KEYS);
    if (c.password !== undefined && typeof c.password !== 'string') throw new DeviceError('invalid_argument', 'pjlink connection.password must be a string');
    if (c.muteMode !== undefined && c.muteMode !== 'audio' && c.muteMode !== 'audio-video') throw new DeviceError('invalid_argument', 'pjlink connection.muteMode must be audio or audio-video');
    checkInputs('pjlink', c.inputs, (code) => typeof code === 'string' && /^[1-6][1-9A-Z]$/.test(code), 'a PJLink input code like "31"');
    return new PjlinkDriver({ ...c, host });
  },
};
