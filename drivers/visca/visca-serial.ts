// A PTZ camera on a VISCA serial line (RS-232/RS-422, protocols.md §1.1–1.8): 9600 or 38400 bps 8N1, no
// flow control, through `serialport`. At start the driver sends the broadcast Address Set and IF_Clear; an
// unplugged USB adapter ('close'/'error' on the port) makes the camera offline and the port is re-opened with
// back-off; `z0 38 FF` (Network Change) makes the driver Address Set again. The command/reply semantics are
// shared with the other VISCA drivers (ViscaStreamDriver → ViscaCameraCore).
import { SerialByteStream } from '../transports/serial.js';
import { VISCA_CORE_DEFAULTS, type ViscaCoreConnection } from './camera-core.js';
import { ViscaStreamDriver } from './visca-stream.js';

/** The serial byte stream lives in drivers/transports/ (shared with the display drivers); re-exported here. */
export { SerialByteStream } from '../transports/serial.js';

export interface ViscaSerialConnection extends ViscaCoreConnection {
  /** Serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/… */
  path: string;
  baudRate: number;
}

export const VISCA_SERIAL_DEFAULTS: Omit<ViscaSerialConnection, 'path'> = {
  ...VISCA_CORE_DEFAULTS,
  baudRate: 9600,
};

/** Baud rates VISCA cameras offer (FCB block cameras also 19200). */
export const VISCA_BAUD_RATES = [9600, 19200, 38400] as const;

export class ViscaSerialDriver extends ViscaStreamDriver<ViscaSerialConnection> {
  readonly driver = 'visca-serial';

  constructor(connection: Partial<ViscaSerialConnection> & { path: string }) {
    const c: ViscaSerialConnection = { ...VISCA_SERIAL_DEFAULTS, ...connection };
    super(c, new SerialByteStream(c.path, c.baudRate), 'address-set');
  }

  protected describe(): string {
    return `Camera ${this.connection.address} on ${this.connection.path}`;
  }
}
