import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deployment } from '../core/deployment.js';
import { isModelportError, ModelportError, NotFoundError } from '../core/errors/index.js';
import type { ChatMessage, FinishReason, InvokeRequest } from '../core/invocation.js';
import type { DeploymentService } from '../services/deployment-service.js';
import type { InvocationResult, InvocationService } from '../services/invocation-service.js';
import { parseInput } from '../services/parse-input.js';
import { ChatCompletionRequestSchema, CompletionRequestSchema } from './openai-schemas.js';
import { toOpenAIError } from './openai-errors.js';

/** What app.ts passed before the gateway had its own factory (see gateway.ts). */
export interface LegacyGatewayDeps {
  deployments: DeploymentService;
  invocations: InvocationService;
}

/**
 * @deprecated Transitional: the first gateway (one DB lookup per request, connector path only), kept so
 * that `buildApp` works unchanged until main.ts wires `createGateway`. Delete with that change.
 */
export function legacyGatewayRoutes(deps: LegacyGatewayDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler((error, _request, reply) => {
      const failure = isModelportError(error)
        ? error
        : (error as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY'
          ? new ModelportError('invalid_json', 'the request body is not valid JSON')
          : new ModelportError('internal_error', 'internal error');
      const { status, body } = toOpenAIError(failure);
      return reply.status(status).send(body);
    });

    app.get('/v1/models', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible model list: active deployments and their adapters' } }, async () => {
      const active = await deps.deployments.list({ status: 'active', limit: 1000 });
      const data = active.flatMap((deployment) => [
        { id: deployment.name, object: 'model', created: Math.floor(Date.parse(deployment.createdAt) / 1000), owned_by: deployment.platform },
        ...[deployment.config.adapter, ...deployment.config.extraAdapters]
          .filter((adapter) => adapter !== null)
          .map((adapter) => ({ id: `${deployment.name}:${adapter.id}`, object: 'model', created: Math.floor(Date.parse(deployment.createdAt) / 1000), owned_by: deployment.platform })),
      ]);
      return { object: 'list', data };
    });

    app.post('/v1/chat/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible chat completions (streaming or not)' } }, async (request, reply) => {
      const body = parseInput(ChatCompletionRequestSchema, request.body, 'chat completion request');
      const { deployment, adapterId } = await resolveModel(deps.deployments, body.model);
      const messages: ChatMessage[] = body.messages.map((message) => ({
        role: message.role === 'developer' || message.role === 'system' ? 'system' : message.role === 'assistant' ? 'assistant' : 'user',
        content: message.content ?? '',
      }));
      const invokeRequest = toInvokeRequest(body, adapterId, { messages });
      return respond(reply, deps.invocations, deployment, invokeRequest, body, 'chat');
    });

    app.post('/v1/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible text completions (streaming or not)' } }, async (request, reply) => {
      const body = parseInput(CompletionRequestSchema, request.body, 'completion request');
      const { deployment, adapterId } = await resolveModel(deps.deployments, body.model);
      return respond(reply, deps.invocations, deployment, toInvokeRequest(body, adapterId, { prompt: body.prompt }), body, 'text');
    });
  };
}

async function resolveModel(deployments: DeploymentService, model: string): Promise<{ deployment: Deployment; adapterId: string | null }> {
  const separator = model.indexOf(':');
  const name = separator === -1 ? model : model.slice(0, separator);
  const adapter = separator === -1 ? undefined : model.slice(separator + 1);
  const deployment = await deployments.getByNameOrId(name).catch(() => {
    throw new NotFoundError('model', model);
  });
  if (adapter !== undefined) {
    const known = [deployment.config.adapter, ...deployment.config.extraAdapters].some((candidate) => candidate?.id === adapter);
    if (!known) throw new NotFoundError('adapter', `${adapter}' on deployment '${deployment.name}`);
  }
  return { deployment, adapterId: adapter ?? deployment.config.adapter?.id ?? null };
}

function toInvokeRequest(
  body: { max_tokens?: number | null; max_completion_tokens?: number | null; temperature?: number | null; top_p?: number | null; stop?: string | string[] | null },
  adapterId: string | null,
  input: { messages: ChatMessage[] } | { prompt: string },
): InvokeRequest {
  return {
    ...input,
    adapterId,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    stop: body.stop == null ? [] : Array.isArray(body.stop) ? body.stop : [body.stop],
  };
}

async function respond(
  reply: FastifyReply,
  invocations: InvocationService,
  deployment: Deployment,
  request: InvokeRequest,
  body: { model: string; stream?: boolean | null | undefined; stream_options?: { include_usage?: boolean | null | undefined } | null | undefined },
  kind: 'chat' | 'text',
): Promise<FastifyReply> {
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort(new ModelportError('timeout', 'client closed the connection'));
  });
  const events = invocations.invoke(deployment, request, { source: 'gateway', signal: abort.signal })[Symbol.asyncIterator]();

  if (!body.stream) {
    let result: InvocationResult | null = null;
    for (let step = await events.next(); !step.done; step = await events.next()) if (step.value.type === 'done') result = step.value.result;
    if (!result) throw new ModelportError('internal_error', 'no result');
    const choice = kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: result.output }, finish_reason: openAIFinish(result.finishReason) }
      : { index: 0, text: result.output, finish_reason: openAIFinish(result.finishReason) };
    return reply.send({ id, object, created, model: body.model, choices: [choice], usage: usageOf(result) });
  }

  // Errors before the first token are still ordinary HTTP errors.
  const first = await events.next();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunkObject = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const write = (payload: unknown) => raw.write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (text: string, finish: string | null) =>
    kind === 'chat'
      ? { id, object: chunkObject, created, model: body.model, choices: [{ index: 0, delta: text ? { content: text } : {}, finish_reason: finish }] }
      : { id, object: chunkObject, created, model: body.model, choices: [{ index: 0, text, finish_reason: finish }] };
  try {
    if (kind === 'chat') write({ id, object: chunkObject, created, model: body.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (let step = first; !step.done; step = await events.next()) {
      const event = step.value;
      if (event.type === 'delta') write(chunk(event.text, null));
      else {
        write(chunk('', openAIFinish(event.result.finishReason)));
        if (body.stream_options?.include_usage) write({ id, object: chunkObject, created, model: body.model, choices: [], usage: usageOf(event.result) });
      }
    }
    raw.write('data: [DONE]\n\n');
  } catch (error) {
    // After tokens were sent the status is already 200: report in-band, as OpenAI does.
    const failure = isModelportError(error) ? error : new ModelportError('internal_error', 'internal error');
    write(toOpenAIError(failure).body);
  } finally {
    raw.end();
  }
  return reply;
}

function usageOf(result: InvocationResult) {
  return {
    prompt_tokens: result.usage.inputTokens,
    completion_tokens: result.usage.outputTokens,
    total_tokens: result.usage.inputTokens + result.usage.outputTokens,
  };
}

function openAIFinish(reason: FinishReason): string {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}
