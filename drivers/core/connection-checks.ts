// Checks a factory runs on a `connection` object before it builds its driver. The JSON Schema gives ranges and
// defaults; these catch the wrong types a caller that bypasses the schema could pass. Every failure is
// DeviceError('invalid_argument') naming the driver and the setting.
import { DeviceError } from '../types.js';

/** `connection[key]` must be a non-empty string ("pjlink needs connection.host"); returns it. */
export function requireString(driver: string, c: object, key: string): string {
  const v = (c as Record<string, unknown>)[key];
  if (typeof v !== 'string' || v.length === 0) throw new DeviceError('invalid_argument', `${driver} needs connection.${key}`);
  return v;
}

/** Each of `keys` that is set must be a non-negative integer. */
export function checkIntegers(driver: string, c: object, keys: readonly string[]): void {
  for (const k of keys) {
    const v = (c as Record<string, unknown>)[k];
    if (v !== undefined && !isNonNegativeInteger(v)) throw notAnInteger(driver, k);
  }
}

/** Every setting but the `except` ones must be a non-negative integer (drivers whose other settings all are). */
export function checkIntegersExcept(driver: string, c: object, except: readonly string[]): void {
  for (const [k, v] of Object.entries(c)) if (!except.includes(k) && !isNonNegativeInteger(v)) throw notAnInteger(driver, k);
}

/** `connection.inputs` (source name → device input code), when set: an object whose every code passes `isCode`. */
export function checkInputs(driver: string, inputs: unknown, isCode: (code: unknown) => boolean, codeIs: string): void {
  if (inputs === undefined) return;
  if (typeof inputs !== 'object' || inputs === null) throw new DeviceError('invalid_argument', `${driver} connection.inputs must be an object`);
  for (const [name, code] of Object.entries(inputs)) if (!isCode(code)) throw new DeviceError('invalid_argument', `${driver} connection.inputs.${name} must be ${codeIs}`);
}

/** An input code of the displays that take one byte (Samsung MDC, LG): an integer 0..255. */
export const isByteCode = (code: unknown) => typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 255;

const isNonNegativeInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const notAnInteger = (driver: string, key: string) => new DeviceError('invalid_argument', `${driver} connection.${key} must be a non-negative integer`);
