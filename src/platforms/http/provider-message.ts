/**
 * Pulls the human-readable message out of a provider's error body. Providers disagree on the shape, so
 * this reads the common ones loosely and falls back to the text itself.
 */

/** Longest provider message we pass on; the rest is noise (stack traces, HTML pages). */
export const MAX_PROVIDER_MESSAGE_LENGTH = 500;

/**
 * Shapes understood, first match wins: `{error:{message}}` (OpenAI, vLLM), `{error:"…"}` (LoRAX, TGI),
 * `{message}`, `{detail:"…"}` and `{detail:[{msg}]}` (FastAPI: Replicate, Modal), `{errors:[{message}]}`,
 * `{title}` (problem+json). Otherwise the raw text with tags and whitespace collapsed.
 */
export function parseProviderMessage(body: string): string {
  const fromJson = messageFromJson(body);
  const message = fromJson ?? body.replace(/<[^>]*>/g, ' ');
  return truncate(message.replace(/\s+/g, ' ').trim());
}

export function truncate(text: string, max = MAX_PROVIDER_MESSAGE_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function messageFromJson(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  return messageFromValue(parsed, 0);
}

function messageFromValue(value: unknown, depth: number): string | undefined {
  if (depth > 3) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (Array.isArray(value)) {
    const parts = value.map((item) => messageFromValue(item, depth + 1)).filter((part) => part !== undefined);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (!isRecord(value)) return undefined;
  for (const key of ['error', 'message', 'detail', 'errors', 'msg', 'title', 'error_description']) {
    const found = messageFromValue(value[key], depth + 1);
    if (found !== undefined) return withLocation(value, found);
  }
  return undefined;
}

/** FastAPI validation items carry `loc`; keeping it makes "field required" say which field. */
function withLocation(item: Record<string, unknown>, message: string): string {
  const location = item['loc'];
  if (!Array.isArray(location) || location.length === 0) return message;
  return `${location.map(String).join('.')}: ${message}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
