// A bound on something the driver does not control (a TCP connect, a library call, a HID write).
import { DeviceError } from '../types.js';

/** Settles like `p`, or rejects with DeviceError('timeout', message()) when `p` has not settled within ms. */
export function bounded<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeviceError('timeout', message())), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
