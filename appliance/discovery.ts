// Device discovery for commissioning (C5): every protocol that has one, run at once and bounded in time.
// Registered as the command `discovery.scan`, so it is role-checked, audited and in OpenAPI like the rest.
import type { CommandRegistry } from './registry.js';
import { discoverOnvif } from '../drivers/onvif/index.js';
import { discoverPjlink } from '../drivers/pjlink/index.js';
import { discoverVisca } from '../drivers/visca/discovery.js';

export interface Discovered {
  driver: string;
  kind: 'camera' | 'display' | 'audio';
  name: string;
  connection: Record<string, unknown>; // a starting point for PUT /api/v1/devices/:id
}

export interface DiscoveryTargets {
  timeoutMs: number;
  /** Defaults are the protocols' own: WS-Discovery multicast 239.255.255.250:3702, PJLink broadcast UDP 4352. */
  onvif?: { address?: string; port?: number };
  pjlink?: { address?: string; port?: number };
  visca?: { address?: string; port?: number };
}

export async function discoverAll(t: DiscoveryTargets): Promise<{ devices: Discovered[]; errors: string[] }> {
  const errors: string[] = [];
  const settle = async <T>(what: string, p: Promise<T[]>): Promise<T[]> => p.catch((err) => (errors.push(`${what}: ${(err as Error).message}`), []));
  const [cams, projectors, viscas] = await Promise.all([
    settle('onvif', discoverOnvif({ timeoutMs: t.timeoutMs, ...t.onvif })),
    settle('pjlink', discoverPjlink({ timeoutMs: t.timeoutMs, address: t.pjlink?.address ?? '255.255.255.255', port: t.pjlink?.port })),
    settle('visca', discoverVisca({ timeoutMs: t.timeoutMs, ...t.visca })),
  ]);
  const devices: Discovered[] = [];
  for (const c of cams) {
    const url = new URL(c.xaddrs[0]);
    devices.push({ driver: 'onvif', kind: 'camera', name: c.name ?? c.urn, connection: { host: url.hostname, port: Number(url.port || 80) } });
  }
  for (const p of projectors)
    devices.push({ driver: 'pjlink', kind: 'display', name: `PJLink ${p.mac}`, connection: { host: p.address, port: t.pjlink?.port ?? 4352 } });
  for (const v of viscas) devices.push({ driver: 'visca-ip', kind: 'camera', name: v.name || `VISCA ${v.mac}`, connection: { host: v.ip, port: 52381 } });
  return { devices, errors };
}

const target = {
  type: 'object',
  additionalProperties: false,
  properties: { address: { type: 'string', maxLength: 64 }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
};

export function registerDiscovery(registry: CommandRegistry): void {
  registry.register({
    name: 'discovery.scan',
    scope: 'system',
    summary: 'Find cameras (ONVIF WS-Discovery, Sony VISCA ENQ:network) and projectors (PJLink search) / Dò tìm thiết bị',
    roles: ['technician', 'admin'],
    timeoutMs: 12_000,
    args: {
      type: 'object',
      additionalProperties: false,
      properties: { timeoutMs: { type: 'integer', minimum: 100, maximum: 10_000, default: 3000 }, onvif: target, pjlink: target, visca: target },
    },
    handler: (_ctx, args: DiscoveryTargets) => discoverAll(args),
  });
}
