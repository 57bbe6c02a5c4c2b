// The box's configuration file (--config / DIEMCAU_CONFIG): JSON with the room's name, where central
// is, and its devices. Missing file → defaults; a bad file → a clear error naming the problem.
import { readFileSync } from 'node:fs';

export interface ApplianceConfig {
  room: { name: string };
  central: { url?: string };
  devices: Array<{ id: string; name: string; kind: string; driver: string; connection: Record<string, unknown> }>;
}

export function loadConfig(file?: string): ApplianceConfig {
  const base: ApplianceConfig = { room: { name: 'Phòng họp' }, central: {}, devices: [] };
  if (!file) return base;
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read config ${file}: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new Error(`config ${file}: expected a JSON object`);
  if (raw.devices !== undefined && !Array.isArray(raw.devices)) throw new Error(`config ${file}: "devices" must be an array`);
  return {
    room: { name: typeof raw.room?.name === 'string' ? raw.room.name : base.room.name },
    central: { url: typeof raw.central?.url === 'string' ? raw.central.url : undefined },
    devices: raw.devices ?? [],
  };
}
