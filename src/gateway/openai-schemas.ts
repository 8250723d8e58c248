import { z } from 'zod';

/**
 * The subset of OpenAI's request bodies the gateway checks. Unknown fields are kept (OpenAI clients send
 * many, and pass-through upstreams understand them: tools, response_format, seed, logprobs…).
 */
const stop = z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional();

/** Text of a message: a string, or the text parts of a content array (other parts count as ''). */
const content = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).transform((parts) =>
    parts.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join(''),
  ),
]);

const maxTokens = z.number().int().min(1).max(1_048_576).nullable().optional();

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: content.nullable().optional(),
});

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(600),
  messages: z.array(ChatMessageSchema).min(1).max(2_000),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop,
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  n: z.number().int().min(1).max(16).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(600),
  prompt: z.string().min(1),
  max_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop,
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  n: z.number().int().min(1).max(1).nullable().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/**
 * The schemas' verdict on the shape nearly every request has, without zod: the body itself when the
 * schema would accept it and hand back an equal object (every field in range, message contents plain
 * strings), null when zod has to look (an error to word, or content parts to join). zod's safeParse is
 * about 3% of the gateway's CPU per request; these checks are a small fraction of that.
 * openai-schemas.test.ts holds the two to the same answers.
 */
export function acceptedChatRequest(body: Record<string, unknown>): ChatCompletionRequest | null {
  if (!commonFieldsAccepted(body, 16)) return null;
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 2_000) return null;
  for (const message of messages) {
    if (!isPlainObject(message) || !MESSAGE_ROLES.has(message['role'] as string)) return null;
    const content = message['content'];
    if (content !== undefined && content !== null && typeof content !== 'string') return null;
  }
  if (!isOptionalInteger(body['max_completion_tokens'], 1, 1_048_576)) return null;
  return body as ChatCompletionRequest;
}

/** As acceptedChatRequest, for `/v1/completions`. */
export function acceptedCompletionRequest(body: Record<string, unknown>): CompletionRequest | null {
  if (!commonFieldsAccepted(body, 1)) return null;
  const prompt = body['prompt'];
  if (typeof prompt !== 'string' || prompt.length < 1) return null;
  return body as CompletionRequest;
}

const MESSAGE_ROLES: ReadonlySet<string> = new Set(ChatMessageSchema.shape.role.options);

function commonFieldsAccepted(body: Record<string, unknown>, maxChoices: number): boolean {
  const model = body['model'];
  if (typeof model !== 'string' || model.length < 1 || model.length > 600) return false;
  if (!isOptionalInteger(body['max_tokens'], 1, 1_048_576) || !isOptionalInteger(body['n'], 1, maxChoices)) return false;
  const temperature = body['temperature'];
  if (temperature != null && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)) return false;
  const topP = body['top_p'];
  if (topP != null && !(typeof topP === 'number' && topP > 0 && topP <= 1)) return false;
  const stream = body['stream'];
  if (stream != null && typeof stream !== 'boolean') return false;
  const options = body['stream_options'];
  if (options != null && !(isPlainObject(options) && (options['include_usage'] == null || typeof options['include_usage'] === 'boolean'))) return false;
  const stopAt = body['stop'];
  if (stopAt != null && typeof stopAt !== 'string' && !(Array.isArray(stopAt) && stopAt.length <= 4 && stopAt.every((item) => typeof item === 'string'))) return false;
  return true;
}

function isOptionalInteger(value: unknown, min: number, max: number): boolean {
  return value == null || (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
