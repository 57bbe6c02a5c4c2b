// One mediasoup worker per core (DESIGN.md §9): routers are spread round-robin. A worker that dies is
// logged loudly and replaced, so the next router lands on a live process; routers that lived on the dead
// worker are closed by mediasoup and their owners see `router.closed`.
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { mediaCodecs } from './codecs.js';

type Router = mediasoup.types.Router;
type Worker = mediasoup.types.Worker;

export interface WorkerPoolOptions {
  log: Logger;
  workers?: number;
  rtcMinPort?: number;
  rtcMaxPort?: number;
}

export interface WorkerPool {
  createRouter(): Promise<Router>;
  /** The live workers (a replaced worker is swapped in place). */
  readonly workers: Worker[];
  close(): Promise<void>;
}

const RESPAWN_DELAY_MS = 1000;

export async function createWorkerPool(opts: WorkerPoolOptions): Promise<WorkerPool> {
  const { log } = opts;
  const count = Math.max(1, opts.workers ?? os.cpus().length);
  const settings: mediasoup.types.WorkerSettings = {
    logLevel: 'warn',
    ...(opts.rtcMinPort ? { rtcMinPort: opts.rtcMinPort } : {}),
    ...(opts.rtcMaxPort ? { rtcMaxPort: opts.rtcMaxPort } : {}),
  };
  const workers: Worker[] = [];
  let closed = false;
  let next = 0;

  const spawn = async (slot: number): Promise<void> => {
    const worker = await mediasoup.createWorker(settings);
    workers[slot] = worker;
    worker.on('died', (err) => {
      log.error({ err, pid: worker.pid, slot }, 'mediasoup worker died — replacing it / tiến trình media bị dừng');
      if (closed) return;
      // A short pause keeps a worker that dies at start from spinning the CPU.
      setTimeout(() => {
        if (closed) return;
        spawn(slot).then(
          () => log.warn({ slot, pid: workers[slot]?.pid }, 'mediasoup worker replaced'),
          (e) => log.error({ err: e, slot }, 'could not replace mediasoup worker'),
        );
      }, RESPAWN_DELAY_MS).unref();
    });
  };

  await Promise.all(Array.from({ length: count }, (_, i) => spawn(i)));
  log.info({ workers: count, pids: workers.map((w) => w.pid) }, 'mediasoup workers started');

  return {
    workers,
    async createRouter() {
      if (closed) throw new Error('worker pool is closed');
      for (let tries = 0; tries < workers.length; tries++) {
        const worker = workers[next++ % workers.length];
        if (worker && !worker.closed && !worker.died) return worker.createRouter({ mediaCodecs });
      }
      throw new Error('no live mediasoup worker');
    },
    async close() {
      closed = true;
      for (const w of workers) if (!w.closed) w.close();
    },
  };
}
