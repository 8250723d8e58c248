import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { PlatformApiError } from '../core/errors/index.js';
import { findRefusedAddress } from '../platforms/http/guarded-lookup.js';

/**
 * The gateway's HTTP client for OpenAI-compatible upstreams: node:http with keep-alive agents per
 * origin (fetch would add a WHATWG stream layer per response that the byte pass-through does not need).
 */
export interface UpstreamClient {
  /**
   * Sends a POST. `response` resolves with the response head (its body is the caller's to read or
   * destroy) or rejects with PlatformApiError when the upstream cannot be reached: retryable, except
   * when the guarded lookup refused the address the host name resolved to (nothing was sent).
   * Destroy `request` to abort; the response promise then rejects.
   */
  post(url: URL, headers: Record<string, string>, body: Buffer, platform: string): { request: ClientRequest; response: Promise<IncomingMessage> };
  /** Closes idle connections. */
  close(): void;
}

export interface UpstreamClientOptions {
  /** Connections per upstream origin. Default 512. */
  maxSocketsPerOrigin?: number;
  /**
   * Resolves upstream host names when a connection is opened; the gateway passes the guarded lookup
   * (platforms/http/guarded-lookup.ts), which refuses metadata and, by policy, private addresses.
   * Default: dns.lookup.
   */
  lookup?: LookupFunction;
}

export function createUpstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const maxSockets = options.maxSocketsPerOrigin ?? 512;
  // LIFO reuse keeps a few warm connections busy rather than spreading requests over many cold ones.
  const httpAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets, maxFreeSockets: 256, scheduling: 'lifo', noDelay: true } as http.AgentOptions);
  const httpsAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets, maxFreeSockets: 256, scheduling: 'lifo', noDelay: true } as https.AgentOptions);

  return {
    post(url, headers, body, platform) {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        // Judged per connection: a kept-alive socket was judged when it was opened.
        ...(options.lookup ? { lookup: options.lookup } : {}),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) },
      });
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        request.once('response', resolve);
        request.once('error', (error: NodeJS.ErrnoException) => {
          const refused = findRefusedAddress(error);
          reject(
            refused
              ? new PlatformApiError(platform, `refused to connect: ${refused.message}`, undefined, { retryable: false, cause: error, details: { codes: [refused.code] } })
              : new PlatformApiError(platform, `could not reach the server (${error.code ?? error.message})`, undefined, { retryable: true, cause: error }),
          );
        });
      });
      // The caller may abort before anyone awaits: never leave the rejection unhandled.
      response.catch(() => undefined);
      request.end(body);
      return { request, response };
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
