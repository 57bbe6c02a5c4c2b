// Device simulators by kind, for `diemcau sim <kind>` (technicians rehearse without hardware) and tests.
// Network simulators listen on loopback by default; serial ones get a socat pty pair with --pty and
// print the end a driver should open.
import { ViscaIpSimulator } from './visca-ip-sim.js';
import { ViscaTcpSimulator } from './visca-tcp-sim.js';
import { ViscaSerialSimulator } from './visca-serial-sim.js';
import { OnvifSimulator } from './onvif-sim.js';
import { PjlinkSimulator } from './pjlink-sim.js';
import { SamsungMdcSimulator } from './samsung-mdc-sim.js';
import { LgSerialSimulator } from './lg-serial-sim.js';
import { TesiraSimulator } from './tesira-sim.js';
import { ShureSimulator } from './shure-sim.js';
import { openSocatPtyPair, type SocatPtyPair } from './socat-pty.js';

export { ViscaIpSimulator, type ViscaIpSimulatorOptions, type ViscaSimState, type SimDatagram } from './visca-ip-sim.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Serial simulators: create a socat pty pair (the default for them; there is no other serial end here). */
  pty?: boolean;
}

export interface RunningSimulator {
  kind: string;
  /** Where a driver connects: {host, port} or {path} of the driver's end of the pty. */
  address: Record<string, unknown>;
  simulator: { stop(): Promise<void> };
  stop(): Promise<void>;
}

interface SimSpec {
  defaultPort?: number;
  serial?: boolean;
  start(o: { host: string; port?: number; path?: string }): Promise<{ simulator: { stop(): Promise<void> }; address: Record<string, unknown> }>;
}

const net = <S extends { start(): Promise<any>; stop(): Promise<void> }>(make: (host: string, port: number) => S, defaultPort: number): SimSpec => ({
  defaultPort,
  async start({ host, port }) {
    const simulator = make(host, port ?? defaultPort);
    const a = await simulator.start();
    return { simulator, address: { host: a.host ?? host, port: a.port } };
  },
});
const serial = <S extends { start(): Promise<any>; stop(): Promise<void> }>(make: (path: string) => S): SimSpec => ({
  serial: true,
  async start({ path }) {
    const simulator = make(path!);
    await simulator.start();
    return { simulator, address: {} };
  },
});

export const SIMULATORS: Record<string, SimSpec> = {
  'visca-ip': net((host, port) => new ViscaIpSimulator({ host, port }), 52381),
  'visca-tcp': net((host, port) => new ViscaTcpSimulator({ host, port }), 5678),
  'visca-serial': serial((path) => new ViscaSerialSimulator({ path, baudRate: 9600 })),
  onvif: net((host, port) => new OnvifSimulator({ host, port, username: 'admin', password: 'admin', rtsp: true }), 8000),
  pjlink: net((host, port) => new PjlinkSimulator({ host, port }), 4352),
  'samsung-mdc': net((host, port) => new SamsungMdcSimulator({ host, port }), 1515),
  'lg-serial': serial((path) => new LgSerialSimulator({ path, baudRate: 9600 })),
  tesira: net((host, port) => new TesiraSimulator({ host, port }), 2323),
  shure: net((host, port) => new ShureSimulator({ host, port }), 2202),
};
export const SIMULATOR_KINDS = Object.keys(SIMULATORS);

export async function startSimulator(kind: string, opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const spec = SIMULATORS[kind];
  if (!spec) throw new Error(`unknown simulator kind "${kind}" (known: ${SIMULATOR_KINDS.join(', ')})`);
  if (spec.serial) {
    const pair: SocatPtyPair = await openSocatPtyPair();
    try {
      const { simulator } = await spec.start({ host: '', path: pair.simPath });
      return {
        kind,
        address: { path: pair.driverPath },
        simulator,
        stop: async () => {
          await simulator.stop();
          await pair.stop();
        },
      };
    } catch (err) {
      await pair.stop();
      throw err;
    }
  }
  if (opts.pty) throw new Error(`the ${kind} simulator is a network device; --pty is for serial simulators`);
  const { simulator, address } = await spec.start({ host: opts.host ?? '127.0.0.1', port: opts.port });
  return { kind, address, simulator, stop: () => simulator.stop() };
}
