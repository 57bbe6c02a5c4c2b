// Every driver the box knows, by the `driver` name used in PUT /api/v1/devices/:id (DESIGN.md §3).
import type { DriverFactory } from './types.js';
import { viscaIpFactory } from './visca/index.js';

export const driverFactories: Record<string, DriverFactory> = {
  [viscaIpFactory.driver]: viscaIpFactory,
};
