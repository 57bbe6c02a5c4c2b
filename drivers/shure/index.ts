// The 'shure' driver as the device manager sees it: a connection schema and a constructor.
import { hostSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { checkIntegersExcept, requireString } from '../core/connection-checks.js';
import type { DriverFactory } from '../types.js';
import { SHURE_DEFAULTS, ShureDriver, type ShureConnection } from './driver.js';

export { ShureDriver, SHURE_DEFAULTS, type ShureConnection, type ShureState } from './driver.js';

const d = SHURE_DEFAULTS;

export const shureConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: hostSetting('MXA910 / MXA710 / P300 IP address or host name'),
    port: int(1, 65535, d.port, 'Command-string TCP port (Shure: 2202)'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on connecting and on each reply'),
    ...reconnectSettings(d),
    keepaliveMs: int(0, 600_000, d.keepaliveMs, 'Probe an idle connection after this long without traffic (0 = never)'),
  },
};

export const shureFactory: DriverFactory = {
  driver: 'shure',
  kind: 'audio',
  connectionSchema: shureConnectionSchema,
  create(connection) {
    const c = connection as Partial<ShureConnection>;
    const host = requireString('shure', c, 'host');
    checkIntegersExcept('shure', c, ['host']);
    return new ShureDriver({ ...c, host });
  },
};
