import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible inference server (vLLM / LoRAX / Ollama style) on 127.0.0.1, for tests.
 * Real HTTP, real SSE, with scenario controls for the failures connectors must survive.
 */

export type FakeRoute = 'models' | 'chat' | 'health' | 'other';

export interface FakeFailure {
  /** How many of the next matching requests fail. */
  count: number;
  status: number;
  /** Body sent with the failure; an OpenAI-style error envelope when absent. */
  body?: string;
  /** Sent as the Retry-After header. */
  retryAfter?: string;
  headers?: Record<string, string>;
  /** Which routes fail; every route when absent. */
  routes?: FakeRoute[];
}

export interface OpenAIFakeScenario {
  /** Text the model answers with, split into word tokens (`Hello`, ` world`). */
  reply: string;
  /** Delay before the response headers, ms (queueing, cold start). */
  latencyMs: number;
  /** Delay between headers and the first token of a stream, ms. */
  ttftMs: number;
  /** Delay between tokens, ms. */
  tokenDelayMs: number;
  /** finish_reason of a complete answer (`stop`, or a server's own word such as `eos`). */
  finishReason: string;
  /** Bursts of failures, consumed one request at a time: N failures then OK. */
  failures: FakeFailure | null;
  /** 200 responses whose body (or stream chunk) is not valid JSON. */
  malformed: boolean;
  /** An in-band error chunk after this many tokens, instead of the rest of the answer. */
  streamError: { afterTokens: number; message: string } | null;
  /** Stop after this many tokens without finish_reason or [DONE]: `end` closes cleanly, `destroy` resets. */
  cut: { afterTokens: number; mode: 'end' | 'destroy' } | null;
  /** Never send a usage chunk, even when asked. */
  omitUsage: boolean;
  /** Leave out the final `data: [DONE]`. */
  omitDone: boolean;
  /** Answer 400 to a request carrying stream_options, like older servers. */
  rejectStreamOptions: boolean;
  /** Status of GET /v1/models when not 200 (LoRAX has no such route: 404). */
  modelsStatus: number | null;
}

export interface OpenAIFakeOptions {
  /** Bearer key every request must carry; none required when absent. */
  apiKey?: string;
  /** What GET /v1/models lists and chat accepts as `model`. */
  models?: string[];
  scenario?: Partial<OpenAIFakeScenario>;
}

export interface RecordedRequest {
  method: string;
  route: FakeRoute;
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** Set when the client went away before the response was complete (an abort reached the server). */
  clientClosedEarly: boolean;
}

export interface OpenAIFake {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `url + '/v1'`: what an OpenAI client takes as base URL. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Merges into the current scenario. */
  setScenario(changes: Partial<OpenAIFakeScenario>): void;
  scenario(): OpenAIFakeScenario;
  setModels(models: string[]): void;
  /** Requests that reached one route. */
  requestsTo(route: FakeRoute): RecordedRequest[];
  close(): Promise<void>;
}

export const defaultFakeModels = ['fake-base', 'fake-adapter'];

export const defaultScenario: OpenAIFakeScenario = {
  reply: 'Hello from the fake server, one token at a time.',
  latencyMs: 0,
  ttftMs: 0,
  tokenDelayMs: 0,
  finishReason: 'stop',
  failures: null,
  malformed: false,
  streamError: null,
  cut: null,
  omitUsage: false,
  omitDone: false,
  rejectStreamOptions: false,
  modelsStatus: null,
};

/** Word tokens as the fake streams them: `Hello`, ` from`, … */
export function fakeTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** The fake's own prompt token count: words in every message plus 3 per message. */
export function fakePromptTokens(messages: readonly { content: string }[]): number {
  return messages.reduce((sum, message) => sum + fakeTokens(message.content).length + 3, 0);
}

export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<OpenAIFake> {
  let scenario: OpenAIFakeScenario = { ...defaultScenario, ...options.scenario };
  let models = options.models ?? defaultFakeModels;
  const requests: RecordedRequest[] = [];
  const openResponses = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    openResponses.add(response);
    response.on('close', () => openResponses.delete(response));
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const route = routeOf(request.method ?? 'GET', url.pathname);
    const text = await readBody(request);
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      route,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
      ),
      body: parseJson(text),
      clientClosedEarly: false,
    };
    requests.push(recorded);
    response.on('close', () => {
      if (!response.writableFinished) recorded.clientClosedEarly = true;
    });
    const closed = closedSignal(response);

    if (scenario.latencyMs > 0) await sleep(scenario.latencyMs, closed);
    if (closed.aborted) return;

    if (options.apiKey !== undefined && recorded.headers['authorization'] !== `Bearer ${options.apiKey}`) {
      // Real servers echo what they got; the worst case for redaction is echoing all of it.
      const got = recorded.headers['authorization'] ?? '(none)';
      return sendJson(response, 401, {
        error: { message: `Incorrect API key provided: ${got}`, type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }

    const failure = scenario.failures;
    if (failure && failure.count > 0 && (failure.routes === undefined || failure.routes.includes(route))) {
      scenario = { ...scenario, failures: { ...failure, count: failure.count - 1 } };
      response.writeHead(failure.status, {
        'content-type': 'application/json',
        ...(failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter }),
        ...failure.headers,
      });
      response.end(failure.body ?? JSON.stringify({ error: { message: `fake failure ${failure.status}`, type: 'server_error' } }));
      return;
    }

    switch (route) {
      case 'health':
        response.writeHead(200).end();
        return;
      case 'models':
        return handleModels(response);
      case 'chat':
        return handleChat(recorded, response, closed);
      default:
        return sendJson(response, 404, { error: { message: `no route for ${recorded.method} ${url.pathname}` } });
    }
  }

  function handleModels(response: ServerResponse): void {
    if (scenario.modelsStatus !== null) {
      return sendJson(response, scenario.modelsStatus, { error: { message: 'Not Found' } });
    }
    if (scenario.malformed) {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[');
      return;
    }
    sendJson(response, 200, {
      object: 'list',
      data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake', root: id })),
    });
  }

  async function handleChat(recorded: RecordedRequest, response: ServerResponse, closed: AbortSignal): Promise<void> {
    const body = recorded.body;
    if (!isRecord(body) || !Array.isArray(body['messages'])) {
      return sendJson(response, 400, { error: { message: 'messages: field required', type: 'invalid_request_error' } });
    }
    const model = typeof body['model'] === 'string' ? body['model'] : '';
    if (!models.includes(model)) {
      return sendJson(response, 404, {
        error: { message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', code: 404 },
      });
    }
    if (scenario.rejectStreamOptions && body['stream_options'] !== undefined) {
      return sendJson(response, 400, {
        error: { message: 'stream_options: Extra inputs are not permitted', type: 'BadRequestError' },
      });
    }
    const messages = body['messages'].filter(isRecord).map((message) => ({ content: String(message['content'] ?? '') }));
    const maxTokens = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : Number.POSITIVE_INFINITY;
    const allTokens = fakeTokens(scenario.reply);
    const tokens = allTokens.slice(0, maxTokens);
    const finishReason = tokens.length < allTokens.length ? 'length' : scenario.finishReason;
    const usage = {
      prompt_tokens: fakePromptTokens(messages),
      completion_tokens: tokens.length,
      total_tokens: fakePromptTokens(messages) + tokens.length,
    };
    const created = Math.floor(Date.now() / 1000);

    if (body['stream'] !== true) {
      if (scenario.malformed) {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"chatcmpl-fake","choices":[');
        return;
      }
      return sendJson(response, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finishReason }],
        usage,
      });
    }

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const send = (payload: unknown): void => {
      response.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
    };

    if (scenario.ttftMs > 0) await sleep(scenario.ttftMs, closed);
    send(chunk({ role: 'assistant', content: '' }, null));
    for (const [index, token] of tokens.entries()) {
      if (closed.aborted) return;
      if (scenario.streamError && index === scenario.streamError.afterTokens) {
        send({ error: { message: scenario.streamError.message, type: 'server_error', code: 500 } });
        response.end();
        return;
      }
      if (scenario.cut && index === scenario.cut.afterTokens) {
        if (scenario.cut.mode === 'destroy') response.destroy();
        else response.end();
        return;
      }
      if (index > 0 && scenario.tokenDelayMs > 0) await sleep(scenario.tokenDelayMs, closed);
      if (closed.aborted) return;
      send(chunk({ content: token }, null));
      if (scenario.malformed && index === 0) send('{"choices":[{"delta":');
    }
    if (scenario.streamError && scenario.streamError.afterTokens >= tokens.length) {
      send({ error: { message: scenario.streamError.message, type: 'server_error', code: 500 } });
      response.end();
      return;
    }
    if (scenario.cut && scenario.cut.afterTokens >= tokens.length) {
      if (scenario.cut.mode === 'destroy') response.destroy();
      else response.end();
      return;
    }
    send(chunk({}, finishReason));
    const streamOptions = body['stream_options'];
    if (!scenario.omitUsage && isRecord(streamOptions) && streamOptions['include_usage'] === true) {
      send({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    if (!scenario.omitDone) send('[DONE]');
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    setScenario(changes) {
      scenario = { ...scenario, ...changes };
    },
    scenario: () => scenario,
    setModels(next) {
      models = next;
    },
    requestsTo: (route) => requests.filter((request) => request.route === route),
    async close() {
      for (const response of openResponses) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function routeOf(method: string, path: string): FakeRoute {
  const normalised = path.replace(/\/+$/, '');
  if (method === 'GET' && normalised === '/v1/models') return 'models';
  if (method === 'POST' && normalised === '/v1/chat/completions') return 'chat';
  if (method === 'GET' && normalised === '/health') return 'health';
  return 'other';
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Aborts when the client goes away, so delays stop and nothing is written to a dead socket. */
function closedSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.on('close', () => controller.abort());
  return controller.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
