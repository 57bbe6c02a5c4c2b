// The device commands of DESIGN.md §3, declared once per capability. The appliance's command registry
// registers each of these, so REST, WebSocket, the panel and OpenAPI all use the same list.
import { DeviceError, type Driver } from './types.js';

export interface DeviceCommandSpec {
  name: string;
  summary: string;
  args: Record<string, unknown>; // JSON Schema of the arguments
  /** Only these roles, instead of everyone who operates the room (e.g. the raw console: technicians). */
  roles?: readonly string[];
  /** True when the driver implements what this command needs. */
  supports(driver: Driver): boolean;
  run(driver: Driver, args: Record<string, any>): Promise<unknown>;
}

const unit = { type: 'number', minimum: -1, maximum: 1 };
const has = (d: Driver, ...methods: string[]) => methods.every((m) => typeof (d as any)[m] === 'function');

export const deviceCommands: DeviceCommandSpec[] = [
  {
    name: 'ptz.move',
    summary: 'Move continuously (speeds in [-1,1], 0 stops that axis) / Quay liên tục',
    args: {
      type: 'object',
      properties: { pan: unit, tilt: unit, zoom: unit },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'move'),
    run: (d, a) => (d as any).move({ pan: a.pan ?? 0, tilt: a.tilt ?? 0, zoom: a.zoom ?? 0 }),
  },
  {
    name: 'ptz.stop',
    summary: 'Stop pan, tilt and zoom / Dừng',
    args: { type: 'object', properties: {}, additionalProperties: false },
    // Not d.stop(): on a Driver that closes it (see PtzStop in types.ts).
    supports: (d) => has(d, 'ptzStop'),
    run: (d) => (d as any).ptzStop(),
  },
  {
    name: 'ptz.absolute',
    summary: 'Go to an absolute position / Đến vị trí tuyệt đối',
    args: {
      type: 'object',
      required: ['pan', 'tilt'],
      properties: { pan: unit, tilt: unit, zoom: { type: 'number', minimum: 0, maximum: 1 } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'absolute'),
    run: (d, a) => (d as any).absolute({ pan: a.pan, tilt: a.tilt, zoom: a.zoom ?? 0 }),
  },
  {
    name: 'preset.recall',
    summary: 'Recall a preset / Gọi vị trí đặt sẵn',
    args: {
      type: 'object',
      required: ['preset'],
      properties: { preset: { type: 'integer', minimum: 0, maximum: 127 } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'recallPreset'),
    run: (d, a) => (d as any).recallPreset(a.preset),
  },
  {
    name: 'preset.save',
    summary: 'Save the current position as a preset / Lưu vị trí đặt sẵn',
    args: {
      type: 'object',
      required: ['preset'],
      properties: {
        preset: { type: 'integer', minimum: 0, maximum: 127 },
        name: { type: 'string', maxLength: 64 },
      },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'savePreset'),
    run: (d, a) => (d as any).savePreset(a.preset, a.name),
  },
  {
    name: 'power',
    summary: 'Power on or standby / Bật hoặc chờ',
    args: {
      type: 'object',
      required: ['on'],
      properties: { on: { type: 'boolean' } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'power'),
    run: (d, a) => (d as any).power(a.on),
  },
  {
    name: 'input',
    summary: 'Select the input source (hdmi1, hdmi2, …) / Chọn nguồn vào',
    args: {
      type: 'object',
      required: ['source'],
      properties: { source: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'setInput'),
    run: (d, a) => (d as any).setInput(a.source),
  },
  {
    name: 'volume',
    summary: 'Set the volume 0–100 / Đặt âm lượng',
    args: {
      type: 'object',
      required: ['level'],
      properties: { level: { type: 'integer', minimum: 0, maximum: 100 } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'setVolume'),
    run: (d, a) => (d as any).setVolume(a.level),
  },
  {
    name: 'mute',
    summary: 'Mute or unmute audio / Tắt hoặc bật tiếng',
    args: {
      type: 'object',
      required: ['on'],
      properties: { on: { type: 'boolean' } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'setMute'),
    run: (d, a) => (d as any).setMute(a.on),
  },
  {
    name: 'level',
    summary: 'Set a gain in dB / Đặt mức khuếch đại (dB)',
    args: {
      type: 'object',
      required: ['db'],
      properties: { db: { type: 'number', minimum: -100, maximum: 12 } },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'setLevel'),
    run: (d, a) => (d as any).setLevel(a.db),
  },
  {
    name: 'console.raw',
    summary: 'Technician console: send a raw protocol message, get the raw reply / Gửi lệnh thô',
    roles: ['technician', 'admin'],
    args: {
      type: 'object',
      required: ['request'],
      properties: {
        request: { type: 'string', minLength: 1, maxLength: 512, description: 'hex bytes for binary protocols (81 09 04 00 FF), text for text protocols' },
      },
      additionalProperties: false,
    },
    supports: (d) => has(d, 'raw'),
    run: async (d, a) => ({ reply: await (d as any).raw(a.request) }),
  },
];

export function runDeviceCommand(driver: Driver, name: string, args: Record<string, any>): Promise<unknown> {
  const spec = deviceCommands.find((c) => c.name === name);
  if (!spec) throw new DeviceError('not_supported', `unknown device command ${name}`);
  if (!spec.supports(driver)) throw new DeviceError('not_supported', `${driver.driver} does not support ${name}`);
  return spec.run(driver, args);
}
