import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy between the server under test and a provider fake that can crash the server at an
 * exact point of the conversation: when request number N arrives, either before the fake sees it
 * (`before`) or after the fake has carried it out but before the answer gets back (`after`, the
 * lost-response case that tempts clients into a duplicate create).
 *
 * The fake's own origin is rewritten to the proxy's in every answer, so URLs the fake hands out
 * (prediction `urls.get`, stream URLs) keep going through the proxy.
 */
export interface CrashPoint {
  /** 1-based number of the request (counted from the moment of arming) at which to crash. */
  atRequest: number;
  when: 'before' | 'after';
  /** Only requests whose method and path match count; all when absent. */
  matches?: (method: string, path: string) => boolean;
  /** Kills the server; the request is never answered. */
  crash: () => void | Promise<void>;
}

export interface CrashProxy {
  /** `http://127.0.0.1:<port>`: give this to the server instead of the fake's origin. */
  url: string;
  /** Requests forwarded so far, as `METHOD /path`. */
  seen: string[];
  arm(point: CrashPoint): void;
  disarm(): void;
  /** Requests received and not yet answered (held crash requests excluded). */
  inFlight(): number;
  /** Holds matching requests this long before forwarding them (a slow provider); 0 = none. */
  setDelay(delay: (method: string, path: string) => number): void;
  /** Resolves when the armed crash has fired. */
  fired(): Promise<{ request: string; when: 'before' | 'after' }>;
  hasFired(): boolean;
  close(): Promise<void>;
}

export async function startCrashProxy(targetOrigin: string): Promise<CrashProxy> {
  const target = new URL(targetOrigin);
  const seen: string[] = [];
  let armed: (CrashPoint & { count: number }) | null = null;
  let firedWith: { request: string; when: 'before' | 'after' } | null = null;
  let notifyFired: (value: { request: string; when: 'before' | 'after' }) => void = () => undefined;
  let firedPromise = new Promise<{ request: string; when: 'before' | 'after' }>((resolve) => (notifyFired = resolve));
  const held = new Set<ServerResponse>();
  let origin = '';
  let delayOf: (method: string, path: string) => number = () => 0;
  let inFlight = 0;

  const hold = (response: ServerResponse): void => {
    held.add(response);
    response.on('close', () => held.delete(response));
  };

  const fire = async (label: string, when: 'before' | 'after', point: CrashPoint): Promise<void> => {
    armed = null;
    firedWith = { request: label, when };
    await point.crash();
    notifyFired(firedWith);
  };

  const server = createServer((incoming, response) => {
    inFlight += 1;
    void handle(incoming, response)
      .catch(() => {
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
      })
      .finally(() => (inFlight -= 1));
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = incoming.method ?? 'GET';
    const path = new URL(incoming.url ?? '/', 'http://proxy').pathname;
    const label = `${method} ${path}`;
    seen.push(label);
    const body = await readBody(incoming);
    const point = armed;
    const counts = point !== null && (point.matches === undefined || point.matches(method, path));
    const due = counts && point !== null && ++point.count >= point.atRequest;
    if (due && point.when === 'before') {
      hold(response);
      await fire(label, 'before', point);
      return;
    }
    const delayMs = delayOf(method, path);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const headers = { ...incoming.headers, host: target.host };
    delete headers['content-length'];
    const upstream = await forward(method, incoming.url ?? '/', headers, body);
    if (due && point.when === 'after') {
      hold(response);
      // The fake has carried the request out; make sure its answer is fully in before the crash.
      await upstream.text();
      await fire(label, 'after', point);
      return;
    }
    const responseHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection') responseHeaders[name] = value;
    });
    response.writeHead(upstream.status, responseHeaders);
    const isStream = (upstream.headers.get('content-type') ?? '').includes('text/event-stream');
    if (isStream && upstream.body) {
      response.flushHeaders();
      const decoder = new TextDecoder();
      for await (const chunk of upstream.body) response.write(rewrite(decoder.decode(chunk as Uint8Array, { stream: true })));
      response.end();
      return;
    }
    response.end(rewrite(await upstream.text()));
  }

  const rewrite = (text: string): string => text.split(target.origin).join(origin);

  async function forward(method: string, path: string, headers: IncomingMessage['headers'], body: Buffer): Promise<Response> {
    const plain: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) plain[name] = Array.isArray(value) ? value.join(', ') : value;
    return fetch(new URL(path, target.origin), {
      method,
      headers: plain,
      redirect: 'manual',
      ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    seen,
    arm(point) {
      armed = { ...point, count: 0 };
      firedWith = null;
      firedPromise = new Promise((resolve) => (notifyFired = resolve));
    },
    disarm() {
      armed = null;
    },
    inFlight: () => inFlight,
    setDelay(delay) {
      delayOf = delay;
    },
    fired: () => firedPromise,
    hasFired: () => firedWith !== null,
    async close() {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
