import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddressResolver } from '../../../src/http/client-address.ts';
import { parseProxyEntry } from '../../../src/config/cidr.ts';

const request = (peer: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headersDistinct: xff === undefined ? {} : { 'x-forwarded-for': Array.isArray(xff) ? xff : [xff] } }) as unknown as IncomingMessage;

describe('the client address policy sees', () => {
  const cases: ReadonlyArray<{ name: string; trusted: string[]; peer: string; xff?: string | string[]; address: string }> = [
    { name: 'no trusted proxies: the peer, whatever the header says', trusted: [], peer: '10.1.1.1', xff: '1.2.3.4', address: '10.1.1.1' },
    { name: 'an untrusted peer: the peer', trusted: ['10.0.0.0/8'], peer: '192.168.1.5', xff: '1.2.3.4', address: '192.168.1.5' },
    { name: 'a trusted peer: the address it forwarded for', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: '1.2.3.4', address: '1.2.3.4' },
    { name: 'a trusted peer, spoofed entries on the left: the right-most untrusted', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: '6.6.6.6, 1.2.3.4', address: '1.2.3.4' },
    { name: 'a chain of trusted proxies: skipped', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: '1.2.3.4, 10.2.2.2', address: '1.2.3.4' },
    { name: 'repeated headers read as one list', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: ['6.6.6.6', '1.2.3.4, 10.2.2.2'], address: '1.2.3.4' },
    { name: 'a trusted peer without the header: the peer', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', address: '10.1.1.1' },
    { name: 'garbage in the header: the last address before it', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: 'evil, 10.2.2.2', address: '10.2.2.2' },
    { name: 'garbage as the last entry: the peer', trusted: ['10.0.0.0/8'], peer: '10.1.1.1', xff: '1.2.3.4, evil', address: '10.1.1.1' },
    { name: 'an IPv4 peer on a dual-stack socket', trusted: ['127.0.0.1'], peer: '::ffff:127.0.0.1', xff: '1.2.3.4', address: '1.2.3.4' },
    { name: 'IPv6 CIDRs', trusted: ['fd00::/8'], peer: 'fd00::1', xff: '2001:db8::7', address: '2001:db8::7' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(clientAddressResolver(c.trusted)(request(c.peer, c.xff)), c.address));
  }

  it('accepts IPs and CIDRs as trusted proxies, nothing else', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0']) assert.ok(parseProxyEntry(ok), ok);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x', '']) assert.equal(parseProxyEntry(bad), undefined, bad);
  });
});
