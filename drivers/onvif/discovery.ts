// WS-Discovery (2005/04) Probe for ONVIF cameras, protocols.md §2: a SOAP Probe for dn:NetworkVideoTransmitter
// sent over UDP to 239.255.255.250:3702, ProbeMatch answers collected until the timeout.
//
// Not the `onvif` client's Discovery: it hard-codes the multicast address and port (tests need a unicast
// 127.0.0.1 port where a simulator answers), binds one socket on the default route (flaky with several NICs,
// issues #25, #330), and creates Cam objects we do not want. Here the Probe goes out on every IPv4 interface,
// twice (UDP loss), answers are matched by RelatesTo and merged by endpoint URN, and the whole thing is bounded.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
// xml2js is what the `onvif` package depends on for XML (no extra dependency).
const xml2js = require('xml2js') as {
  parseStringPromise(xml: string, opts: Record<string, unknown>): Promise<Record<string, unknown>>;
  processors: { stripPrefix(name: string): string };
};

export const WS_DISCOVERY_ADDRESS = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;

export interface OnvifDiscoveryOptions {
  /** How long to collect answers (ms). Default 3000. */
  timeoutMs?: number;
  /** Where the Probe goes: the WS-Discovery multicast group by default; a unicast address probes one host. */
  address?: string;
  port?: number;
}

export interface DiscoveredOnvifDevice {
  /** Endpoint reference address, stable per device (urn:uuid:…). */
  urn: string;
  /** Device service URLs (http://…/onvif/device_service). */
  xaddrs: string[];
  /** From the onvif://www.onvif.org/name/… scope. */
  name?: string;
  /** From the onvif://www.onvif.org/hardware/… scope. */
  hardware?: string;
  scopes: string[];
  types: string[];
  /** Source address of the answer. */
  from: string;
}

type XNode = { $?: Record<string, string>; _?: string } & { [k: string]: unknown };
const children = (node: unknown, name: string): XNode[] => {
  const list = node && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined;
  return Array.isArray(list) ? (list as XNode[]) : [];
};
const child = (node: unknown, name: string): XNode | undefined => children(node, name)[0];
const text = (node: unknown): string =>
  typeof node === 'string' ? node.trim() : node && typeof node === 'object' && typeof (node as XNode)._ === 'string' ? (node as XNode)._!.trim() : '';

function probeMessage(messageId: string): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>' +
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
      'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
      `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
      '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
      '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>',
  );
}

function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

function scopeValue(scopes: string[], kind: string): string | undefined {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const s = scopes.find((x) => x.startsWith(prefix));
  if (!s) return undefined;
  try {
    return decodeURIComponent(s.slice(prefix.length));
  } catch {
    return s.slice(prefix.length);
  }
}

/** Probes for ONVIF cameras; resolves after timeoutMs with every distinct device that answered. */
export async function discoverOnvif(opts: OnvifDiscoveryOptions = {}): Promise<DiscoveredOnvifDevice[]> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const address = opts.address ?? WS_DISCOVERY_ADDRESS;
  const port = opts.port ?? WS_DISCOVERY_PORT;
  const messageId = `urn:uuid:${crypto.randomUUID()}`;
  const probe = probeMessage(messageId);
  const found = new Map<string, DiscoveredOnvifDevice>();

  // Multicast: one socket per IPv4 interface, so the Probe leaves through each NIC. Unicast: one socket.
  const locals = isMulticast(address)
    ? Object.values(os.networkInterfaces())
        .flat()
        .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === 'IPv4' && !i.internal)
        .map((i) => i.address)
    : [];
  const binds: (string | undefined)[] = locals.length > 0 ? locals : [undefined];

  const onMessage = async (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    let envelope: XNode | undefined;
    try {
      envelope = (await xml2js.parseStringPromise(msg.toString('utf8'), { tagNameProcessors: [xml2js.processors.stripPrefix] })).Envelope as XNode;
    } catch {
      return; // not XML
    }
    const relatesTo = text(child(child(envelope, 'Header'), 'RelatesTo'));
    if (relatesTo && relatesTo !== messageId) return; // an answer to someone else's Probe
    for (const match of children(child(child(envelope, 'Body'), 'ProbeMatches'), 'ProbeMatch')) {
      const urn = text(child(child(match, 'EndpointReference'), 'Address'));
      const xaddrs = text(child(match, 'XAddrs')).split(/\s+/).filter(Boolean);
      if (!urn || xaddrs.length === 0) continue;
      const scopes = text(child(match, 'Scopes')).split(/\s+/).filter(Boolean);
      const types = text(child(match, 'Types')).split(/\s+/).filter(Boolean);
      const known = found.get(urn);
      if (known) {
        for (const x of xaddrs) if (!known.xaddrs.includes(x)) known.xaddrs.push(x);
        continue;
      }
      const device: DiscoveredOnvifDevice = { urn, xaddrs, scopes, types, from: rinfo.address };
      const name = scopeValue(scopes, 'name');
      const hardware = scopeValue(scopes, 'hardware');
      if (name !== undefined) device.name = name;
      if (hardware !== undefined) device.hardware = hardware;
      found.set(urn, device);
    }
  };

  const sockets: dgram.Socket[] = [];
  await Promise.all(
    binds.map(
      (local) =>
        new Promise<void>((resolve) => {
          const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
          socket.on('error', () => {
            /* an interface that cannot send is skipped; the others still probe */
          });
          socket.on('message', (msg, rinfo) => void onMessage(msg, rinfo));
          socket.bind(0, local, () => {
            if (local && isMulticast(address)) {
              try {
                socket.setMulticastInterface(local);
              } catch {
                /* keep the default interface */
              }
            }
            sockets.push(socket);
            resolve();
          });
          socket.once('error', () => resolve());
        }),
    ),
  );

  const send = () => {
    for (const s of sockets) s.send(probe, port, address, () => {});
  };
  const timers: NodeJS.Timeout[] = [];
  send();
  // WS-Discovery repeats a multicast message once after a short random delay (UDP loss).
  timers.push(setTimeout(send, Math.min(250, Math.floor(timeoutMs / 3)) + Math.floor(Math.random() * 50)));
  await new Promise<void>((resolve) => timers.push(setTimeout(resolve, timeoutMs)));
  for (const t of timers) clearTimeout(t);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return [...found.values()];
}
