// The codecs every router (box and central) offers. VP8 comes first because mediasoup-client picks the
// router's first video codec and both the room's test source and Chromium's default camera send VP8;
// H.264 Constrained Baseline (42e01f, packetization-mode 1) is what most browsers and IP cameras can share.
import type * as mediasoup from 'mediasoup';

export const mediaCodecs: mediasoup.types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];
