// TesiraDriver against TesiraSimulator over real TCP on 127.0.0.1 (ephemeral ports).
// Byte assertions read what the simulator received: Telnet refusals and TTP lines.
import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { Ajv } from 'ajv';
import { TesiraSimulator, NEGOTIATION_ROUNDS, type TesiraSimulatorOptions } from '../../drivers/sim/tesira-sim.js';
import { TesiraDriver, type TesiraConnection } from '../../drivers/tesira/driver.js';
import { tesiraFactory } from '../../drivers/tesira/index.js';
import { runDeviceCommand } from '../../drivers/capabilities.js';
import { DeviceError, type DeviceStatus } from '../../drivers/types.js';
import { BANNER, TelnetParser, TtpLineSplitter, encodeNegotiation } from '../../drivers/tesira/codec.js';
import { hex } from '../helpers/bytes.js';
import { errorOf, rawTcpServer, useCleanups, waitForState, waitForStatus } from '../helpers/drivers.js';

const cleanups = useCleanups();

interface Rig {
  sim: TesiraSimulator;
  port: number;
  driver: TesiraDriver;
}

async function rig(opts: { sim?: TesiraSimulatorOptions; conn?: Partial<TesiraConnection> } = {}): Promise<Rig> {
  const sim = new TesiraSimulator({ port: 0, ...opts.sim });
  const { port } = await sim.start();
  cleanups.push(() => sim.stop());
  const driver = new TesiraDriver({ host: '127.0.0.1', port, instance: 'Level1', timeoutMs: 300, reconnectMinMs: 30, reconnectMaxMs: 120, ...opts.conn });
  cleanups.push(() => driver.stop());
  await driver.start();
  expect(driver.health().status).toBe('online');
  sim.clearLog();
  return { sim, port, driver };
}

/** Command lines the simulator received since the last clearLog(). */
const lines = (sim: TesiraSimulator) => sim.received.map((l) => l.line);
/** Lines the simulator sent since the last clearLog(). */
const replies = (sim: TesiraSimulator) => sim.sent.map((l) => l.line);

/** A bare TCP server for misbehaving peers: records what it receives, runs `onConnect` per client. */
async function rawServer(onConnect: (socket: net.Socket) => void) {
  const received: Buffer[] = [];
  const { port } = await rawTcpServer(cleanups, (socket) => {
    socket.on('data', (b) => received.push(b));
    onConnect(socket);
  });
  return { port, received: () => Buffer.concat(received) };
}

describe('D4 tesira driver: Telnet negotiation and banner (protocols.md §4.3)', () => {
  it('D4 tesira: every option is refused byte-exact (DO→WONT, WILL→DONT), nothing is sent before the banner, then the state is read', async () => {
    const sim = new TesiraSimulator({ port: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    sim.setAttribute('Level1', 'level', 1, -6.5);
    sim.setAttribute('Level1', 'mute', 1, true);
    const sessions: number[] = [];
    sim.on('session', (id) => sessions.push(id));
    const driver = new TesiraDriver({ host: '127.0.0.1', port, instance: 'Level1', timeoutMs: 500 });
    cleanups.push(() => driver.stop());
    const statuses: DeviceStatus[] = [];
    driver.on('status', (s) => statuses.push(s));
    await driver.start();
    expect(statuses).toEqual(['online']);
    expect(sessions).toHaveLength(1);

    const refusals = NEGOTIATION_ROUNDS.flat()
      .map((n) => hex(encodeNegotiation(n.verb === 'DO' ? 'WONT' : 'DONT', n.option)))
      .join(' ');
    expect(refusals).toBe('ff fc 18 ff fc 20 ff fc 23 ff fc 27 ff fe 03 ff fc 01 ff fc 1f ff fe 05 ff fc 21 ff fe 01');
    const bytes = sim.bytesFrom(sessions[0]);
    const text = Buffer.from('Level1 get mute 1\nLevel1 get level 1\n');
    expect(hex(bytes)).toBe(`${refusals} ${hex(text)}`);
    expect(replies(sim).slice(0, 3)).toEqual([BANNER, '+OK "value":true', '+OK "value":-6.500000']);
    expect(driver.state()).toEqual({ mute: true, level: -6.5, levels: {} });
    expect(driver.health()).toMatchObject({ status: 'online', errorCount: 0, lastError: null });
  });

  it('D4 tesira simulator: a client that accepts an option, or does not answer, never gets the banner', async () => {
    const sim = new TesiraSimulator({ port: 0 });
    const { port } = await sim.start();
    cleanups.push(() => sim.stop());
    const accepting = net.connect(port, '127.0.0.1');
    const silent = net.connect(port, '127.0.0.1');
    cleanups.push(async () => {
      accepting.destroy();
      silent.destroy();
    });
    const got: Buffer[] = [];
    const telnet = new TelnetParser();
    const firstRound = new Promise<void>((resolve) => {
      accepting.on('data', (b) => {
        got.push(b);
        const { events } = telnet.push(b);
        // Say WILL (accept) to terminal type, refuse the rest.
        for (const e of events)
          if (e.type === 'negotiation') accepting.write(encodeNegotiation(e.option === 0x18 ? 'WILL' : e.verb === 'DO' ? 'WONT' : 'DONT', e.option));
        if (events.length) resolve();
      });
    });
    await firstRound;
    await new Promise((r) => setTimeout(r, 100)); // nothing more may come
    expect(hex(Buffer.concat(got))).toBe('ff fd 18 ff fd 20 ff fd 23 ff fd 27');
    expect(sim.sessionInfo.find((s) => s.accepted.length)?.accepted).toEqual([{ verb: 'DO', option: 0x18 }]);
    expect(sim.sessionInfo.every((s) => !s.started)).toBe(true);
    expect(sim.sent).toEqual([]);
  });

  it('D4 tesira: a server that negotiates but never sends the banner → start() ends offline within timeoutMs, no command sent', async () => {
    const srv = await rawServer((s) => s.write(Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfb, 0x01])));
    const driver = new TesiraDriver({ host: '127.0.0.1', port: srv.port, instance: 'Level1', timeoutMs: 200, reconnectMinMs: 10_000 });
    cleanups.push(() => driver.stop());
    const t0 = performance.now();
    await driver.start();
    expect(performance.now() - t0).toBeLessThan(200 + 400);
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/Welcome to the Tesira Text Protocol Server.*banner within 200 ms/);
    expect(hex(srv.received())).toBe('ff fc 18 ff fe 01'); // the refusals and nothing else
    expect((await errorOf(driver.setMute(true))).code).toBe('unreachable');
  });

  it('D4 tesira: nothing listening → start() ends offline, commands fail fast with unreachable', async () => {
    const sim = new TesiraSimulator({ port: 0 });
    const { port } = await sim.start();
    await sim.stop();
    const driver = new TesiraDriver({ host: '127.0.0.1', port, instance: 'Level1', timeoutMs: 300, reconnectMinMs: 10_000 });
    cleanups.push(() => driver.stop());
    await driver.start();
    expect(driver.health().status).toBe('offline');
    expect(driver.health().lastError).toMatch(/ECONNREFUSED/);
    const t0 = performance.now();
    expect((await errorOf(driver.setLevel(0))).code).toBe('unreachable');
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe('D4 F1 tesira driver: commands, exact lines and replies', () => {
  it('D4 F1 tesira: mute → "Level1 set mute 1 true|false" → +OK; state and the DSP follow', async () => {
    const { sim, driver } = await rig();
    const states: Record<string, unknown>[] = [];
    driver.on('state', (s) => states.push(s));
    await runDeviceCommand(driver, 'mute', { on: true });
    expect(sim.getAttribute('Level1', 'mute', 1)).toBe(true);
    await driver.setMute(false);
    expect(lines(sim)).toEqual(['Level1 set mute 1 true', 'Level1 set mute 1 false']);
    expect(replies(sim)).toEqual(['+OK', '+OK']);
    expect(states.map((s) => s.mute)).toEqual([true, false]);
    expect(sim.getAttribute('Level1', 'mute', 1)).toBe(false);
  });

  it('D4 F1 tesira: level → "Level1 set level 1 -12.5"; get answers +OK "value":-12.500000', async () => {
    const { sim, driver } = await rig();
    await runDeviceCommand(driver, 'level', { db: -12.5 });
    await driver.setLevel(6);
    await driver.setLevel(-100);
    expect(lines(sim)).toEqual(['Level1 set level 1 -12.5', 'Level1 set level 1 6', 'Level1 set level 1 -100']);
    expect(driver.state().level).toBe(-100);
    await driver.setLevel(-12.5);
    sim.clearLog();
    await driver.refreshState();
    expect(lines(sim)).toEqual(['Level1 get mute 1', 'Level1 get level 1']);
    expect(replies(sim)).toEqual(['+OK "value":false', '+OK "value":-12.500000']);
  });

  it('D4 tesira: channel and instance tags with spaces are quoted: "Room Level" set mute 2 true', async () => {
    const { sim, driver } = await rig({ sim: { blocks: { 'Room Level': { type: 'level', channels: 4 } } }, conn: { instance: 'Room Level', channel: 2 } });
    await driver.setMute(true);
    await driver.setLevel(-3.25);
    expect(lines(sim)).toEqual(['"Room Level" set mute 2 true', '"Room Level" set level 2 -3.25']);
    expect(sim.getAttribute('Room Level', 'mute', 2)).toBe(true);
    expect(sim.getAttribute('Room Level', 'mute', 1)).toBe(false);
    expect(sim.getAttribute('Room Level', 'level', 2)).toBe(-3.25);
  });

  it('D4 tesira: the parser is case-sensitive — a wrong-case instance tag gets -ERR address not found → DeviceError rejected', async () => {
    const { sim, port } = await rig();
    const driver = new TesiraDriver({ host: '127.0.0.1', port, instance: 'level1', timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start();
    // The session starts (the DSP answers); the missing block is reported, not a reason to be offline.
    expect(driver.health().status).toBe('online');
    expect(driver.health().lastError).toMatch(/instance tag.*case-sensitive.*"level1"/);
    const err = await errorOf(driver.setMute(true));
    expect(err.code).toBe('rejected');
    expect(err.message).toContain('-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}');
    expect(replies(sim).at(-1)).toBe('-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}');
  });

  it('D4 tesira: -ERR Parse error and -ERR \'…\' is not supported map to syntax and not_supported', async () => {
    const { sim, port } = await rig();
    const onMeter = new TesiraDriver({ host: '127.0.0.1', port, instance: 'Meter1', timeoutMs: 300 });
    const onMute = new TesiraDriver({ host: '127.0.0.1', port, instance: 'Mute1', timeoutMs: 300 });
    cleanups.push(() => onMeter.stop(), () => onMute.stop());
    await Promise.all([onMeter.start(), onMute.start()]);
    sim.clearLog();
    const a = await errorOf(onMeter.setLevel(-10)); // a meter's level is read-only
    expect(a.code).toBe('not_supported');
    expect(replies(sim).at(-1)).toBe("-ERR 'set' is not supported for attribute 'level'");
    const b = await errorOf(onMute.setLevel(-10)); // a mute block has no level
    expect(b.code).toBe('syntax');
    expect(replies(sim).at(-1)).toBe("-ERR Parse error at 10: unknown attribute 'level'");
    await onMute.setMute(true); // the same block does mute
    expect(sim.getAttribute('Mute1', 'mute', 1)).toBe(true);
  });

  it('D4 tesira: raw console returns the reply line for every case, errors included', async () => {
    const { sim, driver } = await rig();
    const cases: [string, string][] = [
      ['Level1 get numChannels', '+OK "value":2'],
      ['Level1 set mute 2 true', '+OK'],
      ['Level1 get mute 2', '+OK "value":true'],
      ['Level1 toggle mute 2', '+OK "value":false'],
      ['Level1 increment level 1 3', '+OK "value":3.000000'],
      ['Level1 decrement level 1 1.5', '+OK "value":1.500000'],
      ['Level1 set level 1 40', '+OK'], // clamped to maxLevel
      ['Level1 get level 1', '+OK "value":12.000000'],
      ['Level1 get maxLevel 1', '+OK "value":12.000000'],
      ['Level1 SET mute 1 true', "-ERR Parse error at 7: unknown command 'SET'"],
      ['Level1 set Mute 1 true', "-ERR Parse error at 11: unknown attribute 'Mute'"],
      ['Level1 set mute 3 true', '-ERR Parse error at 16: index out of range 1..2'],
      ['Level1 set mute 1 maybe', '-ERR Parse error at 18: expected true or false'],
      ['Level1 set mute 1', '-ERR Parse error at 17: expected a value'],
      ['Level1 set level 1 "loud"', '-ERR Parse error at 19: expected a number'],
      ['Level1 get level 1 2', '-ERR Parse error at 19: unexpected argument'],
      ['Level1 set numChannels 4', "-ERR 'set' is not supported for attribute 'numChannels'"],
      ['Level1 toggle level 1', "-ERR 'toggle' is not supported for attribute 'level'"],
      ['Level1 set "mute 1 true', '-ERR Parse error at 23: unterminated string'],
      ['Level1', '-ERR Parse error at 6: missing command after "Level1"'],
      ['LEVEL1 get level 1', '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}'],
      ['DEVICE recallPreset 1001', '+OK'],
      ['DEVICE reboot', "-ERR 'reboot' is not supported by DEVICE"],
      ['SESSION get verbose', '+OK "value":true'],
      ['SESSION get aliases', '+OK "list":["Level1" "Mute1" "Meter1"]'],
    ];
    for (const [request, reply] of cases) expect(await driver.raw(request), request).toBe(reply);
    expect(lines(sim)).toEqual(cases.map(([r]) => r));
    expect((await errorOf(driver.raw('a\nb'))).code).toBe('invalid_argument');
    expect((await errorOf(driver.raw('  '))).code).toBe('invalid_argument');
  });

  it('D4 tesira: non-verbose session (SESSION set verbose false) → bare values; the driver reads both forms', async () => {
    const { sim, driver } = await rig();
    expect(await driver.raw('SESSION set verbose false')).toBe('+OK');
    expect(await driver.raw('Level1 get numChannels')).toBe('+OK 2');
    await driver.setLevel(-20);
    await driver.setMute(true);
    sim.setAttribute('Level1', 'level', 1, -30);
    await driver.refreshState();
    expect(replies(sim).slice(-2)).toEqual(['+OK true', '+OK -30.000000']);
    expect(driver.state()).toMatchObject({ mute: true, level: -30 });
    await driver.subscribeLevels(1000);
    expect(replies(sim).slice(-2)).toEqual(['! "diemcauLevel1" -30.000000', '+OK']);
    expect(driver.state().levels).toEqual({ 1: -30 });
  });

  it('D4 tesira: echoed command lines (some firmware) are skipped, replies still match their commands', async () => {
    const { sim, driver } = await rig({ sim: { echo: true } });
    await driver.setMute(true);
    expect(await driver.raw('Level1 get mute 1')).toBe('+OK "value":true');
    expect(replies(sim)).toEqual(['Level1 set mute 1 true', '+OK', 'Level1 get mute 1', '+OK "value":true']);
  });

  it('D4 tesira: bad arguments are refused before any byte goes out', async () => {
    const { sim, driver } = await rig();
    expect((await errorOf(driver.setLevel(13))).code).toBe('invalid_argument');
    expect((await errorOf(driver.setLevel(Number.NaN))).code).toBe('invalid_argument');
    expect((await errorOf(driver.setMute('yes' as unknown as boolean))).code).toBe('invalid_argument');
    expect((await errorOf(driver.subscribeLevels(-1))).code).toBe('invalid_argument');
    expect((await errorOf(driver.subscribeLevels(1.5))).code).toBe('invalid_argument');
    expect(sim.received).toEqual([]);
  });

  it('D4 tesira: an undecodable reply fails the command with bad_reply and makes the status degraded; a good reply makes it online', async () => {
    let answer = '+OK "value":[1 2';
    const srv = await rawServer((s) => {
      s.write(`${BANNER}\r\n`);
      const split = new TtpLineSplitter();
      s.on('data', (b) => {
        for (const line of split.push(b)) s.write(line.includes('get') ? `${answer}\r\n` : '+OK\r\n');
      });
    });
    const driver = new TesiraDriver({ host: '127.0.0.1', port: srv.port, instance: 'Level1', timeoutMs: 300 });
    cleanups.push(() => driver.stop());
    await driver.start(); // the initial gets come back undecodable
    expect(driver.health().status).toBe('degraded');
    expect(driver.health().lastError).toMatch(/undecodable reply: unterminated list/);
    const err = await errorOf(driver.raw('Level1 get level 1').then(() => driver.refreshState()));
    expect(err.code).toBe('bad_reply');
    answer = '+OK "value":false';
    const online = waitForStatus(driver, 'online');
    await driver.setMute(false);
    await online;
  });
});

describe('D4 tesira driver: subscriptions', () => {
  it('D4 tesira: subscribeLevels → "Level1 subscribe level 1 diemcauLevel1 40"; "!" lines at the interval go to state().levels', async () => {
    const { sim, driver } = await rig();
    await driver.setLevel(-8);
    sim.clearLog();
    await driver.subscribeLevels(40);
    expect(lines(sim)).toEqual(['Level1 subscribe level 1 diemcauLevel1 40']);
    expect(replies(sim)).toEqual(['! "publishToken":"diemcauLevel1" "value":-8.000000', '+OK']);
    expect(driver.state().levels).toEqual({ 1: -8 });
    expect(sim.subscriptions).toEqual([{ session: expect.any(Number), instance: 'Level1', attribute: 'level', index: 1, token: 'diemcauLevel1', rateMs: 40 }]);
    sim.setAttribute('Level1', 'level', 1, -21.5); // turned on the DSP's own panel
    const t0 = performance.now();
    const s = await waitForState(driver, (st) => st.levels['1'] === -21.5);
    expect(s.levels).toEqual({ 1: -21.5 });
    expect(performance.now() - t0).toBeLessThan(40 * 4 + 100);
    const published = sim.sent.filter((l) => l.line.startsWith('! "publishToken":"diemcauLevel1"'));
    expect(published.length).toBeGreaterThanOrEqual(2);
    await driver.subscribeLevels(0);
    expect(lines(sim).at(-1)).toBe('Level1 unsubscribe level 1 diemcauLevel1');
    expect(sim.subscriptions).toEqual([]);
    expect(driver.state().levels).toEqual({});
  });

  it('D4 tesira: a meter block (meterInstance) feeds levels; "!" lines interleaved before every reply do not disturb commands', async () => {
    const { sim, driver } = await rig({ conn: { meterInstance: 'Meter1' } });
    sim.setMeter('Meter1', 1, -42);
    await driver.subscribeLevels(60_000);
    expect(lines(sim)).toEqual(['Meter1 subscribe level 1 diemcauLevel1 60000']);
    sim.on('command', () => sim.publishNow()); // a publication lands between each command and its reply
    const seen: number[] = [];
    driver.on('state', (s) => seen.push((s.levels as Record<string, number>)['1']));
    for (let i = 0; i < 10; i++) {
      sim.setMeter('Meter1', 1, -40 + i);
      await driver.setMute(i % 2 === 0);
      expect(sim.getAttribute('Level1', 'mute', 1)).toBe(i % 2 === 0);
    }
    expect(await driver.raw('Level1 get mute 1')).toBe('+OK "value":false');
    const sent = replies(sim);
    const firstCommandReply = sent.indexOf('+OK', 2);
    expect(sent[firstCommandReply - 1]).toMatch(/^! "publishToken":"diemcauLevel1" "value":-40\.000000$/);
    expect(seen.filter((v) => v !== undefined)).toEqual(expect.arrayContaining([-40, -35, -31]));
    expect(driver.state().levels).toEqual({ 1: -31 });
  });
});

describe('D4 M9.2 tesira driver: faults and reconnect', () => {
  it('D4 M9.2 tesira: the DSP killed mid-command → unreachable at once, offline; back on the same port → online by itself, subscription re-established', async () => {
    const { sim, port, driver } = await rig({ conn: { timeoutMs: 1000 } });
    await driver.subscribeLevels(30);
    const firstSession = sim.subscriptions[0].session;

    sim.once('command', () => void sim.stop()); // the DSP dies with the command in flight, unanswered
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setMute(true));
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/closed the connection.*while Level1 mute on was waiting for its reply/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await offline;
    expect(driver.health().status).toBe('offline');
    const t1 = performance.now();
    expect((await errorOf(driver.setLevel(-1))).code).toBe('unreachable');
    expect(performance.now() - t1).toBeLessThan(50);

    sim.clearLog();
    sim.setAttribute('Level1', 'level', 1, -17);
    const online = waitForStatus(driver, 'online');
    expect((await sim.start()).port).toBe(port);
    await online;
    // The new session re-subscribed before going online, then read the state.
    expect(lines(sim)).toEqual(['Level1 subscribe level 1 diemcauLevel1 30', 'Level1 get mute 1', 'Level1 get level 1']);
    expect(sim.subscriptions).toEqual([expect.objectContaining({ token: 'diemcauLevel1', rateMs: 30, index: 1 })]);
    expect(sim.subscriptions[0].session).not.toBe(firstSession);
    sim.setAttribute('Level1', 'level', 1, -9);
    await waitForState(driver, (s) => s.levels['1'] === -9);
    await driver.setMute(true);
    expect(sim.getAttribute('Level1', 'mute', 1)).toBe(true);
  });

  it('D4 M9.2 tesira: a hung DSP → timeout within timeoutMs, session dropped (offline), then a fresh session comes online', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 150 } });
    sim.hangNext(1);
    const offline = waitForStatus(driver, 'offline');
    const t0 = performance.now();
    const err = await errorOf(driver.setMute(true));
    const took = performance.now() - t0;
    expect(err.code).toBe('timeout');
    expect(err.message).toBe('Tesira did not answer Level1 mute on within 150 ms');
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(150 + 300);
    await offline;
    await waitForStatus(driver, 'online');
    await driver.setMute(true);
    expect(sim.getAttribute('Level1', 'mute', 1)).toBe(true);
    expect(driver.health().lastError).toBe('Tesira did not answer Level1 mute on within 150 ms');
  });

  it('D4 M9.2 tesira: an idle session is probed (SESSION get verbose); a DSP gone silent is noticed without any user command', async () => {
    const { sim, driver } = await rig({ conn: { keepaliveMs: 60, timeoutMs: 100 } });
    const probe = await new Promise<string>((r) => sim.once('command', (l) => r(l.line)));
    expect(probe).toBe('SESSION get verbose');
    expect(driver.health().status).toBe('online');
    sim.hangNext(1); // the next probe gets no answer (cable cut: no FIN)
    await waitForStatus(driver, 'offline');
    expect(driver.health().lastError).toBe('Tesira did not answer keepalive (SESSION get verbose) within 100 ms');
    await waitForStatus(driver, 'online');
  });

  it('D4 tesira: commands queue one at a time; stop() fails the pending and queued ones with closed', async () => {
    const { sim, driver } = await rig({ conn: { timeoutMs: 5000 } });
    sim.hangNext(1);
    const first = errorOf(driver.setMute(true));
    const second = errorOf(driver.setLevel(-3));
    await new Promise<void>((r) => sim.once('command', () => r()));
    await new Promise((r) => setTimeout(r, 30));
    expect(lines(sim)).toEqual(['Level1 set mute 1 true']); // the second waits for the first's reply
    await driver.stop();
    expect((await first).code).toBe('closed');
    expect((await second).code).toBe('closed');
    expect(driver.health().status).toBe('offline');
    expect((await errorOf(driver.setMute(false))).code).toBe('closed');
  });
});

describe('D4 tesira factory', () => {
  it('D4 tesiraFactory: JSON Schema fills defaults and refuses bad connections; create() builds a tesira audio driver', () => {
    const ajv = new Ajv({ useDefaults: true, strict: false });
    const validate = ajv.compile(tesiraFactory.connectionSchema);
    const conn: Record<string, unknown> = { host: '10.0.0.5', instance: 'Level1' };
    expect(validate(conn)).toBe(true);
    expect(conn).toMatchObject({ port: 23, channel: 1, timeoutMs: 2000 });
    expect(validate({ host: '10.0.0.5' })).toBe(false);
    expect(validate({ host: '10.0.0.5', instance: 'a"b' })).toBe(false);
    expect(validate({ host: '10.0.0.5', instance: 'L', channel: 0 })).toBe(false);
    expect(validate({ host: '10.0.0.5', instance: 'L', extra: 1 })).toBe(false);
    const d = tesiraFactory.create(conn);
    expect(d).toBeInstanceOf(TesiraDriver);
    expect([d.driver, d.kind, tesiraFactory.driver, tesiraFactory.kind]).toEqual(['tesira', 'audio', 'tesira', 'audio']);
    expect(() => tesiraFactory.create({ host: 'x' })).toThrow(DeviceError);
    expect(() => tesiraFactory.create({ host: 'x', instance: 'L', port: '23' })).toThrow(DeviceError);
  });
});
