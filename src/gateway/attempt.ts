import type { ClientResponse } from './client-response.js';
import type { ModelportError } from '../core/errors/index.js';
import type { ChatMessage, Usage } from '../core/invocation.js';
import type { ClientPresence } from './client-presence.js';
import type { ServingPlan } from './deployment-cache.js';

/**
 * One try of one request on one deployment. The gateway may make several (fallbacks); each is measured
 * and recorded on its own deployment, so a failing target's error rate shows where it belongs.
 */
export interface AttemptRequest {
  plan: ServingPlan;
  /** Adapter to use; null = base model. Already checked against the deployment's adapters. */
  adapterId: string | null;
  kind: 'chat' | 'text';
  /** The client's body as it arrived (parsed JSON, unknown fields kept). */
  body: Record<string, unknown>;
  /** The messages as the connector path takes them (text only); throws ValidationError for tool messages. Null for completions. */
  connectorMessages(): ChatMessage[] | null;
  prompt: string | null;
  /** Prompt tokens by heuristic, for when an upstream reports no usage. */
  estimateInputTokens(): number;
  stream: boolean;
  /** The client asked for a usage chunk at the end of the stream. */
  includeUsage: boolean;
  /** Sent as max_tokens when the client set no limit (so the budget estimate bounds the cost); null = none. */
  maxTokensCap: number | null;
  /** Max output tokens the connector path uses. */
  maxTokens: number;
  /** Longest wait for the first token (stream) or the response (non-stream) before giving up on this target. */
  firstTokenTimeoutMs: number;
  /** End to end, including the whole stream. */
  requestTimeoutMs: number;
  /** Whether the client is still there. */
  client: ClientPresence;
}

/** How an attempt ended, for metrics, cost and budgets. */
export interface AttemptOutcome {
  success: boolean;
  errorCode: string | null;
  usage: Usage | null;
  /** From the final usage; null = unpriced. */
  costUsd: number | null;
  ttftMs: number | null;
  /** Mean gap between output tokens of a stream. */
  interTokenMs: number | null;
  latencyMs: number;
  /** Whether the attempt already wrote its RequestRecord (the connector path records itself). */
  recorded: boolean;
}

export type AttemptStart =
  | {
      started: true;
      /** ms spent waiting for the upstream until this point (not modelport's overhead). */
      upstreamWaitMs: number;
      contentType: string;
      /** Known for whole bodies (non-streamed), so the response needs no chunked encoding. */
      contentLength?: number;
      /** Writes the body; the gateway has written the status line and headers. Never rejects. */
      deliver(response: ClientResponse): Promise<AttemptOutcome>;
    }
  | {
      started: false;
      error: ModelportError;
      /** Whether the next target may be tried: nothing reached the client, and another target could succeed. */
      fallback: boolean;
      upstreamWaitMs: number;
      outcome: AttemptOutcome;
    };

/** The code a failure is recorded under: the gateway's own (`client_closed`, `budget_exceeded`) where it has one. */
export function errorCodeOf(error: ModelportError): string {
  const gatewayCode = error.details['gatewayCode'];
  return typeof gatewayCode === 'string' ? gatewayCode : error.code;
}

/** Codes that say the target, not the request, failed: worth trying a fallback. */
export function isTargetFailure(error: ModelportError): boolean {
  switch (error.code) {
    case 'platform_api_error':
    case 'platform_capacity':
    case 'platform_auth_failed':
    case 'platform_not_configured':
    case 'timeout':
    case 'invalid_transition':
      return true;
    case 'rate_limited':
      return error.details['gatewayCode'] === 'budget_exceeded' && error.details['scope'] === 'deployment';
    default:
      return false;
  }
}
