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

export const DRIVER_FORMS: Record<string, DriverForm> = {
  'visca-ip': {
    kind: 'camera',
    fields: [
      { key: 'host', label: 'field.host', type: 'text', required: true, placeholder: '192.168.1.50' },
      { key: 'port', label: 'field.port', type: 'number', default: 52381, min: 1, max: 65535 },
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
};

export const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
