// The 'onvif' driver as the device manager sees it: a connection schema and a constructor.
import { requireString } from '../core/connection-checks.js';
import { hostSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { ONVIF_DEFAULTS, OnvifDriver, type OnvifConnection } from './driver.js';

export {
  OnvifDriver,
  ONVIF_DEFAULTS,
  type OnvifConnection,
  type OnvifCameraState,
  type OnvifPtzStatus,
  type OnvifProfile,
  type OnvifDeviceInformation,
} from './driver.js';
export { discoverOnvif, WS_DISCOVERY_ADDRESS, WS_DISCOVERY_PORT, type OnvifDiscoveryOptions, type DiscoveredOnvifDevice } from './discovery.js';

const d = ONVIF_DEFAULTS;
const bool = (def: boolean, description: string) => ({ type: 'boolean', default: def, description });

export const onvifConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: hostSetting('Camera IP address or host name'),
    port: int(1, 65535, d.port, 'HTTP port of the ONVIF device service (not the RTSP port 554)'),
    username: { type: 'string', maxLength: 64, default: d.username, description: 'ONVIF user (often separate from the web user)' },
    password: { type: 'string', maxLength: 128, default: d.password, description: 'ONVIF password', writeOnly: true },
    path: { type: 'string', pattern: '^/', maxLength: 256, default: d.path, description: 'Device service path' },
    timeoutMs: int(100, 60_000, d.timeoutMs, 'Bound on each request'),
    useWSSecurity: bool(d.useWSSecurity, 'WS-UsernameToken in the SOAP header; false = HTTP Digest only'),
    preserveAddress: bool(d.preserveAddress, 'Put the configured host into stream/snapshot URIs (camera behind NAT reports a private address)'),
    moveTimeoutMs: int(100, 120_000, d.moveTimeoutMs, 'ContinuousMove <Timeout>: the camera stops by itself unless move is sent again'),
    keepaliveMs: int(0, 600_000, d.keepaliveMs, 'Liveness check while idle (GetSystemDateAndTime); 0 = off'),
    statusPollMs: int(0, 10_000, d.statusPollMs, 'GetStatus polling while the camera moves; 0 = off'),
    ...reconnectSettings(d, ' (also the delay after refused credentials)'),
    profileToken: { type: 'string', maxLength: 64, default: d.profileToken, description: 'Media profile to control; empty = the first one' },
  },
};

const INTEGER_KEYS = ['port', 'timeoutMs', 'moveTimeoutMs', 'keepaliveMs', 'statusPollMs', 'reconnectMinMs', 'reconnectMaxMs'] as const;
const STRING_KEYS = ['username', 'password', 'path', 'profileToken'] as const;
const BOOLEAN_KEYS = ['useWSSecurity', 'preserveAddress'] as const;

export const onvifFactory: DriverFactory = {
  driver: 'onvif',
  kind: 'camera',
  connectionSchema: onvifConnectionSchema,
  create(connection) {
    const c = connection as Partial<OnvifConnection>;
    const host = requireString('onvif', c, 'host');
    for (const [k, v] of Object.entries(c)) {
      if (k === 'host') continue;
      if ((INTEGER_KEYS as readonly string[]).includes(k)) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DeviceError('invalid_argument', `onvif connection.${k} must be a non-negative integer`);
      } else if ((STRING_KEYS as readonly string[]).includes(k)) {
        if (typeof v !== 'string') throw new DeviceError('invalid_argument', `onvif connection.${k} must be a string`);
      } else if ((BOOLEAN_KEYS as readonly string[]).includes(k)) {
        if (typeof v !== 'boolean') throw new DeviceError('invalid_argument', `onvif connection.${k} must be a boolean`);
      } else throw new DeviceError('invalid_argument', `onvif connection.${k} is not a known setting`);
    }
    return new OnvifDriver({ ...c, host });
  },
};
