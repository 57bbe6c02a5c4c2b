// The VISCA drivers as the device manager sees them: a connection schema and a constructor each.
// 'visca-ip' (Sony VISCA over IP, UDP 52381), 'visca-tcp' (raw VISCA on TCP 5678, PTZOptics style) and
// 'visca-serial' (RS-232/RS-422) share one camera core and differ only in framing and transport.
import { DeviceError, type DriverFactory } from '../types.js';
import { VISCA_CORE_DEFAULTS } from './camera-core.js';
import { VISCA_IP_DEFAULTS, ViscaIpDriver, type ViscaIpConnection } from './visca-ip.js';
import { VISCA_BAUD_RATES, VISCA_SERIAL_DEFAULTS, ViscaSerialDriver, type ViscaSerialConnection } from './visca-serial.js';
import { VISCA_TCP_DEFAULTS, ViscaTcpDriver, type ViscaTcpConnection } from './visca-tcp.js';

export { ViscaIpDriver, VISCA_IP_DEFAULTS, type ViscaIpConnection } from './visca-ip.js';
export { ViscaSerialDriver, VISCA_SERIAL_DEFAULTS, VISCA_BAUD_RATES, type ViscaSerialConnection } from './visca-serial.js';
export { ViscaTcpDriver, VISCA_TCP_DEFAULTS, VISCA_TCP_PORT, type ViscaTcpConnection } from './visca-tcp.js';
export { ViscaCameraCore, VISCA_CORE_DEFAULTS, type ViscaCoreConnection, type ViscaCameraState } from './camera-core.js';
export { ViscaStreamDriver, type ViscaByteStream, type ViscaGreeting } from './visca-stream.js';

const int = (minimum: number, maximum: number, def: number, description: string) => ({ type: 'integer', minimum, maximum, default: def, description });

/** The settings every VISCA transport has (camera core). */
function coreProperties(addressNote: string): Record<string, unknown> {
  const d = VISCA_CORE_DEFAULTS;
  return {
    address: int(1, 7, d.address, addressNote),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on each attempt to get an answer'),
    completionTimeoutMs: int(100, 120_000, d.completionTimeoutMs, 'Bound on the wait for a completion after the ACK'),
    reconnectMinMs: int(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: int(10, 600_000, d.reconnectMaxMs, 'Longest reconnect delay'),
    busyRetryMs: int(0, 10_000, d.busyRetryMs, 'Pause before the one retry after "buffer full"'),
    panMax: int(1, 0x7fff, d.panMax, 'VISCA pan value at the right end (pan 1); the left end is its negative'),
    tiltMax: int(1, 0x7fff, d.tiltMax, 'VISCA tilt value at the top (tilt 1); the bottom is its negative'),
    zoomMax: int(1, 0xffff, d.zoomMax, 'VISCA zoom value at full tele (zoom 1)'),
  };
}

const hostProperty = { type: 'string', minLength: 1, maxLength: 253, description: 'Camera IP address or host name' };

export const viscaIpConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: hostProperty,
    port: int(1, 65535, VISCA_IP_DEFAULTS.port, 'Camera UDP port (Sony VISCA over IP: 52381)'),
    localPort: int(0, 65535, VISCA_IP_DEFAULTS.localPort, 'Local UDP port; 0 = any. Some cameras only answer to 52381'),
    retries: int(0, 10, VISCA_IP_DEFAULTS.retries, 'Retransmissions with the same sequence number before giving up'),
    ...coreProperties('VISCA camera address; fixed to 1 over IP'),
  },
};

export const viscaTcpConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: hostProperty,
    port: int(1, 65535, VISCA_TCP_DEFAULTS.port, 'Camera TCP port (raw VISCA, PTZOptics and most OEM cameras: 5678)'),
    ...coreProperties('VISCA camera address (1 for a single camera)'),
  },
};

export const viscaSerialConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 255, description: 'Serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…' },
    baudRate: { type: 'integer', enum: [...VISCA_BAUD_RATES], default: VISCA_SERIAL_DEFAULTS.baudRate, description: 'Line speed (8N1, no flow control)' },
    ...coreProperties('VISCA camera address on the daisy chain (1..7, as numbered by Address Set)'),
  },
};

/** Every field except the named string one must be a non-negative integer (the schema gives the ranges). */
function checkIntegers(driver: string, c: Record<string, unknown>, stringField: string): void {
  for (const [k, v] of Object.entries(c)) {
    if (k !== stringField && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new DeviceError('invalid_argument', `${driver} connection.${k} must be a non-negative integer`);
  }
}

export const viscaIpFactory: DriverFactory = {
  driver: 'visca-ip',
  kind: 'camera',
  connectionSchema: viscaIpConnectionSchema,
  create(connection) {
    const c = connection as Partial<ViscaIpConnection>;
    if (typeof c.host !== 'string' || c.host.length === 0) throw new DeviceError('invalid_argument', 'visca-ip needs connection.host');
    checkIntegers('visca-ip', connection, 'host');
    return new ViscaIpDriver({ ...c, host: c.host });
  },
};

export const viscaTcpFactory: DriverFactory = {
  driver: 'visca-tcp',
  kind: 'camera',
  connectionSchema: viscaTcpConnectionSchema,
  create(connection) {
    const c = connection as Partial<ViscaTcpConnection>;
    if (typeof c.host !== 'string' || c.host.length === 0) throw new DeviceError('invalid_argument', 'visca-tcp needs connection.host');
    checkIntegers('visca-tcp', connection, 'host');
    return new ViscaTcpDriver({ ...c, host: c.host });
  },
};

export const viscaSerialFactory: DriverFactory = {
  driver: 'visca-serial',
  kind: 'camera',
  connectionSchema: viscaSerialConnectionSchema,
  create(connection) {
    const c = connection as Partial<ViscaSerialConnection>;
    if (typeof c.path !== 'string' || c.path.length === 0) throw new DeviceError('invalid_argument', 'visca-serial needs connection.path');
    checkIntegers('visca-serial', connection, 'path');
    if (c.baudRate !== undefined && !(VISCA_BAUD_RATES as readonly number[]).includes(c.baudRate))
      throw new DeviceError('invalid_argument', `visca-serial connection.baudRate must be one of ${VISCA_BAUD_RATES.join(', ')}`);
    if (c.address !== undefined && (c.address < 1 || c.address > 7)) throw new DeviceError('invalid_argument', 'visca-serial connection.address must be 1..7');
    return new ViscaSerialDriver({ ...c, path: c.path });
  },
};
