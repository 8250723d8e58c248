// A minimal, fast OpenAI-compatible upstream for the gateway benchmark (a separate process): answers
// /v1/chat/completions from precomputed bytes after a configurable delay, streamed or not, so that
// what is measured is the gateways, not the fake. POST /__scenario changes the timing between runs.
// Run: npx tsx bench/gateway/bench-upstream.ts   (prints "READY <port>")
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Scenario {
  /** Delay before a non-streamed answer, ms. */
  latencyMs: number;
  /** Delay before the first token of a stream, ms. */
  ttftMs: number;
  /** Tokens in an answer. */
  tokens: number;
  /** Gap between streamed tokens, ms (0 = all at once after the first). */
  tokenIntervalMs: number;
}

let scenario: Scenario = { latencyMs: 0, ttftMs: 0, tokens: 16, tokenIntervalMs: 0 };
const created = Math.floor(Date.now() / 1000);
const words = Array.from({ length: 256 }, (_, index) => (index === 0 ? 'Hello' : ` w${index}`));

let nonStreamBody = Buffer.alloc(0);
let tokenChunks: Buffer[] = [];
let roleChunk = Buffer.alloc(0);
let finishChunk = Buffer.alloc(0);
let usageChunk = Buffer.alloc(0);
const done = Buffer.from('data: [DONE]\n\n');

function prepare(): void {
  const content = words.slice(0, scenario.tokens).join('');
  const usage = { prompt_tokens: 12, completion_tokens: scenario.tokens, total_tokens: 12 + scenario.tokens };
  nonStreamBody = Buffer.from(JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created, model: 'bench-model', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage }));
  const chunk = (delta: Record<string, unknown>, finish: string | null) => Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'bench-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  roleChunk = chunk({ role: 'assistant', content: '' }, null);
  tokenChunks = words.slice(0, scenario.tokens).map((word) => chunk({ content: word }, null));
  finishChunk = chunk({}, 'stop');
  usageChunk = Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'bench-model', choices: [], usage })}\n\n`);
}
prepare();

function readBody(request: IncomingMessage, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => then(chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString()));
}

function later(ms: number, work: () => void): void {
  if (ms <= 0) work();
  else setTimeout(work, ms);
}

function stream(response: ServerResponse, includeUsage: boolean): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  later(scenario.ttftMs, () => {
    if (scenario.tokenIntervalMs <= 0) {
      response.write(Buffer.concat([roleChunk, ...tokenChunks, finishChunk, ...(includeUsage ? [usageChunk] : []), done]));
      response.end();
      return;
    }
    response.write(Buffer.concat([roleChunk, tokenChunks[0] ?? Buffer.alloc(0)]));
    let next = 1;
    const tick = () => {
      if (response.destroyed) return;
      if (next < tokenChunks.length) {
        response.write(tokenChunks[next++] as Buffer);
        setTimeout(tick, scenario.tokenIntervalMs);
        return;
      }
      response.end(Buffer.concat([finishChunk, ...(includeUsage ? [usageChunk] : []), done]));
    };
    setTimeout(tick, scenario.tokenIntervalMs);
  });
}

const server = createServer((request, response) => {
  readBody(request, (text) => {
    if (request.url === '/__scenario') {
      scenario = { ...scenario, ...(JSON.parse(text) as Partial<Scenario>) };
      prepare();
      response.writeHead(204).end();
      return;
    }
    if (request.method === 'GET' && request.url === '/v1/models') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'bench-model', object: 'model' }] }));
      return;
    }
    // The body is only looked at for the two fields that change the answer's shape.
    const streamed = text.includes('"stream":true');
    if (streamed) return stream(response, text.includes('"include_usage":true'));
    later(scenario.latencyMs, () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': nonStreamBody.length });
      response.end(nonStreamBody);
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
