// Audio codecs (Tesira TTP + Telnet, Shure command strings, HID telephony reports): exact bytes against
// protocols.md §4.1–4.4, round trips for every command, and a seeded fuzz of every decoder.
import { describe, it, expect } from 'vitest';
import {
  BANNER,
  BANNER_PATTERN,
  DO,
  DONT,
  IAC,
  SB,
  SE,
  WILL,
  WONT,
  TelnetParser,
  TesiraDecodeError,
  TtpLineSplitter,
  addressNotFound,
  decodeCommand as decodeTtpCommand,
  decodeReply as decodeTtpReply,
  encodeCommand as encodeTtpCommand,
  encodeNegotiation,
  encodeOk,
  encodePublish,
  encodeReply as encodeTtpReply,
  formatNumber,
  formatValue,
  getCommand,
  isRefusal,
  notSupported,
  parseError,
  parseValue,
  refusalFor,
  setCommand,
  subscribeCommand,
  tokenize,
  unsubscribeCommand,
  verboseCommand,
  type TelnetVerb,
  type TtpCommand,
  type TtpValue,
} from '../../drivers/tesira/codec.js';
import {
  ShureDecodeError,
  ShureStreamParser,
  braced,
  dbToSample,
  decodeMessage as decodeShure,
  encodeGet,
  encodeMessage as encodeShure,
  encodeRep,
  encodeSample,
  encodeSet,
  meterRateValue,
  parseMeterRate,
  parseOnOff,
  sampleToDb,
  unbraced,
  type ShureMessage,
} from '../../drivers/shure/codec.js';
import {
  DEFAULT_INPUT_LAYOUT,
  DEFAULT_OUTPUT_LAYOUT,
  HidDecodeError,
  checkInputLayout,
  checkOutputLayout,
  decodeInputReport,
  decodeLedReport,
  encodeInputReport,
  encodeLedReport,
  toBytes,
  type HidInputLayout,
  type HidOutputLayout,
  type HookMuteState,
} from '../../drivers/hid-speakerphone/codec.js';
import { bytes, hex, prng } from '../helpers/bytes.js';

/**
 * Runs a fuzz loop without stack traces: capturing one costs ~7 µs per thrown decode error, which is most of
 * the run time on a loaded 2-core machine. Unexpected errors are still recorded by message.
 */
function withoutStacks(run: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    run();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Runs `decode` and records anything thrown that is not the codec's own error class. */
function harness(errorClass: new (...args: any[]) => Error) {
  const other: string[] = [];
  let decoded = 0;
  let refused = 0;
  return {
    attempt<T>(label: unknown, decode: () => T): T | undefined {
      try {
        const out = decode();
        decoded++;
        return out;
      } catch (e) {
        if (e instanceof errorClass) refused++;
        else other.push(`${JSON.stringify(label)}: ${String(e)}`);
        return undefined;
      }
    },
    get other() {
      return other;
    },
    get decoded() {
      return decoded;
    },
    get refused() {
      return refused;
    },
  };
}

function mutateString(rand: () => number, src: string, alphabet: string): string {
  const c = [...src];
  const int = (n: number) => Math.floor(rand() * n);
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    const op = int(5);
    const at = int(c.length + 1);
    const ch = alphabet[int(alphabet.length)];
    if (op === 0 && c.length) c[int(c.length)] = ch;
    else if (op === 1) c.splice(at, 0, ch);
    else if (op === 2 && c.length) c.splice(int(c.length), 1);
    else if (op === 3) c.length = int(c.length + 1);
    else c.splice(at, 0, ...c.slice(int(c.length), int(c.length) + 1 + int(4))); // duplicate a run
  }
  return c.join('');
}

// =============================================================================================
// Tesira
// =============================================================================================

describe('D4 tesira codec: Telnet negotiation (protocols.md §4.3)', () => {
  it('D4 refusals: DO x → IAC WONT x, WILL x → IAC DONT x, DONT/WONT get no answer — for every option 0..255', () => {
    for (let option = 0; option <= 255; option++) {
      expect(hex(refusalFor({ verb: 'DO', option })!)).toBe(hex(Buffer.from([IAC, WONT, option])));
      expect(hex(refusalFor({ verb: 'WILL', option })!)).toBe(hex(Buffer.from([IAC, DONT, option])));
      expect(refusalFor({ verb: 'DONT', option })).toBeNull();
      expect(refusalFor({ verb: 'WONT', option })).toBeNull();
    }
    expect(hex(encodeNegotiation('DO', 0x18))).toBe('ff fd 18');
    expect(isRefusal({ verb: 'DO', option: 1 }, { verb: 'WONT', option: 1 })).toBe(true);
    expect(isRefusal({ verb: 'WILL', option: 1 }, { verb: 'DONT', option: 1 })).toBe(true);
    expect(isRefusal({ verb: 'DO', option: 1 }, { verb: 'WILL', option: 1 })).toBe(false);
    expect(isRefusal({ verb: 'DO', option: 1 }, { verb: 'WONT', option: 3 })).toBe(false);
    expect(() => encodeNegotiation('DO', 256)).toThrow(RangeError);
  });

  it('D4 TelnetParser: negotiations, IAC IAC as data 0xFF, subnegotiation, commands; the banner text passes through', () => {
    const p = new TelnetParser();
    const stream = Buffer.concat([
      bytes('fffd18 fffd20 fffb03'),
      Buffer.from('\r\nWelcome'),
      bytes('ffff'),
      bytes('fffa 18 01 ffff 02 fff0'),
      bytes('fff1'),
      Buffer.from(' to the Tesira Text Protocol Server...\r\n'),
    ]);
    const { data, events } = p.push(stream);
    expect(data.toString('latin1')).toBe('\r\nWelcome\xff to the Tesira Text Protocol Server...\r\n');
    expect(events).toEqual([
      { type: 'negotiation', verb: 'DO', option: 0x18 },
      { type: 'negotiation', verb: 'DO', option: 0x20 },
      { type: 'negotiation', verb: 'WILL', option: 0x03 },
      { type: 'subnegotiation', option: 0x18, data: bytes('01 ff 02') },
      { type: 'command', code: 0xf1 },
    ]);
    // Byte-at-a-time gives the same result.
    const q = new TelnetParser();
    const parts = [...stream].map((b) => q.push(Buffer.from([b])));
    expect(Buffer.concat(parts.map((x) => x.data))).toEqual(data);
    expect(parts.flatMap((x) => x.events)).toEqual(events);
  });

  it('D4 TelnetParser: an oversized subnegotiation is cut and counted, the stream continues', () => {
    const p = new TelnetParser();
    const { data, events } = p.push(Buffer.concat([Buffer.from([IAC, SB, 0x18]), Buffer.alloc(600, 0x41), Buffer.from([IAC, SE]), Buffer.from('ok')]));
    expect(events).toHaveLength(1);
    expect((events[0] as { data: Buffer }).data.length).toBe(512);
    expect(p.discarded).toBe(88);
    expect(data.toString()).toBe('ok');
  });

  it('D4 TtpLineSplitter: CR LF and LF, partial lines across chunks, UTF-8 split mid-character, overlong lines dropped', () => {
    const s = new TtpLineSplitter(16);
    expect(s.push(Buffer.from('+OK\r\n+OK "va'))).toEqual(['+OK']);
    expect(s.pending).toBe('+OK "va');
    expect(s.push(Buffer.from('lue":1\n'))).toEqual(['+OK "value":1']);
    const ho = Buffer.from('"Phòng"\r\n');
    expect(s.push(ho.subarray(0, 4))).toEqual([]);
    expect(s.push(ho.subarray(4))).toEqual(['"Phòng"']);
    expect(s.push(Buffer.from('x'.repeat(40)))).toEqual([]);
    expect(s.push(Buffer.from('yyy\n+OK\n'))).toEqual(['+OK']);
    expect(s.discardedLines).toBe(1);
    expect(BANNER_PATTERN.test(BANNER)).toBe(true);
    expect(BANNER_PATTERN.test('Welcome to the Text Protocol Server')).toBe(true);
  });
});

describe('D4 tesira codec: commands', () => {
  const cases: [string, TtpCommand, string][] = [
    ['mute on', setCommand('Level1', 'mute', [1], true), 'Level1 set mute 1 true\n'],
    ['mute off ch 2', setCommand('Level1', 'mute', [2], false), 'Level1 set mute 2 false\n'],
    ['level', setCommand('Level1', 'level', [1], -12.5), 'Level1 set level 1 -12.5\n'],
    ['level integer', setCommand('Level1', 'level', [1], -100), 'Level1 set level 1 -100\n'],
    ['level eighths', setCommand('Level1', 'level', [1], -3.125), 'Level1 set level 1 -3.125\n'],
    ['get numChannels', getCommand('Output1', 'numChannels'), 'Output1 get numChannels\n'],
    ['get level', getCommand('Level1', 'level', [1]), 'Level1 get level 1\n'],
    ['subscribe', subscribeCommand('Level1', 'level', [1], 'MyLabel', 500), 'Level1 subscribe level 1 MyLabel 500\n'],
    ['unsubscribe', unsubscribeCommand('Level1', 'level', [1], 'MyLabel'), 'Level1 unsubscribe level 1 MyLabel\n'],
    ['verbose off', verboseCommand(false), 'SESSION set verbose false\n'],
    ['preset', { instance: 'DEVICE', command: 'recallPreset', args: [1001] }, 'DEVICE recallPreset 1001\n'],
    ['quoted tag', setCommand('Room Level', 'mute', [1], true), '"Room Level" set mute 1 true\n'],
    ['string value', setCommand('Router1', 'label', [1], 'Mic "A" 1'), 'Router1 set label 1 "Mic \\"A\\" 1"\n'],
    ['string that looks like a number', setCommand('Router1', 'label', [1], '12'), 'Router1 set label 1 "12"\n'],
    ['string true', setCommand('Router1', 'label', [1], 'true'), 'Router1 set label 1 "true"\n'],
    ['toggle', { instance: 'Mute1', command: 'toggle', attribute: 'mute', args: [3] }, 'Mute1 toggle mute 3\n'],
    ['increment', { instance: 'Level1', command: 'increment', attribute: 'level', args: [1, 3] }, 'Level1 increment level 1 3\n'],
  ];
  it.each(cases)('D4 %s', (_n, cmd, line) => {
    expect(encodeTtpCommand(cmd)).toBe(line);
    const back = decodeTtpCommand(line.slice(0, -1));
    expect({ instance: back.instance, command: back.command, attribute: back.attribute, args: back.args }).toEqual({ ...cmd, attribute: cmd.attribute });
  });

  it('D4 encoders refuse what cannot be a TTP line (a bug on our side)', () => {
    expect(() => encodeTtpCommand(setCommand('Level1', 'mute', [1], 'a\nb'))).toThrow(RangeError);
    expect(() => encodeTtpCommand(setCommand('', 'mute', [1], true))).toThrow(RangeError);
    expect(() => encodeTtpCommand(setCommand('Level1', 'level', [1], Number.NaN))).toThrow(RangeError);
    expect(encodeTtpCommand(setCommand('Level1', 'level', [1], 1 / 3))).toBe('Level1 set level 1 0.333333\n');
    expect(formatNumber(-0.0000001)).toBe('0');
    expect(formatNumber(2.5)).toBe('2.5');
  });

  it('D4 decodeCommand: structure errors carry the offset', () => {
    const at = (line: string) => {
      try {
        decodeTtpCommand(line);
      } catch (e) {
        expect(e).toBeInstanceOf(TesiraDecodeError);
        return (e as TesiraDecodeError).at;
      }
      throw new Error('expected a decode error');
    };
    expect(at('')).toBe(0);
    expect(at('Level1')).toBe(6);
    expect(at('Level1 get')).toBe(10);
    expect(at('Level1 set "mute 1')).toBe(18);
    expect(at('Level1 set mu"te 1')).toBe(13);
    expect(at('Level1 set\x01 mute')).toBe(10);
    expect(tokenize('"a b"  c').map((t) => [t.text, t.quoted, t.at])).toEqual([
      ['a b', true, 0],
      ['c', false, 7],
    ]);
  });
});

describe('D4 tesira codec: replies (protocols.md §4.3)', () => {
  const ok = (value: TtpValue | undefined, fields: Record<string, TtpValue> = {}) => ({ type: 'ok', value, fields });
  const cases: [string, unknown][] = [
    ['+OK', ok(undefined)],
    ['+OK "value":-100.000000', ok(-100, { value: -100 })],
    ['+OK "value":true', ok(true, { value: true })],
    ['+OK "value":2', ok(2, { value: 2 })],
    ['+OK "value":"Mic 1"', ok('Mic 1', { value: 'Mic 1' })],
    ['+OK "list":["Level1" "Mute1"]', ok(['Level1', 'Mute1'], { list: ['Level1', 'Mute1'] })],
    ['+OK "value":{"deviceId":0 "classCode":0 "instanceNum":0}', ok({ deviceId: 0, classCode: 0, instanceNum: 0 }, { value: { deviceId: 0, classCode: 0, instanceNum: 0 } })],
    ['+OK "value":[[1 2] [3 4]]', ok([[1, 2], [3, 4]], { value: [[1, 2], [3, 4]] })],
    ['+OK 2', ok(2)],
    ['+OK -10.500000', ok(-10.5)],
    ['+OK false', ok(false)],
    ['+OK "Mic 1"', ok('Mic 1')],
    ['-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}', { type: 'error', kind: 'address-not-found', message: 'address not found: {"deviceId":0 "classCode":0 "instanceNum":0}', at: null }],
    ['-ERR Parse error at 13: unknown attribute', { type: 'error', kind: 'parse', message: 'Parse error at 13: unknown attribute', at: 13 }],
    ["-ERR 'set' is not supported for attribute 'numChannels'", { type: 'error', kind: 'not-supported', message: "'set' is not supported for attribute 'numChannels'", at: null }],
    ['-ERR INVALID_PARAMETER', { type: 'error', kind: 'other', message: 'INVALID_PARAMETER', at: null }],
    ['-CANNOT_DELIVER', { type: 'error', kind: 'other', message: 'CANNOT_DELIVER', at: null }],
    ['! "publishToken":"MyLabel" "value":-100.000000', { type: 'publish', token: 'MyLabel', value: -100, fields: { publishToken: 'MyLabel', value: -100 } }],
    ['! "publishToken":"M" "value":true', { type: 'publish', token: 'M', value: true, fields: { publishToken: 'M', value: true } }],
    ['! "MyLabel" -100.000000', { type: 'publish', token: 'MyLabel', value: -100, fields: {} }],
    ['! MyLabel [1 2]', { type: 'publish', token: 'MyLabel', value: [1, 2], fields: {} }],
    [BANNER, { type: 'text', text: BANNER }],
    ['Level1 set mute 1 true', { type: 'text', text: 'Level1 set mute 1 true' }],
    ['', { type: 'text', text: '' }],
  ];
  it.each(cases)('D4 %s', (line, expected) => {
    expect(decodeTtpReply(line)).toEqual(expected);
  });

  it('D4 reply encoders round-trip through the decoder', () => {
    const values: TtpValue[] = [-100, 12, 0, 2.5, true, false, 'Mic "1"', [1, 2, 3], { a: 1, b: [true] }, []];
    for (const v of values) {
      for (const verbose of [true, false]) {
        const line = encodeOk(v, { verbose });
        expect(decodeTtpReply(line).type).toBe('ok');
        expect((decodeTtpReply(line) as { value: TtpValue }).value).toEqual(v);
        const pub = encodePublish('Tok', v, { verbose });
        expect(decodeTtpReply(pub)).toMatchObject({ type: 'publish', token: 'Tok', value: v });
      }
      expect(parseValue(formatValue(v))).toEqual(v);
      expect(parseValue(formatValue(v, 'float'))).toEqual(v);
    }
    const canonical = [
      '+OK',
      '+OK "value":-100.000000',
      addressNotFound(),
      parseError(7, "unknown command 'SET'"),
      notSupported('set', "for attribute 'numChannels'"),
      '! "publishToken":"MyLabel" "value":-100.000000',
    ];
    for (const line of canonical) expect(encodeTtpReply(decodeTtpReply(line), { numbers: 'float' })).toBe(line);
    expect(encodeOk(-10, { numbers: 'float' })).toBe('+OK "value":-10.000000');
    expect(encodeOk(2, { verbose: false })).toBe('+OK 2');
  });

  it.each([
    ['+OKAY'],
    ['+OK "value":'],
    ['+OK "value":[1 2'],
    ['+OK "value":{"a" 1}'],
    ['+OK "value":12abc'],
    ['+OK 1 2'],
    ['+OK "unterminated'],
    ['+OK "value":nope'],
    ['! "publishToken":"x"'],
    ['! "publishToken":1 "value":2'],
    ['!'],
    ['! tok'],
    ['+OK ' + '['.repeat(100) + ']'.repeat(100)],
  ])('D4 decodeReply refuses %s with TesiraDecodeError', (line) => {
    expect(() => decodeTtpReply(line)).toThrow(TesiraDecodeError);
  });

  it('D4 object keys are data, never a prototype change', () => {
    const r = decodeTtpReply('+OK "value":{"__proto__":{"polluted":true}}') as { value: Record<string, unknown> };
    expect(Object.keys(r.value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('D4 fuzz: Tesira decoders throw only TesiraDecodeError', () => {
  it('D4 100 000+ random and mutated lines and byte streams (seed 20250417)', () => {
    const rand = prng(20250417);
    const int = (n: number) => Math.floor(rand() * n);
    const alphabet = '+-!"[]{}:,. \t\\0123456789eE-OKERRvaluetrufals"publishToken"Level1 set mute\x01\xff';
    const valid = [
      '+OK',
      '+OK "value":-10.000000',
      '+OK "list":["a" "b"]',
      '+OK "value":{"deviceId":0 "classCode":0 "instanceNum":0}',
      '+OK 2',
      addressNotFound(),
      parseError(13, 'x'),
      notSupported('set'),
      '! "publishToken":"T" "value":-3.5',
      '! "T" true',
      'Level1 set mute 1 true',
      '"Room Level" subscribe level 1 T 500',
      'SESSION set verbose false',
      BANNER,
    ];
    const h = harness(TesiraDecodeError);
    const broken: string[] = []; // plain checks inside the loop: expect() per iteration costs seconds
    const telnet = new TelnetParser();
    const lines = new TtpLineSplitter(256);
    let inputs = 0;
    withoutStacks(() => {
      for (let i = 0; i < 100_000; i++) {
        const line = i % 2 === 0 ? Array.from({ length: int(40) }, () => alphabet[int(alphabet.length)]).join('') : mutateString(rand, valid[int(valid.length)], alphabet);
        inputs++;
        const reply = h.attempt(line, () => decodeTtpReply(line));
        if (reply && !['ok', 'error', 'publish', 'text'].includes(reply.type)) broken.push(`${JSON.stringify(line)} → ${reply.type}`);
        h.attempt(line, () => decodeTtpCommand(line));
        h.attempt(line, () => parseValue(line));
        if (i % 4 === 0) {
          const chunk = Buffer.from(Array.from({ length: int(32) }, () => (rand() < 0.2 ? IAC : rand() < 0.2 ? [DO, DONT, WILL, WONT, SB, SE][int(6)] : int(256))));
          const out = h.attempt(chunk, () => telnet.push(chunk));
          if (out) for (const l of h.attempt(chunk, () => lines.push(out.data)) ?? []) h.attempt(l, () => decodeTtpReply(l));
        }
      }
    });
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(broken.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    expect(h.decoded).toBeGreaterThan(10_000); // the mutations also reach the success paths
    expect(h.refused).toBeGreaterThan(10_000);
  });
});

// =============================================================================================
// Shure
// =============================================================================================

describe('D4 shure codec: command strings (protocols.md §4.4)', () => {
  const cases: [string, ShureMessage, string][] = [
    ['get mute', { type: 'get', channel: null, param: 'DEVICE_AUDIO_MUTE' }, '< GET DEVICE_AUDIO_MUTE >'],
    ['set mute on', { type: 'set', channel: null, param: 'DEVICE_AUDIO_MUTE', value: 'ON' }, '< SET DEVICE_AUDIO_MUTE ON >'],
    ['set mute off', { type: 'set', channel: null, param: 'DEVICE_AUDIO_MUTE', value: 'OFF' }, '< SET DEVICE_AUDIO_MUTE OFF >'],
    ['set mute toggle', { type: 'set', channel: null, param: 'DEVICE_AUDIO_MUTE', value: 'TOGGLE' }, '< SET DEVICE_AUDIO_MUTE TOGGLE >'],
    ['rep mute', { type: 'rep', channel: null, param: 'DEVICE_AUDIO_MUTE', value: 'ON' }, '< REP DEVICE_AUDIO_MUTE ON >'],
    ['get all', { type: 'get', channel: null, param: 'ALL' }, '< GET ALL >'],
    ['meter rate', { type: 'set', channel: null, param: 'METER_RATE', value: '00100' }, '< SET METER_RATE 00100 >'],
    ['channel get', { type: 'get', channel: 1, param: 'AUDIO_GAIN_HI_RES' }, '< GET 01 AUDIO_GAIN_HI_RES >'],
    ['channel rep', { type: 'rep', channel: 28, param: 'AUDIO_MUTE', value: 'OFF' }, '< REP 28 AUDIO_MUTE OFF >'],
    ['channel 0 (P300)', { type: 'set', channel: 0, param: 'AUDIO_MUTE', value: 'ON' }, '< SET 00 AUDIO_MUTE ON >'],
    ['braced string', { type: 'rep', channel: null, param: 'DEVICE_ID', value: '{Phong hop 1    }' }, '< REP DEVICE_ID {Phong hop 1    } >'],
    ['preset', { type: 'rep', channel: null, param: 'PRESET', value: '01' }, '< REP PRESET 01 >'],
    ['rep err', { type: 'rep-error' }, '< REP ERR >'],
    ['sample', { type: 'sample', values: [0, 5, 60, 999] }, '< SAMPLE 000 005 060 999 >'],
  ];
  it.each(cases)('D4 %s', (_n, m, frame) => {
    expect(encodeShure(m)).toBe(frame);
    expect(decodeShure(frame)).toEqual(m);
  });

  it('D4 helpers: get/set/rep/sample, METER_RATE five digits, SAMPLE 0..60 = −60..0 dB, braces, ON/OFF', () => {
    expect(encodeGet('DEVICE_AUDIO_MUTE')).toBe('< GET DEVICE_AUDIO_MUTE >');
    expect(encodeSet('AUDIO_MUTE', 'ON', 3)).toBe('< SET 03 AUDIO_MUTE ON >');
    expect(encodeRep('METER_RATE', meterRateValue(0))).toBe('< REP METER_RATE 00000 >');
    expect(encodeSample([60, 30])).toBe('< SAMPLE 060 030 >');
    expect(meterRateValue(100)).toBe('00100');
    expect(meterRateValue(99_999)).toBe('99999');
    for (const bad of [50, 99, 100_000, 1.5, -1]) expect(() => meterRateValue(bad)).toThrow(RangeError);
    expect(parseMeterRate('01000')).toBe(1000);
    expect(() => parseMeterRate('1e3')).toThrow(ShureDecodeError);
    expect([sampleToDb(60), sampleToDb(0), dbToSample(-6), dbToSample(10)]).toEqual([0, -60, 54, 70]);
    expect(braced('MXA910', 10)).toBe('{MXA910    }');
    expect(unbraced('{MXA910    }')).toBe('MXA910');
    expect(unbraced('ON')).toBe('ON');
    expect([parseOnOff('ON'), parseOnOff('OFF')]).toEqual([true, false]);
    expect(() => parseOnOff('on')).toThrow(ShureDecodeError);
    expect(() => encodeSet('lower', 'ON')).toThrow(RangeError);
    expect(() => encodeSet('X', 'a > b')).toThrow(RangeError);
    expect(() => encodeSet('X', '')).toThrow(RangeError);
    expect(() => encodeGet('X', 100)).toThrow(RangeError);
    expect(() => encodeSample([])).toThrow(RangeError);
  });

  it('D4 decode is tolerant of spacing and a > inside braces; refuses what is not a command string', () => {
    expect(decodeShure('<REP DEVICE_AUDIO_MUTE ON>')).toEqual({ type: 'rep', channel: null, param: 'DEVICE_AUDIO_MUTE', value: 'ON' });
    expect(decodeShure('<  REP  01  AUDIO_MUTE  ON  >')).toEqual({ type: 'rep', channel: 1, param: 'AUDIO_MUTE', value: 'ON' });
    expect(decodeShure('< REP DEVICE_ID {a > b} >')).toEqual({ type: 'rep', channel: null, param: 'DEVICE_ID', value: '{a > b}' });
    expect(decodeShure('< REP X >')).toEqual({ type: 'rep', channel: null, param: 'X', value: '' });
    for (const bad of ['', '<>', '< >', 'GET X', '< get X >', '< GET >', '< GET X Y >', '< SET X >', '< REP 01 >', '< SAMPLE >', '< SAMPLE 1000 >', '< SAMPLE a >', '< REP X {a >', '< REP X a} >', '< REP X {a}b >', '< GET X\n >', '< GET <X >'])
      expect(() => decodeShure(bad), bad).toThrow(ShureDecodeError);
  });

  it('D4 ShureStreamParser: several frames per chunk, frames split across chunks, noise between frames, byte-at-a-time', () => {
    const p = new ShureStreamParser();
    expect(p.push('< REP DEVICE_AUDIO_MUTE ON >< SAMPLE 001 002 >\r\n< REP MET')).toEqual(['< REP DEVICE_AUDIO_MUTE ON >', '< SAMPLE 001 002 >']);
    expect(p.push('ER_RATE 00100 >')).toEqual(['< REP METER_RATE 00100 >']);
    expect(p.push('\xff\xfd\x18garbage< REP DEVICE_ID {x > y} >')).toEqual(['< REP DEVICE_ID {x > y} >']);
    expect(p.discardedChars).toBeGreaterThan(0);
    expect(p.push('< REP A 1 < REP B 2 >')).toEqual(['< REP B 2 >']); // a frame cut off by the next one
    const stream = Buffer.from('< REP X ON >< REP 01 AUDIO_MUTE OFF >< SAMPLE 010 >');
    const q = new ShureStreamParser();
    expect([...stream].flatMap((b) => q.push(Buffer.from([b])))).toEqual(['< REP X ON >', '< REP 01 AUDIO_MUTE OFF >', '< SAMPLE 010 >']);
    const r = new ShureStreamParser();
    expect(r.push('<' + 'A'.repeat(5000) + '>< REP X ON >')).toEqual(['< REP X ON >']);
    expect(r.push('< REP half')).toEqual([]);
    expect(r.flush()).toBe('< REP half');
  });
});

describe('D4 fuzz: Shure decoders throw only ShureDecodeError', () => {
  it('D4 100 000+ random and mutated frames and streams (seed 20250418)', () => {
    const rand = prng(20250418);
    const int = (n: number) => Math.floor(rand() * n);
    const alphabet = '<>{} \t0123456789GETSREPAMPLRUDIOVCE_{}\r\n\x00\xff';
    const valid = [
      '< GET DEVICE_AUDIO_MUTE >',
      '< SET DEVICE_AUDIO_MUTE ON >',
      '< REP DEVICE_AUDIO_MUTE OFF >',
      '< REP 01 AUDIO_GAIN_HI_RES 1100 >',
      '< REP DEVICE_ID {Phong hop 1    } >',
      '< REP ERR >',
      '< SAMPLE 000 010 060 >',
      '< SET METER_RATE 00100 >',
    ];
    const h = harness(ShureDecodeError);
    const broken: string[] = [];
    const stream = new ShureStreamParser();
    let inputs = 0;
    withoutStacks(() => {
      for (let i = 0; i < 100_000; i++) {
        const frame = i % 2 === 0 ? Array.from({ length: int(40) }, () => alphabet[int(alphabet.length)]).join('') : mutateString(rand, valid[int(valid.length)], alphabet);
        inputs++;
        const m = h.attempt(frame, () => decodeShure(frame));
        if (m?.type === 'rep') {
          h.attempt(m.value, () => parseOnOff(m.value));
          h.attempt(m.value, () => parseMeterRate(m.value));
          // What decodes also encodes back to something that decodes the same (when it is encodable).
          let re: string | null = null;
          try {
            re = encodeShure(m);
          } catch (e) {
            if (!(e instanceof RangeError)) broken.push(`encode ${JSON.stringify(m)}: ${String(e)}`);
          }
          if (re !== null && JSON.stringify(decodeShure(re)) !== JSON.stringify(m)) broken.push(`round trip ${JSON.stringify(m)} → ${re}`);
        }
        const frames = h.attempt(frame, () => stream.push(frame)) ?? [];
        for (const f of frames) h.attempt(f, () => decodeShure(f));
      }
    });
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(broken.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    expect(h.decoded).toBeGreaterThan(10_000);
    expect(h.refused).toBeGreaterThan(10_000);
  });
});

// =============================================================================================
// HID telephony
// =============================================================================================

describe('D4 hid-speakerphone codec: LED output reports (protocols.md §4.1–4.2)', () => {
  it('D4 default layout: report 03, off-hook bit 0, mute bit 1, one data byte → 2-byte writes', () => {
    const table: [HookMuteState, string][] = [
      [{ offHook: false, mute: false }, '03 00'],
      [{ offHook: true, mute: false }, '03 01'],
      [{ offHook: false, mute: true }, '03 02'],
      [{ offHook: true, mute: true }, '03 03'],
    ];
    for (const [state, expected] of table) {
      expect(hex(encodeLedReport(DEFAULT_OUTPUT_LAYOUT, state))).toBe(expected);
      expect(decodeLedReport(DEFAULT_OUTPUT_LAYOUT, bytes(expected))).toEqual(state);
    }
  });

  it('D4 unnumbered, multi-byte: report ID byte 00 first, exact length, bits counted LSB-first across bytes', () => {
    const layout: HidOutputLayout = { reportId: 0, offHookBit: 3, muteBit: 12, length: 3 };
    expect(hex(encodeLedReport(layout, { offHook: true, mute: true }))).toBe('00 08 10 00');
    expect(decodeLedReport(layout, bytes('00 08 10 00'))).toEqual({ offHook: true, mute: true });
    expect(() => decodeLedReport(layout, bytes('00 08 10'))).toThrow(HidDecodeError);
    expect(() => decodeLedReport(layout, bytes('01 08 10 00'))).toThrow(HidDecodeError);
    expect(() => encodeLedReport({ ...layout, muteBit: 24 }, { offHook: false, mute: false })).toThrow(RangeError);
  });

  it('D4 layouts are checked', () => {
    expect(() => checkInputLayout({ ...DEFAULT_INPUT_LAYOUT, hookBit: 2, muteBit: 2 })).toThrow(RangeError);
    expect(() => checkInputLayout({ ...DEFAULT_INPUT_LAYOUT, reportId: 256 })).toThrow(RangeError);
    expect(() => checkOutputLayout({ ...DEFAULT_OUTPUT_LAYOUT, length: 0 })).toThrow(RangeError);
    expect(() => checkOutputLayout({ ...DEFAULT_OUTPUT_LAYOUT, length: 65 })).toThrow(RangeError);
    expect(() => toBytes([1, 2, 256])).toThrow(HidDecodeError);
    expect(() => toBytes('03 00')).toThrow(HidDecodeError);
    expect(toBytes([3, 0])).toEqual(bytes('0300'));
  });
});

describe('D4 hid-speakerphone codec: input reports, absolute vs relative (Jitsi webhid-manager)', () => {
  const rel: HidInputLayout = { reportId: 3, hookBit: 0, muteBit: 2, absolute: false };
  const abs: HidInputLayout = { ...rel, absolute: true };
  const idle: HookMuteState = { offHook: true, mute: false };

  it('D4 relative: a 1 toggles (one press), a 0 is a release and changes nothing', () => {
    expect(decodeInputReport(rel, bytes('03 04'), idle)).toEqual({ state: { offHook: true, mute: true }, events: [{ type: 'mute', mute: true }] });
    expect(decodeInputReport(rel, bytes('03 04'), { offHook: true, mute: true })).toEqual({ state: { offHook: true, mute: false }, events: [{ type: 'mute', mute: false }] });
    expect(decodeInputReport(rel, bytes('03 00'), idle)).toEqual({ state: idle, events: [] });
    expect(decodeInputReport(rel, bytes('03 01'), idle)).toEqual({ state: { offHook: false, mute: false }, events: [{ type: 'hook', offHook: false }] });
    expect(decodeInputReport(rel, bytes('03 05'), idle)).toEqual({
      state: { offHook: false, mute: true },
      events: [
        { type: 'hook', offHook: false },
        { type: 'mute', mute: true },
      ],
    });
  });

  it('D4 absolute: the bit is the state; an event only when it differs', () => {
    expect(decodeInputReport(abs, bytes('03 05'), idle)).toEqual({ state: { offHook: true, mute: true }, events: [{ type: 'mute', mute: true }] });
    expect(decodeInputReport(abs, bytes('03 05'), { offHook: true, mute: true })).toEqual({ state: { offHook: true, mute: true }, events: [] });
    expect(decodeInputReport(abs, bytes('03 00'), { offHook: true, mute: true })).toEqual({
      state: { offHook: false, mute: false },
      events: [
        { type: 'hook', offHook: false },
        { type: 'mute', mute: false },
      ],
    });
  });

  it('D4 other report IDs are not ours (null); empty, too short or oversized reports are HidDecodeError', () => {
    expect(decodeInputReport(rel, bytes('05 ff'), idle)).toBeNull();
    expect(() => decodeInputReport(rel, Buffer.alloc(0), idle)).toThrow(HidDecodeError);
    expect(() => decodeInputReport(rel, bytes('03'), idle)).toThrow(HidDecodeError);
    expect(() => decodeInputReport({ ...rel, muteBit: 8 }, bytes('03 04'), idle)).toThrow(/need 2/);
    expect(() => decodeInputReport(rel, Buffer.alloc(66, 3), idle)).toThrow(HidDecodeError);
    // Unnumbered: no ID byte, every report is ours.
    expect(decodeInputReport({ ...rel, reportId: 0 }, bytes('04'), idle)?.events).toEqual([{ type: 'mute', mute: true }]);
  });

  it('D4 round trip: what encodeInputReport builds decodes to the same bits (absolute) or the same presses (relative)', () => {
    for (const reportId of [0, 3])
      for (const hook of [false, true])
        for (const mute of [false, true]) {
          const layout = { ...abs, reportId };
          const r = decodeInputReport(layout, encodeInputReport(layout, { hook, mute }), { offHook: false, mute: false });
          expect(r?.state).toEqual({ offHook: hook, mute });
          const rr = decodeInputReport({ ...layout, absolute: false }, encodeInputReport(layout, { hook, mute }), { offHook: false, mute: false });
          expect(rr?.events.map((e) => e.type)).toEqual([...(hook ? ['hook'] : []), ...(mute ? ['mute'] : [])]);
        }
    expect(hex(encodeInputReport(rel, { hook: false, mute: true }, 4))).toBe('03 04 00 00 00');
  });
});

describe('D4 fuzz: HID decoders throw only HidDecodeError', () => {
  it('D4 100 000+ random reports against random layouts (seed 20250419)', () => {
    const rand = prng(20250419);
    const int = (n: number) => Math.floor(rand() * n);
    const h = harness(HidDecodeError);
    const broken: string[] = [];
    let inputs = 0;
    withoutStacks(() => {
      for (let i = 0; i < 100_000; i++) {
        const hookBit = int(40);
        let muteBit = int(40);
        if (muteBit === hookBit) muteBit = (muteBit + 1) % 40;
        const input: HidInputLayout = { reportId: rand() < 0.3 ? 0 : int(8), hookBit, muteBit, absolute: rand() < 0.5 };
        const length = 1 + int(6);
        const output: HidOutputLayout = { reportId: int(8), offHookBit: int(length * 8), muteBit: 0, length };
        output.muteBit = (output.offHookBit + 1 + int(length * 8 - 1)) % (length * 8);
        const report = Buffer.from(Array.from({ length: int(rand() < 0.02 ? 80 : 8) }, () => int(256)));
        const prev: HookMuteState = { offHook: rand() < 0.5, mute: rand() < 0.5 };
        inputs++;
        const r = h.attempt(report, () => decodeInputReport(input, report, prev));
        // Invariant: an event exactly where the state changed.
        if (r && (r.events.some((e) => e.type === 'hook') !== (r.state.offHook !== prev.offHook) || r.events.some((e) => e.type === 'mute') !== (r.state.mute !== prev.mute)))
          broken.push(`events ${hex(report)} ${JSON.stringify(input)}`);
        const led = h.attempt(report, () => decodeLedReport(output, report));
        if (led && encodeLedReport(output, led)[0] !== report[0]) broken.push(`led id ${hex(report)}`);
        const state = { offHook: rand() < 0.5, mute: rand() < 0.5 };
        const back = decodeLedReport(output, encodeLedReport(output, state));
        if (back.offHook !== state.offHook || back.mute !== state.mute) broken.push(`led round trip ${JSON.stringify(output)} ${JSON.stringify(state)}`);
        h.attempt(report, () => toBytes(rand() < 0.5 ? [...report] : [...report, int(600) - 100]));
      }
    });
    expect(h.other.slice(0, 5)).toEqual([]);
    expect(broken.slice(0, 5)).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
    expect(h.decoded).toBeGreaterThan(10_000);
    expect(h.refused).toBeGreaterThan(10_000);
  });
});
