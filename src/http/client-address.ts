import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { parseProxyEntry } from '../config/cidr.ts';

/**
 * The client's address as policy sees it (`input.http.remote_addr`). `X-Forwarded-For` is a header
 * anyone can send, so it counts only when the socket's peer is a configured trusted proxy
 * (`listen.trusted_proxies`); then the address is the right-most entry that is not itself a
 * trusted proxy (each proxy appends the peer it saw, so entries left of the last untrusted one
 * were written by whoever the client is). Without trusted proxies it is the socket's peer, always.
 */
export type ClientAddress = (req: IncomingMessage) => string;

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) -> `10.0.0.1`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Builds the resolver for a list of trusted proxies (IPs or CIDRs, validated by the config schema). */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddress {
  const peer = (req: IncomingMessage) => plain(req.socket.remoteAddress ?? '');
  if (trustedProxies.length === 0) return peer;
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const p = parseProxyEntry(entry);
    if (p !== undefined) trusted.addSubnet(p.address, p.prefix, p.family);
  }
  const isTrusted = (address: string) => {
    const v = isIP(address);
    return v !== 0 && trusted.check(address, v === 4 ? 'ipv4' : 'ipv6');
  };
  return (req) => {
    const direct = peer(req);
    if (!isTrusted(direct)) return direct;
    const header = req.headersDistinct['x-forwarded-for'];
    if (header === undefined) return direct;
    const hops = header.join(',').split(',').map((h) => plain(h.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // A hop that is not an address (garbage, "unknown") ends the trusted chain: use the last known one.
      if (isIP(hop) === 0) return i === hops.length - 1 ? direct : hops[i + 1]!;
      if (!isTrusted(hop)) return hop;
    }
    return hops[0] ?? direct;
  };
}
