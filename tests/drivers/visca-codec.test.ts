// VISCA codec: exact bytes against protocols.md §1.7–1.9, round trips, and a seeded fuzz of the decoders.
import { describe, it, expect } from 'vitest';
import {
  ViscaDecodeError,
  ViscaStreamParser,
  IpPayloadType,
  DEFAULT_RANGES,
  decodeCommand,
  decodeReply,
  decodeIpMessage,
  decodeIpControl,
  encodeCommand,
  encodeReply,
  encodePower,
  encodePanTiltDrive,
  encodePanTiltStop,
  encodeZoomStop,
  encodeZoomTele,
  encodeZoomWide,
  encodeAbsolutePosition,
  encodeZoomDirect,
  encodePresetSet,
  encodePresetRecall,
  encodeIfClear,
  encodeCancel,
  encodePowerInquiry,
  encodePanTiltPositionInquiry,
  encodeZoomPositionInquiry,
  encodeIpMessage,
  encodeIpReset,
  encodeIpControlAck,
  encodeIpControlError,
  moveCommands,
  positionToVisca,
  panFromVisca,
  tiltFromVisca,
  zoomFromVisca,
  parsePanTiltPositionData,
  parseZoomPositionData,
  parsePowerData,
  parsePresetData,
  panTiltPositionData,
  zoomPositionData,
  type ViscaCommand,
  type ViscaReply,
} from '../../drivers/visca/codec.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').match(/../g)!.join(' ');
const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('D3 visca codec: command bytes (protocols.md §1.7, §1.8)', () => {
  const cases: [string, Buffer, string][] = [
    ['power on', encodePower(1, true), '81 01 04 00 02 ff'],
    ['standby', encodePower(1, false), '81 01 04 00 03 ff'],
    ['power on, camera 3', encodePower(3, true), '83 01 04 00 02 ff'],
    ['pan-tilt up', encodePanTiltDrive(1, { panSpeed: 0x10, tiltSpeed: 0x0a, pan: 'stop', tilt: 'up' }), '81 01 06 01 10 0a 03 01 ff'],
    ['pan-tilt down', encodePanTiltDrive(1, { panSpeed: 1, tiltSpeed: 2, pan: 'stop', tilt: 'down' }), '81 01 06 01 01 02 03 02 ff'],
    ['pan-tilt left', encodePanTiltDrive(1, { panSpeed: 0x18, tiltSpeed: 0x14, pan: 'left', tilt: 'stop' }), '81 01 06 01 18 14 01 03 ff'],
    ['pan-tilt right', encodePanTiltDrive(1, { panSpeed: 0x18, tiltSpeed: 0x14, pan: 'right', tilt: 'stop' }), '81 01 06 01 18 14 02 03 ff'],
    ['pan-tilt up-left', encodePanTiltDrive(1, { panSpeed: 5, tiltSpeed: 5, pan: 'left', tilt: 'up' }), '81 01 06 01 05 05 01 01 ff'],
    ['pan-tilt up-right', encodePanTiltDrive(1, { panSpeed: 5, tiltSpeed: 5, pan: 'right', tilt: 'up' }), '81 01 06 01 05 05 02 01 ff'],
    ['pan-tilt down-left', encodePanTiltDrive(1, { panSpeed: 5, tiltSpeed: 5, pan: 'left', tilt: 'down' }), '81 01 06 01 05 05 01 02 ff'],
    ['pan-tilt down-right', encodePanTiltDrive(1, { panSpeed: 5, tiltSpeed: 5, pan: 'right', tilt: 'down' }), '81 01 06 01 05 05 02 02 ff'],
    ['pan-tilt stop', encodePanTiltStop(1), '81 01 06 01 01 01 03 03 ff'],
    ['zoom stop', encodeZoomStop(1), '81 01 04 07 00 ff'],
    ['zoom tele p=0', encodeZoomTele(1, 0), '81 01 04 07 20 ff'],
    ['zoom tele p=7', encodeZoomTele(1, 7), '81 01 04 07 27 ff'],
    ['zoom wide p=3', encodeZoomWide(1, 3), '81 01 04 07 33 ff'],
    ['absolute 0,0', encodeAbsolutePosition(1, { panSpeed: 0x18, tiltSpeed: 0x14, pan: 0, tilt: 0 }), '81 01 06 02 18 14 00 00 00 00 00 00 00 00 ff'],
    // Vaddio RoboSHOT ends: pan 90E2h (negative), tilt 3D59h.
    ['absolute signed', encodeAbsolutePosition(1, { panSpeed: 1, tiltSpeed: 1, pan: 0x90e2 - 0x10000, tilt: 0x3d59 }), '81 01 06 02 01 01 09 00 0e 02 03 0d 05 09 ff'],
    ['absolute -170°', encodeAbsolutePosition(1, { panSpeed: 1, tiltSpeed: 1, pan: -0x0990, tilt: -1 }), '81 01 06 02 01 01 0f 06 07 00 0f 0f 0f 0f ff'],
    ['zoom direct 0x4000', encodeZoomDirect(1, 0x4000), '81 01 04 47 04 00 00 00 ff'],
    ['zoom direct 0x1abc', encodeZoomDirect(1, 0x1abc), '81 01 04 47 01 0a 0b 0c ff'],
    ['preset set 5', encodePresetSet(1, 5), '81 01 04 3f 01 05 ff'],
    ['preset recall 0x7f', encodePresetRecall(1, 0x7f), '81 01 04 3f 02 7f ff'],
    ['IF_Clear', encodeIfClear(1), '81 01 00 01 ff'],
    ['cancel socket 2', encodeCancel(1, 2), '81 22 ff'],
    ['power inquiry', encodePowerInquiry(1), '81 09 04 00 ff'],
    ['pan-tilt position inquiry', encodePanTiltPositionInquiry(1), '81 09 06 12 ff'],
    ['zoom position inquiry', encodeZoomPositionInquiry(1), '81 09 04 47 ff'],
  ];
  it.each(cases)('D3 %s', (_name, actual, expected) => {
    expect(hex(actual)).toBe(expected);
  });

  it('D3 encoders refuse out-of-range values (a bug on our side, not a camera error)', () => {
    expect(() => encodePower(0, true)).toThrow(RangeError);
    expect(() => encodePower(8, true)).toThrow(RangeError);
    expect(() => encodePanTiltDrive(1, { panSpeed: 0, tiltSpeed: 1, pan: 'left', tilt: 'stop' })).toThrow(RangeError);
    expect(() => encodePanTiltDrive(1, { panSpeed: 0x19, tiltSpeed: 1, pan: 'left', tilt: 'stop' })).toThrow(RangeError);
    expect(() => encodeZoomTele(1, 8)).toThrow(RangeError);
    expect(() => encodeAbsolutePosition(1, { panSpeed: 1, tiltSpeed: 1, pan: 0x8000, tilt: 0 })).toThrow(RangeError);
    expect(() => encodeZoomDirect(1, -1)).toThrow(RangeError);
    expect(() => encodePresetSet(1, 0xff)).toThrow(RangeError);
  });
});

describe('D3 visca codec: round trips', () => {
  const commands: ViscaCommand[] = [
    { type: 'power', address: 1, on: true },
    { type: 'power', address: 7, on: false },
    ...(['left', 'right', 'stop'] as const).flatMap((pan) =>
      (['up', 'down', 'stop'] as const).map((tilt): ViscaCommand => ({ type: 'pan-tilt-drive', address: 1, panSpeed: 0x18, tiltSpeed: 0x14, pan, tilt })),
    ),
    { type: 'zoom', address: 1, action: 'stop', speed: null },
    { type: 'zoom', address: 1, action: 'tele', speed: null },
    { type: 'zoom', address: 1, action: 'wide', speed: null },
    ...[0, 3, 7].flatMap((speed): ViscaCommand[] => [
      { type: 'zoom', address: 2, action: 'tele', speed },
      { type: 'zoom', address: 2, action: 'wide', speed },
    ]),
    { type: 'absolute', address: 1, panSpeed: 0x18, tiltSpeed: 0x14, pan: -0x0990, tilt: 0x0510 },
    { type: 'absolute', address: 1, panSpeed: 1, tiltSpeed: 1, pan: 0x7fff, tilt: -0x8000 },
    { type: 'zoom-direct', address: 1, position: 0 },
    { type: 'zoom-direct', address: 1, position: 0x4000 },
    { type: 'preset', address: 1, action: 'set', preset: 0 },
    { type: 'preset', address: 1, action: 'recall', preset: 127 },
    { type: 'preset', address: 1, action: 'reset', preset: 0xfe },
    { type: 'if-clear', address: 1 },
    { type: 'cancel', address: 1, socket: 1 },
    { type: 'cancel', address: 1, socket: 2 },
    { type: 'inquiry', address: 1, inquiry: 'power' },
    { type: 'inquiry', address: 1, inquiry: 'pan-tilt-position' },
    { type: 'inquiry', address: 1, inquiry: 'zoom-position' },
    { type: 'inquiry', address: 1, inquiry: 'preset' },
    { type: 'address-set' },
    { type: 'if-clear-broadcast' },
  ];
  it.each(commands.map((c) => [hex(encodeCommand(c)), c] as const))('D3 command %s decodes to what was encoded', (_h, c) => {
    expect(decodeCommand(encodeCommand(c))).toEqual(c);
  });

  const replies: ViscaReply[] = [
    { type: 'ack', address: 1, socket: 1 },
    { type: 'ack', address: 7, socket: 2 },
    { type: 'completion', address: 1, socket: 1, data: Buffer.alloc(0) },
    { type: 'completion', address: 1, socket: 0, data: Buffer.from([0x02]) },
    { type: 'completion', address: 1, socket: 0, data: panTiltPositionData(-0x0990, 0x0510) },
    ...[0x01, 0x02, 0x03, 0x04, 0x05, 0x41, 0x77].map((code): ViscaReply => ({ type: 'error', address: 1, socket: code === 0x02 ? 0 : 1, code, reason: expect.any(String) as unknown as string })),
    { type: 'network-change', address: 1 },
    { type: 'address', next: 2 },
    { type: 'if-clear-broadcast' },
  ];
  it.each(replies.map((r) => [r.type, r] as const))('D3 reply %s decodes to what was encoded', (_t, r) => {
    const encoded = r.type === 'error' ? encodeReply({ ...r, reason: '' }) : encodeReply(r);
    expect(decodeReply(encoded)).toEqual(r);
  });

  it('D3 reply bytes match the manual: ACK 90 41 FF, completion 90 51 FF, errors 90 6y ee FF', () => {
    expect(decodeReply(bytes('9041ff'))).toEqual({ type: 'ack', address: 1, socket: 1 });
    expect(decodeReply(bytes('9052ff'))).toEqual({ type: 'completion', address: 1, socket: 2, data: Buffer.alloc(0) });
    expect(decodeReply(bytes('906003ff'))).toMatchObject({ type: 'error', socket: 0, code: 3, reason: 'command buffer full' });
    expect(decodeReply(bytes('906141ff'))).toMatchObject({ type: 'error', socket: 1, code: 0x41, reason: 'command not executable' });
    expect(decodeReply(bytes('906002ff'))).toMatchObject({ code: 2, reason: 'syntax error' });
    expect(decodeReply(bytes('906101ff'))).toMatchObject({ code: 1, reason: 'message length error' });
    expect(decodeReply(bytes('906204ff'))).toMatchObject({ code: 4, reason: 'command cancelled' });
    expect(decodeReply(bytes('906105ff'))).toMatchObject({ code: 5, reason: 'no socket' });
    expect(decodeReply(bytes('9038ff'))).toEqual({ type: 'network-change', address: 1 });
    expect(decodeReply(bytes('883002ff'))).toEqual({ type: 'address', next: 2 });
  });

  it('D3 inquiry reply data: power, pan-tilt and zoom positions (signed nibbles)', () => {
    expect(parsePowerData(bytes('02'))).toBe(true);
    expect(parsePowerData(bytes('03'))).toBe(false);
    expect(parsePanTiltPositionData(bytes('0f06070000050100'))).toEqual({ pan: -0x0990, tilt: 0x0510 });
    expect(parseZoomPositionData(bytes('04000000'))).toBe(0x4000);
    expect(parsePresetData(bytes('05'))).toBe(5);
    expect(parseZoomPositionData(zoomPositionData(0x1234))).toBe(0x1234);
    expect(() => parsePanTiltPositionData(bytes('1f06070000050100'))).toThrow(ViscaDecodeError);
    expect(() => parsePowerData(bytes('04'))).toThrow(ViscaDecodeError);
  });
});

describe('D3 visca codec: malformed input throws ViscaDecodeError with the right kind', () => {
  const bad: [string, string, 'length' | 'syntax'][] = [
    ['empty', '', 'length'],
    ['too short', '81ff', 'length'],
    ['17 bytes', '81 01 06 02 18 14 00 00 00 00 00 00 00 00 00 00 ff', 'length'],
    ['missing FF', '81 01 04 00 02', 'syntax'],
    ['FF inside data', '81 01 ff 00 02 ff', 'syntax'],
    ['bad header', '01 01 04 00 02 ff', 'syntax'],
    ['sender not controller', '91 01 04 00 02 ff', 'syntax'],
    ['unknown category', '81 01 05 00 02 ff', 'syntax'],
    ['unknown message type', '81 03 04 00 02 ff', 'syntax'],
    ['power lacking its parameter', '81 01 04 00 ff', 'syntax'],
    ['bad power value', '81 01 04 00 05 ff', 'syntax'],
    ['bad direction', '81 01 06 01 01 01 04 03 ff', 'syntax'],
    ['pan speed 0', '81 01 06 01 00 01 01 03 ff', 'syntax'],
    ['nibble > 0F', '81 01 04 47 10 00 00 00 ff', 'syntax'],
    ['bad zoom byte', '81 01 04 07 45 ff', 'syntax'],
    ['unknown inquiry', '81 09 05 38 ff', 'syntax'],
  ];
  it.each(bad)('D3 decodeCommand: %s → %s', (_n, input, kind) => {
    try {
      decodeCommand(bytes(input));
      expect.unreachable('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ViscaDecodeError);
      expect((e as ViscaDecodeError).kind).toBe(kind);
    }
  });

  it.each([
    ['too short', '90ff'],
    ['too long', '90 50 ' + '00 '.repeat(14) + 'ff'],
    ['missing FF', '90 41'],
    ['FF inside', '90 ff 41 ff'],
    ['bad header 80', '80 41 ff'],
    ['bad header 91', '91 41 ff'],
    ['ACK with data', '90 41 00 ff'],
    ['error without code', '90 60 ff'],
    ['error with two bytes', '90 60 02 03 ff'],
    ['unknown reply type', '90 70 ff'],
    ['bad broadcast', '88 30 ff'],
  ])('D3 decodeReply rejects %s', (_n, input) => {
    expect(() => decodeReply(bytes(input))).toThrow(ViscaDecodeError);
  });
});

describe('D3 VISCA over IP framing (protocols.md §1.9)', () => {
  it('D3 header: type u16, length u16, sequence u32, big-endian; round trip', () => {
    const msg = encodeIpMessage({ type: IpPayloadType.command, seq: 0x01020304, payload: encodePower(1, true) });
    expect(hex(msg)).toBe('01 00 00 06 01 02 03 04 81 01 04 00 02 ff');
    expect(decodeIpMessage(msg)).toEqual({ type: 0x0100, seq: 0x01020304, payload: encodePower(1, true) });
    for (const type of Object.values(IpPayloadType)) {
      const m = encodeIpMessage({ type, seq: 0xffffffff, payload: Buffer.from([0x90, 0x50, 0xff]) });
      expect(decodeIpMessage(m).type).toBe(type);
    }
  });

  it('D3 RESET is exactly 02 00 00 01 00 00 00 00 01; control ACK and errors', () => {
    expect(hex(encodeIpReset())).toBe('02 00 00 01 00 00 00 00 01');
    expect(hex(encodeIpControlAck(7))).toBe('02 01 00 01 00 00 00 07 01');
    expect(hex(encodeIpControlError(9, 'sequence'))).toBe('02 01 00 02 00 00 00 09 0f 01');
    expect(hex(encodeIpControlError(9, 'message-type'))).toBe('02 01 00 02 00 00 00 09 0f 02');
    expect(decodeIpControl(decodeIpMessage(encodeIpReset()))).toEqual({ type: 'reset' });
    expect(decodeIpControl(decodeIpMessage(encodeIpControlAck(1)))).toEqual({ type: 'ack' });
    expect(decodeIpControl(decodeIpMessage(encodeIpControlError(1, 'sequence')))).toEqual({ type: 'error', error: 'sequence' });
    // Some cameras send ERROR as a control command (02 00) rather than a control reply.
    expect(decodeIpControl(decodeIpMessage(bytes('02 00 00 02 00 00 00 01 0f 02')))).toEqual({ type: 'error', error: 'message-type' });
  });

  it('D3 bad datagrams: too short, length field mismatch, payload > 16', () => {
    expect(() => decodeIpMessage(bytes('01 00 00 01 00 00 00'))).toThrow(ViscaDecodeError);
    expect(() => decodeIpMessage(bytes('01 00 00 05 00 00 00 00 81 01 04 00 02 ff'))).toThrow(/length field 5 but 6/);
    expect(() => decodeIpMessage(Buffer.concat([bytes('01 00 00 11 00 00 00 00'), Buffer.alloc(17)]))).toThrow(ViscaDecodeError);
    expect(() => encodeIpMessage({ type: 0x0100, seq: 0, payload: Buffer.alloc(17) })).toThrow(RangeError);
    expect(() => encodeIpMessage({ type: 0x0100, seq: -1, payload: Buffer.alloc(3) })).toThrow(RangeError);
  });
});

describe('D3 mapping from capability units', () => {
  it('D3 ptz.move speeds → pan 01–18h, tilt 01–14h, zoom p 0–7; 0 stops that axis', () => {
    expect(moveCommands(1, { pan: 1, tilt: 0, zoom: 0 })).toEqual({
      panTilt: { type: 'pan-tilt-drive', address: 1, panSpeed: 0x18, tiltSpeed: 1, pan: 'right', tilt: 'stop' },
      zoom: { type: 'zoom', address: 1, action: 'stop', speed: null },
    });
    const m = moveCommands(1, { pan: -0.5, tilt: -1, zoom: 1 });
    expect(m.panTilt).toMatchObject({ panSpeed: 12, tiltSpeed: 0x14, pan: 'left', tilt: 'down' });
    expect(m.zoom).toMatchObject({ action: 'tele', speed: 7 });
    expect(moveCommands(1, { pan: 0.001, tilt: 0.001, zoom: -0.01 })).toMatchObject({ panTilt: { panSpeed: 1, tiltSpeed: 1 }, zoom: { action: 'wide', speed: 0 } });
    expect(hex(encodeCommand(moveCommands(1, { pan: 0, tilt: 0, zoom: 0 }).panTilt))).toBe('81 01 06 01 01 01 03 03 ff');
  });

  it('D3 positions: pan ±0x0990, tilt ±0x0510, zoom 0..0x4000, and back', () => {
    expect(positionToVisca({ pan: 1, tilt: -1, zoom: 1 })).toEqual({ pan: 0x0990, tilt: -0x0510, zoom: 0x4000 });
    expect(positionToVisca({ pan: -1, tilt: 1, zoom: 0 })).toEqual({ pan: -0x0990, tilt: 0x0510, zoom: 0 });
    expect(positionToVisca({ pan: 0.5, tilt: -0.25, zoom: 0.5 })).toEqual({ pan: 1224, tilt: -324, zoom: 0x2000 });
    expect(panFromVisca(0x0990)).toBe(1);
    expect(tiltFromVisca(-0x0510)).toBe(-1);
    expect(zoomFromVisca(0x2000)).toBe(0.5);
    expect(panFromVisca(0x7fff)).toBe(1); // out of the table → clamped, never outside [-1,1]
    expect(positionToVisca({ pan: 0.5, tilt: 0.5, zoom: 0.5 }, { ...DEFAULT_RANGES, panMax: 0x08a5 }).pan).toBe(1107);
  });
});

describe('D3 stream reassembly (serial/TCP)', () => {
  it('D3 splits on FF across chunks, several packets per chunk, keeps a partial tail', () => {
    const p = new ViscaStreamParser();
    expect(p.push(bytes('90 41'))).toEqual([]);
    expect(p.push(bytes('ff 90'))).toEqual([bytes('9041ff')]);
    expect(p.push(bytes('51 ff 90 50 02 ff 90'))).toEqual([bytes('9051ff'), bytes('905002ff')]);
    expect(p.flush()).toEqual(bytes('90'));
    expect(p.push(bytes('ff'))).toEqual([bytes('ff')]); // a lone FF is a (bad) packet for the decoder to refuse
  });

  it('D3 drops a run of 16+ bytes without FF so memory stays bounded', () => {
    const p = new ViscaStreamParser();
    expect(p.push(Buffer.alloc(40, 0x01))).toEqual([]);
    expect(p.discardedBytes).toBe(32);
    expect(p.push(bytes('9041ff'))).toEqual([Buffer.concat([Buffer.alloc(8, 0x01), bytes('9041ff')])]);
  });

  it('D3 byte-at-a-time delivery yields the same packets', () => {
    const stream = Buffer.concat([encodeReply({ type: 'ack', address: 1, socket: 1 }), encodeReply({ type: 'completion', address: 1, socket: 1, data: Buffer.alloc(0) })]);
    const p = new ViscaStreamParser();
    const out = [...stream].flatMap((b) => p.push(Buffer.from([b])));
    expect(out.map(hex)).toEqual(['90 41 ff', '90 51 ff']);
  });
});

describe('D3 fuzz: decoders throw only ViscaDecodeError', () => {
  // mulberry32: small, seeded, reproducible.
  function prng(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('D3 100 000+ random and mutated inputs (seed 20240607)', () => {
    const rand = prng(20240607);
    const int = (n: number) => Math.floor(rand() * n);
    const valid: Buffer[] = [
      encodePower(1, true),
      encodePanTiltDrive(1, { panSpeed: 0x18, tiltSpeed: 0x14, pan: 'right', tilt: 'up' }),
      encodeZoomTele(1, 3),
      encodeAbsolutePosition(1, { panSpeed: 0x18, tiltSpeed: 0x14, pan: -1000, tilt: 200 }),
      encodeZoomDirect(1, 0x4000),
      encodePresetRecall(1, 3),
      encodeIfClear(1),
      encodeCancel(1, 1),
      encodePowerInquiry(1),
      encodePanTiltPositionInquiry(1),
      bytes('9041ff'),
      bytes('9051ff'),
      bytes('906141ff'),
      bytes('90500f06070000050100ff'),
      bytes('9038ff'),
      bytes('883002ff'),
      encodeIpReset(),
      encodeIpControlError(5, 'sequence'),
      encodeIpMessage({ type: 0x0111, seq: 3, payload: bytes('9041ff') }),
    ];
    const mutate = (src: Buffer): Buffer => {
      const b = [...src];
      const edits = 1 + int(3);
      for (let e = 0; e < edits; e++) {
        const op = int(5);
        const at = int(b.length + 1);
        if (op === 0 && b.length) b[int(b.length)] = int(256);
        else if (op === 1) b.splice(at, 0, int(256));
        else if (op === 2 && b.length) b.splice(int(b.length), 1);
        else if (op === 3) b.length = int(b.length + 1);
        else b.splice(at, 0, 0xff);
      }
      return Buffer.from(b);
    };

    let inputs = 0;
    let decoded = 0;
    const other: string[] = [];
    const attempt = (input: Buffer, decode: (b: Buffer) => unknown): unknown => {
      try {
        const out = decode(input);
        decoded++;
        return out;
      } catch (e) {
        if (!(e instanceof ViscaDecodeError)) other.push(`${hex(input)}: ${String(e)}`);
        return undefined;
      }
    };
    for (let i = 0; i < 100_000; i++) {
      const input = i % 2 === 0 ? Buffer.from(Array.from({ length: int(26) }, () => (rand() < 0.15 ? 0xff : int(256)))) : mutate(valid[int(valid.length)]);
      inputs++;
      const reply = attempt(input, decodeReply) as ReturnType<typeof decodeReply> | undefined;
      attempt(input, decodeCommand);
      const ip = attempt(input, decodeIpMessage) as ReturnType<typeof decodeIpMessage> | undefined;
      // What the driver does with a well-framed datagram: read the control or VISCA payload inside.
      if (ip) {
        attempt(input, (b) => decodeIpControl(decodeIpMessage(b)));
        attempt(ip.payload, decodeReply);
      }
      if (reply?.type === 'completion') {
        attempt(reply.data, parsePanTiltPositionData);
        attempt(reply.data, parseZoomPositionData);
        attempt(reply.data, parsePowerData);
      }
    }
    expect(other.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    expect(decoded).toBeGreaterThan(1000); // the mutations also reach the success paths
  });
});
