// Every driver the box knows, by the `driver` name used in PUT /api/v1/devices/:id (DESIGN.md §3).
import type { DriverFactory } from './types.js';
import { viscaIpFactory, viscaSerialFactory, viscaTcpFactory } from './visca/index.js';
import { onvifFactory } from './onvif/index.js';
import { pjlinkFactory } from './pjlink/index.js';
import { samsungMdcFactory } from './samsung-mdc/index.js';
import { lgSerialFactory } from './lg/index.js';
import { tesiraFactory } from './tesira/index.js';
import { shureFactory } from './shure/index.js';
import { hidSpeakerphoneFactory } from './hid-speakerphone/index.js';

export const driverFactories: Record<string, DriverFactory> = Object.fromEntries(
  [
    viscaIpFactory,
    viscaTcpFactory,
    viscaSerialFactory,
    onvifFactory,
    pjlinkFactory,
    samsungMdcFactory,
    lgSerialFactory,
    tesiraFactory,
    shureFactory,
    hidSpeakerphoneFactory,
  ].map((f) => [f.driver, f]),
);
