import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ModelportError, isModelportError } from '../core/errors/index.js';
import type { FinishReason } from '../core/invocation.js';
import type { Clock } from '../platforms/connector.js';
import type { EndpointTestRecord, Store } from '../store/store.js';
import type { DeploymentService } from './deployment-service.js';
import type { InvocationService } from './invocation-service.js';
import { parseInput } from './parse-input.js';
import { createRateLimiter } from './rate-limiter.js';

export const ChatMessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

export function createEndpointTestSchema(maxPromptChars: number) {
  return z
    .strictObject({
      prompt: z.string().min(1).max(maxPromptChars, `prompt is longer than ${maxPromptChars} characters`).optional(),
      messages: z
        .array(ChatMessageSchema)
        .min(1)
        .max(100)
        .refine((messages) => messages.reduce((sum, message) => sum + message.content.length, 0) <= maxPromptChars, {
          message: `messages are longer than ${maxPromptChars} characters in total`,
        })
        .optional(),
      /** Adapter to use for this test; defaults to the deployment's adapter. `null` tests the base model. */
      adapter: z.string().min(1).max(512).nullable().optional(),
      maxTokens: z.number().int().min(1).max(8_192).default(128),
      temperature: z.number().min(0).max(2).default(0.7),
      topP: z.number().gt(0).max(1).default(1),
      stop: z.array(z.string().min(1).max(64)).max(4).default([]),
      /** Overrides the deployment's request timeout for this test. */
      timeoutMs: z.number().int().min(100).max(600_000).optional(),
    })
    .refine((body) => (body.prompt === undefined) !== (body.messages === undefined), {
      message: 'give exactly one of prompt or messages',
      path: ['prompt'],
    });
}
export type EndpointTestInput = z.infer<ReturnType<typeof createEndpointTestSchema>>;

export interface EndpointTestResult {
  id: string;
  success: boolean;
  output: string;
  finishReason: FinishReason | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: { inputTokens: number; outputTokens: number; estimated: boolean };
  costUsd: number | null;
  error: { code: string; message: string } | null;
  at: string;
}

export type EndpointTestEvent = { type: 'delta'; text: string } | { type: 'result'; result: EndpointTestResult };

/**
 * "Test the endpoint": one inference with the user's parameters, measured, recorded in metrics and kept
 * in the deployment's test history. A failure or timeout is a result (success: false), not an HTTP error.
 */
export function createEndpointTestService(deps: {
  store: Store;
  deployments: DeploymentService;
  invocations: InvocationService;
  clock: Clock;
  maxPromptChars: number;
  ratePerMinute: number;
}) {
  const schema = createEndpointTestSchema(deps.maxPromptChars);
  const limiter = createRateLimiter({ perMinute: deps.ratePerMinute, clock: deps.clock });

  async function* stream(deploymentId: string, input: unknown, signal?: AbortSignal): AsyncGenerator<EndpointTestEvent> {
    const body = parseInput(schema, input, 'test request');
    const deployment = await deps.deployments.get(deploymentId);
    limiter.take(deployment.id);
    const adapterId = body.adapter === undefined ? (deployment.config.adapter?.id ?? null) : body.adapter;
    const at = new Date(deps.clock.now()).toISOString();
    const started = deps.clock.monotonic();
    const request = {
      ...(body.prompt === undefined ? {} : { prompt: body.prompt }),
      ...(body.messages === undefined ? {} : { messages: body.messages }),
      adapterId,
      maxTokens: body.maxTokens,
      temperature: body.temperature,
      topP: body.topP,
      stop: body.stop,
    };
    let output = '';
    let ttftMs: number | null = null;
    let result: EndpointTestResult;
    try {
      let done: EndpointTestResult | null = null;
      for await (const event of deps.invocations.invoke(deployment, request, {
        source: 'test',
        ...(signal ? { signal } : {}),
        ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
      })) {
        if (event.type === 'delta') {
          ttftMs ??= deps.clock.monotonic() - started;
          output += event.text;
          yield event;
        } else {
          const { result: outcome } = event;
          done = { id: randomUUID(), success: true, output: outcome.output, finishReason: outcome.finishReason, latencyMs: outcome.latencyMs, ttftMs: outcome.ttftMs, usage: outcome.usage, costUsd: outcome.costUsd, error: null, at };
        }
      }
      if (!done) throw new ModelportError('internal_error', 'inference ended without a result');
      result = done;
    } catch (error) {
      // Not being able to serve at all (not active, not found) is the caller's mistake: an HTTP error.
      if (isModelportError(error) && (error.code === 'invalid_transition' || error.code === 'not_found')) throw error;
      const failure = isModelportError(error) ? error : new ModelportError('internal_error', 'inference failed');
      result = {
        id: randomUUID(),
        success: false,
        output,
        finishReason: 'error',
        latencyMs: deps.clock.monotonic() - started,
        ttftMs,
        usage: { inputTokens: 0, outputTokens: 0, estimated: false },
        costUsd: 0,
        error: { code: failure.code, message: failure.code === 'internal_error' ? 'inference failed' : failure.message },
        at,
      };
    }
    await deps.store.tests.insert(toRecord(deployment.id, adapterId, body, result));
    yield { type: 'result', result };
  }

  return {
    stream,
    /** The non-streaming form: runs the stream to its end. */
    async run(deploymentId: string, input: unknown): Promise<EndpointTestResult> {
      let final: EndpointTestResult | null = null;
      for await (const event of stream(deploymentId, input)) if (event.type === 'result') final = event.result;
      if (!final) throw new ModelportError('internal_error', 'test ended without a result');
      return final;
    },
    async history(deploymentId: string, limit = 10): Promise<EndpointTestRecord[]> {
      await deps.deployments.get(deploymentId);
      return deps.store.tests.list(deploymentId, limit);
    },
  };
}

export type EndpointTestService = ReturnType<typeof createEndpointTestService>;

function toRecord(deploymentId: string, adapterId: string | null, body: EndpointTestInput, result: EndpointTestResult): EndpointTestRecord {
  return {
    id: result.id,
    deploymentId,
    at: result.at,
    adapterId,
    request: {
      ...(body.prompt === undefined ? {} : { prompt: body.prompt }),
      ...(body.messages === undefined ? {} : { messages: body.messages }),
      maxTokens: body.maxTokens,
      temperature: body.temperature,
      topP: body.topP,
      stop: body.stop,
    },
    success: result.success,
    output: result.output,
    finishReason: result.finishReason,
    latencyMs: result.latencyMs,
    ttftMs: result.ttftMs,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    usageEstimated: result.usage.estimated,
    costUsd: result.costUsd,
    error: result.error,
  };
}
