// The 'lg-serial' driver as the device manager sees it: a connection schema and a constructor.
import { checkInputs, checkIntegers, isByteCode, requireString } from '../core/connection-checks.js';
import { BYTE_INPUT_CODE, DISPLAY_BAUD_RATES, inputsSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { LG_SERIAL_DEFAULTS, LgSerialDriver, type LgSerialConnection } from './driver.js';

export { LgSerialDriver, LG_SERIAL_DEFAULTS, type LgSerialConnection, type LgDisplayState } from './driver.js';

const d = LG_SERIAL_DEFAULTS;

export const lgSerialConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 256, description: 'Serial device, e.g. /dev/ttyUSB0' },
    baudRate: { type: 'integer', enum: DISPLAY_BAUD_RATES, default: d.baudRate, description: 'Serial speed (LG: 9600 8N1)' },
    setId: int(0, 99, d.setId, 'LG Set ID 1..99; 0 = every set on the line (no acknowledgements)'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on each attempt to get OK/NG'),
    powerOnTimeoutMs: int(100, 120_000, d.powerOnTimeoutMs, 'Bound on the power-on acknowledgement (sent after power-on completes)'),
    retries: int(0, 10, d.retries, 'Resends of an unanswered command (not power on)'),
    ...reconnectSettings(d),
    inputs: inputsSetting('Source names → xb codes (0..255), added to hdmi1 0x90, hdmi2 0x91, hdmi3 0x92, rgb1 0x60, dp1 0xC0, …', BYTE_INPUT_CODE),
  },
};

const INT_KEYS = ['baudRate', 'setId', 'timeoutMs', 'powerOnTimeoutMs', 'retries', 'reconnectMinMs', 'reconnectMaxMs'] as const;

export const lgSerialFactory: DriverFactory = {
  driver: 'lg-serial',
  kind: 'display',
  connectionSchema: lgSerialConnectionSchema,
  create(connection) {
    const c = connection as Partial<LgSerialConnection>;
    const path = requireString('lg-serial', c, 'path');
    checkIntegers('lg-serial', c, INT_KEYS);
    if (typeof c.setId === 'number' && c.setId > 99) throw new DeviceError('invalid_argument', 'lg-serial connection.setId must be 0..99');
    checkInputs('lg-serial', c.inputs, isByteCode, '0..255');
    return new LgSerialDriver({ ...c, path });
  },
};
