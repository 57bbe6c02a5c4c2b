// The 'samsung-mdc' driver as the device manager sees it: a connection schema and a constructor.
import { checkInputs, checkIntegers, isByteCode } from '../core/connection-checks.js';
import { BYTE_INPUT_CODE, DISPLAY_BAUD_RATES, hostSetting, inputsSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { SAMSUNG_MDC_DEFAULTS, SamsungMdcDriver, type SamsungMdcConnectionInput } from './driver.js';

export { SamsungMdcDriver, SAMSUNG_MDC_DEFAULTS, type SamsungMdcConnection, type SamsungMdcConnectionInput, type MdcDisplayState } from './driver.js';

const d = SAMSUNG_MDC_DEFAULTS;

/**
 * Either `{host, port=1515}` (LAN) or `{path, baudRate=9600}` (RS-232C). port and baudRate carry no JSON
 * `default` so that filling defaults does not put a baud rate on a LAN display; the driver applies them.
 */
export const samsungMdcConnectionSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  oneOf: [
    { required: ['host'], not: { required: ['path'] } },
    { required: ['path'], not: { required: ['host'] } },
  ],
  properties: {
    host: hostSetting('Display IP address or host name (MDC over TCP)'),
    port: int(1, 65535, undefined, `MDC TCP port (default ${d.port})`),
    path: { type: 'string', minLength: 1, maxLength: 256, description: 'Serial device for RS-232C, e.g. /dev/ttyUSB0' },
    baudRate: { type: 'integer', enum: DISPLAY_BAUD_RATES, description: `Serial speed (default ${d.baudRate})` },
    displayId: int(0, 255, d.displayId, 'MDC display ID; 254 (0xFE) = all displays, which send no replies'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on each attempt to get the ACK/NAK'),
    retries: int(0, 10, d.retries, 'Resends of an unanswered frame'),
    ...reconnectSettings(d),
    inputs: inputsSetting('Source names → MDC input codes (0..255), added to hdmi1 0x21, hdmi2 0x23, dp1 0x25, hdmi3 0x31, hdmi4 0x33, …', BYTE_INPUT_CODE),
  },
};

const INT_KEYS = ['port', 'baudRate', 'displayId', 'timeoutMs', 'retries', 'reconnectMinMs', 'reconnectMaxMs'] as const;

export const samsungMdcFactory: DriverFactory = {
  driver: 'samsung-mdc',
  kind: 'display',
  connectionSchema: samsungMdcConnectionSchema,
  create(connection) {
    const c = connection as Record<string, unknown>;
    const hasHost = typeof c.host === 'string' && c.host.length > 0;
    const hasPath = typeof c.path === 'string' && c.path.length > 0;
    if (hasHost === hasPath) throw new DeviceError('invalid_argument', 'samsung-mdc needs connection.host (TCP) or connection.path (RS-232C), not both');
    checkIntegers('samsung-mdc', c, INT_KEYS);
    if (typeof c.displayId === 'number' && c.displayId > 255) throw new DeviceError('invalid_argument', 'samsung-mdc connection.displayId must be 0..255');
    checkInputs('samsung-mdc', c.inputs, isByteCode, '0..255');
    return new SamsungMdcDriver(c as unknown as SamsungMdcConnectionInput);
  },
};
