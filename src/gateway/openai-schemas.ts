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
