// JSON Schema pieces of the drivers' connection settings (DriverFactory.connectionSchema), so that a setting
// several drivers have is described the same way in each.

/** An integer setting in minimum..maximum; with `def` undefined there is no JSON default (the driver applies one). */
export function integerSetting(minimum: number, maximum: number, def: number | undefined, description: string): Record<string, unknown> {
  return { type: 'integer', minimum, maximum, ...(def === undefined ? {} : { default: def }), description };
}

/** The device's address: `{ host }` of a network driver. */
export function hostSetting(description: string): Record<string, unknown> {
  return { type: 'string', minLength: 1, maxLength: 253, description };
}

/** reconnectMinMs and reconnectMaxMs: the back-off of a driver whose device went away. */
export function reconnectSettings(d: { reconnectMinMs: number; reconnectMaxMs: number }, maxNote = ''): Record<string, unknown> {
  return {
    reconnectMinMs: integerSetting(10, 60_000, d.reconnectMinMs, 'First reconnect delay when offline (doubles)'),
    reconnectMaxMs: integerSetting(10, 600_000, d.reconnectMaxMs, `Longest reconnect delay${maxNote}`),
  };
}

/** `inputs`: extra source names (hdmi1, pc, …) → the device's input codes, each matching `code`. */
export function inputsSetting(description: string, code: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', description, propertyNames: { pattern: '^[a-z0-9_-]{1,32}$' }, additionalProperties: code };
}

/** An input code of the displays that take one byte (Samsung MDC, LG). */
export const BYTE_INPUT_CODE = { type: 'integer', minimum: 0, maximum: 255 };

/** The serial speeds the display drivers offer. */
export const DISPLAY_BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
