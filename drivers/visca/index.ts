// The 'visca-ip' driver as the device manager sees it: a connection schema and a constructor.
import { DeviceError, type DriverFactory } from '../types.js';
import { VISCA_IP_DEFAULTS, ViscaIpDriver, type ViscaIpConnection } from './visca-ip.js';

export { ViscaIpDriver, VISCA_IP_DEFAULTS, type ViscaIpConnection } from './visca-ip.js';

const d = VISCA_IP_DEFAULTS;
const int = (minimum: number, maximum: number, def: number, description: string) => ({ type: 'integer', minimum, maximum, default: def, description });

export const viscaIpConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253, description: 'Camera IP address or host name' },
    port: int(1, 65535, d.port, 'Camera UDP port (Sony VISCA over IP: 52381)'),
    address: int(1, 7, d.address, 'VISCA camera address; fixed to 1 over IP'),
    localPort: int(0, 65535, d.localPort, 'Local UDP port; 0 = any. Some cameras only answer to 52381'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on each attempt to get an answer'),
    retries: int(0, 10, d.retries, 'Retransmissions with the same sequence number before giving up'),
    completionTimeoutMs: int(100, 120_000, d.completionTimeoutMs, 'Bound on the wait for a completion after the ACK'),
    reconnectMinMs: int(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: int(10, 600_000, d.reconnectMaxMs, 'Longest reconnect delay'),
    busyRetryMs: int(0, 10_000, d.busyRetryMs, 'Pause before the one retry after "buffer full"'),
    panMax: int(1, 0x7fff, d.panMax, 'VISCA pan value at the right end (pan 1); the left end is its negative'),
    tiltMax: int(1, 0x7fff, d.tiltMax, 'VISCA tilt value at the top (tilt 1); the bottom is its negative'),
    zoomMax: int(1, 0xffff, d.zoomMax, 'VISCA zoom value at full tele (zoom 1)'),
  },
};

export const viscaIpFactory: DriverFactory = {
  driver: 'visca-ip',
  kind: 'camera',
  connectionSchema: viscaIpConnectionSchema,
  create(connection) {
    const c = connection as Partial<ViscaIpConnection>;
    if (typeof c.host !== 'string' || c.host.length === 0) throw new DeviceError('invalid_argument', 'visca-ip needs connection.host');
    for (const [k, v] of Object.entries(c)) {
      if (k !== 'host' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new DeviceError('invalid_argument', `visca-ip connection.${k} must be a non-negative integer`);
    }
    return new ViscaIpDriver({ ...c, host: c.host });
  },
};
