import dns, { type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { addressRefusal, type OutboundUrlPolicy } from './url-guard.js';

/**
 * The connect-time half of the outbound URL guard (url-guard.ts judges URLs as written). A DNS lookup
 * with `dns.lookup`'s signature, for node:http/https agents, `net.connect` and undici's
 * `connect.lookup`: it resolves the name and fails the connection when any answer is a metadata or
 * link-local address, or a private one while private addresses are not allowed. Because the socket
 * connects to the address this lookup returned, the address judged is the address used: a DNS answer
 * that changes between a check and the connect (rebinding) has nothing to slip through.
 *
 * Literal IP hosts never reach a lookup; `checkOutboundUrl` covers them.
 */

/** Resolves `hostname` to every address (`dns.lookup` with `all: true`). Injectable for tests. */
export type HostResolver = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (hostname, options) => dns.promises.lookup(hostname, options);

export type LookupPolicy = Pick<OutboundUrlPolicy, 'allowPrivate' | 'allowedHosts'>;

/**
 * A connection refused because of the address its host name resolved to. A plain Error with a
 * Node-style `code`, not a ModelportError: it travels through net, tls and undici as a socket error,
 * and each edge (the gateway's upstream client, provider-http) turns it into its own error.
 */
export class RefusedAddressError extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${hostname} resolved to ${address}, which is ${reason}`);
    this.name = 'RefusedAddressError';
  }
}

/** The RefusedAddressError in `error`, its causes or aggregated errors (fetch wraps it), or null. */
export function findRefusedAddress(error: unknown): RefusedAddressError | null {
  const visit = (value: unknown, depth: number): RefusedAddressError | null => {
    if (value instanceof RefusedAddressError) return value;
    if (depth > 4 || typeof value !== 'object' || value === null) return null;
    const errors = (value as { errors?: unknown }).errors;
    for (const inner of Array.isArray(errors) ? errors : []) {
      const found = visit(inner, depth + 1);
      if (found) return found;
    }
    return visit((value as { cause?: unknown }).cause, depth + 1);
  };
  return visit(error, 0);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Builds the guarded lookup. Called as `lookup(hostname, options, callback)` (a family number is
 * accepted for `options`, as dns.lookup does); answers like dns.lookup: `(null, address, family)`, or
 * `(null, addresses)` with `all: true`, always asynchronously. Every address is resolved and judged
 * even when one is asked for, so a name cannot hide a refused answer behind an allowed first one.
 * Resolver errors (ENOTFOUND, EAI_AGAIN) are passed on unchanged.
 */
export function createGuardedLookup(policy: LookupPolicy, options: { resolve?: HostResolver } = {}): LookupFunction {
  const resolve = options.resolve ?? systemResolver;
  const guardedLookup = (hostname: string, lookupOptions: LookupOptions | number | undefined, callback: LookupCallback): void => {
    const requested: LookupOptions = typeof lookupOptions === 'number' ? { family: lookupOptions } : (lookupOptions ?? {});
    resolveChecked(hostname, requested, resolve, policy).then(
      (addresses) => {
        if (requested.all === true) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, requested.all === true ? [] : ''),
    );
  };
  return guardedLookup;
}

/** Resolves `hostname` and judges every answer; rejects with RefusedAddressError on the first refused one. */
export async function resolveChecked(
  hostname: string,
  options: LookupOptions,
  resolve: HostResolver,
  policy: LookupPolicy,
): Promise<[LookupAddress, ...LookupAddress[]]> {
  const [first, ...rest] = await resolve(hostname, { ...options, all: true });
  if (!first) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  const addresses: [LookupAddress, ...LookupAddress[]] = [first, ...rest];
  for (const { address } of addresses) {
    const reason = addressRefusal(hostname, address, policy);
    if (reason !== null) throw new RefusedAddressError(hostname, address, reason);
  }
  return addresses;
}

/**
 * `fetch` for user-supplied URLs. Each request goes through a dispatcher (undici's `Agent`) whose
 * connections resolve host names with `createGuardedLookup`, so the address judged is the address
 * connected to: a DNS answer that changes after a check (rebinding) is judged again at the connect.
 * The name is also resolved and judged before `base` is called, so a refused URL fails with the
 * refusal itself (RefusedAddressError), and nothing at all is sent, even by a `base` that ignores the
 * dispatcher (tests pass their own).
 *
 * Redirects are not re-checked; callers of user-supplied URLs do not follow them.
 */
export function createGuardedFetch(base: typeof fetch, policy: LookupPolicy, options: { resolve?: HostResolver } = {}): typeof fetch {
  const resolve = options.resolve ?? systemResolver;
  // Node's fetch takes a dispatcher from the undici package as its own. Loaded at the first call, not at
  // start-up: the package takes 120-180 ms to load, and only openai-compatible connector calls need it.
  let dispatcher: Promise<Agent> | null = null;
  const dispatcherOf = () => (dispatcher ??= import('undici').then(({ Agent }) => new Agent({ connect: { lookup: createGuardedLookup(policy, options) } })));
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) await resolveChecked(host, {}, resolve, policy);
    return base(input, Object.assign({}, init, { dispatcher: await dispatcherOf() }));
  };
}
