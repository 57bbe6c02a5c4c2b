// WebRTC statistics, summarised for the pages and exposed to tests as window.__diemcau (tests assert media
// from getStats(), not from screenshots: reference/testing.md).
import type { types } from 'mediasoup-client';

export interface RtpStreamSummary {
  kind: 'audio' | 'video';
  ssrc: number;
  packets: number;
  bytes: number;
  framesDecoded?: number;
  framesEncoded?: number;
  totalAudioEnergy?: number;
  packetsLost?: number;
  jitter?: number;
}

export interface MediaStatsSummary {
  inbound: RtpStreamSummary[];
  outbound: RtpStreamSummary[];
}

export async function summarize(transports: Array<types.Transport | undefined>): Promise<MediaStatsSummary> {
  const out: MediaStatsSummary = { inbound: [], outbound: [] };
  for (const t of transports) {
    if (!t || t.closed) continue;
    const report = await t.getStats();
    report.forEach((s: any) => {
      if (s.type === 'inbound-rtp')
        out.inbound.push({
          kind: s.kind,
          ssrc: s.ssrc,
          packets: s.packetsReceived ?? 0,
          bytes: s.bytesReceived ?? 0,
          framesDecoded: s.framesDecoded,
          totalAudioEnergy: s.totalAudioEnergy,
          packetsLost: s.packetsLost,
          jitter: s.jitter,
        });
      else if (s.type === 'outbound-rtp')
        out.outbound.push({ kind: s.kind, ssrc: s.ssrc, packets: s.packetsSent ?? 0, bytes: s.bytesSent ?? 0, framesEncoded: s.framesEncoded });
    });
  }
  return out;
}

/** The RTCPeerConnection behind a mediasoup-client transport (a private field; for tests only). */
function pcOf(t: types.Transport | undefined): RTCPeerConnection | undefined {
  return (t as unknown as { _handler?: { _pc?: RTCPeerConnection } } | undefined)?._handler?._pc;
}

export interface TestHooks {
  recvPc(): RTCPeerConnection | undefined;
  sendPc(): RTCPeerConnection | undefined;
  stats(): Promise<MediaStatsSummary>;
}

declare global {
  interface Window {
    __diemcau?: TestHooks;
  }
}

export function exposeTestHooks(get: () => { send?: types.Transport; recv?: types.Transport }): void {
  window.__diemcau = {
    recvPc: () => pcOf(get().recv),
    sendPc: () => pcOf(get().send),
    stats: () => summarize([get().recv, get().send]),
  };
}
