// The 'shure' driver as the device manager sees it: a connection schema and a constructor.
import { DeviceError, type DriverFactory } from '../types.js';
import { SHURE_DEFAULTS, ShureDriver, type ShureConnection } from './driver.js';

export { ShureDriver, SHURE_DEFAULTS, type ShureConnection, type ShureState } from './driver.js';

const d = SHURE_DEFAULTS;
const int = (minimum: number, maximum: number, def: number, description: string) => ({ type: 'integer', minimum, maximum, default: def, description });

export const shureConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253, description: 'MXA910 / MXA710 / P300 IP address or host name' },
    port: int(1, 65535, d.port, 'Command-string TCP port (Shure: 2202)'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on connecting and on each reply'),
    reconnectMinMs: int(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: int(10, 600_000, d.reconnectMaxMs, 'Longest reconnect delay'),
    keepaliveMs: int(0, 600_000, d.keepaliveMs, 'Probe an idle connection after this long without traffic (0 = never)'),
  },
};

export const shureFactory: DriverFactory = {
  driver: 'shure',
  kind: 'audio',
  connectionSchema: shureConnectionSchema,
  create(connection) {
    const c = connection as Partial<ShureConnection>;
    if (typeof c.host !== 'string' || c.host.length === 0) throw new DeviceError('invalid_argument', 'shure needs connection.host');
    for (const [k, v] of Object.entries(c)) {
      if (k !== 'host' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new DeviceError('invalid_argument', `shure connection.${k} must be a non-negative integer`);
    }
    return new ShureDriver({ ...c, host: c.host });
  },
};
