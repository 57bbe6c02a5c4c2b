// What every device driver offers the room controller. The controller and the panel depend on these
// capability interfaces only, never on which protocol is behind them.
import type { EventEmitter } from 'node:events';

export type DeviceKind = 'camera' | 'display' | 'audio';
export type DeviceStatus = 'connecting' | 'online' | 'degraded' | 'offline';

/** Stable error codes; REST maps them to HTTP statuses (see appliance/errors.ts). */
export type DeviceErrorCode =
  | 'timeout' // the device did not answer within the bounded timeout
  | 'unreachable' // no route / socket error / device offline
  | 'busy' // the device said its buffers are full
  | 'rejected' // the device refused the command (e.g. VISCA "not executable")
  | 'syntax' // the device did not understand the bytes (a bug on our side or a wrong model)
  | 'bad_reply' // the reply could not be decoded
  | 'invalid_argument'
  | 'not_supported'
  | 'closed'; // the driver was stopped while the command was pending

export class DeviceError extends Error {
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

export interface DeviceHealth {
  status: DeviceStatus;
  lastReplyAt: number | null; // epoch ms of the last reply the device sent
  errorCount: number;
  lastError: string | null;
}

/** Continuous speeds in [-1, 1]: pan > 0 right, tilt > 0 up, zoom > 0 tele; 0 stops that axis. */
export interface PtzSpeed {
  pan: number;
  tilt: number;
  zoom: number;
}
/** pan, tilt in [-1, 1] across the camera's range; zoom in [0, 1] wide → tele. */
export interface PtzPosition {
  pan: number;
  tilt: number;
  zoom: number;
}

export interface Ptz {
  move(speed: PtzSpeed): Promise<void>;
  stop(): Promise<void>;
  absolute(position: PtzPosition): Promise<void>;
}
/**
 * Driver.stop() closes the driver and Ptz.stop() stops motion: in `Camera` they are one method, and the device
 * manager calls stop() to close. A camera driver therefore also implements ptzStop() for the motion stop;
 * the 'ptz.stop' capability calls ptzStop().
 */
export interface PtzStop {
  ptzStop(): Promise<void>;
}
export interface Presets {
  recallPreset(preset: number): Promise<void>;
  savePreset(preset: number, name?: string): Promise<void>;
}
export interface Power {
  power(on: boolean): Promise<void>;
}

/** Displays and projectors: `hdmi1`, `hdmi2`, `dp1`, `rgb1`, … (each driver maps them to its codes). */
export interface Input {
  setInput(source: string): Promise<void>;
}
/** Output volume 0–100 (displays, DSP outputs). */
export interface Volume {
  setVolume(level: number): Promise<void>;
}
/** Audio mute (display speakers, DSP channel, microphone array, speakerphone). */
export interface Mute {
  setMute(on: boolean): Promise<void>;
}
/** A DSP gain in dB. */
export interface Level {
  setLevel(db: number): Promise<void>;
}
/** Live meter readings (dB), pushed through the 'state' event as {levels: {...}}. */
export interface Levels {
  subscribeLevels(intervalMs: number): Promise<void>;
}
/** A raw protocol exchange for the technician console (issue 3): bytes or text in, the device's reply out. */
export interface RawConsole {
  raw(request: string): Promise<string>;
}

export interface DriverEvents {
  /** Emitted on every status change. */
  status: [DeviceStatus];
  /** A piece of device state changed (power, position, preset, …); merged into the room state tree. */
  state: [Record<string, unknown>];
}

export interface Driver extends EventEmitter<DriverEvents> {
  readonly driver: string;
  readonly kind: DeviceKind;
  start(): Promise<void>; // begins connecting; resolves once the first attempt ran (online or not)
  stop(): Promise<void>; // closes sockets; pending commands fail with DeviceError('closed')
  health(): DeviceHealth;
  /** Last known device state (power, position, …), for GET /api/v1/room and the panel. */
  state(): Record<string, unknown>;
}

export type Camera = Driver & Ptz & Presets & Power;

/** Per driver name: how to build it from its `connection` object (validated by `connectionSchema`). */
export interface DriverFactory {
  driver: string;
  kind: DeviceKind;
  connectionSchema: Record<string, unknown>; // JSON Schema
  create(connection: Record<string, unknown>): Driver;
}
