// Device command names for the tester: those the server announced in `hello` (already filtered by the
// user's role), else the commands of DESIGN.md §3.
import type { CommandInfo } from '../../../appliance/ws-protocol';

const KNOWN = ['ptz.move', 'ptz.stop', 'ptz.absolute', 'preset.recall', 'preset.save', 'power', 'input', 'volume', 'mute', 'level'];

export function deviceCommandNames(commands: readonly CommandInfo[]): string[] {
  const announced = commands.filter((c) => c.scope === 'device').map((c) => c.name);
  return announced.length ? announced : KNOWN;
}
