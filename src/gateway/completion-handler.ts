import { ModelportError, NotFoundError, ValidationError } from '../core/errors/index.js';
import type { ChatMessage } from '../core/invocation.js';
import type { Clock, Logger } from '../platforms/connector.js';
import type { Principal } from '../services/auth/token-service.js';
import type { InvocationService, RequestSink } from '../services/invocation-service.js';
import { estimatePromptTokens, estimateTokens } from '../platforms/openai-upstream/token-estimate.js';
import { parseInput } from '../services/parse-input.js';
import type { GatewayBudgetRecord } from '../store/gateway-store.js';
import { isTargetFailure, type AttemptOutcome, type AttemptRequest, type AttemptStart } from './attempt.js';
import { BudgetExceededError } from './budget-exceeded-error.js';
import type { BudgetLedger, Reservation } from './budget-ledger.js';
import type { CanaryStatsCollector } from './canary-stats.js';
import { startConnectorAttempt } from './connector-attempt.js';
import { watchClient } from './client-presence.js';
import type { ClientResponse } from './client-response.js';
import { estimateCostUsd } from './cost-estimate.js';
import type { DeploymentCache, ServingPlan } from './deployment-cache.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { acceptedChatRequest, acceptedCompletionRequest, ChatCompletionRequestSchema, CompletionRequestSchema, type CompletionRequest } from './openai-schemas.js';
import { startPassthroughAttempt } from './passthrough-attempt.js';
import type { RouteBudgetCache } from './route-budget-cache.js';
import type { Candidate, CompiledRoute } from './target-picker.js';
import type { TokenRateLimiter } from './token-rate-limiter.js';
import type { UpstreamClient } from './upstream-client.js';

/** The header carrying modelport's own time on a request, in microseconds (everything but upstream waits). */
export const OVERHEAD_HEADER = 'x-modelport-overhead-us';

export interface CompletionHandlerDeps {
  deployments: DeploymentCache;
  /** Routes and budgets; null = neither (direct deployment calls only). */
  routesAndBudgets: RouteBudgetCache | null;
  ledger: BudgetLedger | null;
  /** API tokens' requests per minute; null = none enforced. */
  rateLimiter: TokenRateLimiter | null;
  /** Where attempts on routes with a running canary are counted; null without routes. */
  canaryStats: CanaryStatsCollector | null;
  invocations: InvocationService;
  upstream: UpstreamClient;
  /** Where pass-through attempts are recorded: the metrics recorder, like every invocation. */
  sink: RequestSink;
  metrics: GatewayMetrics;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
  /** Output tokens assumed (and sent upstream as max_tokens) for a budgeted request that sets no limit. */
  defaultMaxTokens: number;
  /** Output tokens for the connector path when the request sets no limit. */
  connectorDefaultMaxTokens: number;
  random: () => number;
}

/** One gateway request as the handler needs it, whichever server read it (Fastify or the completion front). */
export interface CompletionCall {
  /** performance.now() when the request arrived. */
  readonly receivedAt: number;
  /** Who is calling; null only where no auth hook ran (bare test apps). */
  readonly principal: Principal | null;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** A request header by lower-cased name. */
  header(name: string): string | undefined;
  readonly response: ClientResponse;
  /** Called once, just before the handler writes the response head: from then on the handler answers. */
  commit(): void;
}

/** The fields chat and text completion requests share. */
interface CommonFields {
  model: string;
  stream?: boolean | null | undefined;
  stream_options?: { include_usage?: boolean | null | undefined } | null | undefined;
  max_tokens?: number | null | undefined;
  n?: number | null | undefined;
}

const NO_BUDGETS: readonly GatewayBudgetRecord[] = Object.freeze([]);
const FREE: Reservation = Object.freeze({ settle: () => undefined });
const servingStatuses = new Set(['active', 'updating']);

/**
 * The request path of `/v1/chat/completions` and `/v1/completions`: resolve the model (a route or a
 * deployment), then for each candidate in order reserve budget, start an attempt, and either commit to
 * it (first token or whole response ready) or, if it failed before anything reached the client, try
 * the next. Reads only in-memory caches: no database I/O per request.
 */
export function createCompletionHandler(deps: CompletionHandlerDeps) {
  const { deployments, metrics, clock } = deps;

  /**
   * Every budget a request answers to, in reservation order: its API token's first (they apply whichever
   * target serves, so a refusal there is final), then the route's, then the deployment's. Only stored
   * tokens have budgets: the bootstrap admin and an open server have none. Allocates only when two
   * lists are non-empty.
   */
  function budgetsFor(route: CompiledRoute | null, plan: ServingPlan, principal: Principal | null): readonly GatewayBudgetRecord[] {
    const cache = deps.routesAndBudgets;
    if (cache === null || deps.ledger === null) return NO_BUDGETS;
    const ofToken = principal !== null && principal.tokenId !== null ? cache.budgetsFor('token', principal.name) : NO_BUDGETS;
    const ofRoute = route === null ? NO_BUDGETS : cache.budgetsFor('route', route.route.name);
    const ofDeployment = cache.budgetsFor('deployment', plan.deployment.name);
    if (ofToken.length + ofRoute.length === 0) return ofDeployment;
    if (ofToken.length + ofDeployment.length === 0) return ofRoute;
    if (ofRoute.length + ofDeployment.length === 0) return ofToken;
    return [...ofToken, ...ofRoute, ...ofDeployment];
  }

  function record(plan: ServingPlan, adapterId: string | null, startedAt: number, outcome: AttemptOutcome, route: CompiledRoute | null, role: Candidate['role']): void {
    const routeName = route?.route.name ?? '';
    const canary = route?.route.spec.canary ?? null;
    // Client aborts say nothing about the deployment; fallbacks are not part of the comparison.
    if (route !== null && canary !== null && deps.canaryStats !== null && (role === 'canary' || role === 'target') && outcome.errorCode !== 'client_closed') {
      deps.canaryStats.observe(route.route.id, canary.startedAt, role === 'canary' ? 'canary' : 'baseline', outcome.success, outcome.latencyMs, outcome.ttftMs);
    }
    const observation = {
      success: outcome.success,
      errorCode: outcome.errorCode,
      latencyMs: outcome.latencyMs,
      ttftMs: outcome.ttftMs,
      interTokenMs: outcome.interTokenMs,
      inputTokens: outcome.usage?.inputTokens ?? 0,
      outputTokens: outcome.usage?.outputTokens ?? 0,
      costUsd: outcome.costUsd,
    };
    metrics.observeAttempt({ deployment: plan.deployment.name, route: routeName }, observation);
    if (outcome.recorded) return;
    deps.sink.record({ deploymentId: plan.deployment.id, adapterId, source: 'gateway', startedAt, ...observation });
  }

  /** Answers `call`, or throws (before anything was written) for the caller to answer with an OpenAI error. */
  return async function handle(kind: 'chat' | 'text', call: CompletionCall): Promise<void> {
    const requestStart = call.receivedAt;
    const admitted = deps.rateLimiter?.admit(call.principal);
    if (admitted !== undefined) await admitted;
    const raw = (call.body ?? {}) as Record<string, unknown>;
    const chat = kind === 'chat' ? (acceptedChatRequest(raw) ?? parseInput(ChatCompletionRequestSchema, raw, 'chat completion request')) : null;
    const text = chat === null ? (acceptedCompletionRequest(raw) ?? parseInput(CompletionRequestSchema, raw, 'completion request')) : null;
    const parsed: CommonFields = chat ?? (text as CompletionRequest);
    const model = parsed.model;
    const stream = parsed.stream === true;

    // Resolve: a route first, then `<deployment>[:<adapter>]`.
    const route = deps.routesAndBudgets?.route(model) ?? null;
    let chain: readonly Candidate[];
    if (route !== null) {
      const header = route.route.spec.stickyHeader;
      const value = header === null ? undefined : call.header(header);
      chain = route.pick(value !== '' ? value : undefined, deps.random);
    } else {
      const separator = model.indexOf(':');
      const name = separator === -1 ? model : model.slice(0, separator);
      const adapter = separator === -1 ? null : model.slice(separator + 1);
      const plan = deployments.get(name);
      if (plan === undefined) throw new NotFoundError('model', model);
      if (adapter !== null && !plan.adapters.has(adapter)) throw new NotFoundError('adapter', `${adapter}' on deployment '${name}`);
      chain = [{ deployment: name, adapter, role: 'direct' }];
    }
    const routeName = route?.route.name ?? '';

    const response = call.response;
    const client = watchClient(response);

    const requestedMax = chat?.max_completion_tokens ?? parsed.max_tokens ?? null;
    const choices = parsed.n ?? 1;

    let upstreamWaitMs = 0;
    let lastError: ModelportError | null = null;
    for (let index = 0; index < chain.length; index++) {
      const candidate = chain[index] as Candidate;
      const more = index < chain.length - 1;
      const plan = deployments.get(candidate.deployment);
      const unavailable = whyUnavailable(candidate, plan);
      if (unavailable !== null || plan === undefined) {
        lastError = unavailable ?? new NotFoundError('deployment', candidate.deployment);
        if (more) metrics.fallback(routeName, candidate.deployment);
        continue;
      }
      const adapterId = candidate.adapter ?? plan.deployment.config.adapter?.id ?? null;

      const budgets = budgetsFor(route, plan, call.principal);
      let reservation = FREE;
      if (budgets.length > 0 && deps.ledger !== null) {
        const bodyBytes = Number(call.header('content-length')) || Buffer.byteLength(JSON.stringify(raw));
        const estimate = estimateCostUsd(plan.price, bodyBytes, requestedMax ?? deps.defaultMaxTokens, choices);
        try {
          const reserved = deps.ledger.reserve(budgets, estimate);
          reservation = reserved instanceof Promise ? await reserved : reserved;
        } catch (error) {
          if (!(error instanceof BudgetExceededError)) throw error;
          metrics.budgetRefused(error.budget.scope, error.budget.target);
          if (error.budget.scope === 'deployment' && more) {
            lastError = error;
            metrics.fallback(routeName, candidate.deployment);
            continue;
          }
          throw error;
        }
      }

      const attemptRequest: AttemptRequest = {
        plan,
        adapterId,
        kind,
        body: raw,
        // Methods, not arrow functions in consts: see PassthroughRun (passthrough-attempt.ts) on tsx's keepNames.
        connectorMessages(): ChatMessage[] | null {
          return chat?.messages.map(toConnectorMessage) ?? null;
        },
        estimateInputTokens(): number {
          return chat !== null
            ? estimatePromptTokens(chat.messages.map((message) => ({ role: 'user', content: message.content ?? '' })))
            : estimateTokens(text?.prompt ?? '');
        },
        prompt: text?.prompt ?? null,
        stream,
        includeUsage: parsed.stream_options?.include_usage === true,
        maxTokensCap: budgets.length > 0 && requestedMax === null ? deps.defaultMaxTokens : null,
        maxTokens: requestedMax ?? deps.connectorDefaultMaxTokens,
        firstTokenTimeoutMs: route?.route.spec.firstTokenTimeoutMs ?? plan.deployment.config.timeouts.requestMs,
        requestTimeoutMs: plan.deployment.config.timeouts.requestMs,
        client,
      };
      const attemptStartedAt = clock.now();
      let start: AttemptStart;
      try {
        if (plan.passthrough !== null && kind === 'chat') {
          start = await startPassthroughAttempt(deps.upstream, plan.passthrough, attemptRequest, clock);
        } else {
          if (choices > 1) throw new ValidationError(`n > 1 needs a platform with OpenAI-compatible inference; ${plan.deployment.platform} answers one choice`, [{ path: 'n', message: 'must be 1' }]);
          start = await startConnectorAttempt(deps.invocations, attemptRequest, clock);
        }
      } catch (error) {
        reservation.settle(0);
        throw error;
      }
      upstreamWaitMs += start.upstreamWaitMs;

      if (!start.started) {
        reservation.settle(start.outcome.costUsd);
        record(plan, adapterId, attemptStartedAt, start.outcome, route, candidate.role);
        if (start.fallback && more && isTargetFailure(start.error)) {
          metrics.fallback(routeName, candidate.deployment);
          lastError = start.error;
          continue;
        }
        throw start.error;
      }

      const overheadUs = Math.max(0, Math.round((performance.now() - requestStart - upstreamWaitMs) * 1000));
      call.commit();
      const headers: Record<string, string | number> = {
        'content-type': start.contentType,
        [OVERHEAD_HEADER]: overheadUs,
        'x-modelport-deployment': plan.deployment.name,
      };
      if (start.contentLength !== undefined) headers['content-length'] = start.contentLength;
      if (route !== null) headers['x-modelport-route'] = route.route.name;
      if (stream) headers['cache-control'] = 'no-cache';
      response.writeHead(200, headers);
      metrics.observeOverhead(overheadUs);
      const outcome = await start.deliver(response);
      reservation.settle(outcome.costUsd);
      record(plan, adapterId, attemptStartedAt, outcome, route, candidate.role);
      return;
    }
    throw lastError ?? new ModelportError('platform_api_error', `no target of '${model}' could serve the request`);
  };
}

export type CompletionHandler = ReturnType<typeof createCompletionHandler>;

function whyUnavailable(candidate: Candidate, plan: ServingPlan | undefined): ModelportError | null {
  if (plan === undefined) return new NotFoundError('deployment', candidate.deployment);
  const { deployment } = plan;
  if (!servingStatuses.has(deployment.status) || deployment.providerRef === null) {
    return new ModelportError('invalid_transition', `deployment '${deployment.name}' is ${deployment.status}; it serves requests once active`, {
      retryable: true,
      details: { gatewayCode: 'model_not_ready', status: deployment.status },
    });
  }
  if (candidate.adapter !== null && !plan.adapters.has(candidate.adapter)) return new NotFoundError('adapter', `${candidate.adapter}' on deployment '${deployment.name}`);
  return null;
}

function toConnectorMessage(message: { role: string; content?: string | null | undefined }): ChatMessage {
  if (message.role === 'tool' || message.role === 'function') {
    throw new ValidationError('tool messages need a platform with OpenAI-compatible inference', [{ path: 'messages', message: `role '${message.role}' is not supported here` }]);
  }
  const role = message.role === 'developer' || message.role === 'system' ? 'system' : message.role === 'assistant' ? 'assistant' : 'user';
  return { role, content: message.content ?? '' };
}
