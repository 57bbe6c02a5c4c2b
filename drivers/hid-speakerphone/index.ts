// The 'hid-speakerphone' driver as the device manager sees it: a connection schema and a constructor.
import { checkIntegers } from '../core/connection-checks.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { HID_SPEAKERPHONE_DEFAULTS, HidSpeakerphoneDriver, type HidOpener, type HidSpeakerphoneConnection } from './driver.js';
import { DEFAULT_INPUT_LAYOUT, DEFAULT_OUTPUT_LAYOUT } from './codec.js';

export {
  HidSpeakerphoneDriver,
  HID_SPEAKERPHONE_DEFAULTS,
  nodeHidOpener,
  type HidButtonEvent,
  type HidDeviceLike,
  type HidOpener,
  type HidSpeakerphoneConnection,
  type HidSpeakerphoneState,
  type HidTarget,
} from './driver.js';
export { DEFAULT_INPUT_LAYOUT, DEFAULT_OUTPUT_LAYOUT, type HidInputLayout, type HidOutputLayout } from './codec.js';

const d = HID_SPEAKERPHONE_DEFAULTS;
const int = (minimum: number, maximum: number, description: string, def?: number) => ({ type: 'integer', minimum, maximum, description, ...(def === undefined ? {} : { default: def }) });
const bit = (description: string, def: number) => int(0, 511, description, def);

export const hidSpeakerphoneConnectionSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['vendorId', 'productId'] }, { required: ['path'] }],
  properties: {
    vendorId: int(0, 0xffff, 'USB vendor ID (e.g. 2830 = 0x0b0e Jabra)'),
    productId: int(0, 0xffff, 'USB product ID'),
    path: { type: 'string', minLength: 1, maxLength: 512, description: 'hidraw device path; wins over vendorId/productId' },
    input: {
      type: 'object',
      additionalProperties: false,
      description: 'Where Hook Switch and Phone Mute sit in the input report (from the report descriptor)',
      properties: {
        reportId: int(0, 255, 'Input report ID (0 = unnumbered)', DEFAULT_INPUT_LAYOUT.reportId),
        hookBit: bit('Bit of Hook Switch (0x0B0020) in the report data', DEFAULT_INPUT_LAYOUT.hookBit),
        muteBit: bit('Bit of Phone Mute (0x0B002F) in the report data', DEFAULT_INPUT_LAYOUT.muteBit),
        absolute: { type: 'boolean', default: DEFAULT_INPUT_LAYOUT.absolute, description: 'true: the bit is the state; false: a 1 is a toggle press' },
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      description: 'The LED output report with Off-Hook (0x080017) and Mute (0x080009)',
      properties: {
        reportId: int(0, 255, 'Output report ID (0 = unnumbered)', DEFAULT_OUTPUT_LAYOUT.reportId),
        offHookBit: bit('Bit of the Off-Hook LED in the report data', DEFAULT_OUTPUT_LAYOUT.offHookBit),
        muteBit: bit('Bit of the Mute LED in the report data', DEFAULT_OUTPUT_LAYOUT.muteBit),
        length: int(1, 64, 'Report data length in bytes, without the report ID byte', DEFAULT_OUTPUT_LAYOUT.length),
      },
    },
    timeoutMs: int(10, 30_000, 'Bound on opening the device and on each report write', d.timeoutMs),
    reconnectMinMs: int(10, 60_000, 'First re-open delay after the device went away (doubles)', d.reconnectMinMs),
    reconnectMaxMs: int(10, 600_000, 'Longest re-open delay', d.reconnectMaxMs),
  },
};

/** `hid` replaces node-hid (tests, or a hot-plug aware opener); the registry uses the default. */
export function createHidSpeakerphone(connection: Record<string, unknown>, hid?: HidOpener): HidSpeakerphoneDriver {
  const c = connection as Partial<HidSpeakerphoneConnection>;
  checkIntegers('hid-speakerphone', c, ['vendorId', 'productId', 'timeoutMs', 'reconnectMinMs', 'reconnectMaxMs']);
  if (c.path !== undefined && (typeof c.path !== 'string' || c.path.length === 0)) throw new DeviceError('invalid_argument', 'hid-speakerphone connection.path must be a non-empty string');
  for (const k of ['input', 'output'] as const)
    if (c[k] !== undefined && (typeof c[k] !== 'object' || c[k] === null || Array.isArray(c[k]))) throw new DeviceError('invalid_argument', `hid-speakerphone connection.${k} must be an object`);
  return new HidSpeakerphoneDriver(c, { hid });
}

export const hidSpeakerphoneFactory: DriverFactory = {
  driver: 'hid-speakerphone',
  kind: 'audio',
  connectionSchema: hidSpeakerphoneConnectionSchema,
  create: (connection) => createHidSpeakerphone(connection),
};
