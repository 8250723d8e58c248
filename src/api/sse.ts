import type { FastifyReply } from 'fastify';

/**
 * Takes over a reply for server-sent events. Returns a writer; the caller ends it. Heartbeat comments
 * keep proxies from closing an idle stream.
 */
export function openEventStream(reply: FastifyReply, options: { heartbeatMs?: number } = {}) {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.flushHeaders();
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  let closed = false;
  const closedSignal = new AbortController();
  raw.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    closedSignal.abort();
  });
  return {
    signal: closedSignal.signal,
    send(event: string, data: unknown): void {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end(): void {
      clearInterval(heartbeat);
      if (!closed) raw.end();
    },
  };
}
