// bench/control-latency: from a WebSocket command leaving the client to the first byte arriving at the
// VISCA-IP simulator, p50/p99 over N commands, beside a bare script that sends the same bytes on a UDP
// socket to the same simulator in the same run (the floor: kernel + event loop, no diemcau).
// Run: npm run build && node dist/bench/control-latency.js [N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import WebSocket from 'ws';
import { startAppliance } from '../appliance/server.js';
import { ViscaIpSimulator } from '../drivers/sim/visca-ip-sim.js';

const N = Number(process.argv[2] ?? 1000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
};

async function main() {
  const sim = new ViscaIpSimulator({ port: 0, host: '127.0.0.1', moveTimeMs: 0 });
  const { port } = await sim.start();
  // The first datagram after each send is the one measured (a command may send more than one).
  let firstArrival = 0n;
  sim.on('command', (ev: { time: bigint }) => {
    if (firstArrival === 0n) firstArrival = ev.time;
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'diemcau-bench-'));
  const box = await startAppliance({ port: 0, host: '127.0.0.1', dataDir, adminPassword: 'bench-pass-1', simulate: false, media: false, logLevel: 'error' });
  const login = await fetch(box.url + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'bench-pass-1' }),
  }).then((r) => r.json() as Promise<{ token: string }>);
  await box.devices.put({ id: 'cam', name: 'bench', kind: 'camera', driver: 'visca-ip', connection: { host: '127.0.0.1', port } });
  await new Promise<void>((resolve) => {
    const check = () => (box.devices.list()[0]?.status === 'online' ? resolve() : setTimeout(check, 10));
    check();
  });

  const ws = new WebSocket(box.url.replace('http', 'ws') + `/api/v1/ws?token=${login.token}`);
  const pending = new Map<number, () => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'result') pending.get(m.id)?.();
  });
  await new Promise((r) => ws.once('open', r));

  // Through diemcau: WS → registry (validate, role, audit) → driver → codec → UDP.
  const viaBox: number[] = [];
  for (let i = 0; i < N + 50; i++) {
    const done = new Promise<void>((r) => pending.set(i, r));
    firstArrival = 0n;
    const t0 = process.hrtime.bigint();
    ws.send(JSON.stringify({ id: i, cmd: 'ptz.absolute', args: { pan: (i % 10) / 10, tilt: 0 }, target: 'cam' }));
    await done;
    if (i >= 50) viaBox.push(Number(firstArrival - t0) / 1e6); // the first 50 warm up the JIT
  }

  // Bare: the same VISCA-over-IP bytes straight onto a UDP socket.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const bare: number[] = [];
  let seq = 0;
  for (let i = 0; i < N + 50; i++) {
    const arrived = new Promise<void>((r) => sim.once('command', () => r()));
    const payload = Buffer.from([0x81, 0x01, 0x06, 0x02, 0x18, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x0100, 0);
    header.writeUInt16BE(payload.length, 2);
    header.writeUInt32BE(++seq, 4);
    firstArrival = 0n;
    const t0 = process.hrtime.bigint();
    sock.send(Buffer.concat([header, payload]), port, '127.0.0.1');
    await arrived;
    if (i >= 50) bare.push(Number(firstArrival - t0) / 1e6);
  }
  sock.close();
  ws.close();
  await box.close();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const a = summary(viaBox);
  const b = summary(bare);
  const f = (x: number) => x.toFixed(3).padStart(8);
  console.log(`control-latency: WebSocket command → first byte at the VISCA-IP simulator, ${N} commands`);
  console.log(`                      p50 ms    p99 ms    max ms`);
  console.log(`diemcau (WS→UDP)    ${f(a.p50)}  ${f(a.p99)}  ${f(a.max)}`);
  console.log(`bare UDP send       ${f(b.p50)}  ${f(b.p99)}  ${f(b.max)}`);
  console.log(`overhead p50 ${(a.p50 - b.p50).toFixed(3)} ms, p99 ${(a.p99 - b.p99).toFixed(3)} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
