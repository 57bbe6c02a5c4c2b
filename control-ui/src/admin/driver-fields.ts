// The connection form of each driver (DESIGN.md §3). Adding a driver to the admin page is one entry here;
// drivers not listed are edited as raw JSON.
import type { DeviceView } from '../../../appliance/ws-protocol';
import type { MessageKey } from '../shared/i18n';

export interface DriverField {
  key: string;
  label: MessageKey;
  type: 'text' | 'number' | 'password';
  required?: boolean;
  default?: string | number;
  min?: number;
  max?: number;
  placeholder?: string;
}

export interface DriverForm {
  kind: DeviceView['kind'];
  fields: DriverField[];
}

const host = (placeholder: string): DriverField => ({ key: 'host', label: 'field.host', type: 'text', required: true, placeholder });
const port = (def: number): DriverField => ({ key: 'port', label: 'field.port', type: 'number', default: def, min: 1, max: 65535 });
const serial = (): DriverField[] => [
  { key: 'path', label: 'field.path', type: 'text', required: true, placeholder: '/dev/ttyUSB0' },
  { key: 'baudRate', label: 'field.baudRate', type: 'number', default: 9600, min: 1200, max: 115200 },
];

/** One entry per driver of DESIGN.md §3; defaults match the drivers' own. */
export const DRIVER_FORMS: Record<string, DriverForm> = {
  'visca-ip': { kind: 'camera', fields: [host('192.168.1.50'), port(52381)] },
  'visca-tcp': { kind: 'camera', fields: [host('192.168.1.51'), port(5678)] },
  'visca-serial': { kind: 'camera', fields: [...serial(), { key: 'address', label: 'field.address', type: 'number', default: 1, min: 1, max: 7 }] },
  onvif: {
    kind: 'camera',
    fields: [
      host('192.168.1.52'),
      port(80),
      { key: 'username', label: 'field.username', type: 'text', required: true },
      { key: 'password', label: 'field.password', type: 'password', required: true },
    ],
  },
  pjlink: { kind: 'display', fields: [host('192.168.1.60'), port(4352), { key: 'password', label: 'field.password', type: 'password' }] },
  'samsung-mdc': { kind: 'display', fields: [host('192.168.1.61'), port(1515), { key: 'displayId', label: 'field.displayId', type: 'number', default: 0, min: 0, max: 254 }] },
  'lg-serial': { kind: 'display', fields: [...serial(), { key: 'setId', label: 'field.setId', type: 'number', default: 1, min: 0, max: 99 }] },
  tesira: {
    kind: 'audio',
    fields: [
      host('192.168.1.70'),
      port(23),
      { key: 'instance', label: 'field.instance', type: 'text', required: true, placeholder: 'Level1' },
      { key: 'channel', label: 'field.channel', type: 'number', default: 1, min: 1, max: 256 },
    ],
  },
  shure: { kind: 'audio', fields: [host('192.168.1.71'), port(2202)] },
  'hid-speakerphone': {
    kind: 'audio',
    fields: [
      { key: 'vendorId', label: 'field.vendorId', type: 'number', required: true, min: 0, max: 65535 },
      { key: 'productId', label: 'field.productId', type: 'number', required: true, min: 0, max: 65535 },
    ],
  },
};

/** Example arguments for the command tester, by command name. */
export const EXAMPLE_ARGS: Record<string, Record<string, unknown>> = {
  'ptz.move': { pan: 0.3, tilt: 0, zoom: 0 },
  'ptz.stop': {},
  'ptz.absolute': { pan: 0, tilt: 0, zoom: 0 },
  'preset.recall': { preset: 1 },
  'preset.save': { preset: 1 },
  power: { on: true },
  input: { source: 'hdmi1' },
  volume: { level: 50 },
  mute: { on: true },
  level: { db: -10 },
  'console.raw': { request: '81 09 04 00 FF' },
};

export const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** What the device form starts from when adding a device found by discovery (C5); the technician completes it. */
export interface DeviceDraft {
  id?: string;
  name: string;
  kind: DeviceView['kind'];
  driver: string;
  connection: Record<string, unknown>;
}

/** A device `discovery.scan` found (appliance/discovery.ts). */
export interface DiscoveredDevice {
  driver: string;
  kind: DeviceView['kind'];
  name: string;
  connection: Record<string, unknown>;
}

/** The first free id of the form `<kind>-<n>` (camera-1, display-2, …), a starting point the technician may change. */
export function suggestDeviceId(kind: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`${kind}-${n}`)) return `${kind}-${n}`;
}

/** An example request for the raw console, in the driver's own protocol. */
export function consoleExample(driver: string, connection: Record<string, unknown> = {}): string {
  switch (driver) {
    case 'visca-ip':
    case 'visca-tcp':
    case 'visca-serial':
      return '81 09 04 00 FF';
    case 'pjlink':
      return '%1POWR ?';
    case 'samsung-mdc':
      return '11';
    case 'lg-serial':
      return 'ka 01 ff';
    case 'tesira':
      return `${typeof connection.instance === 'string' && connection.instance ? connection.instance : 'Level1'} get mute ${connection.channel ?? 1}`;
    case 'shure':
      return '< GET DEVICE_ID >';
    default:
      return '';
  }
}
