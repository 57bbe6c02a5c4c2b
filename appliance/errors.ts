// Errors are values at the boundary: {error, message} with a stable code and an HTTP status.
import { DeviceError, type DeviceErrorCode } from '../drivers/types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const deviceStatus: Record<DeviceErrorCode, number> = {
  timeout: 504,
  unreachable: 503,
  busy: 503,
  rejected: 409,
  syntax: 502,
  bad_reply: 502,
  invalid_argument: 400,
  not_supported: 400,
  closed: 503,
};

/** Maps anything thrown by a handler to what the client may see: never a stack trace. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DeviceError) return new ApiError(deviceStatus[err.code] ?? 502, `device_${err.code}`, err.message);
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e && e.validation) return new ApiError(400, 'invalid_arguments', e.message ?? 'invalid arguments');
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return new ApiError(e.statusCode, e.code ? String(e.code).toLowerCase() : 'bad_request', e.message ?? 'bad request');
  if (e && typeof e.code === 'string' && /^[a-z_]+$/.test(e.code)) return new ApiError(502, e.code, e.message ?? e.code);
  return new ApiError(500, 'internal', 'internal error');
}
