// The key a client's connections are counted under for the per-address caps (HTTP connections and
// sync sockets). No proxy header is trusted: behind a reverse proxy every client shares the proxy's
// address, and the caps (flags) must be raised to match.
import ipaddr from 'ipaddr.js';

/**
 * An IPv4 address as itself (also when it arrives IPv4-mapped, `::ffff:a.b.c.d`); an IPv6 address by
 * its /64, since one host is routinely given a whole /64 and could otherwise take a fresh address for
 * every connection.
 */
export function clientAddressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || !ipaddr.isValid(remoteAddress)) return 'unknown';
  const address = ipaddr.process(remoteAddress);
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = address.toByteArray().slice(0, 8).concat(new Array<number>(8).fill(0));
  return `${ipaddr.fromByteArray(prefix).toString()}/64`;
}
