/** A small JSON client for tests that talk to a real server over a socket. */

export interface HttpResult {
  status: number;
  contentType: string;
  text: string;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: any;
}

export interface HttpOptions {
  method?: string;
  /** Sent as JSON unless it is a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  token?: string;
  timeoutMs?: number;
}

export async function http(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, {
    method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
    headers,
    ...(payload === undefined ? {} : { body: payload }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body: parseJson(text) };
}

/** Like `http`, but a network failure (server killed mid-request) is null instead of a throw. */
export async function httpOrNull(url: string, options: HttpOptions = {}): Promise<HttpResult | null> {
  try {
    return await http(url, options);
  } catch {
    return null;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws `describe()` after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, describe: () => string | Promise<string>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(await describe());
    await sleep(everyMs);
  }
}
