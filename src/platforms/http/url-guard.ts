import { BlockList, isIP } from 'node:net';
import type { ValidationIssue } from '../../core/errors/index.js';

/**
 * Checks a user-supplied URL before modelport calls it (server-side request forgery guard).
 *
 * Cloud metadata services hand out instance credentials to anything that can reach them, so their
 * addresses are refused always. Private and loopback ranges are refused only when `allowPrivate` is
 * false: self-hosted inference servers usually live there.
 *
 * Two checks, one set of ranges (`classifyAddress`). `checkOutboundUrl` judges the URL as written:
 * literal IPs never go through DNS, and a refused URL is rejected at create, before any traffic. A host
 * name is judged again by every address it resolves to when modelport calls it (guarded-lookup.ts), so
 * a public name pointing at a private or metadata address is refused too. The gateway's sockets and
 * connectors' fetch (createGuardedFetch) connect through that lookup, so the address judged is the
 * address used and DNS rebinding has nothing to swap in.
 */

export interface OutboundUrlPolicy {
  /** Allow loopback, RFC 1918, CGNAT and unique-local addresses and `localhost`. */
  allowPrivate: boolean;
  /** Hostnames (exact, or `.suffix` for a domain and its subdomains) refused on top of the built-in list. */
  deniedHosts?: readonly string[];
  /** When non-empty, only these hostnames (same syntax) are allowed. Metadata addresses stay refused. */
  allowedHosts?: readonly string[];
  /** Path reported on every issue, e.g. `platformOptions.baseUrl`. */
  path?: string;
}

/** Hostnames that resolve to a metadata service on the major clouds. */
const metadataHostnames = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
]);

const metadataAddresses = new BlockList();
// Link-local: AWS, Azure, GCP, OCI, DigitalOcean metadata (169.254.169.254) and ECS task metadata.
metadataAddresses.addSubnet('169.254.0.0', 16, 'ipv4');
// Alibaba Cloud metadata.
metadataAddresses.addAddress('100.100.100.200', 'ipv4');
// AWS IMDS over IPv6, and IPv6 link-local in general.
metadataAddresses.addAddress('fd00:ec2::254', 'ipv6');
metadataAddresses.addSubnet('fe80::', 10, 'ipv6');
// 169.254.169.254 reached through NAT64 or 6to4 translation.
metadataAddresses.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
metadataAddresses.addSubnet('2002:a9fe::', 32, 'ipv6');

const privateAddresses = new BlockList();
privateAddresses.addSubnet('0.0.0.0', 8, 'ipv4');
privateAddresses.addSubnet('10.0.0.0', 8, 'ipv4');
privateAddresses.addSubnet('100.64.0.0', 10, 'ipv4');
privateAddresses.addSubnet('127.0.0.0', 8, 'ipv4');
privateAddresses.addSubnet('172.16.0.0', 12, 'ipv4');
privateAddresses.addSubnet('192.168.0.0', 16, 'ipv4');
privateAddresses.addAddress('::', 'ipv6');
privateAddresses.addAddress('::1', 'ipv6');
privateAddresses.addSubnet('fc00::', 7, 'ipv6');

/** Issues with `url` under `policy`; empty when it may be called. Never throws. */
export function checkOutboundUrl(url: string, policy: OutboundUrlPolicy): ValidationIssue[] {
  const path = policy.path ?? '';
  const issue = (message: string): ValidationIssue[] => [{ path, message }];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return issue('must be an absolute http(s) URL, e.g. http://10.0.0.5:8000/v1');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return issue(`must use http or https, not ${parsed.protocol.replace(/:$/, '')}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return issue('must not contain credentials; store the API key as a credential instead');
  }
  // The URL parser already normalised numeric forms (decimal, hex, octal IPv4) and IPv6 spelling.
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const addressClass = classifyAddress(host);

  if (metadataHostnames.has(host) || addressClass === 'metadata') {
    return issue(`${host} is ${refusalReasons.metadata}`);
  }
  if (policy.deniedHosts?.some((pattern) => hostMatches(host, pattern))) {
    return issue(`${host} is on the deny list`);
  }
  if (policy.allowedHosts && policy.allowedHosts.length > 0) {
    return isAllowListed(host, policy) ? [] : issue(`${host} is not on the allow list`);
  }
  if (!policy.allowPrivate && (addressClass === 'private' || (addressClass === null && isPrivateName(host)))) {
    return issue(`${host} is ${refusalReasons.private}`);
  }
  return [];
}

/** What an IP address is to the guard. */
export type AddressClass = 'metadata' | 'private' | 'public';

/**
 * Classifies an IPv4 or IPv6 address (IPv4-mapped IPv6 counts as its IPv4 address; an IPv6 zone such as
 * `%eth0` is ignored). Null when `address` is not an IP address. Never throws.
 */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return null;
  const kind = family === 4 ? 'ipv4' : 'ipv6';
  if (metadataAddresses.check(bare, kind)) return 'metadata';
  if (privateAddresses.check(bare, kind)) return 'private';
  return 'public';
}

const refusalReasons = {
  metadata: 'a cloud metadata or link-local address and is never allowed',
  private: 'a private or loopback address; private URLs are disabled on this server',
} as const;

/**
 * Why connecting to `address` (the answer for `host`) is refused under `policy`, as a phrase that
 * completes "… is", or null when it is allowed. A host on the allow list may resolve to a private
 * address (that is what listing it is for), never to a metadata one. A non-IP `address` is refused.
 */
export function addressRefusal(host: string, address: string, policy: Pick<OutboundUrlPolicy, 'allowPrivate' | 'allowedHosts'>): string | null {
  const addressClass = classifyAddress(address);
  if (addressClass === null) return 'not an IP address';
  if (addressClass === 'metadata') return refusalReasons.metadata;
  if (addressClass === 'private' && !policy.allowPrivate && !isAllowListed(host, policy)) return refusalReasons.private;
  return null;
}

function isAllowListed(host: string, policy: Pick<OutboundUrlPolicy, 'allowedHosts'>): boolean {
  const normalised = host.replace(/\.$/, '').toLowerCase();
  return policy.allowedHosts?.some((pattern) => hostMatches(normalised, pattern)) ?? false;
}

/** Names that are private by definition, whatever they resolve to. */
function isPrivateName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local');
}

/** `example.com` matches exactly; `.example.com` matches it and every subdomain. */
function hostMatches(host: string, pattern: string): boolean {
  const wanted = pattern.trim().toLowerCase().replace(/\.$/, '');
  if (wanted.startsWith('.')) return host === wanted.slice(1) || host.endsWith(wanted);
  return host === wanted;
}
