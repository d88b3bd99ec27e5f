import { BlockList, isIP } from "node:net";
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { env, type Environment } from "../env";

/**
 * Where a webhook may not go (SSRF): loopback, private, link-local (cloud
 * metadata at 169.254.169.254), carrier-grade NAT, unique-local, multicast
 * and reserved ranges, IPv4-mapped IPv6 of those. REKEY_WEBHOOKS_ALLOW_PRIVATE=1
 * lifts it (a self-hosted receiver on the same network; the tests).
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["2001:db8::", 32],
] as const)
  blocked.addSubnet(net, bits, "ipv6");

export function privateAddressesAllowed(source: Environment = process.env): boolean {
  return env("REKEY_WEBHOOKS_ALLOW_PRIVATE", source);
}

/** True for an address a webhook must not reach. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], "ipv4");
    return blocked.check(address, "ipv6");
  }
  return true;
}

export class BlockedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`refused: ${host} resolves to ${address}, a private or loopback address (set REKEY_WEBHOOKS_ALLOW_PRIVATE=1 to allow)`);
  }
}

/**
 * A `lookup` for http.request that resolves as usual and refuses a blocked
 * address: the check is on the address the socket connects to, so a name
 * that resolves differently the second time (DNS rebinding) gains nothing.
 */
export function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 0);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isBlockedAddress(a.address));
    if (bad && !privateAddressesAllowed()) return callback(new BlockedAddressError(hostname, bad.address), "", 0);
    if (options.all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}

/** Why a webhook URL is refused when registered, or null. Names are resolved (and checked) when sending. */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url: must be an absolute URL such as https://example.com/hooks/rekey";
  }
  const allowPrivate = privateAddressesAllowed();
  if (url.protocol !== "https:" && !(url.protocol === "http:" && allowPrivate)) return "url: must start with https://";
  if (url.username || url.password) return "url: must not carry a user name or password (put a token in the path or query)";
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || (isIP(host) && isBlockedAddress(host))) {
    return `url: ${url.hostname} is a private or loopback address; webhooks go to public addresses only`;
  }
  return null;
}
