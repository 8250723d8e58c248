import { PlatformAuthError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import { parseProviderMessage } from '../http/provider-message.js';
import { redact } from '../http/redact.js';

/**
 * One readiness probe: `GET <endpoint>/health`, which vLLM answers 200 once the engine is up (without
 * an API key). Behind Modal the request may be held while a container boots, or answered 303 to a
 * result URL after 150 s (fetch follows it as a GET). A probe is bounded by `timeoutMs`: the
 * reconciler observes again later, it should not sit on one request for minutes.
 */

export type HealthResult =
  | { healthy: true }
  | { healthy: false; status: number | null; message: string };

export async function probeHealth(
  endpointUrl: string,
  options: { context: ConnectorContext; headers: Record<string, string>; timeoutMs: number },
): Promise<HealthResult> {
  const { context } = options;
  const secrets = Object.values(context.credentials);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await context.fetch(`${endpointUrl}/health`, {
      method: 'GET',
      headers: options.headers,
      redirect: 'follow',
      signal: AbortSignal.any([context.signal, timeout]),
    });
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason instanceof Error ? context.signal.reason : error;
    const message = timeout.aborted
      ? `no answer within ${options.timeoutMs} ms (a container may be booting)`
      : `not reachable (${error instanceof Error ? error.message : String(error)})`;
    return { healthy: false, status: null, message };
  }
  // Read (and so release) the body whatever the status: it holds Modal's or vLLM's explanation.
  const text = await response.text().catch(() => '');
  if (response.ok) return { healthy: true };
  const detail = redact(parseProviderMessage(text), secrets) || response.statusText;
  if (response.status === 401 || response.status === 403) {
    throw new PlatformAuthError(
      'modal',
      `the endpoint refused the health check (HTTP ${response.status}: ${detail}); with proxyAuth, set MODAL_PROXY_TOKEN_ID and MODAL_PROXY_TOKEN_SECRET`,
      { details: { status: response.status } },
    );
  }
  return { healthy: false, status: response.status, message: `HTTP ${response.status}: ${detail}` };
}
