import type { Deployment } from '../core/deployment.js';
import { InvalidTransitionError, isModelportError, ModelportError, TimeoutError } from '../core/errors/index.js';
import type { FinishReason, InvocationSource, InvokeRequest, RequestRecord, Usage } from '../core/invocation.js';
import { costOfTokens } from '../core/pricing.js';
import type { Clock, Logger } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { ConnectorContexts } from './connector-contexts.js';

export interface InvocationResult {
  output: string;
  finishReason: FinishReason;
  latencyMs: number;
  ttftMs: number | null;
  /** Mean gap between consecutive deltas after the first; null with fewer than two. */
  interTokenMs: number | null;
  usage: Usage;
  /** null = unpriced. */
  costUsd: number | null;
}

export type InvocationEvent = { type: 'delta'; text: string } | { type: 'done'; result: InvocationResult };

export interface RequestSink {
  record(record: RequestRecord): void;
}

/** Statuses in which a deployment serves requests: while updating, the previous resource still answers. */
const servingStatuses = ['active', 'updating'] as const;

/**
 * Runs one inference on a deployment and measures it: TTFT from the first delta, inter-token latency
 * from the gaps between deltas (each non-empty delta is one token event, as each content chunk is in the
 * gateway's passthrough), total latency, usage and cost from the final usage (streamed or not: the same
 * path), recorded for metrics whatever the outcome.
 */
export function createInvocationService(deps: {
  registry: PlatformRegistry;
  contexts: ConnectorContexts;
  clock: Clock;
  logger: Logger;
  sink: RequestSink;
}) {
  return {
    async *invoke(
      deployment: Deployment,
      request: InvokeRequest,
      options: { source: InvocationSource; signal?: AbortSignal; timeoutMs?: number },
    ): AsyncGenerator<InvocationEvent> {
      if (!(servingStatuses as readonly string[]).includes(deployment.status) || !deployment.providerRef) {
        throw new InvalidTransitionError('invoke', deployment.status, servingStatuses);
      }
      const connector = deps.registry.get(deployment.platform);
      const timeoutMs = options.timeoutMs ?? deployment.config.timeouts.requestMs;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new TimeoutError('the endpoint', timeoutMs)), timeoutMs);
      const onCallerAbort = () => controller.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onCallerAbort, { once: true });

      const startedAt = deps.clock.now();
      const start = deps.clock.monotonic();
      let ttftMs: number | null = null;
      let tokenEvents = 0;
      let firstTokenAt = 0;
      let lastTokenAt = 0;
      const interTokenMs = (): number | null => (tokenEvents > 1 ? (lastTokenAt - firstTokenAt) / (tokenEvents - 1) : null);
      let output = '';
      let finished: { usage: Usage; finishReason: FinishReason } | null = null;
      const record = (success: boolean, errorCode: string | null, usage: Usage | null): number | null => {
        const costUsd = usage ? costOfTokens(connector.tokenPrice(deployment.config), usage.inputTokens, usage.outputTokens) : null;
        deps.sink.record({
          deploymentId: deployment.id,
          adapterId: request.adapterId,
          source: options.source,
          startedAt,
          ttftMs,
          interTokenMs: interTokenMs(),
          latencyMs: deps.clock.monotonic() - start,
          success,
          errorCode,
          inputTokens: usage?.inputTokens ?? 0,
          outputTokens: usage?.outputTokens ?? 0,
          // A request that never produced usage was not billed: known zero, not unpriced.
          costUsd: usage ? costUsd : 0,
        });
        return costUsd;
      };

      try {
        const context = deps.contexts.create(deployment.id, deployment.config, controller.signal);
        const events = connector.invoke(deployment.providerRef, deployment.config, request, context)[Symbol.asyncIterator]();
        const aborted = abortPromise(controller.signal);
        for (;;) {
          // Race every step with the abort: a connector that ignores its signal still cannot hang a request.
          const step = await Promise.race([events.next(), aborted]);
          if (step.done) break;
          const event = step.value;
          if (event.type === 'delta') {
            if (event.text.length === 0) continue;
            lastTokenAt = deps.clock.monotonic();
            if (tokenEvents++ === 0) firstTokenAt = lastTokenAt;
            ttftMs ??= lastTokenAt - start;
            output += event.text;
            yield { type: 'delta', text: event.text };
          } else {
            finished = { usage: event.usage, finishReason: event.finishReason };
          }
        }
        if (!finished) throw new ModelportError('platform_api_error', 'the platform ended the response without usage');
        const latencyMs = deps.clock.monotonic() - start;
        const costUsd = record(true, null, finished.usage);
        yield { type: 'done', result: { output, finishReason: finished.finishReason, latencyMs, ttftMs, interTokenMs: interTokenMs(), usage: finished.usage, costUsd } };
      } catch (error) {
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        const failure = isModelportError(reason)
          ? reason
          : isModelportError(error)
            ? error
            : new ModelportError('internal_error', 'inference failed', { cause: error });
        record(false, failure.code, finished?.usage ?? null);
        if (!isModelportError(error) && !controller.signal.aborted) deps.logger.error('invoke failed', { deploymentId: deployment.id, error });
        throw failure;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onCallerAbort);
      }
    },
  };
}

export type InvocationService = ReturnType<typeof createInvocationService>;

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new ModelportError('timeout', 'request aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
