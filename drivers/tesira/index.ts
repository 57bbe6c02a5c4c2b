// The 'tesira' driver as the device manager sees it: a connection schema and a constructor.
import { hostSetting, integerSetting as int, reconnectSettings } from '../core/connection-schema.js';
import { checkIntegersExcept, requireString } from '../core/connection-checks.js';
import { DeviceError, type DriverFactory } from '../types.js';
import { TESIRA_DEFAULTS, TesiraDriver, type TesiraConnection } from './driver.js';

export { TesiraDriver, TESIRA_DEFAULTS, levelToken, type TesiraConnection, type TesiraState } from './driver.js';

const d = TESIRA_DEFAULTS;
const tag = (description: string) => ({ type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\r\\n"\\\\]+$', description });

export const tesiraConnectionSchema: Record<string, unknown> = {
  type: 'object',
  required: ['host', 'instance'],
  additionalProperties: false,
  properties: {
    host: hostSetting('Tesira server IP address or host name'),
    port: int(1, 65535, d.port, 'Telnet port (Tesira: 23)'),
    instance: tag('Instance tag of the Level/Mute block, exactly as in the design file (case-sensitive)'),
    channel: int(1, 256, d.channel, 'Channel (index) inside the block, 1-based'),
    meterInstance: tag('Block whose level is subscribed for metering; defaults to instance'),
    timeoutMs: int(10, 30_000, d.timeoutMs, 'Bound on connecting, on the banner, and on each reply'),
    ...reconnectSettings(d),
    keepaliveMs: int(0, 600_000, d.keepaliveMs, 'Probe an idle session after this long without traffic (0 = never)'),
  },
};

export const tesiraFactory: DriverFactory = {
  driver: 'tesira',
  kind: 'audio',
  connectionSchema: tesiraConnectionSchema,
  create(connection) {
    const c = connection as Partial<TesiraConnection>;
    const host = requireString('tesira', c, 'host');
    if (typeof c.instance !== 'string' || c.instance.length === 0 || /[\r\n"\\]/.test(c.instance))
      throw new DeviceError('invalid_argument', 'tesira needs connection.instance (the block instance tag, no quotes or line breaks)');
    if (c.meterInstance !== undefined && (typeof c.meterInstance !== 'string' || c.meterInstance.length === 0 || /[\r\n"\\]/.test(c.meterInstance)))
      throw new DeviceError('invalid_argument', 'tesira connection.meterInstance must be an instance tag');
    checkIntegersExcept('tesira', c, ['host', 'instance', 'meterInstance']);
    return new TesiraDriver({ ...c, host, instance: c.instance });
  },
};
