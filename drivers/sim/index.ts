// Device simulators by kind, for `diemcau sim <kind>` and for tests.
import { ViscaIpSimulator, type ViscaIpSimulatorOptions } from './visca-ip-sim.js';

export { ViscaIpSimulator, type ViscaIpSimulatorOptions, type ViscaSimState, type SimDatagram } from './visca-ip-sim.js';

export const SIMULATOR_KINDS = ['visca-ip'] as const;

export interface SimulatorOptions extends ViscaIpSimulatorOptions {
  /** Serial simulators (later) expose a pty; 'visca-ip' is UDP only. */
  pty?: unknown;
}

export interface RunningSimulator {
  kind: string;
  address: { host: string; port: number };
  simulator: ViscaIpSimulator;
  stop(): Promise<void>;
}

export async function startSimulator(kind: string, opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  if (kind !== 'visca-ip') throw new Error(`unknown simulator kind "${kind}" (known: ${SIMULATOR_KINDS.join(', ')})`);
  if (opts.pty) throw new Error('the visca-ip simulator is UDP only; --pty is for serial simulators');
  const { pty: _pty, ...simOpts } = opts;
  const simulator = new ViscaIpSimulator(simOpts);
  const address = await simulator.start();
  return { kind, address, simulator, stop: () => simulator.stop() };
}
