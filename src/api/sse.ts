import type { FastifyReply } from 'fastify';

/**
 * Takes over a reply for server-sent events. Returns a writer; the caller ends it. Heartbeat comments
 * keep proxies from closing an idle stream.
 */
export function openEventStream(reply: FastifyReply, options: { heartbeatMs?: number; endless?: boolean } = {}) {
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
  const end = () => {
    clearInterval(heartbeat);
    if (!closed) raw.end();
  };
  // Endless streams (live feeds) are ended when the server shuts down; finite ones (a test answer) finish.
  if (options.endless) endlessStreams.add(end);
  raw.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    endlessStreams.delete(end);
    closedSignal.abort();
  });
  return {
    signal: closedSignal.signal,
    send(event: string, data: unknown): void {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end,
  };
}

const endlessStreams = new Set<() => void>();

/** Ends every open live feed, so a graceful shutdown does not wait for streams that never finish. */
export function endEndlessStreams(): void {
  for (const end of [...endlessStreams]) end();
}
