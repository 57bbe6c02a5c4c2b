// A connected pair of pseudo-terminals from socat (protocols.md §5), for serial simulators run standalone
// (`diemcau sim visca-serial --pty`) or in tests: the simulator opens one end, the driver the other.
// `socat -d -d pty,raw,echo=0,link=<dir>/ttyA pty,raw,echo=0,link=<dir>/ttyB`; socat removes the links when
// it exits, so killing it is exactly "the cable is pulled" for whoever has either end open.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SocatPtyPair {
  /** The end a driver opens (`connection.path`). */
  driverPath: string;
  /** The end the simulator opens. */
  simPath: string;
  process: ChildProcess;
  /** Kills socat and waits for it to exit (the links disappear); removes the directory if it made it. */
  stop(): Promise<void>;
}

/** Spawns socat and waits, bounded by `timeoutMs` (default 5000), until both links exist. */
export async function openSocatPtyPair(opts: { dir?: string; timeoutMs?: number } = {}): Promise<SocatPtyPair> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'diemcau-pty-'));
  const removeDir = () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  const driverPath = join(dir, 'ttyA');
  const simPath = join(dir, 'ttyB');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${driverPath}`, `pty,raw,echo=0,link=${simPath}`], { stdio: 'ignore' });
  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const deadline = performance.now() + (opts.timeoutMs ?? 5000);
  while (!existsSync(driverPath) || !existsSync(simPath)) {
    if (spawnError || child.exitCode !== null || performance.now() > deadline) {
      child.kill();
      removeDir();
      throw new Error(`socat did not create ${driverPath} and ${simPath}${spawnError ? `: ${(spawnError as Error).message}` : ''} (is socat installed?)`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    removeDir();
  };
  return { driverPath, simPath, process: child, stop };
}
