#!/usr/bin/env node
// diemcau start | central | sim <kind>   (DESIGN.md §3)
import { parseArgs } from 'node:util';
import { startAppliance } from './server.js';
import { startSimulator } from '../drivers/sim/index.js';

const usage = `Cách dùng / usage:
  diemcau start   [--config FILE] [--data DIR] [--port N]   hộp phòng họp + máy chủ họp nhúng (no config: simulated room)
  diemcau central [--data DIR] [--port N]                    máy chủ họp / central meeting service alone
  diemcau sim <kind> [--port N | --pty]                      thiết bị mô phỏng / device simulator
        kinds: visca-ip visca-tcp visca-serial onvif pjlink samsung-mdc lg-serial tesira shure`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      pty: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !command) {
    console.log(usage);
    process.exit(command ? 0 : 2);
  }
  const port = Number(values.port ?? process.env.DIEMCAU_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const dataDir = values.data ?? process.env.DIEMCAU_DATA ?? './data';

  if (command === 'start' || command === 'central') {
    const box = await startAppliance({
      port,
      host: values.host,
      dataDir,
      configFile: values.config ?? process.env.DIEMCAU_CONFIG,
      centralOnly: command === 'central',
    });
    console.log(`diemcau ${command}: ${box.url.replace('127.0.0.1', 'localhost')}  (panel /, display /display, admin /admin)`);
    const stop = async () => {
      await box.close().catch(() => {});
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  if (command === 'sim') {
    const kind = positionals[0];
    if (!kind) throw new Error('sim needs a kind, e.g. diemcau sim visca-ip');
    const sim = await startSimulator(kind, { port: values.port ? port : undefined, host: values.host ?? '127.0.0.1', pty: values.pty });
    console.log(`simulator ${kind} listening: ${JSON.stringify(sim.address)}`);
    const stop = async () => {
      await sim.stop().catch(() => {});
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  console.error(usage);
  process.exit(2);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`diemcau: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
