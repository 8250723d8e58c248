import { ApiError, toProblem } from '../../../api/api-error';
import { apiStream } from '../../../api/client';
import { readSse } from '../../../api/sse';
import type { EndpointTestBody, EndpointTestResult } from '../../../api/types';

export interface StreamTestOptions {
  signal?: AbortSignal;
  /** Each piece of text as the model produces it. */
  onDelta: (text: string) => void;
}

/**
 * Runs an endpoint test through `POST /api/deployments/{id}/test/stream` and reads its server-sent
 * events with fetch (EventSource cannot POST): `delta` {text}…, then `result` or `error` {problem}.
 * A failed inference is a result with success: false; refusals (not active, rate limited) throw ApiError.
 */
export async function streamEndpointTest(id: string, body: EndpointTestBody, options: StreamTestOptions): Promise<EndpointTestResult> {
  const response = await apiStream(`/api/deployments/${encodeURIComponent(id)}/test/stream`, {
    method: 'POST',
    body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const event of readSse(response, options.signal)) {
    const data = parse(event.data);
    if (event.event === 'delta' && isRecord(data) && typeof data['text'] === 'string') options.onDelta(data['text']);
    else if (event.event === 'result' && isRecord(data)) return data as EndpointTestResult;
    else if (event.event === 'error') throw new ApiError(toProblem(502, data, 'The test failed'));
  }
  if (options.signal?.aborted) throw new DOMException('The test was cancelled', 'AbortError');
  throw new ApiError(toProblem(502, { code: 'internal_error', detail: 'the answer ended before its result arrived; try again' }, 'Incomplete answer'));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
