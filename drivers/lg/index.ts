// The 'lg-serial' driver as the device manager sees it: a connection schema and a constructor.
import { DeviceError, type DriverFactory } from '../types.js';
import { LG_SERIAL_DEFAULTS, LgSerialDriver, type LgSerialConnection } from './driver.js';

export { LgSerialDriver, LG_SERIAL_DEFAULTS, type LgSerialConnection, type LgDisplayState } from './driver.js';

const d = LG_SERIAL_DEFAULTS;
const int = (minimum: number, maximum: number, def: number, description: string) => ({ type: 'integer', minimum, maximum, default: def, description });

export const lgSerialConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 256, description: 'Serial device, e.g. /dev/ttyUSB0' },
    baudRate: { type: 'integer', enum: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], default: d.baudRate, description: 'Serial speed (LG: 9600 8N1)' },
    setId: int(0, 99, d.setId, 'LG Set ID 1..99; 0 = every set on the line (no acknowledgements)'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on each attempt to get OK/NG'),
    powerOnTimeoutMs: int(100, 120_000, d.powerOnTimeoutMs, 'Bound on the power-on acknowledgement (sent after power-on completes)'),
    retries: int(0, 10, d.retries, 'Resends of an unanswered command (not power on)'),
    reconnectMinMs: int(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: int(10, 600_000, d.reconnectMaxMs, 'Longest reconnect delay'),
    inputs: {
      type: 'object',
      description: 'Source names → xb codes (0..255), added to hdmi1 0x90, hdmi2 0x91, hdmi3 0x92, rgb1 0x60, dp1 0xC0, …',
      propertyNames: { pattern: '^[a-z0-9_-]{1,32}$' },
      additionalProperties: { type: 'integer', minimum: 0, maximum: 255 },
    },
  },
};

const INT_KEYS = ['baudRate', 'setId', 'timeoutMs', 'powerOnTimeoutMs', 'retries', 'reconnectMinMs', 'reconnectMaxMs'] as const;

export const lgSerialFactory: DriverFactory = {
  driver: 'lg-serial',
  kind: 'display',
  connectionSchema: lgSerialConnectionSchema,
  create(connection) {
    const c = connection as Partial<LgSerialConnection>;
    if (typeof c.path !== 'string' || c.path.length === 0) throw new DeviceError('invalid_argument', 'lg-serial needs connection.path');
    for (const k of INT_KEYS) {
      const v = c[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new DeviceError('invalid_argument', `lg-serial connection.${k} must be a non-negative integer`);
    }
    if (typeof c.setId === 'number' && c.setId > 99) throw new DeviceError('invalid_argument', 'lg-serial connection.setId must be 0..99');
    if (c.inputs !== undefined) {
      if (typeof c.inputs !== 'object' || c.inputs === null) throw new DeviceError('invalid_argument', 'lg-serial connection.inputs must be an object');
      for (const [name, code] of Object.entries(c.inputs))
        if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255) throw new DeviceError('invalid_argument', `lg-serial connection.inputs.${name} must be 0..255`);
    }
    return new LgSerialDriver({ ...c, path: c.path });
  },
};
