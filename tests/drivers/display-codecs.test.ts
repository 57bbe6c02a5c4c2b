// Display codecs (PJLink, Samsung MDC, LG RS-232C): exact bytes against protocols.md §3.1–3.3, round trips of
// every command and reply, stream reassembly, and a seeded fuzz of each decoder (≥ 100 000 inputs apiece)
// where the only error allowed out is the codec's typed decode error.
import { describe, it, expect, afterEach } from 'vitest';
import * as pj from '../../drivers/pjlink/codec.js';
import * as mdc from '../../drivers/samsung-mdc/codec.js';
import * as lg from '../../drivers/lg/codec.js';
import { bytes, hex, prng } from '../helpers/bytes.js';

/**
 * Runs decoders over inputs; collects anything thrown that is not the typed error, and counts successes per
 * decoder so a test can show the mutations reach the success paths too. Stack traces are off while a fuzz
 * runs (most of the ~10^6 attempts throw, and capturing a stack is most of their cost).
 */
function fuzzHarness<E extends Error>(typed: new (...a: never[]) => E) {
  Error.stackTraceLimit = 0;
  const ok: Record<string, number> = {};
  const other: string[] = [];
  return {
    attempt<T>(label: string, input: unknown, decode: () => T): T | undefined {
      try {
        const out = decode();
        ok[label] = (ok[label] ?? 0) + 1;
        return out;
      } catch (e) {
        if (!(e instanceof typed)) other.push(`${label} ${JSON.stringify(typeof input === 'string' ? input : hex(input as Uint8Array))}: ${String(e)}`);
        return undefined;
      }
    },
    ok,
    other,
  };
}
const STACK_LIMIT = Error.stackTraceLimit;
afterEach(() => {
  Error.stackTraceLimit = STACK_LIMIT;
});

function mutateBytes(src: Uint8Array, int: (n: number) => number, special: number[]): Buffer {
  const b = [...src];
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    const op = int(6);
    const at = int(b.length + 1);
    if (op === 0 && b.length) b[int(b.length)] = int(256);
    else if (op === 1) b.splice(at, 0, int(256));
    else if (op === 2 && b.length) b.splice(int(b.length), 1);
    else if (op === 3) b.length = int(b.length + 1);
    else if (op === 4 && b.length) b[int(b.length)] ^= 1 << int(8);
    else b.splice(at, 0, special[int(special.length)]);
  }
  return Buffer.from(b);
}

// =============================================================================================
// PJLink
// =============================================================================================

describe('D4 PJLink codec: lines (protocols.md §3.1)', () => {
  it('D4 PJLink: commands are % class body SP param CR', () => {
    const cases: [pj.PjlinkCommand, string][] = [
      [{ cls: 1, body: 'POWR', param: '1' }, '%1POWR 1\r'],
      [{ cls: 1, body: 'POWR', param: '0' }, '%1POWR 0\r'],
      [pj.query(1, 'POWR'), '%1POWR ?\r'],
      [{ cls: 1, body: 'INPT', param: '31' }, '%1INPT 31\r'],
      [{ cls: 1, body: 'AVMT', param: '21' }, '%1AVMT 21\r'],
      [pj.query(1, 'ERST'), '%1ERST ?\r'],
      [pj.query(1, 'LAMP'), '%1LAMP ?\r'],
      [pj.query(1, 'NAME'), '%1NAME ?\r'],
      [pj.query(1, 'CLSS'), '%1CLSS ?\r'],
      [{ cls: 2, body: 'SVOL', param: '1' }, '%2SVOL 1\r'],
      [{ cls: 2, body: 'MVOL', param: '0' }, '%2MVOL 0\r'],
      [{ cls: 2, body: 'INPT', param: '3A' }, '%2INPT 3A\r'],
    ];
    for (const [cmd, line] of cases) {
      expect(pj.encodeCommand(cmd)).toBe(line);
      expect(pj.decodeCommand(line)).toEqual(cmd); // round trip
    }
    expect(pj.SEARCH_LINE).toBe('%2SRCH\r');
    expect(() => pj.encodeCommand({ cls: 3 as 1, body: 'POWR', param: '1' })).toThrow(RangeError);
    expect(() => pj.encodeCommand({ cls: 1, body: 'POW', param: '1' })).toThrow(RangeError);
    expect(() => pj.encodeCommand({ cls: 1, body: 'POWR', param: '1\r%1POWR 0' })).toThrow(RangeError);
    expect(() => pj.encodeCommand({ cls: 1, body: 'NAME', param: 'x'.repeat(129) })).toThrow(RangeError);
  });

  it('D4 PJLink: MD5 auth — spec example random 498e4a67 + password JBMIAProjectorLink → 5d8409bc1c3fa39749434aa3a5c38682', () => {
    expect(pj.authDigest('498e4a67', 'JBMIAProjectorLink')).toBe('5d8409bc1c3fa39749434aa3a5c38682');
    expect(pj.splitAuthPrefix('5d8409bc1c3fa39749434aa3a5c38682%1POWR ?')).toEqual({ digest: '5d8409bc1c3fa39749434aa3a5c38682', command: '%1POWR ?' });
    expect(pj.splitAuthPrefix('%1POWR ?')).toEqual({ digest: null, command: '%1POWR ?' });
    expect(pj.splitAuthPrefix('5d8409bc%1POWR ?').digest).toBeNull();
  });

  it('D4 PJLink: greetings, PJLINK ERRA and responses (OK, ERR1–4, values)', () => {
    expect(pj.encodeGreeting({ auth: false })).toBe('PJLINK 0\r');
    expect(pj.encodeGreeting({ auth: true, random: '498e4a67' })).toBe('PJLINK 1 498e4a67\r');
    expect(pj.decodeLine('PJLINK 0\r')).toEqual({ type: 'greeting', greeting: { auth: false } });
    expect(pj.decodeLine('PJLINK 1 498e4a67')).toEqual({ type: 'greeting', greeting: { auth: true, random: '498e4a67' } });
    expect(pj.decodeLine('PJLINK ERRA\r')).toEqual({ type: 'auth-error' });
    expect(pj.AUTH_ERROR_LINE).toBe('PJLINK ERRA\r');
    expect(() => pj.decodeLine('PJLINK 2')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.decodeLine('PJLINK 1 ')).toThrow(pj.PjlinkDecodeError);

    const responses: [pj.PjlinkResponse, string][] = [
      [pj.okResponse(1, 'POWR'), '%1POWR=OK\r'],
      [pj.errorResponse(1, 'POWR', 'ERR1'), '%1POWR=ERR1\r'],
      [pj.errorResponse(1, 'INPT', 'ERR2'), '%1INPT=ERR2\r'],
      [pj.errorResponse(1, 'INPT', 'ERR3'), '%1INPT=ERR3\r'],
      [pj.errorResponse(1, 'AVMT', 'ERR4'), '%1AVMT=ERR4\r'],
      [pj.errorResponse(2, 'SVOL', 'ERRA'), '%2SVOL=ERRA\r'],
      [pj.valueResponse(1, 'POWR', '3'), '%1POWR=3\r'],
      [pj.valueResponse(1, 'NAME', 'Phong hop 1'), '%1NAME=Phong hop 1\r'],
      [pj.valueResponse(1, 'NAME', ''), '%1NAME=\r'],
      [pj.valueResponse(1, 'LAMP', '12345 1 678 0'), '%1LAMP=12345 1 678 0\r'],
      [pj.valueResponse(2, 'ACKN', '00:1c:2b:3d:4e:5f'), '%2ACKN=00:1c:2b:3d:4e:5f\r'],
    ];
    for (const [r, line] of responses) {
      expect(pj.encodeResponse(r)).toBe(line);
      expect(pj.decodeResponse(line)).toEqual(r);
      expect(pj.decodeLine(line)).toEqual({ type: 'response', response: r });
    }
    expect(() => pj.decodeResponse('%1POWR OK')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.decodeResponse('%3POWR=OK')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.decodeResponse('%1powr=OK')).toThrow(pj.PjlinkDecodeError);
  });

  it('D4 PJLink: values — POWR 0..3, AVMT, ERST six digits, LAMP pairs, CLSS, INST, ACKN', () => {
    expect(['0', '1', '2', '3'].map(pj.parsePowerStatus)).toEqual(['standby', 'on', 'cooling', 'warm-up']);
    expect(() => pj.parsePowerStatus('4')).toThrow(pj.PjlinkDecodeError);
    expect(pj.parseAvMute('31')).toEqual({ video: true, audio: true });
    expect(pj.parseAvMute('21')).toEqual({ video: false, audio: true });
    expect(pj.parseAvMute('11')).toEqual({ video: true, audio: false });
    expect(pj.parseAvMute('30')).toEqual({ video: false, audio: false });
    for (const m of [
      { video: false, audio: false },
      { video: true, audio: false },
      { video: false, audio: true },
      { video: true, audio: true },
    ])
      expect(pj.parseAvMute(pj.avMuteStatus(m))).toEqual(m);
    expect(() => pj.parseAvMute('41')).toThrow(pj.PjlinkDecodeError);
    const erst = pj.parseErrorStatus('012000');
    expect(erst).toEqual({ fan: 'ok', lamp: 'warning', temperature: 'error', coverOpen: 'ok', filter: 'ok', other: 'ok' });
    expect(pj.encodeErrorStatus(erst)).toBe('012000');
    expect(() => pj.parseErrorStatus('01200')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.parseErrorStatus('013000')).toThrow(pj.PjlinkDecodeError);
    expect(pj.parseLamps('12345 1 678 0')).toEqual([
      { hours: 12345, on: true },
      { hours: 678, on: false },
    ]);
    expect(pj.encodeLamps([{ hours: 0, on: false }])).toBe('0 0');
    expect(() => pj.parseLamps('12345')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.parseLamps('123456 1')).toThrow(pj.PjlinkDecodeError);
    expect(pj.parseClass('2')).toBe(2);
    expect(() => pj.parseClass('3')).toThrow(pj.PjlinkDecodeError);
    expect(pj.parseInputList('11 31 3A 51')).toEqual(['11', '31', '3A', '51']);
    expect(pj.parseInputList('')).toEqual([]);
    expect(() => pj.parseInputList('11 71')).toThrow(pj.PjlinkDecodeError);
    expect(pj.encodeAckn('00:1C:2B:3D:4E:5F')).toBe('%2ACKN=00:1C:2B:3D:4E:5F\r');
    expect(pj.decodeAckn('%2ACKN=00:1C:2B:3D:4E:5F\r')).toBe('00:1c:2b:3d:4e:5f');
    expect(() => pj.decodeAckn('%2ACKN=00:1C:2B')).toThrow(pj.PjlinkDecodeError);
    expect(() => pj.decodeAckn('%1POWR=OK')).toThrow(pj.PjlinkDecodeError);
  });

  it('D4 PJLink: source names ↔ input codes (hdmi1→31, hdmi2→32, rgb1→11, video1→21, network→51; dp1 only by mapping)', () => {
    const table: [string, string | null][] = [
      ['hdmi1', '31'],
      ['hdmi2', '32'],
      ['digital3', '33'],
      ['rgb1', '11'],
      ['rgb2', '12'],
      ['video1', '21'],
      ['storage1', '41'],
      ['usb', '41'],
      ['network', '51'],
      ['network2', '52'],
      ['dp1', null],
      ['hdmi10', null],
      ['HDMI1', null],
    ];
    for (const [source, code] of table) expect([source, pj.sourceToInput(source)]).toEqual([source, code]);
    expect(pj.sourceToInput('dp1', { dp1: '33' })).toBe('33');
    expect(pj.sourceToInput('dp1', { dp1: 'zz' })).toBeNull();
    expect(pj.inputToSource('31')).toBe('hdmi1');
    expect(pj.inputToSource('11')).toBe('rgb1');
    expect(pj.inputToSource('51')).toBe('network1');
    expect(pj.inputToSource('3A')).toBe('hdmi-a');
    expect(pj.inputToSource('33', { dp1: '33' })).toBe('dp1');
    expect(pj.inputToSource('99')).toBe('pjlink-99');
  });

  it('D4 PJLink: line splitter — CR-terminated lines across chunks, CRLF tolerated, over-long runs dropped', () => {
    const s = new pj.PjlinkLineSplitter();
    expect(s.push('PJLINK 0\r%1PO')).toEqual(['PJLINK 0']);
    expect(s.push('WR=OK\r\n%1INPT=31')).toEqual(['%1POWR=OK']);
    expect(s.push(Buffer.from('\r'))).toEqual(['%1INPT=31']);
    expect(s.push('x'.repeat(pj.MAX_LINE + 10))).toEqual([]);
    expect(s.discardedChars).toBeGreaterThan(0);
    expect(s.push('\r%1AVMT=30\r').at(-1)).toBe('%1AVMT=30');
    const one = new pj.PjlinkLineSplitter();
    const out = [...'PJLINK 1 498e4a67\r%1POWR=1\r'].flatMap((c) => one.push(c));
    expect(out).toEqual(['PJLINK 1 498e4a67', '%1POWR=1']);
  });
});

describe('D4 fuzz: PJLink decoders throw only PjlinkDecodeError', () => {
  it('D4 PJLink: 100 000+ random and mutated lines (seed 4352)', () => {
    const rand = prng(4352);
    const int = (n: number) => Math.floor(rand() * n);
    const valid = [
      'PJLINK 0',
      'PJLINK 1 498e4a67',
      'PJLINK ERRA',
      '%1POWR=OK',
      '%1POWR=1',
      '%1INPT=ERR3',
      '%1AVMT=31',
      '%1ERST=012000',
      '%1LAMP=12345 1 678 0',
      '%1CLSS=2',
      '%1INST=11 21 31 3A',
      '%2ACKN=00:1c:2b:3d:4e:5f',
      '%1POWR ?',
      '%2SVOL 1',
      '5d8409bc1c3fa39749434aa3a5c38682%1POWR ?',
    ];
    const alphabet = '%12PJLINKERAOWVSTM=? 0123456789:abcdef\r\n\x00\xff';
    const specials = [0x25, 0x3d, 0x20, 0x0d, 0x0a, 0x3f, 0x31, 0x32];
    const h = fuzzHarness(pj.PjlinkDecodeError);
    const splitter = new pj.PjlinkLineSplitter();
    let inputs = 0;
    for (let i = 0; i < 100_000; i++) {
      let line: string;
      if (i % 3 === 0) line = Array.from({ length: int(40) }, () => alphabet[int(alphabet.length)]).join('');
      else if (i % 3 === 1) line = Buffer.from(Array.from({ length: int(30) }, () => int(256))).toString('latin1');
      else line = mutateBytes(Buffer.from(valid[int(valid.length)], 'latin1'), int, specials).toString('latin1');
      inputs++;
      const decoded = h.attempt('pj.decodeLine', line, () => pj.decodeLine(line));
      h.attempt('pj.decodeCommand', line, () => pj.decodeCommand(pj.splitAuthPrefix(line).command));
      h.attempt('pj.decodeGreeting', line, () => pj.decodeGreeting(line));
      h.attempt('pj.decodeAckn', line, () => pj.decodeAckn(line));
      h.attempt('splitter.push', line, () => splitter.push(line));
      if (decoded?.type === 'response' && decoded.response.kind === 'value') {
        const v = decoded.response.value;
        h.attempt('pj.parsePowerStatus', v, () => pj.parsePowerStatus(v));
        h.attempt('pj.parseAvMute', v, () => pj.parseAvMute(v));
        h.attempt('pj.parseErrorStatus', v, () => pj.parseErrorStatus(v));
        h.attempt('pj.parseLamps', v, () => pj.parseLamps(v));
        h.attempt('pj.parseClass', v, () => pj.parseClass(v));
        h.attempt('pj.parseInputList', v, () => pj.parseInputList(v));
      }
    }
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    // The mutations also reach every success path (for this seed: decodeLine ≈ 3900, the value parsers ≈ 40–400).
    for (const k of ['pj.decodeLine', 'pj.decodeCommand', 'pj.decodeGreeting', 'pj.decodeAckn', 'pj.parsePowerStatus', 'pj.parseAvMute', 'pj.parseErrorStatus', 'pj.parseLamps', 'pj.parseClass', 'pj.parseInputList'])
      expect([k, h.ok[k] > 20]).toEqual([k, true]);
  });
});

// =============================================================================================
// Samsung MDC
// =============================================================================================

describe('D4 Samsung MDC codec: frames (protocols.md §3.2)', () => {
  it('D4 MDC: power on ID 0 is AA 11 00 01 01 13 (checksum = sum of every byte but AA, mod 256)', () => {
    expect(hex(mdc.encodePower(0, 'on'))).toBe('aa 11 00 01 01 13');
    expect(hex(mdc.encodePower(0, 'off'))).toBe('aa 11 00 01 00 12');
    expect(hex(mdc.encodePower(0, 'reboot'))).toBe('aa 11 00 01 02 14');
    expect(mdc.checksum(bytes('11 00 01 01'))).toBe(0x13);
  });

  it('D4 MDC: the manual example "Power On, ID 0: AA 11 FF 01 01 12" (Samsung MD40B p41) decodes as ID 0xFF — its checksum fits 0xFF, not 0', () => {
    // 11 + FF + 01 + 01 = 0x112 → 12. With ID 0 the checksum would be 13.
    expect(mdc.decodeFrame(bytes('aa 11 ff 01 01 12'))).toEqual({ cmd: 0x11, id: 0xff, data: bytes('01') });
    expect(mdc.decodeCommand(bytes('aa 11 ff 01 01 12'))).toEqual({ type: 'power', id: 0xff, value: 'on' });
    expect(hex(mdc.encodePower(0xff, 'on'))).toBe('aa 11 ff 01 01 12');
    expect(() => mdc.decodeFrame(bytes('aa 11 00 01 01 12'))).toThrow(/checksum is 12, expected 13/);
    // ID 0xFE (all displays, UD46A manual): no ACK is sent for it.
    expect(hex(mdc.encodePower(mdc.BROADCAST_ID, 'on'))).toBe('aa 11 fe 01 01 11');
  });

  it('D4 MDC: get = len 0 (AA cmd id 00 chk); volume 0x12, mute 0x13, input 0x14, status 0x00', () => {
    const cases: [Buffer, string][] = [
      [mdc.encodePower(0), 'aa 11 00 00 11'],
      [mdc.encodeVolume(0), 'aa 12 00 00 12'],
      [mdc.encodeMute(0), 'aa 13 00 00 13'],
      [mdc.encodeInput(0), 'aa 14 00 00 14'],
      [mdc.encodeStatus(0), 'aa 00 00 00 00'],
      [mdc.encodeVolume(0, 100), 'aa 12 00 01 64 77'],
      [mdc.encodeVolume(1, 0), 'aa 12 01 01 00 14'],
      [mdc.encodeMute(0, true), 'aa 13 00 01 01 15'],
      [mdc.encodeMute(0, false), 'aa 13 00 01 00 14'],
      [mdc.encodeInput(0, 0x21), 'aa 14 00 01 21 36'],
      [mdc.encodeInput(0, 0x23), 'aa 14 00 01 23 38'],
      [mdc.encodeInput(0, 0x25), 'aa 14 00 01 25 3a'],
      [mdc.encodeInput(0, 0x31), 'aa 14 00 01 31 46'],
      [mdc.encodeInput(0, 0x33), 'aa 14 00 01 33 48'],
    ];
    for (const [buf, expected] of cases) expect(hex(buf)).toBe(expected);
    expect(() => mdc.encodeVolume(0, 101)).toThrow(RangeError);
    expect(() => mdc.encodePower(256, 'on')).toThrow(RangeError);
  });

  it('D4 MDC: replies — ACK AA FF id 03 41 r-cmd val chk, NAK with 4E; status data', () => {
    expect(hex(mdc.encodeAck(0, 0x11, [1]))).toBe('aa ff 00 03 41 11 01 55');
    expect(mdc.decodeReply(bytes('aa ff 00 03 41 11 01 55'))).toEqual({ id: 0, ack: true, cmd: 0x11, data: bytes('01') });
    expect(hex(mdc.encodeNak(0, 0x14, 0x03))).toBe('aa ff 00 03 4e 14 03 67');
    expect(mdc.decodeReply(bytes('aa ff 00 03 4e 14 03 67'))).toEqual({ id: 0, ack: false, cmd: 0x14, code: 3 });
    const status = { power: true, volume: 35, mute: true, input: 0x23, aspect: 0x10, nTimeNf: 0, fTimeNf: 0 };
    const ack = mdc.encodeAck(0, 0x00, mdc.encodeStatusData(status));
    expect(hex(ack)).toBe('aa ff 00 09 41 00 01 23 01 23 10 00 00 a1');
    const r = mdc.decodeReply(ack);
    expect(r.ack && mdc.parseStatusData(r.data)).toEqual(status);
    expect(() => mdc.parseStatusData(bytes('01 02'))).toThrow(mdc.MdcDecodeError);
    expect(mdc.parseSingle(bytes('1e'), 'volume')).toBe(30);
    expect(() => mdc.parseSingle(bytes('1e 1f'), 'volume')).toThrow(mdc.MdcDecodeError);
    // Broken replies, each with its typed kind.
    const kinds: [string, string][] = [
      ['ab ff 00 03 41 11 01 55', 'header'],
      ['aa ff 00 04 41 11 01 55', 'length'],
      ['aa ff 00', 'length'],
      ['aa ff 00 03 41 11 01 56', 'checksum'],
      ['aa 11 00 01 01 13', 'syntax'], // a command, not a reply
      ['aa ff 00 03 58 11 01 6c', 'syntax'], // neither A nor N
      ['aa ff 00 04 4e 11 01 02 65', 'syntax'], // NAK with two codes
    ];
    for (const [b, kind] of kinds) {
      let caught: unknown;
      try {
        mdc.decodeReply(bytes(b));
      } catch (e) {
        caught = e;
      }
      expect([b, caught instanceof mdc.MdcDecodeError && caught.kind]).toEqual([b, kind]);
    }
  });

  it('D4 MDC: round trip of every command (get and set) and every reply shape', () => {
    const commands: mdc.MdcCommand[] = [
      { type: 'status', id: 0 },
      { type: 'power', id: 0 },
      { type: 'power', id: 3, value: 'on' },
      { type: 'power', id: 3, value: 'off' },
      { type: 'power', id: 0xfe, value: 'reboot' },
      { type: 'volume', id: 0 },
      ...[0, 1, 50, 99, 100].map((value) => ({ type: 'volume' as const, id: 7, value })),
      { type: 'mute', id: 0 },
      { type: 'mute', id: 0, value: true },
      { type: 'mute', id: 0, value: false },
      { type: 'input', id: 0 },
      ...Object.values(mdc.INPUT_SOURCES).map((value) => ({ type: 'input' as const, id: 1, value })),
    ];
    for (const c of commands) expect(mdc.decodeCommand(mdc.encodeCommand(c))).toEqual(c);
    const replies: mdc.MdcReply[] = [
      { id: 0, ack: true, cmd: 0x11, data: bytes('01') },
      { id: 5, ack: true, cmd: 0x00, data: bytes('01 14 00 21 10 00 00') },
      { id: 0, ack: true, cmd: 0x12, data: Buffer.alloc(0) },
      { id: 9, ack: false, cmd: 0x14, code: 2 },
    ];
    for (const r of replies) expect(mdc.decodeReply(mdc.encodeReply(r))).toEqual(r);
    for (const [name, code] of Object.entries(mdc.INPUT_SOURCES)) expect(mdc.mdcInputToSource(mdc.sourceToMdcInput(name)!)).toBe(name);
    expect(mdc.sourceToMdcInput('hdmi1')).toBe(0x21);
    expect(mdc.sourceToMdcInput('dp1')).toBe(0x25);
    expect(mdc.sourceToMdcInput('nope')).toBeNull();
    expect(mdc.sourceToMdcInput('pc', { pc: 0x14 })).toBe(0x14);
    expect(mdc.mdcInputToSource(0x99)).toBe('mdc-0x99');
  });

  it('D4 MDC: stream reassembly by the length byte — byte at a time, noise before AA, AA without FF skipped in reply mode', () => {
    const stream = Buffer.concat([mdc.encodeAck(0, 0x11, [1]), mdc.encodeAck(0, 0x00, [1, 2, 3, 4, 5, 6, 7])]);
    const p = new mdc.MdcStreamParser({ replies: true });
    const out = [...stream].flatMap((b) => p.push(Buffer.from([b])));
    expect(out.map(hex)).toEqual([hex(stream.subarray(0, 8)), hex(stream.subarray(8))]);
    const q = new mdc.MdcStreamParser({ replies: true });
    expect(q.push(bytes('00 13 aa 05 aa ff 00 03 41'))).toEqual([]);
    expect(q.discardedBytes).toBe(4);
    expect(q.push(bytes('11 01 55 aa')).map(hex)).toEqual(['aa ff 00 03 41 11 01 55']);
    expect(q.pending).toBe(1);
    expect(hex(q.flush())).toBe('aa');
    const cmds = new mdc.MdcStreamParser();
    expect(cmds.push(bytes('aa 11 00 01 01 13 aa 12 00 00 12')).map(hex)).toEqual(['aa 11 00 01 01 13', 'aa 12 00 00 12']);
  });
});

describe('D4 fuzz: MDC decoders throw only MdcDecodeError', () => {
  it('D4 MDC: 100 000+ random and mutated frames (seed 1515)', () => {
    const rand = prng(1515);
    const int = (n: number) => Math.floor(rand() * n);
    const valid = [
      mdc.encodePower(0, 'on'),
      mdc.encodePower(0),
      mdc.encodeVolume(3, 55),
      mdc.encodeMute(0, true),
      mdc.encodeInput(0, 0x25),
      mdc.encodeStatus(1),
      mdc.encodeAck(0, 0x11, [1]),
      mdc.encodeNak(0, 0x14, 3),
      mdc.encodeAck(0, 0x00, [1, 20, 0, 0x21, 0x10, 0, 0]),
      bytes('aa 11 ff 01 01 12'),
    ];
    const h = fuzzHarness(mdc.MdcDecodeError);
    const replyParser = new mdc.MdcStreamParser({ replies: true });
    const cmdParser = new mdc.MdcStreamParser();
    let inputs = 0;
    for (let i = 0; i < 100_000; i++) {
      const input =
        i % 2 === 0
          ? Buffer.from(Array.from({ length: int(24) }, (_, k) => (k === 0 && rand() < 0.7 ? 0xaa : rand() < 0.2 ? [0xaa, 0xff, 0x41, 0x4e, 0x11][int(5)] : int(256))))
          : mutateBytes(valid[int(valid.length)], int, [0xaa, 0xff, 0x00, 0x41, 0x4e]);
      inputs++;
      h.attempt('mdc.decodeFrame', input, () => mdc.decodeFrame(input));
      h.attempt('mdc.decodeCommand', input, () => mdc.decodeCommand(input));
      const reply = h.attempt('mdc.decodeReply', input, () => mdc.decodeReply(input));
      if (reply?.ack) {
        h.attempt('mdc.parseStatusData', reply.data, () => mdc.parseStatusData(reply.data));
        h.attempt('mdc.parseSingle', reply.data, () => mdc.parseSingle(reply.data, 'fuzz'));
      }
      for (const f of h.attempt('replyParser.push', input, () => replyParser.push(input)) ?? []) h.attempt('mdc.decodeReply', f, () => mdc.decodeReply(f));
      for (const f of h.attempt('cmdParser.push', input, () => cmdParser.push(input)) ?? []) h.attempt('mdc.decodeCommand', f, () => mdc.decodeCommand(f));
    }
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    for (const k of ['mdc.decodeFrame', 'mdc.decodeCommand', 'mdc.decodeReply', 'mdc.parseStatusData', 'mdc.parseSingle']) expect([k, h.ok[k] > 20]).toEqual([k, true]);
  });
});

// =============================================================================================
// LG
// =============================================================================================

describe('D4 LG codec: lines (protocols.md §3.3)', () => {
  it('D4 LG: commands [Cmd1][Cmd2] [SetID] [Data] CR — ka 01 01 power on, ka 01 ff query', () => {
    const cases: [string, string][] = [
      [lg.encodePower(1, true), 'ka 01 01\r'],
      [lg.encodePower(1, false), 'ka 01 00\r'],
      [lg.encodePower(1, null), 'ka 01 ff\r'],
      [lg.encodeInput(1, 0x90), 'xb 01 90\r'],
      [lg.encodeInput(1, 0x91), 'xb 01 91\r'],
      [lg.encodeInput(1, 0x60), 'xb 01 60\r'],
      [lg.encodeMute(1, true), 'ke 01 00\r'], // 00 = mute on (volume off)
      [lg.encodeMute(1, false), 'ke 01 01\r'],
      [lg.encodeVolume(1, 100), 'kf 01 64\r'],
      [lg.encodeVolume(1, 0), 'kf 01 00\r'],
      [lg.encodeVolume(99, 30), 'kf 63 1e\r'], // set ID 99 = 63h
      [lg.encodePower(lg.ALL_SETS, true), 'ka 00 01\r'],
    ];
    for (const [line, expected] of cases) expect(line).toBe(expected);
    expect(() => lg.encodeVolume(1, 101)).toThrow(RangeError);
    expect(() => lg.encodeCommand({ command: 'KA', setId: 1, data: [1] })).toThrow(RangeError);
    expect(() => lg.encodeCommand({ command: 'ka', setId: 1, data: [] })).toThrow(RangeError);
  });

  it('D4 LG: replies [Cmd2] [SetID] OK|NG [Data] x — a 01 OK01x; NG 01/02/03', () => {
    expect(lg.decodeReply('a 01 OK01x')).toEqual({ command2: 'a', setId: 1, ok: true, data: [1] });
    expect(lg.decodeReply('\r\nf 0a OK64x')).toEqual({ command2: 'f', setId: 10, ok: true, data: [0x64] });
    expect(lg.decodeReply('b 01 NG01x')).toEqual({ command2: 'b', setId: 1, ok: false, data: [lg.NG_ILLEGAL_CODE] });
    expect(lg.decodeReply('b 01 NG02x').data).toEqual([lg.NG_NOT_SUPPORTED]);
    expect(lg.decodeReply('a 01 NG3x').data).toEqual([lg.NG_WAIT]); // one digit on some models
    expect(lg.encodeReply({ command2: 'a', setId: 1, ok: true, data: [1] })).toBe('a 01 OK01x');
    expect(lg.encodeReply({ command2: 'e', setId: 1, ok: false, data: [3] })).toBe('e 01 NG03x');
    for (const bad of ['a 01 OK01', 'a 01 OQ01x', 'a01 OK01x', 'a 1 OK01x', 'a 01 OKx', 'a 01 OKzzx', '1 01 OK01x'])
      expect(() => lg.decodeReply(bad)).toThrow(lg.LgDecodeError);
    expect(lg.muteFromData(0)).toBe(true);
    expect(lg.muteFromData(1)).toBe(false);
  });

  it('D4 LG: round trip of every command and reply', () => {
    const commands: lg.LgCommand[] = [
      { command: 'ka', setId: 1, data: [1] },
      { command: 'ka', setId: 1, data: [0] },
      { command: 'ka', setId: 1, data: [0xff] },
      { command: 'ke', setId: 5, data: [0] },
      { command: 'ke', setId: 5, data: [1] },
      ...[0, 1, 50, 100].map((v) => ({ command: 'kf', setId: 0x63, data: [v] })),
      ...Object.values(lg.INPUT_SOURCES).map((v) => ({ command: 'xb', setId: 0, data: [v] })),
      { command: 'ma', setId: 1, data: [0, 1, 0x10] },
    ];
    for (const c of commands) expect(lg.decodeCommand(lg.encodeCommand(c))).toEqual(c);
    const replies: lg.LgReply[] = [
      { command2: 'a', setId: 1, ok: true, data: [1] },
      { command2: 'b', setId: 0x63, ok: true, data: [0xc0] },
      { command2: 'f', setId: 1, ok: false, data: [3] },
      { command2: 'a', setId: 1, ok: true, data: [0, 1, 2] },
    ];
    for (const r of replies) expect(lg.decodeReply(lg.encodeReply(r))).toEqual(r);
    for (const [name, code] of Object.entries(lg.INPUT_SOURCES)) expect([name, lg.lgInputToSource(code)]).toEqual([name, name]);
    expect(lg.sourceToLgInput('dp1')).toBe(0xc0);
    expect(lg.sourceToLgInput('nope')).toBeNull();
    expect(lg.lgInputToSource(0x12)).toBe('lg-12');
  });

  it('D4 LG: reassembly — replies end at x (not at a first-letter x), CR/LF between them dropped, over-long runs dropped', () => {
    const p = new lg.LgReplyParser();
    expect(p.push('a 01 OK')).toEqual([]);
    expect(p.push('01x\r\nf 01 OK1ex')).toEqual(['a 01 OK01x', 'f 01 OK1ex']);
    expect(p.push('x 01 OK01x')).toEqual(['x 01 OK01x']); // a command letter x does not end the reply early
    expect(p.push('y'.repeat(lg.MAX_REPLY + 5))).toEqual([]);
    expect(p.discardedChars).toBeGreaterThan(0);
    expect(p.push('b 01 NG02x')).toEqual(['b 01 NG02x']);
    const one = new lg.LgReplyParser();
    expect([...'a 01 OK00xe 01 OK01x'].flatMap((c) => one.push(c))).toEqual(['a 01 OK00x', 'e 01 OK01x']);
    const c = new lg.LgCommandParser();
    expect(c.push('ka 01 ff\rkf 0')).toEqual(['ka 01 ff']);
    expect(c.push('1 1e\r\n')).toEqual(['kf 01 1e']);
  });
});

describe('D4 fuzz: LG decoders throw only LgDecodeError', () => {
  it('D4 LG: 100 000+ random and mutated lines (seed 9600)', () => {
    const rand = prng(9600);
    const int = (n: number) => Math.floor(rand() * n);
    const valid = ['a 01 OK01x', 'b 01 NG02x', 'f 0a OK64x', 'a 01 NG3x', 'ka 01 01\r', 'xb 01 90\r', 'kf 63 ff\r', 'ma 01 00 01 10\r'];
    const alphabet = 'abefkxOKNG 0123456789abcdefx\r\n';
    const h = fuzzHarness(lg.LgDecodeError);
    const rp = new lg.LgReplyParser();
    const cp = new lg.LgCommandParser();
    let inputs = 0;
    for (let i = 0; i < 100_000; i++) {
      let text: string;
      if (i % 3 === 0) text = Array.from({ length: int(20) }, () => alphabet[int(alphabet.length)]).join('');
      else if (i % 3 === 1) text = Buffer.from(Array.from({ length: int(20) }, () => int(256))).toString('latin1');
      else text = mutateBytes(Buffer.from(valid[int(valid.length)], 'latin1'), int, [0x20, 0x78, 0x0d, 0x30, 0x66]).toString('latin1');
      inputs++;
      h.attempt('lg.decodeReply', text, () => lg.decodeReply(text));
      h.attempt('lg.decodeCommand', text, () => lg.decodeCommand(text));
      for (const r of h.attempt('rp.push', text, () => rp.push(text)) ?? []) h.attempt('lg.decodeReply', r, () => lg.decodeReply(r));
      for (const l of h.attempt('cp.push', text, () => cp.push(text)) ?? []) h.attempt('lg.decodeCommand', l, () => lg.decodeCommand(l));
    }
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    for (const k of ['lg.decodeCommand', 'lg.decodeReply']) expect([k, h.ok[k] > 300]).toEqual([k, true]);
  });
});
