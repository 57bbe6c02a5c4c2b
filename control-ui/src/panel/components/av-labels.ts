// Labels shared by the display and audio controls of the panel.
import type { DeviceView } from '../../../../appliance/ws-protocol';
import { t } from '../../shared/i18n';

const INPUT_NAMES: Record<string, string> = { hdmi: 'HDMI', dp: 'DisplayPort', rgb: 'RGB (VGA)', dvi: 'DVI', video: 'Video', network: 'LAN', storage: 'USB' };

/** `hdmi1` → "HDMI 1", `dp1` → "DisplayPort 1"; names the panel does not know are shown as they are. */
export function inputLabel(source: string): string {
  const m = /^([a-z]+?)(\d+)$/.exec(source);
  const name = m ? INPUT_NAMES[m[1]] : undefined;
  return name && m ? `${name} ${m[2]}` : source;
}

/** The notice a device block shows when it cannot be controlled, or null when it can. */
export function statusNotice(status: DeviceView['status'], connected: boolean): { kind: 'error' | 'warn'; text: string } | null {
  if (!connected) return { kind: 'warn', text: t('err.notConnected') };
  if (status === 'offline') return { kind: 'error', text: t('avdev.offline') };
  if (status === 'connecting') return { kind: 'warn', text: t('avdev.connecting') };
  if (status === 'degraded') return { kind: 'warn', text: t('avdev.degraded') };
  return null;
}
