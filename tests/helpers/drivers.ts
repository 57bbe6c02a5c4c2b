// Set-up shared by the driver tests: cleanups after each test, waiting for a driver's status or state, catching
// the DeviceError of a command, socat pty pairs that can be unplugged and plugged back, and a bare TCP server
// for misbehaving peers.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { openSocatPtyPair, type SocatPtyPair } from '../../drivers/sim/socat-pty.js';
import { DeviceError, type DeviceStatus, type Driver } from '../../drivers/types.js';

export type Cleanup = () => Promise<unknown>;

/** A list to push cleanups on; after each test they run, newest first (one that fails does not stop the others). */
export function useCleanups(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {});
  });
  return cleanups;
}

/** Resolves once the driver's status is `status` (at once if it already is). */
export function waitForStatus(driver: Driver, status: DeviceStatus): Promise<void> {
  return new Promise((resolve) => {
    if (driver.health().status === status) return resolve();
    const on = (s: DeviceStatus) => {
      if (s === status) {
        driver.off('status', on);
        resolve();
      }
    };
    driver.on('status', on);
  });
}

/** Resolves at the first 'state' event (or the current state) that satisfies `pred`. */
export function waitForState(driver: Driver, pred: (s: Record<string, any>) => boolean): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    if (pred(driver.state())) return resolve(driver.state());
    const on = (s: Record<string, unknown>) => {
      if (pred(s)) {
        driver.off('state', on);
        resolve(s);
      }
    };
    driver.on('state', on);
  });
}

/** The DeviceError `p` rejects with (the test fails if it resolves or rejects with anything else). */
export function errorOf(p: Promise<unknown>): Promise<DeviceError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => {
      expect(e).toBeInstanceOf(DeviceError);
      return e as DeviceError;
    },
  );
}

/** A socat pty pair: the driver opens `a`, the simulator `b`. kill() is the cable pulled; start() again plugs it back on the same paths. */
export interface PtyPair {
  a: string;
  b: string;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** Makes pty pairs (not started); after the test file every one is killed and its directory removed. */
export function usePtyPairs(): () => PtyPair {
  const made: { pair: PtyPair; dir: string }[] = [];
  afterAll(async () => {
    for (const { pair, dir } of made) {
      await pair.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-pty-'));
    let socat: SocatPtyPair | null = null;
    const pair: PtyPair = {
      a: join(dir, 'ttyA'),
      b: join(dir, 'ttyB'),
      async start() {
        socat = await openSocatPtyPair({ dir });
      },
      async kill() {
        const s = socat;
        socat = null;
        await s?.stop();
      },
    };
    made.push({ pair, dir });
    return pair;
  };
}

/** A bare TCP server on 127.0.0.1 (ephemeral port) running `onConnection` per client; closed by `cleanups`. */
export async function rawTcpServer(cleanups: Cleanup[], onConnection: (socket: net.Socket) => void): Promise<{ port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, sockets };
}
